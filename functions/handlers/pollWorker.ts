import type { Context, SQSEvent } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { portfolioJobWorker } from '../adapters/jobWorker.js';
import { logger, metrics } from '../adapters/observability.js';
import { type Poller, PollIncomplete, type PollResult } from '../application/pollPortfolio.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedPoller } from '../wiring/poller.js';

export interface PollWorkerDependencies {
  readonly config: LoadedConfig;
  readonly poller: Pick<Poller, 'poll'>;
  /** Lets the delivery recorder's in-flight records expire with the invocation (as the ingest handler does). */
  readonly registerContext?: (context: Context) => void;
}

/** What a poll logs: counts and account ids, never credentials. */
const summary = (result: PollResult) => ({
  portfolioId: result.portfolioId,
  pulledAt: result.pulledAt,
  accounts: result.accounts.map((a) => ({
    account: `${a.platform}:${a.accountId}`,
    from: a.from,
    to: a.to,
    rows: a.rows,
    // The platform's code or the secret's name, never a credential (PullError messages are built so).
    ...(a.failure ? { failure: a.failure, message: a.message } : {}),
  })),
  changed: result.changed,
  unchanged: result.unchanged,
  heldBack: result.heldBack,
  alertsOpened: result.alertsOpened,
  refused: result.refused,
});

/**
 * The poll queue's consumer: pulls one portfolio's accounts per message. Refused credentials open an alert
 * and the message succeeds (retrying cannot fix them); a throttled or unavailable platform fails the message
 * after the rest is stored, so SQS retries it and dead-letters it after three tries.
 */
export const createPollWorkerHandler = ({ config, poller, registerContext }: PollWorkerDependencies) => {
  const worker = portfolioJobWorker(config, 'poll', async (portfolio) => {
    try {
      const result = await poller.poll(portfolio);
      metrics.addMetric('PolledRowsChanged', 'Count', result.changed);
      // Rows the webhook rules refused are a platform answer out of bounds: worth a look, not a retry.
      if (result.refused.length > 0 || result.alertsOpened.length > 0) logger.warn('polled, with problems', summary(result));
      else logger.info('polled', summary(result));
    } catch (error) {
      if (error instanceof PollIncomplete) logger.warn('poll incomplete', summary(error.result));
      throw error;
    }
  });
  return (event: SQSEvent, context: Context) => {
    registerContext?.(context);
    return worker(event, context);
  };
};

const { poller, recorder } = deployedPoller();
export const handler = createPollWorkerHandler({
  config: deployedConfig,
  poller,
  registerContext: (context) => recorder.registerContext(context),
});

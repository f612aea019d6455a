import type { LoadedConfig } from '../adapters/configFile.js';
import { portfolioJobWorker } from '../adapters/jobWorker.js';
import { logger, recordAlertTransitions } from '../adapters/observability.js';
import type { AlertEvaluator } from '../application/evaluateAlerts.js';
import { deployedAlertEvaluator } from '../wiring/alertEvaluator.js';
import { deployedConfig } from '../wiring/config.js';

export interface AlertsWorkerDependencies {
  readonly config: LoadedConfig;
  readonly evaluator: Pick<AlertEvaluator, 'evaluate'>;
}

/** The alerts queue's consumer: evaluates one portfolio's rules per message (re-evaluating is harmless). */
export const createAlertsWorkerHandler = ({ config, evaluator }: AlertsWorkerDependencies) =>
  portfolioJobWorker(config, 'alerts', async (portfolio) => {
    const result = await evaluator.evaluate(portfolio);
    recordAlertTransitions(portfolio.id, result);
    logger.info('alerts evaluated', {
      portfolioId: portfolio.id,
      opened: result.opened.length,
      escalated: result.escalated.length,
      resolved: result.resolved.length,
    });
  });

export const handler = createAlertsWorkerHandler({ config: deployedConfig, evaluator: deployedAlertEvaluator() });

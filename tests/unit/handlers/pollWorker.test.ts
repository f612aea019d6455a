import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../bin/local/apiGateway.js';
import { PollIncomplete, type PollResult } from '../../../functions/application/pollPortfolio.js';
import { createPollWorkerHandler } from '../../../functions/handlers/pollWorker.js';
import { deployedConfig } from '../../../functions/wiring/config.js';

// The module also builds the deployed handler at import, which reads its table names (never used here).
vi.hoisted(() =>
  Object.assign(process.env, { METRICS_TABLE: 'unused', IDEMPOTENCY_TABLE: 'unused', ALERTS_TABLE: 'unused', BUDGET_RUNTIME: 'local' }),
);

const message = (messageId: string) =>
  ({
    messageId,
    body: JSON.stringify({ job: 'poll', portfolioId: 'demo', window: '2026-11-22T10:00:00.000Z' }),
  }) as SQSEvent['Records'][number];

const result = (failure?: 'throttled' | 'credentials'): PollResult => ({
  portfolioId: 'demo',
  pulledAt: '2026-11-22T10:00:01.000Z',
  accounts: [
    { platform: 'meta', accountId: '100200300400500', from: '2026-11-15', to: '2026-11-22', rows: 0, ...(failure ? { failure } : {}) },
  ],
  changed: 0,
  unchanged: 0,
  receipt: { accepted: 0, duplicates: 0, stale: 0 },
  heldBack: failure ? ['social'] : [],
  alertsOpened: failure === 'credentials' ? ['credentials~meta:100200300400500~2026-11-22T10:00:01.000Z'] : [],
  alertsResolved: [],
  refused: [],
});

describe('poll worker', () => {
  it('fails only the message whose poll a platform left incomplete (SQS retries it), not one whose credentials were refused (an alert says so)', async () => {
    const answers = [result('credentials'), new PollIncomplete(result('throttled'))];
    const contexts: Context[] = [];
    const handler = createPollWorkerHandler({
      config: deployedConfig,
      poller: {
        poll: async () => {
          const next = answers.shift()!;
          if (next instanceof Error) throw next;
          return next;
        },
      },
      registerContext: (context) => contexts.push(context),
    });
    const answer = await handler({ Records: [message('refused'), message('throttled')] }, lambdaContext('PollWorker'));
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'throttled' }]);
    expect(contexts).toHaveLength(1);
  });
});

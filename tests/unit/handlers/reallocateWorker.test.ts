import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../bin/local/apiGateway.js';
import type { ReallocationRunner } from '../../../functions/application/reallocatePortfolio.js';
import { createWorkerHandler } from '../../../functions/handlers/reallocateWorker.js';
import { deployedConfig } from '../../../functions/wiring/config.js';

// The module also builds the deployed handler at import, which reads its table names (never used here).
vi.hoisted(() => Object.assign(process.env, { METRICS_TABLE: 'unused', ALLOCATIONS_TABLE: 'unused', ALERTS_TABLE: 'unused' }));

const record = (messageId: string, body: string) => ({ messageId, body }) as SQSEvent['Records'][number];
const job = (portfolioId: string) => JSON.stringify({ job: 'reallocate', portfolioId, window: '2026-11-22T10:00:00.000Z' });

describe('reallocate worker', () => {
  /** Fault: a poisoned message in an SQS batch. Invariant: only it is retried (and then dead-lettered); the rest succeed once. */
  it('reports only the failing messages of a batch', async () => {
    const ran: string[] = [];
    const reallocator: ReallocationRunner = {
      run: async (portfolio) => {
        if (ran.includes(portfolio.id)) throw new Error('solver crashed');
        ran.push(portfolio.id);
        return { created: true, snapshot: { snapshotId: 's1', allocation: { status: 'optimal' } } as never };
      },
    };
    const handler = createWorkerHandler({ config: deployedConfig, reallocator });
    const event: SQSEvent = {
      Records: [
        record('ok', job('demo')),
        record('not-json', '{'),
        record('unknown', job('nope')),
        record('wrong-shape', '{"job":"reallocate"}'),
        record('crash', job('demo')),
      ],
    };
    const answer = await handler(event, lambdaContext('ReallocateWorker'));
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['not-json', 'unknown', 'wrong-shape', 'crash']);
    expect(ran).toEqual(['demo']);
  });
});

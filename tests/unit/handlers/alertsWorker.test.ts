import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../bin/local/apiGateway.js';
import { metrics } from '../../../functions/adapters/observability.js';
import type { EvaluationResult } from '../../../functions/application/evaluateAlerts.js';
import type { Alert } from '../../../functions/domain/alerts/lifecycle.js';
import { createAlertsWorkerHandler } from '../../../functions/handlers/alertsWorker.js';
import { deployedConfig } from '../../../functions/wiring/config.js';

// The module also builds the deployed handler at import, which reads its table names (never used here).
vi.hoisted(() => Object.assign(process.env, { METRICS_TABLE: 'unused', ALLOCATIONS_TABLE: 'unused', ALERTS_TABLE: 'unused' }));

const message = (messageId: string) =>
  ({
    messageId,
    body: JSON.stringify({ job: 'alerts', portfolioId: 'demo', window: '2026-11-22T10:15:00.000Z' }),
  }) as SQSEvent['Records'][number];
const alerts = (n: number) => Array.from({ length: n }, () => ({}) as Alert);

afterEach(() => vi.restoreAllMocks());

describe('alerts worker', () => {
  it('counts the alerts each evaluation opened, escalated and resolved, zero included', async () => {
    const results: EvaluationResult[] = [
      { opened: alerts(2), escalated: [], resolved: alerts(1) },
      { opened: [], escalated: alerts(1), resolved: [] },
    ];
    const handler = createAlertsWorkerHandler({ config: deployedConfig, evaluator: { evaluate: async () => results.shift()! } });
    const added = vi.spyOn(metrics, 'addMetric');
    const answer = await handler({ Records: [message('a'), message('b')] }, lambdaContext('AlertsWorker'));
    expect(answer.batchItemFailures).toEqual([]);
    expect(added.mock.calls.map(([name, , value]) => `${name}=${value}`)).toEqual([
      'AlertsOpened=2',
      'AlertsEscalated=0',
      'AlertsResolved=1',
      'AlertsOpened=0',
      'AlertsEscalated=1',
      'AlertsResolved=0',
    ]);
  });
});

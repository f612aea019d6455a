import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluateAlertsAtStart, latestOrReallocate } from '../../bin/local/demo.js';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { LocalBus } from '../../functions/adapters/eventBus.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import { noStopLosses, Reallocator } from '../../functions/application/reallocatePortfolio.js';
import { dateInZone } from '../../functions/domain/dates.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
});
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('npm start', () => {
  it('reallocates when the latest plan was made under another config, says why, and shows the latest as it is after that', async () => {
    // The plan in force was made an hour ago under a config since edited.
    await new Reallocator({
      metrics: new MetricsRepository(client, runtime.tableName(METRICS_TABLE.id)),
      allocations: new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id)),
      stopLosses: noStopLosses,
      events: new LocalBus(),
      clock: () => new Date(Date.now() - 3_600_000),
      configHash: 'an-earlier-config',
    }).run({ ...demo, budget: { ...demo.budget, daily: 9000 } }, { kind: 'on-demand', by: 'test' });

    const started = await latestOrReallocate(runtime.url, runtime.apiToken, demo, deployedConfig.hash);
    expect(started.why).toBe(
      `the latest allocation was made under config an-earlier-config, and config ${deployedConfig.hash} is in force now`,
    );
    expect(started.snapshot.configHash).toBe(deployedConfig.hash);
    // Asked again the same day (its own instant: a run straddling midnight would otherwise decide again).
    const again = await latestOrReallocate(
      runtime.url,
      runtime.apiToken,
      demo,
      deployedConfig.hash,
      false,
      new Date(started.snapshot.createdAt),
    );
    expect(again).toEqual({ snapshot: started.snapshot });
  });

  it('reallocates when the latest plan was made on an earlier day (data stopped with it), and says so', async () => {
    const latest = await latestOrReallocate(runtime.url, runtime.apiToken, demo, deployedConfig.hash);
    // Started again the next day over the same data: the plan in force is yesterday's.
    const tomorrow = new Date(Date.parse(latest.snapshot.createdAt) + 86_400_000);
    const started = await latestOrReallocate(runtime.url, runtime.apiToken, demo, deployedConfig.hash, false, tomorrow);
    expect(started.why).toBe(
      `the latest allocation was made on ${dateInZone(new Date(latest.snapshot.createdAt), demo.timezone)}, before today`,
    );
    expect(started.snapshot.snapshotId).not.toBe(latest.snapshot.snapshotId);
  });

  it('evaluates the alert rules once at start, so the dashboard shows what the data already says', async () => {
    // No metrics in this runtime: every channel's data is stale, which the stale-data rule reports.
    const lines = await evaluateAlertsAtStart(runtime.url, runtime.apiToken, demo);
    const count = demo.channels.length;
    expect(lines[0]).toBe(`Evaluated the alert rules of "demo": ${count} opened, 0 escalated, 0 resolved; ${count} open.`);
    expect(lines.slice(1)).toContain(`  · critical stale-data on ${demo.channels[0]!.id}`);
    const open = await runtime.get('/portfolios/demo/alerts?status=open');
    expect(open.body.alerts).toHaveLength(count);
    // Started again, it opens none, and says the ones a previous run left are still open.
    expect((await evaluateAlertsAtStart(runtime.url, runtime.apiToken, demo))[0]).toBe(
      `Evaluated the alert rules of "demo": 0 opened, 0 escalated, 0 resolved; ${count} open.`,
    );
  });
});

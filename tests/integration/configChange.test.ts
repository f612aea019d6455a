import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { LocalBus } from '../../functions/adapters/eventBus.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import { noStopLosses, Reallocator } from '../../functions/application/reallocatePortfolio.js';
import { feasibilityIssues } from '../../functions/domain/allocation/feasibility.js';
import type { Portfolio } from '../../functions/domain/config.js';
import { addDays } from '../../functions/domain/dates.js';
import { toMicros } from '../../functions/domain/money.js';
import type { Snapshot, Trigger } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/**
 * A config deploy takes effect: the next run solves under it, a held plan is brought within it, and the
 * dashboard says when the plan it shows was made under another config.
 */
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const withBudget = (daily: number, reserveShare = 0): Portfolio => ({ ...demo, budget: { ...demo.budget, daily, reserveShare } });

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;
let allocations: AllocationsRepository;
let metrics: MetricsRepository;

const run = async (portfolio: Portfolio, configHash: string, instant: string, trigger: Trigger): Promise<Snapshot> =>
  (
    await new Reallocator({
      metrics,
      allocations,
      stopLosses: noStopLosses,
      events: new LocalBus(),
      clock: () => new Date(instant),
      configHash,
    }).run(portfolio, trigger)
  ).snapshot;
const scheduled = (window: string): Trigger => ({ kind: 'schedule', window });

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
  allocations = new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id));
  metrics = new MetricsRepository(client, runtime.tableName(METRICS_TABLE.id));
  // Four weeks of data ending 2026-11-20; runs on 2026-11-21 see fresh data, runs in December stale data.
  const rows = demo.channels.flatMap((channel, i) =>
    Array.from({ length: 28 }, (_, d) => ({
      portfolioId: demo.id,
      channelId: channel.id,
      date: addDays('2026-11-20', -d),
      hour: null,
      spendMicros: toMicros(channel.base + 200 + ((d * 7 + i) % 5) * 60),
      revenueMicros: null,
      impressions: null,
      clicks: null,
      conversions: 20 + ((d + i) % 4),
      revision: 1,
    })),
  );
  await metrics.store(rows, 'seed', '2026-11-21T00:00:00Z');
});
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('a config change takes effect', () => {
  it('solves the next scheduled run under the new budget, never reusing the old plan', async () => {
    const before = await run(withBudget(10_000), 'config-a', '2026-11-21T08:00:00Z', scheduled('2026-11-21T08:00:00.000Z'));
    expect(before.allocation.total).toBeGreaterThan(7000);
    const after = await run(withBudget(7000), 'config-b', '2026-11-21T09:00:00Z', scheduled('2026-11-21T09:00:00.000Z'));
    expect(after).toMatchObject({ computation: 'solved', configHash: 'config-b' });
    expect(after.allocation.total).toBeLessThanOrEqual(7000);
  });

  it('keeps a held plan on stale data within a cut budget run after run, and the reserve held back after a release', async () => {
    const cut = withBudget(7000);
    const first = await run(cut, 'config-b', '2026-12-05T08:00:00Z', { kind: 'on-demand', by: 'test' });
    const second = await run(cut, 'config-b', '2026-12-05T09:00:00Z', { kind: 'on-demand', by: 'test' });
    for (const held of [first, second]) {
      expect(held.allocation.status).toBe('held');
      expect(held.allocation.total).toBeLessThanOrEqual(7000);
    }
    expect(first.allocation.reason).toMatch(/stale data/);

    const reserved = withBudget(10_000, 0.3);
    const released = await run(reserved, 'config-c', '2026-12-06T08:00:00Z', {
      kind: 'on-demand',
      by: 'test',
      releaseReserve: { reason: 'year-end push' },
    });
    const ordinary = await run(reserved, 'config-c', '2026-12-06T09:00:00Z', { kind: 'on-demand', by: 'test' });
    expect(released.allocation.reserve).toBe(0);
    expect(ordinary.allocation.reserve).toBe(3000);
    expect(ordinary.allocation.total).toBeLessThanOrEqual(7000);
    const context = { portfolio: reserved, previous: null, stopLoss: [], releaseReserve: false };
    expect(feasibilityIssues(ordinary.allocation, { ...context, dayStart: null })).toEqual([]);
  });

  it('says on the dashboard when the plan shown was made under another config', async () => {
    await run(withBudget(9000), 'an-earlier-config', '2026-12-07T08:00:00Z', { kind: 'on-demand', by: 'test' });
    const page = await (await fetch(`${runtime.url}/dashboard?token=${runtime.apiToken}&portfolio=demo`)).text();
    expect(page).toContain('id="config-notice"');
    expect(page).toMatch(/made under an earlier config \(<code>an-earlier-config<\/code>, a daily budget of 9,000\.00\)/);
    expect(page).toContain(`<code>${deployedConfig.hash}</code>`);

    await run(demo, deployedConfig.hash, '2026-12-07T09:00:00Z', { kind: 'on-demand', by: 'test' });
    const current = await (await fetch(`${runtime.url}/dashboard?token=${runtime.apiToken}&portfolio=demo`)).text();
    expect(current).not.toContain('id="config-notice"');
  });
});

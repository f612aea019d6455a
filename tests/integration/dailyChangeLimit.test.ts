import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { LocalBus } from '../../functions/adapters/eventBus.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import type { EventPublisher } from '../../functions/application/ports.js';
import { noStopLosses, Reallocator } from '../../functions/application/reallocatePortfolio.js';
import { Portfolio } from '../../functions/domain/config.js';
import { addDays } from '../../functions/domain/dates.js';
import { toMicros } from '../../functions/domain/money.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/**
 * The daily change limit through the real reallocator and DynamoDB Local, in a zone whose midnight is not
 * UTC's: New York, where local midnight of 2026-11-21 is 05:00 UTC.
 */
const portfolioWith = (searchMax: number) =>
  Portfolio.parse({
    id: 'ny',
    name: 'New York',
    currency: 'USD',
    timezone: 'America/New_York',
    budget: { daily: 5000, explorationShare: 0, maxDailyChange: 0.25 },
    channels: [
      { id: 'search', platform: 'generic', base: 0, max: searchMax, explore: false },
      { id: 'social', platform: 'generic', base: 0, max: 9000, explore: false },
    ],
  });
const portfolio = portfolioWith(9000);

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;
let allocations: AllocationsRepository;
let metrics: MetricsRepository;

const runAt = async (instant: string, which = portfolio): Promise<Snapshot> => {
  const reallocator = new Reallocator({
    metrics,
    allocations,
    stopLosses: noStopLosses,
    events: new LocalBus(),
    clock: () => new Date(instant),
    configHash: which === portfolio ? 'today' : 'yesterday',
  });
  return (await reallocator.run(which, { kind: 'on-demand', by: 'test' })).snapshot;
};
const search = (snapshot: Snapshot) => snapshot.allocation.channels.find((c) => c.channelId === 'search')!.total;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
  allocations = new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id));
  metrics = new MetricsRepository(client, runtime.tableName(METRICS_TABLE.id));
  // Four weeks to 2026-11-21: search converts at a CPA near 10, social near 100, so every run wants search up.
  const rows = Array.from({ length: 28 }, (_, d) => addDays('2026-11-21', -d)).flatMap((date, d) =>
    [
      { channelId: 'search', spend: 500 + (d % 5) * 40, conversions: 50 + (d % 3) },
      { channelId: 'social', spend: 4500 - (d % 5) * 40, conversions: 45 + (d % 4) },
    ].map((r) => ({
      portfolioId: portfolio.id,
      channelId: r.channelId,
      date,
      hour: null,
      spendMicros: toMicros(r.spend),
      revenueMicros: null,
      impressions: null,
      clicks: null,
      conversions: r.conversions,
      revision: 1,
    })),
  );
  await metrics.store(rows, 'seed', '2026-11-22T00:00:00Z');
});
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('the daily change limit, in the portfolio’s time zone', () => {
  it('keeps eight runs in one local day within ±25% of the plan the day began with, and resets at local midnight', async () => {
    // The plan in force when 2026-11-21 began in New York: made at 22:00 local the evening before, under a cap.
    const dayStart = await runAt('2026-11-21T03:00:00Z', portfolioWith(500));
    expect(search(dayStart)).toBe(500);

    // Eight runs from 01:00 to 23:30 local; the last three are after UTC midnight but still the same local day.
    const instants = ['06', '09', '12', '15', '18'].map((h) => `2026-11-21T${h}:00:00Z`);
    instants.push('2026-11-22T00:30:00Z', '2026-11-22T02:00:00Z', '2026-11-22T04:30:00Z');
    const day: Snapshot[] = [];
    for (const instant of instants) day.push(await runAt(instant));
    for (const run of day) {
      expect(run.allocation.asOf).toBe('2026-11-21');
      expect(search(run)).toBeLessThanOrEqual(625);
      expect(run.allocation.total).toBeLessThanOrEqual(5000);
    }
    // The allocator wanted more all day and got exactly the day's limit, not 1.25 compounded per run.
    expect(search(day.at(-1)!)).toBe(625);
    expect(day.at(-1)!.allocation.channels[0]!.reason).toMatch(/daily change limit \(\+25% of 500.00, its total when the day began\)/);

    // 00:30 local on 2026-11-22: the day began under the 23:30 plan, so the limit is measured from 625.
    const nextDay = await runAt('2026-11-22T05:30:00Z');
    expect(nextDay.allocation.asOf).toBe('2026-11-22');
    expect(search(nextDay)).toBeGreaterThan(625);
    expect(search(nextDay)).toBeLessThanOrEqual(781.25);
  });

  it('answers crossed bounds with an empty page (DynamoDB refuses such a range): a day asked for after the last snapshot', async () => {
    const page = await allocations.list(portfolio.id, { from: '20261201', to: '20261101~', limit: 5 });
    expect(page.snapshots).toEqual([]);
    expect(page.next).toBeNull();
  });

  it('publishes a plan left in force unpublished (an on-demand run that died before its event) at the next run, so it counts as the day’s start', async () => {
    const failing: EventPublisher = {
      publish: async () => {
        throw new Error('the bus is unreachable');
      },
    };
    const dying = new Reallocator({
      metrics,
      allocations,
      stopLosses: noStopLosses,
      events: failing,
      clock: () => new Date('2026-11-23T04:50:00Z'),
      configHash: 'today',
    });
    await expect(dying.run(portfolio, { kind: 'on-demand', by: 'test' })).rejects.toThrow(/unreachable/);
    const orphan = (await allocations.latest(portfolio.id))!;
    expect(await allocations.isPublished(portfolio.id, orphan.snapshotId)).toBe(false);

    const bus = new LocalBus();
    const next = new Reallocator({
      metrics,
      allocations,
      stopLosses: noStopLosses,
      events: bus,
      clock: () => new Date('2026-11-23T05:10:00Z'),
      configHash: 'today',
    });
    await next.run(portfolio, { kind: 'on-demand', by: 'test' });
    expect(await allocations.isPublished(portfolio.id, orphan.snapshotId)).toBe(true);
    expect(bus.events.map((e) => (e.detail as { snapshotId: string }).snapshotId)).toContain(orphan.snapshotId);
  });
});

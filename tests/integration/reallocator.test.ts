import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { LocalBus } from '../../functions/adapters/eventBus.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import type { EventPublisher, StopLossSource } from '../../functions/application/ports.js';
import { Reallocator } from '../../functions/application/reallocatePortfolio.js';
import { addDays } from '../../functions/domain/dates.js';
import type { BudgetEvent } from '../../functions/domain/events.js';
import { rollupDaily } from '../../functions/domain/metrics.js';
import { toMicros } from '../../functions/domain/money.js';
import { historyDays } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { portfolioInput } from '../support/portfolioInput.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;
let allocations: AllocationsRepository;
let metrics: MetricsRepository;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;

/** A clock that moves one second per reading, so each run's snapshot id is newer than the last. */
const steppingClock = (start: string) => {
  let at = Date.parse(start);
  return () => {
    at += 1000;
    return new Date(at);
  };
};

const reallocator = (events: EventPublisher, clock: () => Date, stopLosses: StopLossSource = { openStopLosses: async () => [] }) =>
  new Reallocator({ metrics, allocations, stopLosses, events, clock, configHash: deployedConfig.hash });

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
  allocations = new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id));
  metrics = new MetricsRepository(client, runtime.tableName(METRICS_TABLE.id));
  // Three weeks of January for every channel; the runs below happen in March, so the data is stale.
  const rows = demo.channels.flatMap((channel) =>
    Array.from({ length: 21 }, (_, d) => ({
      portfolioId: demo.id,
      channelId: channel.id,
      date: addDays('2026-01-01', d),
      hour: null,
      spendMicros: toMicros(channel.base),
      revenueMicros: null,
      impressions: null,
      clicks: null,
      conversions: 20,
      revision: 1,
    })),
  );
  await metrics.store(rows, 'seed', '2026-01-22T00:00:00Z');
});
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('Reallocator', () => {
  it('holds on stale data, and reuses the last snapshot once its input stops changing', async () => {
    const bus = new LocalBus();
    const run = reallocator(bus, steppingClock('2026-03-01T08:00:00Z'));
    const trigger = { kind: 'on-demand', by: 'test' } as const;
    const first = (await run.run(demo, trigger)).snapshot;
    const second = (await run.run(demo, trigger)).snapshot;
    const third = (await run.run(demo, trigger)).snapshot;
    const fourth = (await run.run(demo, trigger)).snapshot;
    expect(first.allocation.status).toBe('held');
    expect(first.allocation.reason).toMatch(/stale data/);
    // The first had no previous allocation; the second starts from the first's totals, so it is solved again.
    expect([first.computation, second.computation]).toEqual(['solved', 'solved']);
    expect(third).toMatchObject({
      computation: 'reused',
      reusedFrom: second.snapshotId,
      inputHash: second.inputHash,
      allocation: second.allocation,
    });
    // A reuse of a reuse names the solved snapshot, the one that kept the input a replay reads.
    expect(fourth).toMatchObject({ computation: 'reused', reusedFrom: second.snapshotId });
    expect(bus.events.map((e) => e['detail-type'])).toEqual(['AllocationHeld', 'AllocationHeld', 'AllocationHeld', 'AllocationHeld']);
    expect((await allocations.latest(demo.id))?.snapshotId).toBe(fourth.snapshotId);
  });

  it('gives a stop-loss channel exactly its base, and says so', async () => {
    const fresh = steppingClock('2026-01-22T08:00:00Z');
    const { snapshot } = await reallocator(new LocalBus(), fresh, { openStopLosses: async () => ['social'] }).run(demo, {
      kind: 'on-demand',
      by: 'test',
    });
    const social = snapshot.allocation.channels.find((c) => c.channelId === 'social')!;
    expect(snapshot.allocation.status).toBe('optimal');
    expect(social.total).toBe(social.base);
    expect(social.reason).toMatch(/stop-loss/i);
  });

  /**
   * Fault: the function times out after writing the snapshot and before the bus accepted the event.
   * Invariant: the retry of the same window publishes the event exactly once and writes no second snapshot.
   */
  it('completes a scheduled run that died between the snapshot write and the event', async () => {
    const delivered: BudgetEvent[] = [];
    let calls = 0;
    const flaky: EventPublisher = {
      publish: async (events) => {
        calls += 1;
        if (calls === 1) throw new Error('Task timed out after 120.00 seconds');
        delivered.push(...events);
      },
    };
    const clock = steppingClock('2026-03-02T09:00:00Z');
    const trigger = { kind: 'schedule', window: '2026-03-02T09:00:00.000Z' } as const;
    await expect(reallocator(flaky, clock).run(demo, trigger)).rejects.toThrow(/timed out/);
    const written = await allocations.windowSnapshotId(demo.id, trigger.window);
    expect(written).toBeDefined();
    expect(await allocations.isPublished(demo.id, written!)).toBe(false);

    // The queue redelivers minutes later, after the dead run's publication claim has lapsed.
    const later = steppingClock('2026-03-02T09:15:00Z');
    const retried = await reallocator(flaky, later).run(demo, trigger);
    const again = await reallocator(flaky, later).run(demo, trigger);
    expect(retried).toMatchObject({ created: false, snapshot: { snapshotId: written } });
    expect(again.snapshot.snapshotId).toBe(written);
    expect(delivered.map((e) => ('snapshotId' in e.detail ? e.detail.snapshotId : e.detailType))).toEqual([written]);
    const page = await allocations.list(demo.id, { limit: 100 });
    expect(page.snapshots.filter((s) => s.trigger.kind === 'schedule' && s.trigger.window === trigger.window)).toHaveLength(1);
  });

  it('refuses to overwrite a snapshot', async () => {
    const latest = (await allocations.latest(demo.id))!;
    const rewrite = { ...latest, trigger: { kind: 'on-demand', by: 'test' } as const, allocation: { ...latest.allocation, total: 1 } };
    await expect(allocations.create(rewrite)).rejects.toThrow(/conditional/i);
    expect((await allocations.get(demo.id, latest.snapshotId))?.allocation.total).toBe(latest.allocation.total);
  });

  it("keeps a restated day's earlier values, so the allocator's input carries its revisions", async () => {
    const row = {
      portfolioId: 'restated',
      channelId: 'social',
      date: '2026-02-02',
      hour: null,
      spendMicros: toMicros(100),
      revenueMicros: null,
      impressions: null,
      clicks: null,
      conversions: 5,
      revision: 1,
    };
    await metrics.store([row], 'first', '2026-02-03T06:00:00Z');
    await metrics.store([{ ...row, conversions: 9, revision: 2 }], 'second', '2026-02-05T06:00:00Z');
    // The second delivery retried, and the first delivered again late: neither changes what was said.
    await metrics.store([{ ...row, conversions: 9, revision: 2 }], 'second', '2026-02-05T06:01:00Z');
    await expect(metrics.store([row], 'first-again', '2026-02-06T06:00:00Z')).resolves.toMatchObject({ stale: 1 });

    const [stored, versions] = await Promise.all([
      metrics.portfolioRows('restated', ['social'], '2026-02-01', '2026-02-10'),
      metrics.portfolioVersions('restated', ['social'], '2026-02-01', '2026-02-10'),
    ]);
    expect(versions.map((v) => v.conversions)).toEqual([5, 9, 9]);
    expect(historyDays({ timezone: 'UTC' }, rollupDaily(stored), versions, '2026-02-10')).toEqual([
      { channelId: 'social', date: '2026-02-02', spend: 100, conversions: 9, revisions: [{ reportedOn: '2026-02-04', conversions: 5 }] },
    ]);
  });

  /**
   * A portfolio of 1,500 channels: its snapshot (about 450 KB of JSON) is over DynamoDB's 400 KB item limit,
   * where every run used to answer 500. Invariant: the run writes, advances LATEST and publishes, and the
   * next run reads the snapshot back as its previous plan.
   */
  it('reallocates a portfolio whose snapshot is larger than one DynamoDB item, and the next run reads it back', {
    timeout: 120_000,
  }, async () => {
    const channels = Array.from({ length: 1500 }, (_, i) => ({
      id: `campaign-${String(i).padStart(4, '0')}`,
      platform: 'google_ads',
      base: 1,
      max: 200,
      explore: i % 4 === 0,
    }));
    const { portfolio } = portfolioInput({
      budget: { daily: 45_000, explorationShare: 0.1, maxDailyChange: 0.25 },
      channels,
      history: [],
      asOf: '2026-04-01',
      portfolio: { id: 'wide' },
    });
    const bus = new LocalBus();
    const run = reallocator(bus, steppingClock('2026-04-01T08:00:00Z'));
    const first = await run.run(portfolio, { kind: 'on-demand', by: 'test' });
    expect(first.created).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(first.snapshot))).toBeGreaterThan(400_000);
    expect(await allocations.latest('wide')).toEqual(first.snapshot);
    expect(await allocations.isPublished('wide', first.snapshot.snapshotId)).toBe(true);

    const second = (await run.run(portfolio, { kind: 'on-demand', by: 'test' })).snapshot;
    expect(second.allocation.channels.map((c) => c.previousTotal)).toEqual(first.snapshot.allocation.channels.map((c) => c.total));
    expect(bus.events).toHaveLength(2);
  });
});

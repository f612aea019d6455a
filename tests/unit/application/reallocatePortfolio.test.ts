import { describe, expect, it } from 'vitest';
import { Reallocator } from '../../../functions/application/reallocatePortfolio.js';
import { addDays } from '../../../functions/domain/dates.js';
import { planDelivery } from '../../../functions/domain/delivery.js';
import { demoFeed } from '../../../functions/domain/demoFeed.js';
import type { Trigger } from '../../../functions/domain/snapshots.js';
import { deployedConfig } from '../../../functions/wiring/config.js';
import { InMemoryMetrics, InMemorySnapshots, RecordingBus, steppingClock } from './inMemory.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const START = '2026-03-01T08:00:00Z';
const yesterday = addDays(START.slice(0, 10), -1);

/** Six weeks of the demo feed up to yesterday, as stored rows. */
const metrics = () => {
  const planned = planDelivery({ portfolioId: demo.id, records: demoFeed(demo, yesterday, 42) }, demo, yesterday);
  if (!planned.ok) throw new Error('the demo feed does not plan');
  return new InMemoryMetrics(planned.plan.rows);
};

const setup = (bus = new RecordingBus()) => {
  const allocations = new InMemorySnapshots();
  const at = (start: string) =>
    new Reallocator({
      metrics: metrics(),
      allocations,
      stopLosses: { openStopLosses: async () => [] },
      events: bus,
      clock: steppingClock(start),
      configHash: deployedConfig.hash,
    });
  // A retry comes when the queue redelivers, minutes later: after any publication claim has lapsed.
  return { allocations, bus, reallocator: at(START), retry: at('2026-03-01T08:15:00Z') };
};

const schedule: Trigger = { kind: 'schedule', window: '2026-03-01T08:00:00.000Z' };
const snapshotIds = (bus: RecordingBus) => bus.accepted.map((e) => ('snapshotId' in e.detail ? e.detail.snapshotId : null));

describe('Reallocator (use case, in-memory ports)', () => {
  it('writes a snapshot, moves LATEST to it and publishes it once; the next run starts from its totals', async () => {
    // Prepare
    const { allocations, bus, reallocator } = setup();
    // Act
    const first = await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
    const second = await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
    // Assess
    expect(first.snapshot.allocation.status).toBe('optimal');
    expect([first.created, second.created]).toEqual([true, true]);
    expect(second.snapshot.allocation.channels.map((c) => c.previousTotal)).toEqual(first.snapshot.allocation.channels.map((c) => c.total));
    expect((await allocations.latest(demo.id))?.snapshotId).toBe(second.snapshot.snapshotId);
    expect(snapshotIds(bus)).toEqual([first.snapshot.snapshotId, second.snapshot.snapshotId]);
  });

  it('makes one snapshot and one event for a window delivered three times', async () => {
    const { allocations, bus, reallocator } = setup();
    const runs = [await reallocator.run(demo, schedule), await reallocator.run(demo, schedule), await reallocator.run(demo, schedule)];
    expect(runs.map((r) => r.created)).toEqual([true, false, false]);
    expect(new Set(runs.map((r) => r.snapshot.snapshotId)).size).toBe(1);
    expect(allocations.snapshots.size).toBe(1);
    expect(bus.accepted).toHaveLength(1);
  });

  it('completes a run that died after the snapshot write: the retry publishes once, with no second snapshot', async () => {
    const { allocations, bus, reallocator, retry } = setup(new RecordingBus(new Set([1])));
    await expect(reallocator.run(demo, schedule)).rejects.toThrow(/bus unavailable/);
    const written = await allocations.windowSnapshotId(demo.id, schedule.window);
    expect(written).toBeDefined();
    expect(await allocations.isPublished(demo.id, written!)).toBe(false);

    const retried = await retry.run(demo, schedule);
    expect(retried).toMatchObject({ created: false, snapshot: { snapshotId: written } });
    expect(allocations.snapshots.size).toBe(1);
    expect(snapshotIds(bus)).toEqual([written]);
    expect(await allocations.isPublished(demo.id, written!)).toBe(true);
    expect((await allocations.latest(demo.id))?.snapshotId).toBe(written);
  });

  it('completes a run that died after publishing but before marking it: one republish, never a second snapshot', async () => {
    const { allocations, bus, reallocator, retry } = setup();
    const markPublished = allocations.markPublished.bind(allocations);
    let failures = 1;
    allocations.markPublished = async (...args) => {
      if (failures-- > 0) throw new Error('Task timed out');
      return markPublished(...args);
    };
    await expect(reallocator.run(demo, schedule)).rejects.toThrow(/timed out/);
    // A redelivery while the first run's claim still holds publishes nothing; the retry after it lapses does.
    await reallocator.run(demo, schedule);
    expect(bus.accepted).toHaveLength(1);
    await retry.run(demo, schedule);
    await retry.run(demo, schedule);
    const [written] = allocations.snapshots.values();
    expect(allocations.snapshots.size).toBe(1);
    // The documented gap: the bus accepted the first event but the marker was lost, so it goes out once more.
    expect(snapshotIds(bus)).toEqual([written!.snapshotId, written!.snapshotId]);
  });

  it('publishes once when two deliveries of a window finish the same snapshot at the same moment', async () => {
    const { allocations, bus, reallocator } = setup();
    // The second delivery finishes the snapshot while the first is publishing it (the bus has not answered).
    const publish = bus.publish.bind(bus);
    let second: Promise<unknown> | undefined;
    bus.publish = async (events) => {
      second ??= reallocator.run(demo, schedule);
      await second;
      return publish(events);
    };
    await reallocator.run(demo, schedule);
    expect(allocations.snapshots.size).toBe(1);
    expect(bus.accepted).toHaveLength(1);
  });

  it('never moves LATEST backwards when a newer run wins the race', async () => {
    const { allocations, bus, reallocator } = setup();
    allocations.beforeLatestWrite = (portfolioId) => allocations.latestId.set(portfolioId, '99991231T000000000Z-ffffff');
    const { snapshot } = await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
    expect(allocations.latestId.get(demo.id)).toBe('99991231T000000000Z-ffffff');
    // The losing run's snapshot is still announced: it was decided and written.
    expect(snapshotIds(bus)).toEqual([snapshot.snapshotId]);
  });

  it('gives a stop-loss channel exactly its base', async () => {
    const { allocations } = setup();
    const reallocator = new Reallocator({
      metrics: metrics(),
      allocations,
      stopLosses: { openStopLosses: async () => ['social'] },
      events: new RecordingBus(),
      clock: steppingClock(START),
      configHash: deployedConfig.hash,
    });
    const { snapshot } = await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
    const social = snapshot.allocation.channels.find((c) => c.channelId === 'social')!;
    expect(social.total).toBe(social.base);
  });
});

import { describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../functions/application/evaluateAlerts.js';
import { toMicros } from '../../../functions/domain/money.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';
import { deployedConfig } from '../../../functions/wiring/config.js';
import { InMemoryAlerts, InMemoryMetrics, InMemorySnapshots, RecordingBus, steppingClock } from './inMemory.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;

/** No metrics at all: every channel is stale, so the stale-data rule opens one alert per channel. */
const setup = (bus: RecordingBus) => {
  const alerts = new InMemoryAlerts();
  const evaluator = new AlertEvaluator({
    metrics: new InMemoryMetrics(),
    pulls: new InMemoryMetrics(),
    allocations: new InMemorySnapshots(),
    alerts,
    events: bus,
    clock: steppingClock('2026-03-01T08:00:00Z'),
    configHash: deployedConfig.hash,
  });
  return { alerts, evaluator };
};

describe('AlertEvaluator (use case, in-memory ports)', () => {
  it('opens one alert per silent channel and announces each once; an unchanged situation sends nothing', async () => {
    const bus = new RecordingBus();
    const { evaluator } = setup(bus);
    const first = await evaluator.evaluate(demo);
    const again = await evaluator.evaluate(demo);
    expect(first.opened.map((a) => a.channelId).sort()).toEqual(demo.channels.map((c) => c.id).sort());
    expect(first.opened.every((a) => a.ruleId === 'stale-data')).toBe(true);
    expect(again).toEqual({ opened: [], escalated: [], resolved: [] });
    expect(bus.accepted.map((e) => e.detailType)).toEqual(demo.channels.map(() => 'ThresholdBreached'));
  });

  it('keeps an open alert reading what it reads now, announcing nothing: no data for 11 hours, not the 8 it opened with', async () => {
    const bus = new RecordingBus();
    const alerts = new InMemoryAlerts();
    const pulls = new InMemoryMetrics();
    await pulls.recordPulled('demo', ['affiliate'], '2026-03-01T00:00:00.000Z');
    let now = new Date('2026-03-01T08:00:00Z');
    const evaluator = new AlertEvaluator({
      metrics: new InMemoryMetrics(),
      pulls,
      allocations: new InMemorySnapshots(),
      alerts,
      events: bus,
      clock: () => now,
      configHash: deployedConfig.hash,
    });
    const affiliate = async () => (await alerts.open('demo')).find((a) => a.ruleId === 'stale-data' && a.channelId === 'affiliate')!;
    await evaluator.evaluate(demo);
    expect(await affiliate()).toMatchObject({ observed: 8, observedAt: '2026-03-01T08:00:00.000Z' });
    const announced = bus.accepted.length;
    now = new Date('2026-03-01T11:00:00Z');
    expect(await evaluator.evaluate(demo)).toEqual({ opened: [], escalated: [], resolved: [] });
    expect(await affiliate()).toMatchObject({ observed: 11, observedAt: '2026-03-01T11:00:00.000Z' });
    expect((await affiliate()).history).toHaveLength(1);
    expect(bus.accepted).toHaveLength(announced);
  });

  it('keeps an event the bus refused in the outbox and publishes it first on the next evaluation', async () => {
    const bus = new RecordingBus(new Set([1]));
    const { alerts, evaluator } = setup(bus);
    await expect(evaluator.evaluate(demo)).rejects.toThrow(/bus unavailable/);
    expect(await alerts.pending(demo.id)).toHaveLength(1);
    expect(bus.accepted).toHaveLength(0);

    await evaluator.evaluate(demo);
    expect(await alerts.pending(demo.id)).toHaveLength(0);
    const announced = bus.accepted.map((e) => ('channelId' in e.detail ? e.detail.channelId : null)).sort();
    expect(announced).toEqual(demo.channels.map((c) => c.id).sort());
  });

  it('announces nothing for a transition a concurrent evaluation already applied', async () => {
    const bus = new RecordingBus();
    const { alerts, evaluator } = setup(bus);
    const apply = alerts.apply.bind(alerts);
    alerts.apply = async (change, event) => {
      await apply(change, event); // the other evaluation
      return apply(change, event);
    };
    const result = await evaluator.evaluate(demo);
    expect(result.opened).toHaveLength(0);
    expect(bus.accepted).toHaveLength(0);
    expect(await alerts.pending(demo.id)).toHaveLength(demo.channels.length);
  });
});

describe('pacing against the plan in force', () => {
  it('measures spend against published plans only: a snapshot a run wrote and never published was never in force', async () => {
    const yesterday = '2026-02-28';
    const rows = demo.channels.map((c) => ({
      portfolioId: demo.id,
      channelId: c.id,
      date: yesterday,
      hour: null,
      spendMicros: toMicros(1000),
      revenueMicros: null,
      impressions: null,
      clicks: null,
      conversions: 30,
      revision: 1,
    }));
    const planOf = (id: string, total: number): Snapshot => ({
      snapshotId: id,
      portfolioId: demo.id,
      createdAt: '2026-02-28T12:00:00.000Z',
      configHash: deployedConfig.hash,
      watermark: null,
      inputHash: id,
      computation: 'solved',
      trigger: { kind: 'on-demand', by: 'test' },
      allocation: {
        status: 'optimal',
        asOf: yesterday,
        total: total * demo.channels.length,
        channels: demo.channels.map((c) => ({
          channelId: c.id,
          base: 0,
          performance: total,
          exploration: 0,
          total,
          previousTotal: null,
          expectedConversions: 30,
          marginalCpa: null,
          reason: 'test',
        })),
        exploration: 0,
        reserve: 0,
        constraints: [],
        expectedConversions: 30,
        solver: { name: 'test', ms: 0 },
      },
    });
    const snapshots = new InMemorySnapshots();
    const inForce = planOf('20260228T120000000Z-a', 1000);
    const orphan = planOf('20260228T130000000Z-b', 100);
    for (const s of [inForce, orphan]) await snapshots.create(s);
    await snapshots.advanceLatest(demo.id, inForce.snapshotId);
    await snapshots.markPublished(demo.id, inForce.snapshotId, '2026-02-28T12:00:01.000Z');
    const evaluate = () =>
      new AlertEvaluator({
        metrics: new InMemoryMetrics(rows),
        pulls: new InMemoryMetrics(rows),
        allocations: snapshots,
        alerts: new InMemoryAlerts(),
        events: new RecordingBus(),
        clock: steppingClock('2026-03-01T08:00:00Z'),
        configHash: deployedConfig.hash,
      }).evaluate(demo);
    const overspent = async () => (await evaluate()).opened.filter((a) => a.ruleId === 'overspend').length;
    expect(await overspent()).toBe(0);
    // Had the orphan counted (spend 1,000 against 100 planned), every channel would be 900% over its plan.
    await snapshots.markPublished(demo.id, orphan.snapshotId, '2026-02-28T13:00:01.000Z');
    expect(await overspent()).toBe(demo.channels.length);
  });
});

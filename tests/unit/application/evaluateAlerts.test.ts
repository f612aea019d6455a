import { describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../functions/application/evaluateAlerts.js';
import { deployedConfig } from '../../../functions/wiring/config.js';
import { InMemoryAlerts, InMemoryMetrics, InMemorySnapshots, RecordingBus, steppingClock } from './inMemory.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;

/** No metrics at all: every channel is stale, so the stale-data rule opens one alert per channel. */
const setup = (bus: RecordingBus) => {
  const alerts = new InMemoryAlerts();
  const evaluator = new AlertEvaluator({
    metrics: new InMemoryMetrics(),
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

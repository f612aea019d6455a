import { describe, expect, it } from 'vitest';
import { splitExploration } from '../../../../functions/domain/allocation/exploration.js';
import type { ResponseModel } from '../../../../functions/domain/allocation/responseModel.js';

/** A saturating model whose level is known to within 1/√shape. */
const model = (channelId: string, shape: number, level = 100): ResponseModel => ({
  channelId,
  scale: 3000,
  shape,
  rate: shape / level,
  scales: [{ scale: 3000, weight: 1, level }],
  adstock: 0,
  baseline: 0,
  dispersion: 1,
  evidence: 30,
  regimeShift: false,
});
const candidate = (channelId: string, shape: number, plannedSpend: number, room = 5000, level = 100) => ({
  channelId,
  model: model(channelId, shape, level),
  plannedSpend,
  room,
});

describe('splitExploration', () => {
  // The portfolio margin: 0.01 conversions per unit; a level-100 curve reaches it at spend 3000·ln(100/30) ≈ 3612.
  const margin = 0.01;

  it('gives a brand-new channel the floor even when it shows no chance, and a measured hopeless one nothing', () => {
    const shares = splitExploration(
      1000,
      [candidate('measured-low', 10_000, 9000), candidate('new', 1, 9000, 5000, 1), candidate('measured-good', 10_000, 1000)],
      margin,
      7,
    );
    expect(shares.get('new')!.amount).toBeGreaterThanOrEqual(100 - 1e-9);
    expect(shares.get('measured-low')).toMatchObject({ amount: 0, chance: 0 });
    expect(shares.get('measured-good')!.chance).toBe(1);
    const total = [...shares.values()].reduce((s, e) => s + e.amount, 0);
    expect(total).toBeCloseTo(1000, 9);
  });

  it('spreads the whole budget over the channels with room when none shows a chance, and none to a channel at its cap', () => {
    const shares = splitExploration(
      600,
      [candidate('a', 10_000, 9000), candidate('b', 10_000, 9000), candidate('capped', 1, 100, 0)],
      margin,
      1,
    );
    expect(shares.get('a')!.amount + shares.get('b')!.amount).toBeCloseTo(600, 9);
    expect(shares.has('capped')).toBe(false);
  });

  it('is deterministic for a seed and does not depend on channel order', () => {
    const list = [candidate('x', 4, 2000), candidate('y', 30, 3000), candidate('z', 200, 3500)];
    const forward = splitExploration(900, list, margin, 42);
    const backward = splitExploration(900, [...list].reverse(), margin, 42);
    expect([...backward].sort()).toEqual([...forward].sort());
  });
});

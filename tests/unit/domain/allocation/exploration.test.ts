import { describe, expect, it } from 'vitest';
import { splitExploration } from '../../../../functions/domain/allocation/exploration.js';
import { drawCurve, type ResponseModel } from '../../../../functions/domain/allocation/responseModel.js';
import { seededRandom } from '../../../../functions/domain/random.js';

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
    );
    expect(shares.get('a')!.amount + shares.get('b')!.amount).toBeCloseTo(600, 9);
    expect(shares.has('capped')).toBe(false);
  });

  it("holds the members of a shared room (a capped group's) within it together, alike, and gives the rest to the others", () => {
    // Three channels with the same chance; two of them share a room of 100 between them.
    const shares = splitExploration(
      900,
      [{ ...candidate('a', 1, 100), within: [0] }, { ...candidate('b', 1, 100), within: [0] }, candidate('c', 1, 100)],
      margin,
      [100],
    );
    expect(shares.get('a')!.amount).toBeCloseTo(50, 9);
    expect(shares.get('b')!.amount).toBeCloseTo(50, 9);
    expect(shares.get('c')!.amount).toBeCloseTo(800, 9);
  });

  it("counts against a shared room only what lifts a member's floor: its exempt part is its own", () => {
    // a's change-limit floor holds it 300 above its base: its first 300 of exploration take none of the room.
    const shares = splitExploration(
      900,
      [{ ...candidate('a', 1, 100), within: [0], exempt: 300 }, { ...candidate('b', 1, 100), within: [0] }, candidate('c', 1, 100)],
      margin,
      [100],
    );
    // Each wants 300 of the first round: a's is all exempt, b's takes the whole room, c keeps the rest.
    expect(['a', 'b', 'c'].map((id) => Math.round(shares.get(id)!.amount * 1e6) / 1e6)).toEqual([300, 100, 500]);
  });

  it("reads each channel's chance exactly: the share of its posterior's curves whose next unit beats the margin", () => {
    // Two scales the data leaves plausible, a level known to within 1/√12.
    const uncertain: ResponseModel = {
      ...model('uncertain', 12),
      scales: [
        { scale: 2000, weight: 0.6, level: 90 },
        { scale: 5000, weight: 0.4, level: 130 },
      ],
    };
    const chance = splitExploration(500, [{ channelId: 'uncertain', model: uncertain, plannedSpend: 3200, room: 5000 }], margin).get(
      'uncertain',
    )!.chance;
    const random = seededRandom(5);
    const draws = 500_000;
    let beats = 0;
    for (let i = 0; i < draws; i += 1) {
      const { a, scale } = drawCurve(uncertain, random);
      if ((a / scale) * Math.exp(-3200 / scale) > margin) beats += 1;
    }
    // Four standard errors of 500,000 draws: 400 draws, as the chance was sampled before, miss by 0.025 typically.
    expect(Math.abs(chance - beats / draws)).toBeLessThan(4 * Math.sqrt((chance * (1 - chance)) / draws));
    expect(chance).toBeGreaterThan(0.2);
    expect(chance).toBeLessThan(0.8);
  });

  it('is deterministic and does not depend on channel order', () => {
    const list = [candidate('x', 4, 2000), candidate('y', 30, 3000), candidate('z', 200, 3500)];
    const forward = splitExploration(900, list, margin);
    const backward = splitExploration(900, [...list].reverse(), margin);
    expect([...backward].sort()).toEqual([...forward].sort());
  });
});

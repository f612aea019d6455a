import { describe, expect, it } from 'vitest';
import { gamma, gammaAbove, seededRandom } from '../../../functions/domain/random.js';

describe('gammaAbove', () => {
  it('is the Gamma posterior’s upper tail: SciPy’s gammaincc(shape, shape · t) to 1e-10', () => {
    // Reference values from scipy.special.gammaincc, shapes from half a conversion to a hundred thousand.
    const reference: [shape: number, t: number, tail: number][] = [
      [0.5, 0.01, 0.920344325445942],
      [0.5, 2, 0.15729920705028105],
      [1, 1, Math.exp(-1)],
      [3, 0.4, 0.8794870987836301],
      [10, 1.3, 0.16581187661729205],
      [250, 0.9, 0.9469403127719419],
      [250, 1.12, 0.03235481928208544],
      [1e5, 1.005, 0.05710326997603394],
    ];
    for (const [shape, t, tail] of reference) expect(Math.abs(gammaAbove(shape, t) - tail), `shape ${shape}, t ${t}`).toBeLessThan(1e-10);
  });

  it('agrees with the share of Gamma draws above t, the chance it replaces', () => {
    const random = seededRandom(11);
    for (const [shape, t] of [
      [0.7, 0.5],
      [4, 1.2],
      [60, 0.95],
    ] as const) {
      const draws = 100_000;
      let above = 0;
      for (let i = 0; i < draws; i += 1) if (gamma(random, shape) / shape > t) above += 1;
      const p = gammaAbove(shape, t);
      // Within four standard errors of the sampled share.
      expect(Math.abs(above / draws - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws));
    }
  });

  it('is 1 at or below 0 and 0 where no level can reach t', () => {
    expect(gammaAbove(5, 0)).toBe(1);
    expect(gammaAbove(5, -1)).toBe(1);
    expect(gammaAbove(5, Number.POSITIVE_INFINITY)).toBe(0);
    expect(gammaAbove(1e4, 3)).toBeLessThan(1e-300);
    // A threshold whose product with the shape overflows, an infinite posterior, and no number at all.
    expect(gammaAbove(2, 1e308)).toBe(0);
    expect([gammaAbove(Number.POSITIVE_INFINITY, 0.5), gammaAbove(Number.POSITIVE_INFINITY, 1.5)]).toEqual([1, 0]);
    expect([gammaAbove(2, Number.NaN), gammaAbove(Number.NaN, 1)]).toEqual([0, 0]);
  });

  it('reads a posterior of billions of conversions by its normal limit: SciPy’s gammaincc(1e10, 1e10) to 1e-7', () => {
    expect(Math.abs(gammaAbove(1e10, 1) - 0.4999986701923987)).toBeLessThan(1e-7);
    expect(Math.abs(gammaAbove(1e8, 1.0001) - 0.15865525352820123)).toBeLessThan(1e-7);
  });
});

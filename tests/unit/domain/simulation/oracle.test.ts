import { describe, expect, it } from 'vitest';
import { type OracleChannel, oracleAllocation } from '../../../../functions/domain/simulation/oracle.js';
import { respond } from '../../../../functions/domain/simulation/trueCurve.js';

const value = (channels: readonly OracleChannel[], spend: readonly number[]) =>
  channels.reduce((s, c, i) => s + c.multiplier * respond(c.curve, spend[i]!), 0);

/** Every split of the budget on a 1-unit grid: the brute-force optimum for two or three channels. */
const bruteForce = (channels: readonly OracleChannel[], budget: number): number => {
  let best = -Infinity;
  const walk = (i: number, left: number, spend: number[]) => {
    if (i === channels.length) {
      best = Math.max(best, value(channels, spend));
      return;
    }
    const c = channels[i]!;
    for (let s = c.base; s <= Math.min(c.max, c.base + left); s += 1) walk(i + 1, left - (s - c.base), [...spend, s]);
  };
  walk(0, budget - channels.reduce((s, c) => s + c.base, 0), []);
  return best;
};

describe('oracle', () => {
  it.each([
    [
      'two concave channels',
      [
        { base: 10, max: 150, curve: { type: 'exp', vmax: 50, scale: 40 }, multiplier: 1 },
        { base: 0, max: 200, curve: { type: 'hill', vmax: 80, halfSaturation: 90, shape: 1 }, multiplier: 1 },
      ],
      200,
    ],
    [
      'an S-curve beside a concave one',
      [
        { base: 0, max: 200, curve: { type: 'hill', vmax: 100, halfSaturation: 120, shape: 3 }, multiplier: 1 },
        { base: 5, max: 200, curve: { type: 'exp', vmax: 30, scale: 50 }, multiplier: 0.8 },
      ],
      180,
    ],
    [
      'three channels with caps',
      [
        { base: 0, max: 60, curve: { type: 'exp', vmax: 40, scale: 20 }, multiplier: 1 },
        { base: 10, max: 70, curve: { type: 'hill', vmax: 60, halfSaturation: 50, shape: 2 }, multiplier: 1 },
        { base: 0, max: 100, curve: { type: 'exp', vmax: 25, scale: 80 }, multiplier: 1.5 },
      ],
      120,
    ],
  ] as [string, OracleChannel[], number][])('matches brute force on %s', (_name, channels, budget) => {
    const spend = oracleAllocation(channels, budget);
    expect(spend.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(budget + 1e-9);
    for (const [i, s] of spend.entries()) expect(s).toBeGreaterThanOrEqual(channels[i]!.base);
    expect(value(channels, spend)).toBeGreaterThanOrEqual(bruteForce(channels, budget) * (1 - 1e-3));
  });
});

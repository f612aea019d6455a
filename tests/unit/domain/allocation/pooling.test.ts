import { describe, expect, it } from 'vitest';
import { betweenVariance, ownShare } from '../../../../functions/domain/allocation/pooling.js';
import { normal, seededRandom } from '../../../../functions/domain/random.js';

describe('empirical-Bayes pooling across channels', () => {
  it('recovers the channels’ real spread beside noise of very different sizes, to within 15% on average', () => {
    // Prepare: 200 portfolios of 12 channels whose true values scatter with variance 0.04 around 1, each read
    // with its own sampling variance, from 0.0001 (a big channel) to 0.1 (a small one).
    const random = seededRandom(7);
    const estimates = Array.from({ length: 200 }, () => {
      const variances = Array.from({ length: 12 }, (_, i) => 0.0001 * 1.9 ** i);
      const values = variances.map((v) => 1 + Math.sqrt(0.04) * normal(random) + Math.sqrt(v) * normal(random));
      return betweenVariance(values, variances);
    });
    // Act
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    // Assess
    expect(Math.abs(mean - 0.04) / 0.04).toBeLessThan(0.15);
  });

  it('sees one channel that differs among precise ones that agree', () => {
    // Three search channels with factor 1.15 read to ±0.01 and a video channel at 1.8 read to ±0.07: weighing
    // by precision alone (DerSimonian–Laird) gives τ² ≈ 0.004, and the video channel would keep 45% of its own.
    const spread = betweenVariance([1.15, 1.16, 1.14, 1.8], [1e-4, 1e-4, 1e-4, 0.005]);
    expect(spread).toBeGreaterThan(0.05);
    expect(ownShare(spread, 0.005)).toBeGreaterThan(0.9);
  });

  it('finds no spread where the scatter is noise alone, and none with a single channel', () => {
    expect(betweenVariance([1.01, 0.99, 1.0], [0.01, 0.01, 0.01])).toBe(0);
    expect(betweenVariance([1.5], [0.01])).toBe(0);
    // Around a known centre, one channel far from it is spread: (1.5 − 1)² less its noise.
    expect(betweenVariance([1.5], [0.01], 1)).toBeCloseTo(0.24, 6);
    expect(ownShare(0, 0.01)).toBe(0);
  });

  it('finds the spread however far it is beyond the noise: two channels read to ±1e-10 that differ by 1', () => {
    // From τ² = 0, Newton's steps only double τ² a round this far from the root; halving the bracket takes over.
    expect(betweenVariance([0, 1], [1e-20, 1e-20])).toBeCloseTo(0.5, 9);
    expect(betweenVariance([0, 1], [1e-20, 1e-20], 0.5)).toBeCloseTo(0.25, 9);
  });
});

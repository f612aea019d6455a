import { describe, expect, it } from 'vitest';
import { allocate } from '../../../../functions/domain/allocation/allocate.js';
import { buildPlans, portfolioCaution } from '../../../../functions/domain/allocation/plans.js';
import { addDays } from '../../../../functions/domain/dates.js';
import { portfolioInput } from '../../../support/portfolioInput.js';

/**
 * Four channels with four weeks of noisy days at a CPA near 40, and a target CPA that binds. Each channel's
 * noise is its own: channels whose days all move together would share one weekday pattern, and its error.
 */
const input = (targetCpa: number | null, channels = 4) =>
  portfolioInput({
    budget: { daily: 20_000, explorationShare: 0 },
    channels: Array.from({ length: channels }, (_, i) => ({ id: `c${i}`, platform: 'generic', base: 0, max: 20_000 })),
    history: Array.from({ length: channels }, (_, i) =>
      Array.from({ length: 28 }, (_, d) => {
        const spend = 1500 + ((d * 37 + i * 11) % 7) * 150;
        return {
          channelId: `c${i}`,
          date: addDays('2026-11-20', -d),
          spend,
          conversions: Math.round((spend / 40) * (0.8 + ((d * 13 + i * 7) % 5) * 0.1)),
        };
      }),
    ).flat(),
    asOf: '2026-11-21',
    portfolio: { objective: { maximize: 'conversions', targetCpa, minRoas: null } },
  });

describe('caution where a target binds', () => {
  it('reads the portfolio’s total at its 5th percentile: independent channels’ errors partly cancel', () => {
    const one = input(45, 1);
    const four = input(45, 4);
    const at = (i: ReturnType<typeof input>) =>
      portfolioCaution(
        buildPlans(i),
        i.portfolio.channels.map(() => 2000),
        'conversions',
      );
    expect(at(one)).toBeCloseTo(1.6449, 3);
    // Four like channels: about z/√4 standard errors of each.
    expect(at(four)).toBeGreaterThan(1.6449 / 2 - 0.1);
    expect(at(four)).toBeLessThan(1.6449 / 2 + 0.2);
  });

  it('says what the caution costs on the binding target, in conversions a day', () => {
    const allocation = allocate(input(42));
    const target = allocation.constraints.find((c) => c.id === 'targetCpa');
    expect(target?.unmet).toBeUndefined();
    expect(target?.cautionCost).toBeGreaterThan(0);
    expect(target?.explanation).toMatch(
      /planned against the 5th percentile .* about one day in 20 lands over it; planning on the expected values instead would add [\d.,]+ more conversions a day/,
    );
    expect(allocate(input(null)).constraints.some((c) => c.cautionCost !== undefined)).toBe(false);
  });
});

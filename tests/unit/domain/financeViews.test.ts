import { describe, expect, it } from 'vitest';
import {
  channelName,
  curveAt,
  displayCount,
  displayCounts,
  displayMoney,
  displayOutcome,
  displayShare,
  marginalCost,
  plannerBudgets,
} from '../../../functions/domain/financeViews.js';

describe('finance views', () => {
  it("gives the planner 25 budgets from half to twice today's, today's the ninth, in cents", () => {
    const budgets = plannerBudgets(10_000, 'USD');
    expect(budgets).toHaveLength(25);
    expect([budgets[0], budgets[8], budgets[24]]).toEqual([5000, 10_000, 20_000]);
    expect(plannerBudgets(333.33, 'USD')[8]).toBe(333.33);
    for (const b of plannerBudgets(1234.57, 'USD')) expect(Math.round(b * 100) / 100).toBe(b);
    // Today's budget in the currency's own units: fils, whole yen.
    expect(plannerBudgets(3000.123, 'KWD')[8]).toBe(3000.123);
    expect(plannerBudgets(12_345, 'JPY').every(Number.isInteger)).toBe(true);
  });

  it("reads the portfolio's marginal cost off the budget's shadow price, and none when the budget does not bind", () => {
    const budget = (shadowPrice: number, binding = true) => ({ constraints: [{ id: 'budget', binding, shadowPrice, explanation: '' }] });
    expect(marginalCost(budget(0.025), 'conversions')).toBeCloseTo(40, 9);
    expect(marginalCost(budget(3.2), 'revenue')).toBe(3.2);
    expect(marginalCost({ constraints: [] }, 'conversions')).toBeNull();
    expect(marginalCost(budget(0), 'conversions')).toBeNull();
    // A shadow price whose inverse overflows (a subnormal) has no cost to show, not an infinite one.
    expect(marginalCost(budget(1e-320), 'conversions')).toBeNull();
  });

  it('writes numbers one way: money with the currency decimals, counts with at most one, shares with one', () => {
    expect([displayMoney('USD')(8500), displayMoney('JPY')(8500.4), displayMoney('USD')(null)]).toEqual(['8,500.00', '8,500', '—']);
    expect([displayCount(1234.56), displayCount(96), displayShare(0.2421)]).toEqual(['1,234.6', '96', '24.2%']);
    // A range's two ends to the same decimals.
    const range = (low: number, high: number) => displayCounts([low, high]).join(' – ');
    expect([range(822.14, 847), range(822, 847.04), range(1200, 1350.96)]).toEqual(['822.1 – 847.0', '822 – 847', '1,200 – 1,351']);
    // An outcome beside its interval, all to the same decimals; revenue as money.
    expect(displayOutcome({ expected: 206, low: 198.6, high: 213.2 }, 'conversions', displayMoney('USD'))).toEqual({
      expected: '206.0',
      interval: '198.6 – 213.2',
    });
    expect(displayOutcome({ expected: 2060, low: 1986, high: 2132 }, 'revenue', displayMoney('USD'))).toEqual({
      expected: '2,060.00',
      interval: '1,986.00 – 2,132.00',
    });
    expect(channelName({ channels: [{ id: 'search', name: 'Google Search' }, { id: 'tv' }] }, 'search')).toBe('Google Search');
    expect(channelName({ channels: [{ id: 'tv' }] }, 'tv')).toBe('tv');
  });

  it("reads a curve's mean between its points, and flat past its last", () => {
    const curve: [number, number, number, number][] = [
      [0, 0, 0, 0],
      [100, 8, 10, 12],
      [200, 14, 16, 18],
    ];
    expect([curveAt(curve, 0), curveAt(curve, 50), curveAt(curve, 150), curveAt(curve, 500)]).toEqual([0, 5, 13, 16]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { knownAllocation } from '../../../../functions/domain/simulation/known.js';
import { Scenario } from '../../../../functions/domain/simulation/scenario.js';
import { dayZeroAllocation, simulate } from '../../../../functions/domain/simulation/simulate.js';

const scenario = (name: string, days?: number) => {
  const parsed = Scenario.parse(JSON.parse(readFileSync(`scenarios/${name}.json`, 'utf8')));
  return days === undefined ? parsed : { ...parsed, days };
};

describe('the known policy: the product’s rules with the true curves', () => {
  it('keeps each day within the change limit, the caps and the budget, and places the exploration share', () => {
    const gem = scenario('hidden-gem');
    const flat = gem.channels.map(() => 1);
    let previous = dayZeroAllocation(gem);
    for (let day = 0; day < 10; day += 1) {
      const totals = knownAllocation(gem, flat, previous);
      expect(totals.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(gem.dailyBudget + 1e-6);
      gem.channels.forEach((c, i) => {
        expect(totals[i]).toBeGreaterThanOrEqual(Math.max(c.base, Math.min(c.max, previous[i]! * 0.75)) - 1e-6);
        expect(totals[i]).toBeLessThanOrEqual(Math.max(c.base, Math.min(c.max, previous[i]! * 1.25)) + 1e-6);
      });
      previous = totals;
    }
    // The podcast channel is the hidden gem: it climbs by the daily limit to the oracle's 1,500.
    expect(previous[3]).toBeCloseTo(1500, -1);
  });

  it('sits between the optimizer and the oracle: it knows the curves but keeps the rules', () => {
    const market = scenario('weekly-cycles', 40);
    const known = simulate(market, 'known');
    const optimizer = simulate(market, 'optimizer');
    expect(known.ratioToOracle).toBeLessThanOrEqual(1);
    expect(known.ratioToOracle).toBeGreaterThan(0.99);
    expect(known.ratioToOracle).toBeGreaterThan(optimizer.ratioToOracle);
  });
});

import fc from 'fast-check';
import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupIssues } from '../../../../functions/domain/allocation/groupChecks.js';
import type { LpRow } from '../../../../functions/domain/allocation/lp.js';
import { Portfolio } from '../../../../functions/domain/config.js';
import { toCplex } from '../../../support/cplex.js';

let highs: Highs;
beforeAll(async () => {
  const module = (await import('highs')) as unknown as { default: () => Promise<Highs> };
  highs = await module.default();
});

/** Portfolios of a few channels and overlapping groups with any shares; those the schema refuses are left out. */
const portfolios = fc
  .record({
    channels: fc.array(fc.record({ base: fc.integer({ min: 0, max: 1500 }), room: fc.integer({ min: 0, max: 6000 }) }), {
      minLength: 2,
      maxLength: 6,
    }),
    groups: fc.array(
      fc.record({
        members: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
        minShare: fc.constantFrom(0, 0.1, 0.3, 0.5, 0.7),
        maxShare: fc.constantFrom(1, 0.9, 0.6, 0.4, 0.2),
      }),
      { minLength: 2, maxLength: 4 },
    ),
  })
  .map(({ channels, groups }) =>
    Portfolio.safeParse({
      id: 'p',
      name: 'p',
      currency: 'USD',
      timezone: 'UTC',
      budget: { daily: 10_000, explorationShare: 0.1 },
      channels: channels.map((c, i) => ({ id: `c${i}`, platform: 'generic', base: c.base, max: c.base + c.room })),
      groups: groups.map((g, i) => ({
        id: `g${i}`,
        channels: g.members.filter((m) => m < channels.length).map((m) => `c${m}`),
        minShare: g.minShare,
        maxShare: g.maxShare,
      })),
    }),
  )
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data!);

/** Whether HiGHS finds a plan within bases, maxes, the budget and every share, one variable per channel. */
const holdsForHighs = (portfolio: Portfolio): boolean => {
  const allocatable = portfolio.budget.daily;
  const ids = portfolio.channels.map((c) => c.id);
  const rows: LpRow[] = [{ id: 'budget', a: ids.map(() => 1), rhs: allocatable }];
  for (const g of portfolio.groups) {
    const inGroup = ids.map((id) => (g.channels.includes(id) ? 1 : 0));
    rows.push({ id: 'min', a: inGroup.map((x) => -x), rhs: -g.minShare * allocatable });
    rows.push({ id: 'max', a: inGroup, rhs: g.maxShare * allocatable });
  }
  // Spend above each base: x = total − base, so each row's right-hand side moves by what the bases already take.
  const shifted = rows.map((row) => ({
    ...row,
    rhs: row.rhs - portfolio.channels.reduce((s, c, k) => s + row.a[k]! * c.base, 0),
  }));
  const problem = { c: ids.map(() => 0), upper: portfolio.channels.map((c) => c.max - c.base), rows: shifted };
  return highs.solve(toCplex(problem), { output_flag: false } as never).Status !== 'Infeasible';
};

describe('channel groups checked together', () => {
  it('refuses exactly the group configs HiGHS finds no plan for, on random overlapping groups the schema accepts', () => {
    let refused = 0;
    fc.assert(
      fc.property(portfolios, (portfolio) => {
        const issues = groupIssues(portfolio);
        if (issues.length > 0) refused += 1;
        expect(issues.length === 0).toBe(holdsForHighs(portfolio));
      }),
      { numRuns: 300, seed: 20261201 },
    );
    // Both answers were reached, so the property speaks for both.
    expect(refused).toBeGreaterThan(5);
  });
});

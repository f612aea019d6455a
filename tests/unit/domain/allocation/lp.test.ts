import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LpProblem, type LpRow, solveLp } from '../../../../functions/domain/allocation/lp.js';
import { concaveEnvelope, segmentsOf } from '../../../../functions/domain/allocation/segments.js';
import { toCplex } from '../../../support/cplex.js';

let highs: Highs;
beforeAll(async () => {
  // highs ships CommonJS with ESM typings; take its loader from whichever shape the import gives.
  const module = (await import('highs')) as unknown as { default: () => Promise<Highs> };
  highs = await module.default();
});

const reference = (problem: LpProblem) =>
  highs.solve(toCplex(problem), { output_flag: false, primal_feasibility_tolerance: 1e-10, dual_feasibility_tolerance: 1e-10 } as never);

/**
 * Random allocation LPs: saturating channels cut into concave segments, with a random subset of the rows
 * the allocator writes (budget always; target CPA, minimum ROAS, carbon cap, group min and max shares),
 * either objective, and right-hand sides from generous to impossible.
 */
const problems = fc
  .record({
    channels: fc.array(
      fc.record({
        level: fc.double({ min: 5, max: 500, noNaN: true }),
        scale: fc.double({ min: 200, max: 8000, noNaN: true }),
        orderValue: fc.double({ min: 20, max: 150, noNaN: true }),
        // Zero or a realistic intensity: HiGHS drops coefficients below 1e-9, so subnormal ones would compare different models.
        carbon: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 2, noNaN: true })),
        width: fc.double({ min: 100, max: 6000, noNaN: true }),
        group: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    revenue: fc.boolean(),
    budgetShare: fc.double({ min: 0.05, max: 1.2, noNaN: true }),
    cpa: fc.option(fc.double({ min: 5, max: 120, noNaN: true }), { nil: undefined }),
    roas: fc.option(fc.double({ min: 0.5, max: 4, noNaN: true }), { nil: undefined }),
    carbonShare: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: undefined }),
    // A minimum share of none or of at least 1%: HiGHS's feasibility tolerance (1e-10) and ours part on minimums
    // of a few billionths of the budget, which no operator writes.
    groups: fc.array(
      fc.record({
        min: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.6, noNaN: true })),
        span: fc.double({ min: 0, max: 0.6, noNaN: true }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ channels, revenue, budgetShare, cpa, roas, carbonShare, groups }): LpProblem => {
    const segments = channels.flatMap((ch, i) => {
      const f = (s: number) => ch.level * -Math.expm1(-s / ch.scale);
      return segmentsOf(
        i,
        0,
        ch.width,
        10,
        (s) => (revenue ? ch.orderValue : 1) * f(s),
        (s) => ch.orderValue * f(s),
        f,
      );
    });
    const total = channels.reduce((s, c) => s + c.width, 0);
    const budget = budgetShare * total;
    const row = (id: string, coefficient: (s: (typeof segments)[number]) => number, rhs: number): LpRow => ({
      id,
      a: segments.map(coefficient),
      rhs,
    });
    const rows: LpRow[] = [row('budget', () => 1, budget)];
    if (cpa) rows.push(row('targetCpa', (s) => 1 - cpa * s.conversionSlope, 0));
    if (roas) rows.push(row('minRoas', (s) => roas - s.revenueSlope, 0));
    if (carbonShare) {
      const all = channels.reduce((s, c) => s + c.carbon * c.width, 0);
      rows.push(row('carbon', (s) => channels[s.channel]!.carbon, carbonShare * all));
    }
    groups.forEach((g, id) => {
      const inGroup = (s: (typeof segments)[number]) => (channels[s.channel]!.group === id ? 1 : 0);
      rows.push(row(`group:${id}:max`, inGroup, Math.min(1, g.min + g.span) * budget));
      if (g.min > 0) rows.push(row(`group:${id}:min`, (s) => -inGroup(s), -g.min * budget));
    });
    return { c: segments.map((s) => s.slope), upper: segments.map((s) => s.length), rows };
  });

describe('allocation LP', () => {
  it('reaches HiGHS’s optimum to 1e-9 relative, and agrees on infeasibility, on random models and row sets', () => {
    let infeasible = 0;
    fc.assert(
      fc.property(problems, (problem) => {
        const expected = reference(problem);
        const ours = solveLp(problem);
        if (expected.Status === 'Infeasible') {
          infeasible += 1;
          expect(ours.feasible).toBe(false);
          return;
        }
        expect(expected.Status).toBe('Optimal');
        expect(ours.feasible).toBe(true);
        const scale = Math.max(1, Math.abs(expected.ObjectiveValue));
        expect(Math.abs(ours.objective - expected.ObjectiveValue) / scale).toBeLessThan(1e-9);
        for (const [r, row] of problem.rows.entries()) {
          const lhs = Array.from(row.a).reduce((s, a, k) => s + a * ours.x[k]!, 0);
          expect(lhs, row.id).toBeLessThanOrEqual(row.rhs + 1e-6 * (1 + Math.abs(row.rhs)));
          expect(ours.duals[r]!, row.id).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
    // The generator must actually reach the infeasible side, or that half of the claim is untested.
    expect(infeasible).toBeGreaterThan(5);
  });

  it('solves a case worked by hand: the budget goes to the steepest segments first, at the price of the last', () => {
    // a: 100 @ 0.05 then 100 @ 0.02; b: 100 @ 0.04 then 100 @ 0.01. Budget 250 → a1, b1, then 50 of a2.
    const solution = solveLp({
      c: [0.05, 0.02, 0.04, 0.01],
      upper: [100, 100, 100, 100],
      rows: [{ id: 'budget', a: [1, 1, 1, 1], rhs: 250 }],
    });
    expect(Array.from(solution.x, (x) => Math.round(x * 1e6) / 1e6)).toEqual([100, 50, 100, 0]);
    expect(solution.objective).toBeCloseTo(5 + 1 + 4, 9);
    expect(solution.duals[0]).toBeCloseTo(0.02, 9);
  });

  it('honours a CPA row by hand: at target 25, only segments cheaper than 25 per conversion pay for the others', () => {
    // 100 @ 0.05 (CPA 20) leaves 100·(25·0.05 − 1) = 25 of slack; 100 @ 0.02 (CPA 50) uses 0.5 per unit → 50 more.
    const cpa = (slope: number) => 1 - 25 * slope;
    const solution = solveLp({
      c: [0.05, 0.02],
      upper: [100, 100],
      rows: [
        { id: 'budget', a: [1, 1], rhs: 1000 },
        { id: 'targetCpa', a: [cpa(0.05), cpa(0.02)], rhs: 0 },
      ],
    });
    expect(Array.from(solution.x, (x) => Math.round(x * 1e6) / 1e6)).toEqual([100, 50]);
    expect(solution.duals[0]).toBe(0);
  });

  it('lets a target give way before a group share when every segment misses the target', () => {
    // CPAs of 33, 50, 100 and 200 against a target of 20: the target's row allows nothing, and the group needs 150.
    const slopes = [0.03, 0.02, 0.01, 0.005];
    const solution = solveLp({
      c: slopes,
      upper: [100, 100, 100, 100],
      rows: [
        { id: 'budget', a: [1, 1, 1, 1], rhs: 400 },
        { id: 'targetCpa', a: slopes.map((s) => 1 - 20 * s), rhs: 0, soft: true },
        { id: 'group:g:min', a: [-1, -1, -1, -1], rhs: -150, soft: true, firm: true },
      ],
    });
    expect(Array.from(solution.x)).toEqual([100, 50, 0, 0]);
    expect(solution.violations.map((v) => Number(v.toFixed(9)))).toEqual([0, 70, 0]);
  });

  it('reports how far rows must be missed when they cannot all hold', () => {
    // A minimum ROAS of 5 where every segment returns at most 3 per unit: missed by 2 per unit bought.
    const solution = solveLp({
      c: [1],
      upper: [100],
      rows: [
        { id: 'budget', a: [1], rhs: 100 },
        { id: 'group-min', a: [-1], rhs: -50 },
        { id: 'minRoas', a: [5 - 3], rhs: 0 },
      ],
    });
    expect(solution.feasible).toBe(false);
    expect(solution.violations.some((v) => v > 0)).toBe(true);
  });

  it('replaces the convex start of an S-curve by its chord', () => {
    const hull = concaveEnvelope([0, 1, 2, 3, 4].map((x) => ({ x, y: [0, 0.1, 1, 3, 3.5][x]! })));
    expect(hull.map((p) => p.x)).toEqual([0, 3, 4]);
  });
});

/** Models the random ones above once found wrong, each with what went wrong (fixtures/hard-lps.json). */
const HARD: Record<string, LpProblem & { why: string }> = JSON.parse(
  readFileSync(new URL('./fixtures/hard-lps.json', import.meta.url), 'utf8'),
);

/**
 * `solveLp` on `problem` in a process of its own, with a deadline: one of these models once looped for ever, and
 * a loop in this process would hang the whole run instead of failing this test.
 */
const solvedApart = (problem: LpProblem) => {
  const script = `
    import { solveLp } from ${JSON.stringify(new URL('../../../../functions/domain/allocation/lp.ts', import.meta.url).href)};
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const { feasible, objective, x } = solveLp(JSON.parse(text));
    process.stdout.write(JSON.stringify({ feasible, objective, x: Array.from(x) }));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    input: JSON.stringify(problem),
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(child.error?.message ?? child.stderr, 'the solve ended, without an error').toBe('');
  return JSON.parse(child.stdout) as { feasible: boolean; objective: number; x: number[] };
};

describe('allocation LP on models once solved wrong', () => {
  it.each(Object.entries(HARD))(
    '%s: reaches HiGHS’s optimum within every row',
    (_name, problem) => {
      const expected = reference(problem);
      const ours = solvedApart(problem);
      expect([expected.Status, ours.feasible]).toEqual(['Optimal', true]);
      expect(Math.abs(ours.objective - expected.ObjectiveValue) / Math.max(1, Math.abs(expected.ObjectiveValue))).toBeLessThan(1e-9);
      for (const row of problem.rows) {
        const lhs = Array.from(row.a).reduce((s, a, k) => s + a * ours.x[k]!, 0);
        expect(lhs, row.id).toBeLessThanOrEqual(row.rhs + 1e-6 * (1 + Math.abs(row.rhs)));
      }
    },
    30_000,
  );
});

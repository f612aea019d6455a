import fc from 'fast-check';
import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LpProblem, solveAllocationLp } from '../../../../functions/domain/allocation/lp.js';
import { concaveEnvelope, type Segment, segmentsOf } from '../../../../functions/domain/allocation/segments.js';

let highs: Highs;
beforeAll(async () => {
  // highs ships CommonJS with ESM typings; take its loader from whichever shape the import gives.
  const module = (await import('highs')) as unknown as { default: () => Promise<Highs> };
  highs = await module.default();
});

/** The same LP in CPLEX LP format, for HiGHS, the reference solver. */
const toCplex = (problem: LpProblem): string => {
  const term = (c: number, k: number) => `${c >= 0 ? '+' : '-'} ${Math.abs(c).toPrecision(17)} x${k}`;
  const rows = [`budget: ${problem.segments.map((_, k) => term(1, k)).join(' ')} <= ${problem.budget.toPrecision(17)}`];
  if (problem.cpa)
    rows.push(
      `cpa: ${problem.segments.map((s, k) => term(1 - problem.cpa!.target * s.conversionSlope, k)).join(' ')} <= ${problem.cpa.slack.toPrecision(17)}`,
    );
  if (problem.roas)
    rows.push(
      `roas: ${problem.segments.map((s, k) => term(problem.roas!.min - s.revenueSlope, k)).join(' ')} <= ${problem.roas.slack.toPrecision(17)}`,
    );
  return [
    'Maximize',
    ` obj: ${problem.segments.map((s, k) => term(s.slope, k)).join(' ')}`,
    'Subject To',
    ...rows.map((r) => ` ${r}`),
    'Bounds',
    ...problem.segments.map((s, k) => ` 0 <= x${k} <= ${s.length.toPrecision(17)}`),
    'End',
  ].join('\n');
};

/** Random concave channels: saturating curves with random levels, scales and order values. */
const problems = fc
  .record({
    channels: fc.array(
      fc.record({
        level: fc.double({ min: 5, max: 500, noNaN: true }),
        scale: fc.double({ min: 200, max: 8000, noNaN: true }),
        orderValue: fc.double({ min: 20, max: 150, noNaN: true }),
        width: fc.double({ min: 100, max: 6000, noNaN: true }),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    budgetShare: fc.double({ min: 0.05, max: 1.2, noNaN: true }),
    cpa: fc.option(fc.double({ min: 5, max: 120, noNaN: true }), { nil: undefined }),
    roas: fc.option(fc.double({ min: 0.5, max: 4, noNaN: true }), { nil: undefined }),
  })
  .map(({ channels, budgetShare, cpa, roas }): LpProblem => {
    const segments: Segment[] = channels.flatMap((c, i) => {
      const f = (s: number) => c.level * -Math.expm1(-s / c.scale);
      return segmentsOf(i, 0, c.width, 10, f, (s) => c.orderValue * f(s), f);
    });
    const total = channels.reduce((s, c) => s + c.width, 0);
    return {
      segments,
      budget: budgetShare * total,
      ...(cpa ? { cpa: { target: cpa, slack: 0 } } : {}),
      ...(roas ? { roas: { min: roas, slack: 0 } } : {}),
    };
  });

describe('allocation LP', () => {
  it('reaches HiGHS’s optimum to 1e-9 relative on random models', () => {
    fc.assert(
      fc.property(problems, (problem) => {
        const reference = highs.solve(toCplex(problem), {
          output_flag: false,
          primal_feasibility_tolerance: 1e-10,
          dual_feasibility_tolerance: 1e-10,
        } as never);
        const ours = solveAllocationLp(problem);
        expect(ours.feasible).toBe(true);
        expect(reference.Status).toBe('Optimal');
        const scale = Math.max(1, Math.abs(reference.ObjectiveValue));
        expect(Math.abs(ours.objective - reference.ObjectiveValue) / scale).toBeLessThan(1e-9);
      }),
      { numRuns: 120 },
    );
  });

  it('solves a case worked by hand: the budget goes to the steepest segments first', () => {
    const segment = (channel: number, length: number, slope: number): Segment => ({
      channel,
      length,
      slope,
      revenueSlope: slope,
      conversionSlope: slope,
    });
    // a: 100 @ 0.05 then 100 @ 0.02; b: 100 @ 0.04 then 100 @ 0.01. Budget 250 → a1, b1, then 50 of a2.
    const problem: LpProblem = {
      segments: [segment(0, 100, 0.05), segment(0, 100, 0.02), segment(1, 100, 0.04), segment(1, 100, 0.01)],
      budget: 250,
    };
    const solution = solveAllocationLp(problem);
    expect(solution.x.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([100, 50, 100, 0]);
    expect(solution.objective).toBeCloseTo(5 + 1 + 4, 9);
  });

  it('honours a CPA row by hand: at target 25, only segments cheaper than 25 per conversion pay for the others', () => {
    const segment = (length: number, slope: number): Segment => ({ channel: 0, length, slope, revenueSlope: 0, conversionSlope: slope });
    // 100 @ 0.05 (CPA 20) leaves 100·(25·0.05 − 1) = 25 of slack; 100 @ 0.02 (CPA 50) uses 0.5 per unit → 50 more.
    const solution = solveAllocationLp({ segments: [segment(100, 0.05), segment(100, 0.02)], budget: 1000, cpa: { target: 25, slack: 0 } });
    expect(solution.x.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([100, 50]);
  });

  it('replaces the convex start of an S-curve by its chord', () => {
    const hull = concaveEnvelope([0, 1, 2, 3, 4].map((x) => ({ x, y: [0, 0.1, 1, 3, 3.5][x]! })));
    expect(hull.map((p) => p.x)).toEqual([0, 3, 4]);
  });
});

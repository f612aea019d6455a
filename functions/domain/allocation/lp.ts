import type { Model } from 'javascript-lp-solver';
import * as lpSolver from 'javascript-lp-solver';
import type { Segment } from './segments.js';

/**
 * The allocation LP over segment variables x_k ∈ [0, length_k] (spend above each channel's lower bound):
 *   maximize   Σ slope_k·x_k
 *   subject to Σ x_k ≤ budget                                   (daily budget)
 *              Σ (1 − targetCpa·conv_k)·x_k ≤ cpaSlack           (Σ spend ≤ targetCpa · Σ conversions)
 *              Σ (minRoas − rev_k)·x_k ≤ roasSlack               (Σ revenue ≥ minRoas · Σ spend)
 * The constants fold in what the lower bounds already spend and earn.
 */
export interface LpProblem {
  readonly segments: readonly Segment[];
  readonly budget: number;
  readonly cpa?: { readonly target: number; readonly slack: number };
  readonly roas?: { readonly min: number; readonly slack: number };
}

export interface LpSolution {
  readonly feasible: boolean;
  /** Spend per segment, aligned with the problem's segments. */
  readonly x: readonly number[];
  readonly objective: number;
  /** Variables the LP solver saw: all segments, or the marginal frontier after presolve. */
  readonly variables: number;
  readonly presolved: boolean;
}

interface Row {
  readonly coefficient: (s: Segment) => number;
  readonly rhs: number;
}

const rowsOf = (problem: LpProblem): Row[] => [
  { coefficient: () => 1, rhs: problem.budget },
  ...(problem.cpa ? [{ coefficient: (s: Segment) => 1 - problem.cpa!.target * s.conversionSlope, rhs: problem.cpa.slack }] : []),
  ...(problem.roas ? [{ coefficient: (s: Segment) => problem.roas!.min - s.revenueSlope, rhs: problem.roas.slack }] : []),
];

const TOLERANCE = 1e-9;

/** The package is CommonJS; its typings describe the ESM default, so take whichever the loader gives. */
type LpSolverApi = { Solve(model: Model, precision?: number): unknown };
const solver: LpSolverApi = (lpSolver as unknown as { default?: LpSolverApi }).default ?? (lpSolver as unknown as LpSolverApi);

/** Solves an LP over the given segment indices with javascript-lp-solver; the others stay at `fixed`. */
const solveWithLpSolver = (problem: LpProblem, rows: Row[], free: readonly number[], fixed: readonly number[]): LpSolution => {
  const constraints: Model['constraints'] = {};
  rows.forEach((row, r) => {
    const used = fixed.reduce((sum, x, k) => sum + row.coefficient(problem.segments[k]!) * x, 0);
    constraints[`row${r}`] = { max: row.rhs - used };
  });
  const variables: Model['variables'] = {};
  for (const k of free) {
    const segment = problem.segments[k]!;
    const coefficients: Record<string, number> = { objective: segment.slope, [`cap${k}`]: 1 };
    for (const [r, row] of rows.entries()) coefficients[`row${r}`] = row.coefficient(segment);
    constraints[`cap${k}`] = { max: segment.length };
    variables[`x${k}`] = coefficients;
  }
  // A tighter precision than the default 1e-9, so segments worth a few millionths are not rounded away.
  const result = solver.Solve({ optimize: 'objective', opType: 'max', constraints, variables }, 1e-12) as Record<string, number | boolean>;
  const x = [...fixed];
  if (result.feasible) for (const k of free) x[k] = Math.min(problem.segments[k]!.length, Math.max(0, Number(result[`x${k}`] ?? 0)));
  return {
    feasible: Boolean(result.feasible),
    x,
    objective: x.reduce((sum, v, k) => sum + v * problem.segments[k]!.slope, 0),
    variables: free.length,
    presolved: free.length < problem.segments.length,
  };
};

/**
 * True when sorting segments by objective slope also sorts every row's coefficients ascending: then a
 * better segment is never worse for any row, every optimum fills segments in that order, and the LP
 * reduces to choosing where that order stops.
 */
const isAligned = (order: readonly Segment[], rows: readonly Row[]): boolean =>
  rows.every((row) => order.every((s, i) => i === 0 || row.coefficient(s) >= row.coefficient(order[i - 1]!) - TOLERANCE));

/** Segments on each side of the stopping point handed to the LP solver, to settle the frontier exactly. */
const FRONTIER = 8;

/**
 * Solves the allocation LP with javascript-lp-solver. When the rows are aligned with the objective (the
 * budget alone; a CPA row when maximizing conversions; a ROAS row when maximizing revenue), a presolve walks
 * the segments in slope order to where the rows stop it, fixes everything well before that point at its
 * length and everything well after at zero, and hands only the marginal frontier to the solver. Otherwise
 * the full LP goes to the solver. Both give the same optimum (tested against HiGHS).
 */
export const solveAllocationLp = (problem: LpProblem): LpSolution => {
  const rows = rowsOf(problem);
  const all = problem.segments.map((_, k) => k);
  const order = all.filter((k) => problem.segments[k]!.slope > 0).sort((a, b) => problem.segments[b]!.slope - problem.segments[a]!.slope);
  if (
    !isAligned(
      order.map((k) => problem.segments[k]!),
      rows,
    )
  )
    return solveWithLpSolver(
      problem,
      rows,
      all,
      all.map(() => 0),
    );

  // Walk the prefix: each row's usage is convex along it, so the feasible prefix lengths form an interval.
  const used = rows.map(() => 0);
  let stop = order.length;
  for (let i = 0; i < order.length; i += 1) {
    const segment = problem.segments[order[i]!]!;
    const fits = rows.every((row, r) => used[r]! + row.coefficient(segment) * segment.length <= row.rhs + TOLERANCE);
    if (!fits) {
      stop = i;
      break;
    }
    for (const [r, row] of rows.entries()) used[r]! += row.coefficient(segment) * segment.length;
  }
  const fixed = all.map(() => 0);
  for (const k of order.slice(0, Math.max(0, stop - FRONTIER))) fixed[k] = problem.segments[k]!.length;
  const frontier = order.slice(Math.max(0, stop - FRONTIER), stop + FRONTIER + 1);
  const reduced = solveWithLpSolver(problem, rows, frontier, fixed);
  return reduced.feasible
    ? reduced
    : solveWithLpSolver(
        problem,
        rows,
        all,
        all.map(() => 0),
      );
};

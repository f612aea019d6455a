import type { Model } from 'javascript-lp-solver';
import * as lpSolver from 'javascript-lp-solver';

/**
 * The allocation LP: box-bounded segment variables and a handful of coupling rows,
 *
 *   maximize   Σ c_k·x_k
 *   subject to Σ a_rk·x_k ≤ b_r     for each row r (budget, CPA, ROAS, carbon, group shares)
 *              0 ≤ x_k ≤ u_k
 *
 * At a vertex at most as many variables as there are rows are strictly between their bounds, so the LP is
 * decided by which segments are full, which are empty, and a small frontier between them. It is solved in
 * three steps, all exact in the end:
 *
 * 1. **Pricing.** The Lagrangian dual `L(λ) = λ·b + Σ u_k·max(0, c_k − λ·a_k)` is convex and piecewise linear
 *    in as many dimensions as there are rows; a trust-region cutting-plane method finds near-optimal row
 *    prices λ in a few dozen evaluations, each one pass over the segments.
 * 2. **Frontier.** Segments whose reduced cost `c_k − λ·a_k` is clearly positive are fixed full, clearly
 *    negative fixed empty, and only those closest to zero go to javascript-lp-solver.
 * 3. **Certificate.** The frontier LP's own dual prices are checked against every fixed segment; any segment
 *    whose reduced cost contradicts how it was fixed joins the frontier and the LP is solved again (column
 *    generation). When none does, primal and dual values are equal: the solution is optimal for the whole LP.
 *
 * Every row gets an elastic column (a violation at a large price), so each restricted LP is feasible; a
 * solution that still uses one proves the rows cannot all hold together, and is the plan that misses them
 * least. A `soft` row (a target) is priced a thousand times lower than a hard one (the budget), so when not
 * everything can hold, targets give way first; a `firm` one (a group's share) between the two, so it gives
 * way after the targets and before the budget. Tested against HiGHS on random models with random row sets.
 */
export interface LpRow {
  readonly id: string;
  /** One coefficient per variable. */
  readonly a: ArrayLike<number>;
  readonly rhs: number;
  /** A target that may be missed, least, when the rows cannot all hold; hard rows give way only after. */
  readonly soft?: boolean;
  /**
   * With `soft`: a row that gives way only after every other soft row, and still before the hard ones. A
   * group's share is one: the daily change limit may put it out of reach today, and a target should not win over it.
   */
  readonly firm?: boolean;
}

export interface LpProblem {
  /** Objective coefficient per variable. */
  readonly c: ArrayLike<number>;
  /** Upper bound per variable (lower bounds are 0). */
  readonly upper: ArrayLike<number>;
  readonly rows: readonly LpRow[];
}

export interface LpSolution {
  /** False when the rows cannot all hold within the bounds. */
  readonly feasible: boolean;
  readonly x: Float64Array;
  readonly objective: number;
  /** The price of each row, in objective units per unit of its right-hand side (0 when it does not bind). */
  readonly duals: readonly number[];
  /** How far each row is violated at `x` (all 0 when feasible): the least the rows can be missed by. */
  readonly violations: readonly number[];
  /** Variables javascript-lp-solver saw in its last solve. */
  readonly variables: number;
  /** Frontier solves until the certificate held. */
  readonly rounds: number;
}

/** The package is CommonJS; its typings describe the ESM default, so take whichever the loader gives. */
type LpSolverApi = { Solve(model: Model, precision?: number): unknown };
const solver: LpSolverApi = (lpSolver as unknown as { default?: LpSolverApi }).default ?? (lpSolver as unknown as LpSolverApi);

/** Reduced-cost tolerance, in normalized units (objective and rows scaled to a largest coefficient of 1). */
const TOLERANCE = 1e-9;
/** The elastic price of a violated row, normalized: far above any price a feasible row can reach. */
const SOFT_PENALTY = 1e5;
/** Halfway between, on a log scale: about thirty times a target's price, and a thirtieth of a hard row's. */
const FIRM_PENALTY = 10 ** 6.5;
const HARD_PENALTY = 1e8;
/** Segments handed to the solver besides those at zero reduced cost: a few per row, and a floor. */
const frontierSize = (rows: number) => 8 + 4 * rows;
/**
 * javascript-lp-solver's pivot tolerance for a frontier solved again because its answer broke a bound. At 1e-12
 * it can pivot on entries that are rounding noise: it answered one frontier with a segment 4,774 past its bound
 * of 24, and a model with a target CPA, a minimum ROAS and a carbon cap 0.03% short of the optimum, which 1e-10
 * solves to 3e-15.
 */
const RETRY_PRECISION = 1e-10;
/** Segments added to the frontier per certificate round, at most. */
const ADD_PER_ROUND = 24;

/** The problem scaled so the largest objective and row coefficients are 1; `x` keeps its units. */
interface Scaled {
  readonly n: number;
  readonly c: Float64Array;
  readonly u: Float64Array;
  readonly a: Float64Array[];
  readonly b: Float64Array;
  readonly objectiveScale: number;
  readonly rowScale: Float64Array;
  /** Each row's elastic price: the most its dual price can be. */
  readonly penalty: Float64Array;
  /** The problem's index of each row kept: a row no point within the bounds can break is left out. */
  readonly rows: readonly number[];
}

const largest = (values: ArrayLike<number>) => {
  let max = 0;
  for (let k = 0; k < values.length; k += 1) max = Math.max(max, Math.abs(values[k]!));
  return max || 1;
};

/** `values` divided by `by`, as a typed array (a loop: `Float64Array.from` with a map function is far slower). */
const divided = (values: ArrayLike<number>, by: number): Float64Array => {
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k += 1) out[k] = values[k]! / by;
  return out;
};

const scale = (problem: LpProblem): Scaled => {
  const n = problem.c.length;
  const objectiveScale = largest(problem.c);
  const c = divided(problem.c, objectiveScale);
  const u = new Float64Array(n);
  for (let k = 0; k < n; k += 1) u[k] = Math.max(0, problem.upper[k]!);
  const rowScale = Float64Array.from(problem.rows, (row) => largest(row.a));
  const a = problem.rows.map((row, r) => divided(row.a, rowScale[r]!));
  // One pass over each row reads what it can hold (`size`) and the most any point within the bounds puts in it.
  // A right-hand side within rounding of zero next to `size` is zero: a share of 1e-200 of the budget allows
  // nothing, and left as it is, it leaves the solver pivoting on numbers it cannot tell from 0. A row no point
  // can break is left out (its price is 0): left in, such rows make the model degenerate (a group's minimum of
  // 0 beside its maximum of 0), which javascript-lp-solver has answered with a point past a bound.
  const b = new Float64Array(problem.rows.length);
  const rows: number[] = [];
  for (const [r, row] of a.entries()) {
    let size = 0;
    let most = 0;
    for (let k = 0; k < n; k += 1) {
      const use = row[k]! * u[k]!;
      size += Math.abs(use);
      if (use > 0) most += use;
    }
    const rhs = problem.rows[r]!.rhs / rowScale[r]!;
    b[r] = Math.abs(rhs) <= 1e-15 * size ? 0 : rhs;
    if (most > b[r]!) rows.push(r);
  }
  const penalty = Float64Array.from(problem.rows, (row) => (!row.soft ? HARD_PENALTY : row.firm ? FIRM_PENALTY : SOFT_PENALTY));
  const kept = <T>(values: ArrayLike<T>) => rows.map((r) => values[r]!);
  return {
    n,
    c,
    u,
    a: kept(a),
    b: Float64Array.from(kept(b)),
    objectiveScale,
    rowScale: Float64Array.from(kept(rowScale)),
    penalty: Float64Array.from(kept(penalty)),
    rows,
  };
};

/** Reduced costs `c_k − λ·a_k` of every variable. */
const reducedCosts = (p: Scaled, lambda: Float64Array): Float64Array => {
  const d = Float64Array.from(p.c);
  for (let r = 0; r < p.a.length; r += 1) {
    const price = lambda[r]!;
    if (price === 0) continue;
    const row = p.a[r]!;
    for (let k = 0; k < p.n; k += 1) d[k]! -= price * row[k]!;
  }
  return d;
};

/** The Lagrangian dual's value and a subgradient at λ. */
const dualAt = (p: Scaled, lambda: Float64Array): { value: number; gradient: Float64Array } => {
  const d = reducedCosts(p, lambda);
  let value = 0;
  const gradient = Float64Array.from(p.b);
  for (let r = 0; r < p.a.length; r += 1) value += lambda[r]! * p.b[r]!;
  for (let k = 0; k < p.n; k += 1) {
    if (d[k]! <= 0) continue;
    value += p.u[k]! * d[k]!;
    for (let r = 0; r < p.a.length; r += 1) gradient[r]! -= p.u[k]! * p.a[r]![k]!;
  }
  return { value, gradient };
};

interface Cut {
  readonly at: Float64Array;
  readonly value: number;
  readonly gradient: Float64Array;
}

/** The cutting-plane model's minimizer inside a box: a tiny LP (rows + 2 variables) for javascript-lp-solver. */
const masterStep = (cuts: readonly Cut[], low: Float64Array, high: Float64Array): { lambda: Float64Array; model: number } | null => {
  const m = low.length;
  const constraints: Model['constraints'] = {};
  const variables: Model['variables'] = { tp: { objective: 1 }, tn: { objective: -1 } };
  for (let r = 0; r < m; r += 1) {
    variables[`y${r}`] = { [`box${r}`]: 1 };
    constraints[`box${r}`] = { max: high[r]! - low[r]! };
  }
  // t ≥ value + g·(λ − at), with λ = low + y:  t − g·y ≥ value + g·(low − at). t is solved for as `floor` (the
  // highest of those right-hand sides) plus tp − tn, so y = 0, t = floor already meets every cut: the solver
  // starts feasible and needs no phase 1, whose anti-cycling rule can loop for ever on a degenerate model.
  const rhs = cuts.map((cut) => {
    let value = cut.value;
    for (let r = 0; r < m; r += 1) value += cut.gradient[r]! * (low[r]! - cut.at[r]!);
    return value;
  });
  const floor = Math.max(...rhs);
  cuts.forEach((cut, i) => {
    constraints[`cut${i}`] = { min: rhs[i]! - floor };
    variables.tp![`cut${i}`] = 1;
    variables.tn![`cut${i}`] = -1;
    for (let r = 0; r < m; r += 1) variables[`y${r}`]![`cut${i}`] = -cut.gradient[r]!;
  });
  const result = solver.Solve({ optimize: 'objective', opType: 'min', constraints, variables }, 1e-12) as Record<string, number | boolean>;
  if (!result.feasible || result.bounded === false) return null;
  const lambda = Float64Array.from(low, (lo, r) => Math.min(high[r]!, lo + Math.max(0, Number(result[`y${r}`] ?? 0))));
  return { lambda, model: floor + Number(result.result ?? 0) };
};

/**
 * Near-optimal row prices: a trust-region cutting-plane method on the Lagrangian dual, within the penalties.
 * It needs not be exact: the certificate step corrects any segment it misprices.
 */
const priceRows = (p: Scaled, iterations = 60): Float64Array => {
  const m = p.a.length;
  let best: Float64Array = new Float64Array(m);
  let bestValue = dualAt(p, best).value;
  const cuts: Cut[] = [{ at: best, ...dualAt(p, best) }];
  let radius = 1;
  for (let i = 0; i < iterations; i += 1) {
    const low = Float64Array.from(best, (v) => Math.max(0, v - radius));
    const high = Float64Array.from(best, (v, r) => Math.min(p.penalty[r]!, v + radius));
    const step = masterStep(cuts, low, high);
    if (!step) break;
    const predicted = bestValue - step.model;
    if (predicted <= 1e-10 * (1 + Math.abs(bestValue))) {
      if (radius >= HARD_PENALTY) break;
      radius *= 4; // the model is flat inside the box: look further
      continue;
    }
    const evaluation = dualAt(p, step.lambda);
    cuts.push({ at: step.lambda, ...evaluation });
    if (bestValue - evaluation.value >= 0.1 * predicted) {
      const onEdge = step.lambda.some((v, r) => (v === high[r] && high[r]! < p.penalty[r]!) || (v === low[r] && low[r]! > 0));
      best = step.lambda;
      bestValue = evaluation.value;
      if (onEdge) radius *= 2;
    } else {
      radius = Math.max(radius / 2, 1e-9);
    }
  }
  return best;
};

/** Which variables are fixed full (1), fixed empty (0), or free (the frontier, -1). */
type Fixing = Int8Array;

/**
 * What each row has left once the segments fixed full take their part: `b − used`, read as 0 where it is within
 * the sum's rounding of it. A row the fixed segments fill exactly would otherwise be left 1e-12 short, read as
 * violated, and priced at its elastic penalty, which throws every fixing after it.
 */
const room = (p: Scaled, fixing: Fixing): Float64Array =>
  Float64Array.from(p.a, (row, r) => {
    let used = 0;
    let size = Math.abs(p.b[r]!);
    for (let k = 0; k < p.n; k += 1) {
      if (fixing[k] !== 1) continue;
      used += row[k]! * p.u[k]!;
      size += Math.abs(row[k]! * p.u[k]!);
    }
    const left = p.b[r]! - used;
    return Math.abs(left) <= 1e-12 * size ? 0 : left;
  });

/** Whether the solver's frontier answer keeps every segment within its bounds, as a right answer does. */
const withinBounds = (p: Scaled, free: readonly number[], result: Record<string, number | boolean>) =>
  free.every((k) => {
    const value = Number(result[`x${k}`] ?? 0);
    return value >= -1e-9 * (1 + p.u[k]!) && value <= p.u[k]! + 1e-9 * (1 + p.u[k]!);
  });

/** The restricted primal over the frontier, with an elastic column per row; solved again if it broke a bound. */
const solveFrontier = (p: Scaled, fixing: Fixing, free: readonly number[]) => {
  const m = p.a.length;
  const constraints: Model['constraints'] = {};
  const variables: Model['variables'] = {};
  const left = room(p, fixing);
  for (let r = 0; r < m; r += 1) {
    constraints[`row${r}`] = { max: left[r]! };
    variables[`v${r}`] = { objective: -p.penalty[r]!, [`row${r}`]: -1 };
  }
  for (const k of free) {
    const coefficients: Record<string, number> = { objective: p.c[k]!, [`cap${k}`]: 1 };
    for (let r = 0; r < m; r += 1) if (p.a[r]![k] !== 0) coefficients[`row${r}`] = p.a[r]![k]!;
    constraints[`cap${k}`] = { max: p.u[k]! };
    variables[`x${k}`] = coefficients;
  }
  const model: Model = { optimize: 'objective', opType: 'max', constraints, variables };
  let result = solver.Solve(model, 1e-12) as Record<string, number | boolean>;
  if (!withinBounds(p, free, result)) result = solver.Solve(model, RETRY_PRECISION) as Record<string, number | boolean>;
  const x = new Float64Array(p.n);
  for (let k = 0; k < p.n; k += 1) if (fixing[k] === 1) x[k] = p.u[k]!;
  for (const k of free) x[k] = Math.min(p.u[k]!, Math.max(0, Number(result[`x${k}`] ?? 0)));
  const violations = Float64Array.from({ length: m }, (_, r) => Math.max(0, Number(result[`v${r}`] ?? 0)));
  return { x, violations };
};

/**
 * The restricted LP's dual: row prices λ within the penalties (the elastic columns cap them) and one price per
 * frontier bound, minimizing λ·b' + Σ u_k·μ_k subject to λ·a_k + μ_k ≥ c_k on the frontier.
 */
const frontierPrices = (p: Scaled, fixing: Fixing, free: readonly number[]): Float64Array => {
  const m = p.a.length;
  const constraints: Model['constraints'] = {};
  const variables: Model['variables'] = {};
  const left = room(p, fixing);
  for (let r = 0; r < m; r += 1) {
    variables[`l${r}`] = { objective: left[r]!, [`cap${r}`]: 1 };
    constraints[`cap${r}`] = { max: p.penalty[r]! };
  }
  for (const k of free) {
    constraints[`d${k}`] = { min: p.c[k]! };
    variables[`m${k}`] = { objective: p.u[k]!, [`d${k}`]: 1 };
    for (let r = 0; r < m; r += 1) if (p.a[r]![k] !== 0) variables[`l${r}`]![`d${k}`] = p.a[r]![k]!;
  }
  const result = solver.Solve({ optimize: 'objective', opType: 'min', constraints, variables }, 1e-12) as Record<string, number | boolean>;
  return Float64Array.from({ length: m }, (_, r) => Math.max(0, Number(result[`l${r}`] ?? 0)));
};

/** The frontier: every variable at (near) zero reduced cost, and the `size` closest to it. */
const frontierOf = (d: Float64Array, size: number): number[] => {
  const magnitudes = new Float64Array(d.length);
  let atZero = 0;
  for (let k = 0; k < d.length; k += 1) {
    magnitudes[k] = Math.abs(d[k]!);
    if (magnitudes[k]! <= TOLERANCE) atZero += 1;
  }
  const cut = Math.min(d.length, atZero < d.length ? Math.max(size, atZero) : size);
  if (cut === 0) return [];
  // The first `cut` of every index sorted by |d| (ties in index order), without sorting them all: those no
  // farther from zero than the cut-th smallest |d|, sorted (a numeric sort of the magnitudes finds it).
  const threshold = magnitudes.slice().sort()[cut - 1]!;
  const near: number[] = [];
  for (let k = 0; k < d.length; k += 1) if (magnitudes[k]! <= threshold) near.push(k);
  return near.sort((i, j) => magnitudes[i]! - magnitudes[j]!).slice(0, cut);
};

/** Solves the allocation LP exactly (see the module comment). */
export const solveLp = (problem: LpProblem): LpSolution => {
  const p = scale(problem);
  const m = p.a.length;
  const d = reducedCosts(p, priceRows(p));
  const fixing: Fixing = new Int8Array(p.n);
  const free = new Set(frontierOf(d, frontierSize(m)));
  for (let k = 0; k < p.n; k += 1) fixing[k] = free.has(k) ? -1 : d[k]! > 0 ? 1 : 0;

  let rounds = 0;
  for (;;) {
    rounds += 1;
    const frontier = [...free];
    const { x, violations } = solveFrontier(p, fixing, frontier);
    const lambda = frontierPrices(p, fixing, frontier);
    const priced = reducedCosts(p, lambda);
    const wrong: number[] = [];
    for (let k = 0; k < p.n; k += 1) {
      if (fixing[k] === 1 && priced[k]! < -TOLERANCE) wrong.push(k);
      else if (fixing[k] === 0 && priced[k]! > TOLERANCE) wrong.push(k);
    }
    if (wrong.length === 0) {
      let objective = 0;
      for (let k = 0; k < p.n; k += 1) objective += problem.c[k]! * x[k]!;
      const violated = violations.some((v) => v > 1e-9 * (1 + Math.abs(p.b.reduce((s, b) => s + Math.abs(b), 0))));
      // A row left out never binds: its price and its violation are 0.
      const duals = problem.rows.map(() => 0);
      const missed = problem.rows.map(() => 0);
      p.rows.forEach((row, r) => {
        duals[row] = (lambda[r]! * p.objectiveScale) / p.rowScale[r]!;
        missed[row] = violations[r]! * p.rowScale[r]!;
      });
      return { feasible: !violated, x, objective, duals, violations: missed, variables: frontier.length + m, rounds };
    }
    wrong.sort((i, j) => Math.abs(priced[j]!) - Math.abs(priced[i]!));
    for (const k of wrong.slice(0, Math.max(ADD_PER_ROUND, 2 * m))) {
      fixing[k] = -1;
      free.add(k);
    }
  }
};

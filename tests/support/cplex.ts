import type { LpProblem } from '../../functions/domain/allocation/lp.js';

/**
 * The allocation LP in CPLEX LP format, for HiGHS (the reference solver, a dev dependency): one definition
 * for the tests and the bench, so both compare against the same model.
 */
export const toCplex = (problem: LpProblem): string => {
  const number = (v: number) => v.toPrecision(17);
  const term = (coefficient: number, k: number) => `${coefficient >= 0 ? '+' : '-'} ${number(Math.abs(coefficient))} x${k}`;
  const terms = (coefficients: ArrayLike<number>) => {
    const parts = Array.from(coefficients, (v, k) => (v === 0 ? '' : term(v, k))).filter(Boolean);
    return parts.length > 0 ? parts.join(' ') : '0 x0';
  };
  return [
    'Maximize',
    ` obj: ${terms(problem.c)}`,
    'Subject To',
    ...problem.rows.map((row, r) => ` r${r}: ${terms(row.a)} <= ${number(row.rhs)}`),
    'Bounds',
    ...Array.from(problem.upper, (u, k) => ` 0 <= x${k} <= ${number(u)}`),
    'End',
  ].join('\n');
};

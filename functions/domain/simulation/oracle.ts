import { type ResponseCurve, respond } from './trueCurve.js';

export interface OracleChannel {
  readonly base: number;
  readonly max: number;
  readonly curve: ResponseCurve;
  readonly multiplier: number;
}

/** Grid cells the budget is cut into: fine enough that the grid costs well under 0.1% of the optimum. */
const CELLS = 2000;

/**
 * The best spend per channel for `Σ weight·f_i(s_i) − cost·Σ s_i` subject to Σ s_i ≤ budget and
 * base_i ≤ s_i ≤ max_i, by dynamic programming over a budget grid. Exact on the grid for any curve shape,
 * S-curves included, which a greedy or an LP over concave pieces would not be.
 */
const gridOptimum = (channels: readonly OracleChannel[], budget: number, weight = 1, cost = 0): number[] => {
  const bases = channels.reduce((s, c) => s + c.base, 0);
  const spare = Math.max(0, budget - bases);
  const step = spare / CELLS;
  // best[j]: best value using j cells among the channels so far; choice[i][j]: cells given to channel i.
  let best = new Float64Array(CELLS + 1);
  const choices: Int32Array[] = [];
  for (const channel of channels) {
    const limit = step > 0 ? Math.min(CELLS, Math.floor((channel.max - channel.base) / step + 1e-9)) : 0;
    const gain = Float64Array.from(
      { length: limit + 1 },
      (_, k) => weight * channel.multiplier * respond(channel.curve, channel.base + k * step) - cost * k * step,
    );
    const next = new Float64Array(CELLS + 1).fill(Number.NEGATIVE_INFINITY);
    const choice = new Int32Array(CELLS + 1);
    for (let j = 0; j <= CELLS; j += 1) {
      for (let k = 0; k <= Math.min(j, limit); k += 1) {
        const v = best[j - k]! + gain[k]!;
        if (v > next[j]!) {
          next[j] = v;
          choice[j] = k;
        }
      }
    }
    best = next;
    choices.push(choice);
  }
  let j = 0;
  for (let c = 1; c <= CELLS; c += 1) if (best[c]! > best[j]!) j = c;
  const spend = channels.map((c) => c.base);
  for (let i = channels.length - 1; i >= 0; i -= 1) {
    const k = choices[i]![j]!;
    spend[i] = channels[i]!.base + k * step;
    j -= k;
  }
  return spend;
};

/**
 * The best spend per channel under the true curves, the bases, caps and budget, and a target CPA when one
 * is set (Σ spend ≤ target · Σ conversions): the target is priced by a Lagrange multiplier μ, found by
 * bisection, each step an exact grid optimum of `(1 + μ·target)·Σ f − μ·Σ s`. When not even the bases meet
 * the target, the bases are the best it can do.
 */
export const oracleAllocation = (channels: readonly OracleChannel[], budget: number, targetCpa?: number): number[] => {
  const unconstrained = gridOptimum(channels, budget);
  if (targetCpa === undefined) return unconstrained;
  const meets = (spend: readonly number[]) =>
    spend.reduce((a, b) => a + b, 0) <= targetCpa * channels.reduce((s, c, i) => s + c.multiplier * respond(c.curve, spend[i]!), 0) + 1e-9;
  if (meets(unconstrained)) return unconstrained;
  const at = (mu: number) => gridOptimum(channels, budget, 1 + mu * targetCpa, mu);
  let low = 0;
  let high = 1;
  while (!meets(at(high)) && high < 1e6) high *= 4;
  if (!meets(at(high))) return channels.map((c) => c.base);
  for (let i = 0; i < 30; i += 1) {
    const mid = (low + high) / 2;
    if (meets(at(mid))) high = mid;
    else low = mid;
  }
  return at(high);
};

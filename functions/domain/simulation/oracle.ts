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
 * The best spend per channel under the true curves: maximize Σ f_i(s_i) subject to Σ s_i ≤ budget and
 * base_i ≤ s_i ≤ max_i, by dynamic programming over a budget grid. Exact on the grid for any curve shape,
 * S-curves included, which a greedy or an LP over concave pieces would not be.
 */
export const oracleAllocation = (channels: readonly OracleChannel[], budget: number): number[] => {
  const bases = channels.reduce((s, c) => s + c.base, 0);
  const spare = Math.max(0, budget - bases);
  const step = spare / CELLS;
  // best[j]: best value using j cells among the channels so far; choice[i][j]: cells given to channel i.
  let best = new Float64Array(CELLS + 1);
  const choices: Int32Array[] = [];
  for (const channel of channels) {
    const limit = step > 0 ? Math.min(CELLS, Math.floor((channel.max - channel.base) / step + 1e-9)) : 0;
    const gain = Float64Array.from({ length: limit + 1 }, (_, k) => channel.multiplier * respond(channel.curve, channel.base + k * step));
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

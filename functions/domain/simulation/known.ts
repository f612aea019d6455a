import { shrinkToBudget } from '../allocation/feasibility.js';
import { type OracleChannel, oracleAllocation } from './oracle.js';
import type { Scenario } from './scenario.js';
import { respond } from './trueCurve.js';

/** Spend step a marginal return is read over: small against any budget, large against rounding. */
const STEP = 1;

/** Relative band within which two marginal returns count as equal (an interior optimum's channels tie). */
const TIE = 0.02;

/**
 * The `known` policy: the optimizer's own rules with the scenario's true curves, so the gap between it and
 * the optimizer is what learning loses, and the gap between it and the oracle is what the rules cost.
 * - each channel within ±`maxDailyChange` of yesterday's total (the floors giving way in proportion when the
 *   budget cannot cover them), within its base and max;
 * - the exploration share placed as the product places it, as floors inside the budget: after a first plan
 *   without it, each explorable channel's chance that its next unit beats the portfolio's margin (certain,
 *   even or none, with the truth known) splits the share, within each channel's room;
 * - the target CPA, when set, met on the true curves.
 * The curves are the day's true steady-state ones (its weekday and event multipliers), as the oracle's.
 */
export const knownAllocation = (scenario: Scenario, multipliers: readonly number[], previous: readonly number[]): number[] => {
  const { channels, dailyBudget, explorationShare, maxDailyChange, targetCpa } = scenario;
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  const bases = channels.map((c) => c.base);
  const lows = shrinkToBudget(
    channels.map((c, i) => clamp(previous[i]! * (1 - maxDailyChange), c.base, c.max)),
    bases,
    bases,
    dailyBudget,
  );
  const highs = channels.map((c, i) => Math.max(lows[i]!, clamp(previous[i]! * (1 + maxDailyChange), c.base, c.max)));
  const within = (floors: readonly number[]): OracleChannel[] =>
    channels.map((c, i) => ({ base: floors[i]!, max: Math.max(floors[i]!, highs[i]!), curve: c.response, multiplier: multipliers[i]! }));

  const share = explorationShare * dailyBudget;
  const floorSum = lows.reduce((a, b) => a + b, 0);
  const first = oracleAllocation(within(lows), Math.max(floorSum, dailyBudget - share), targetCpa);
  const marginal = (i: number, spend: number) =>
    (multipliers[i]! * (respond(channels[i]!.response, spend + STEP) - respond(channels[i]!.response, spend))) / STEP;
  // The portfolio's margin, as the allocator reads it: the lowest marginal return among the channels the plan
  // funds above their floors, or the best one left when it funds none.
  const funded = first.flatMap((s, i) => (s > lows[i]! + STEP ? [marginal(i, s)] : []));
  const open = first.flatMap((s, i) => (s < highs[i]! - STEP ? [marginal(i, s)] : []));
  const margin = funded.length > 0 ? Math.min(...funded) : Math.max(0, ...open);
  const chances = channels.map((c, i): number => {
    if (!c.explore || highs[i]! <= c.base) return 0;
    const m = marginal(i, first[i]!);
    if (m > margin * (1 + TIE)) return 1;
    return m >= margin * (1 - TIE) ? 0.5 : 0;
  });
  const weight = chances.reduce((a, b) => a + b, 0);
  const exploration = channels.map((c, i) => (weight > 0 ? Math.min(highs[i]! - c.base, (share * chances[i]!) / weight) : 0));
  // Exploration is a floor, and never lifts the floors above what the budget holds.
  const floors = shrinkToBudget(
    lows.map((low, i) => Math.max(low, bases[i]! + exploration[i]!)),
    lows,
    bases,
    dailyBudget,
  );
  return oracleAllocation(within(floors), dailyBudget, targetCpa);
};

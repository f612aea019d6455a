import { daysBetween } from '../dates.js';
import { roundTo } from '../money.js';
import { substream } from '../random.js';
import type { ChannelPlan } from './plans.js';
import { drawableScales, drawCurves, expectedAt, type ResponseModel } from './responseModel.js';
import type { HistoryDay } from './schemas.js';

/**
 * What finance reads next to the decision: each channel's fitted curve with its uncertainty band, the
 * expected outcome of the plan with an interval, and the lift over splitting the same money as it was
 * spent lately (the optimized-versus-current comparison of Robyn's and Meridian's reports). All values are
 * incremental (the organic baseline left out, incrementality applied), in the objective's unit.
 */

/** Posterior draws per channel: enough for stable 10th/90th percentiles. */
const DRAWS = 200;
/** Evenly spaced spends from 0 to the channel's max, before the current and planned spends are added. */
const CURVE_STEPS = 8;
/** Days of history whose spend shares make the "as spent lately" split. */
const RECENT_DAYS = 14;
/** Portfolios up to this many channels carry curves in their snapshots (a DynamoDB item holds 400 KB). */
export const MAX_CHANNELS_WITH_CURVES = 60;

/** `[spend, low (10th percentile), mean, high (90th percentile)]`. */
export type CurvePoint = [number, number, number, number];

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;

/** The value model and its worth per unit: conversions, or revenue in currency. */
const valuation = (plan: ChannelPlan, objective: 'conversions' | 'revenue'): { model: ResponseModel; worth: number } =>
  objective === 'revenue'
    ? { model: plan.revenue, worth: plan.dayFactor * plan.incrementality * plan.orderValue }
    : { model: plan.conversions, worth: plan.dayFactor * plan.incrementality };

/** Draws of one channel's curve, from a stream of its own (deterministic per seed). */
const drawsOf = (model: ResponseModel, seed: number, channelId: string) =>
  drawCurves(model, substream(seed, `outlook:${channelId}`), DRAWS);

type Draws = ReturnType<typeof drawsOf>;

/**
 * Each draw's value at `spend` (expectedAt's for a drawn curve, a · (1 − e^(−spend / scale))), times `worth`,
 * into `out`: each scale's curve is read once, for every draw of that scale.
 */
const drawnValuesAt = (model: ResponseModel, draws: Draws, spend: number, worth: number, out: Float64Array) => {
  const curve = drawableScales(model).map((s) => (spend <= 0 ? 0 : -Math.expm1(-spend / s.scale)));
  for (let k = 0; k < out.length; k += 1) out[k] = worth * (spend <= 0 ? 0 : draws.a[k]! * curve[draws.scale[k]!]!);
  return out;
};

/** A channel's curve: mean and 10th–90th percentile band at spends across its range, the plan's included. */
const curveOf = (plan: ChannelPlan, objective: 'conversions' | 'revenue', draws: Draws, marks: number[]) => {
  const { model, worth } = valuation(plan, objective);
  const spends = [...Array.from({ length: CURVE_STEPS + 1 }, (_, i) => (plan.channel.max * i) / CURVE_STEPS), ...marks];
  const unique = [...new Set(spends.map((s) => roundTo(s, 2)))].sort((a, b) => a - b);
  const values = new Float64Array(draws.a.length);
  return unique.map((spend): CurvePoint => {
    drawnValuesAt(model, draws, spend, worth, values).sort();
    return [spend, roundTo(percentile(values, 0.1), 2), roundTo(worth * expectedAt(model, spend), 2), roundTo(percentile(values, 0.9), 2)];
  });
};

/** Each channel's recent share of spend, or of the bases when nothing was spent lately. */
const recentShares = (plans: readonly ChannelPlan[], history: readonly HistoryDay[], asOf: string): number[] => {
  const spend = new Map<string, number>();
  for (const d of history) {
    const age = daysBetween(d.date, asOf);
    if (age >= 1 && age <= RECENT_DAYS) spend.set(d.channelId, (spend.get(d.channelId) ?? 0) + d.spend);
  }
  const weights = plans.map((p) => spend.get(p.channel.id) ?? 0);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum > 0) return weights.map((w) => w / sum);
  const bases = plans.reduce((s, p) => s + p.channel.base, 0);
  return plans.map((p) => (bases > 0 ? p.channel.base / bases : 1 / plans.length));
};

export interface Outlook {
  readonly curves: Map<string, { unit: 'conversions' | 'revenue'; points: CurvePoint[] }>;
  readonly outcome: {
    readonly unit: 'conversions' | 'revenue';
    /** Expected incremental value of the plan, and its 10th–90th percentile interval. */
    readonly expected: number;
    readonly low: number;
    readonly high: number;
    /** The same total spent in the channels' shares of the last 14 days' spend. */
    readonly fixedShare: number;
    /** expected / fixedShare − 1; null when the fixed split expects nothing. */
    readonly lift: number | null;
  };
}

/** Curves, outcome interval and lift for a plan's totals (same order as `plans`). */
export const outlook = (
  plans: readonly ChannelPlan[],
  totals: readonly number[],
  objective: 'conversions' | 'revenue',
  history: readonly HistoryDay[],
  asOf: string,
  seed: number,
): Outlook => {
  const sums = new Float64Array(DRAWS);
  const values = new Float64Array(DRAWS);
  const curves = new Map<string, { unit: 'conversions' | 'revenue'; points: CurvePoint[] }>();
  let expected = 0;
  plans.forEach((plan, i) => {
    const { model, worth } = valuation(plan, objective);
    const draws = drawsOf(model, seed, plan.channel.id);
    const total = totals[i]!;
    drawnValuesAt(model, draws, total, worth, values);
    for (let k = 0; k < DRAWS; k += 1) sums[k]! += values[k]!;
    expected += worth * expectedAt(model, total);
    if (plans.length <= MAX_CHANNELS_WITH_CURVES) {
      const marks = [total, ...(plan.previousTotal === null ? [] : [plan.previousTotal])];
      curves.set(plan.channel.id, { unit: objective, points: curveOf(plan, objective, draws, marks) });
    }
  });
  sums.sort();
  const spent = totals.reduce((a, b) => a + b, 0);
  const fixedShare = recentShares(plans, history, asOf).reduce((s, share, i) => {
    const { model, worth } = valuation(plans[i]!, objective);
    return s + worth * expectedAt(model, share * spent);
  }, 0);
  return {
    curves,
    outcome: {
      unit: objective,
      expected: roundTo(expected, 2),
      low: roundTo(percentile(sums, 0.1), 2),
      high: roundTo(percentile(sums, 0.9), 2),
      fixedShare: roundTo(fixedShare, 2),
      lift: fixedShare > 0 ? roundTo(expected / fixedShare - 1, 4) : null,
    },
  };
};

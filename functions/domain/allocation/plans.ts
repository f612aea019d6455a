import { groupBy } from '../collections.js';
import type { Channel } from '../config.js';
import { daysBetween, weekday } from '../dates.js';
import { channelBounds } from './feasibility.js';
import { type Maturity, maturityOf, portfolioMaturity } from './maturity.js';
import { betweenVariance, ownShare } from './pooling.js';
import { expectedAt, FIT, fitResponse, type Observation, type ResponseModel } from './responseModel.js';
import type { AllocationInput, HistoryDay } from './schemas.js';

/** Pooled efficiency assumed with no data at all: a CPA of 50, or the target CPA when one is set. */
const COLD_START_CPA = 50;

/** Distinct days of data needed before weekday factors are estimated: three weeks. */
const WEEKLY_MIN_DAYS = 21;

/** Days either side of a day in the week its local level is read from. */
const HALF_WEEK = 3;

/**
 * Lower quantile a CPA or ROAS target is planned against: z of the 5th percentile of the portfolio's total
 * (see {@link portfolioCaution}), so that, if the posterior is honest, about one day in twenty lands over the
 * target. Measured on the target-CPA market (3 seeds, 75 days): each channel at its own 10th percentile gave
 * 0.823 of the oracle and 6.7 days over; the portfolio's 10th percentile 0.848 and 7.7 over; its 5th, 0.828
 * and 4.3 over.
 */
export const CAUTIOUS_PERCENTILE = 5;
/** The standard normal quantile of {@link CAUTIOUS_PERCENTILE}. */
const CAUTIOUS_Z = 1.6449;

/** One channel as the allocator sees it today: its fitted curves, the factors of today, and its bounds. */
export interface ChannelPlan {
  readonly channel: Channel;
  readonly conversions: ResponseModel;
  /** Revenue response, fitted in units of the portfolio's order value. */
  readonly revenue: ResponseModel;
  readonly orderValue: number;
  /** Today's day-of-week factor for this channel (1 without three weeks of data). */
  readonly dayFactor: number;
  /** The relative standard error of today's factor (0 without a weekly pattern). */
  readonly dayFactorError: number;
  /**
   * The part of that error the channel shares with every other, through the portfolio's pattern it leans
   * on: it moves all channels' totals together, while the rest of the error is the channel's own.
   */
  readonly dayFactorSharedError: number;
  /** Its factor for each weekday (0 = Sunday; all 1 without three weeks of data): how fit diagnostics read past days. */
  readonly weekFactors: readonly number[];
  /** The share of its reported conversions a lift test says the channel causes (1 when unknown). */
  readonly incrementality: number;
  readonly maturity: Maturity;
  /** The reported fraction of the last few days, for the reason: ages 0..2. */
  readonly recentMaturity: number | null;
  /** Its total in the plan in force now (`LATEST`), null when it had none. */
  readonly previousTotal: number | null;
  /** Its total when the day began, which the daily change limit is measured from; null when it had none. */
  readonly reference: number | null;
  readonly stopLoss: boolean;
  /** Bounds on the total: base and max, narrowed by the daily change limit ({@link channelBounds}). */
  readonly low: number;
  readonly high: number;
}

/** Incremental conversions per day the plan counts at `spend` (today's weekday, lift-tested share). */
export const incrementalAt = (plan: ChannelPlan, spend: number) =>
  plan.dayFactor * plan.incrementality * expectedAt(plan.conversions, spend);

/** Conversions the platform is expected to report at `spend`: organic baseline included. */
export const conversionsAt = (plan: ChannelPlan, spend: number) =>
  plan.dayFactor * (plan.conversions.baseline + expectedAt(plan.conversions, spend));

/** Revenue expected at `spend` (reported), and its incremental part. */
export const revenueAt = (plan: ChannelPlan, spend: number) =>
  plan.dayFactor * plan.orderValue * (plan.revenue.baseline + expectedAt(plan.revenue, spend));
export const incrementalRevenueAt = (plan: ChannelPlan, spend: number) =>
  plan.dayFactor * plan.incrementality * plan.orderValue * expectedAt(plan.revenue, spend);

/** The scales' spread around `mean`, the posterior's reading at `spend`, relative to it. */
const shapeSpread = (model: ResponseModel, spend: number, mean: number) => {
  if (!(mean > 0)) return 0;
  const variance = model.scales.reduce((sum, s) => sum + s.weight * (expectedAt(model, spend, s.level, s.scale) - mean) ** 2, 0);
  return Math.sqrt(variance) / mean;
};

/**
 * How far the curves the data leaves plausible disagree at `spend`, relative to their mean: each scale of the
 * posterior passes through the days the channel has had, so they agree where it has spent and part where
 * it has not (a ramp, a cap never left). The shape is a slow parameter, and this is its error.
 */
export const shapeError = (model: ResponseModel, spend: number) => shapeSpread(model, spend, expectedAt(model, spend));

/** The level's relative variance: its posterior's, widened by the overdispersion the fit measured. */
const levelVariance = (model: ResponseModel) => model.dispersion / Math.max(model.shape, 1e-9);

/**
 * A curve's relative uncertainty: its level's posterior, widened by the overdispersion the fit measured, and,
 * read at a `spend`, its shape's there.
 */
export const relativeError = (model: ResponseModel, spend?: number) =>
  Math.sqrt(levelVariance(model) + (spend === undefined ? 0 : shapeError(model, spend) ** 2));

/** Each scale's curve at the spend {@link cautiousAt} reads, reused from one reading to the next. */
let curveScratch = new Float64Array(32);

/**
 * A curve read `z` standard errors below its mean at `spend`, the error read there too, so the curve is read
 * cautiously where the channel has not spent and nearly as fitted where it has. The mean is read once: the
 * LP's rows read this at every breakpoint of every channel.
 */
const cautiousAt = (model: ResponseModel, spend: number, z: number) => {
  // Read on the mean (the caution's cost), the error is multiplied by 0: it is not worth reading.
  if (z === 0) return model.baseline + expectedAt(model, spend);
  // The mean and the scales' spread around it read each scale's curve once (expectedAt's and
  // shapeSpread's expressions, each scale's 1 − e^(−spend/scale) computed once for both).
  const { scales } = model;
  if (curveScratch.length < scales.length) curveScratch = new Float64Array(2 * scales.length);
  let mean = 0;
  if (!(spend <= 0)) {
    for (let k = 0; k < scales.length; k += 1) {
      const s = scales[k]!;
      curveScratch[k] = -Math.expm1(-spend / s.scale);
      mean = mean + s.weight * s.level * curveScratch[k]!;
    }
  }
  let spread = 0;
  if (mean > 0) {
    let variance = 0;
    for (let k = 0; k < scales.length; k += 1) {
      const s = scales[k]!;
      variance = variance + s.weight * (s.level * curveScratch[k]! - mean) ** 2;
    }
    spread = Math.sqrt(variance) / mean;
  }
  const error = Math.sqrt(levelVariance(model) + spread ** 2);
  return model.baseline + Math.max(0.3, 1 - z * error) * mean;
};

/**
 * A cautious reading of the conversions curve, `z` standard errors below its mean (by default its 5th
 * percentile), for planning against a target.
 */
export const cautiousConversionsAt = (plan: ChannelPlan, spend: number, z = CAUTIOUS_Z) =>
  plan.dayFactor * cautiousAt(plan.conversions, spend, z);
export const cautiousRevenueAt = (plan: ChannelPlan, spend: number, z = CAUTIOUS_Z) =>
  plan.dayFactor * plan.orderValue * cautiousAt(plan.revenue, spend, z);

/**
 * How many standard errors below their means the channels are read when a target binds their sum: the
 * portfolio's total misses by the root of the channels' summed variances, not by the sum of their errors,
 * so reading every channel at its own 5th percentile would plan the total far below its 5th percentile
 * and under-spend. Linearized at `totals` (a first plan): z · √Σ(eᵢ·vᵢ)² / Σ eᵢ·vᵢ, where vᵢ is a channel's
 * expected value and eᵢ its relative error.
 */
export const portfolioCaution = (plans: readonly ChannelPlan[], totals: readonly number[], of: 'conversions' | 'revenue') => {
  const values = plans.map((plan, i) => (of === 'conversions' ? incrementalAt(plan, totals[i]!) : incrementalRevenueAt(plan, totals[i]!)));
  const spreads = plans.map((plan, i) => relativeError(of === 'conversions' ? plan.conversions : plan.revenue, totals[i]) * values[i]!);
  const sum = spreads.reduce((a, b) => a + b, 0);
  if (sum <= 0) return CAUTIOUS_Z;
  // A weekday factor's shared error (the portfolio's pattern) moves the channels together, so it adds up
  // before squaring; its own part, like the curves' errors, is independent.
  const shared = plans.reduce((s, plan, i) => s + plan.dayFactorSharedError * values[i]!, 0);
  const own = plans.reduce((s, plan, i) => s + (plan.dayFactorError ** 2 - plan.dayFactorSharedError ** 2) * values[i]! ** 2, 0);
  return (CAUTIOUS_Z * Math.sqrt(spreads.reduce((a, b) => a + b * b, 0) + Math.max(0, own) + shared ** 2)) / sum;
};

interface ChannelData {
  readonly channel: Channel;
  /** The fit window's rows (six weeks), and the longer window's that the weekday factors read. */
  readonly rows: readonly HistoryDay[];
  readonly weekRows: readonly HistoryDay[];
  readonly maturity: Maturity;
}

/** The observations of a channel's rows: value, age, maturity and the weekday factor of each. */
const observe = (data: ChannelData, asOf: string, factors: readonly number[], outcomeOf: (d: HistoryDay) => number): Observation[] =>
  data.rows.map((d) => {
    const age = daysBetween(d.date, asOf);
    // maturityOf's reading, from the age already in hand: the latest value stands as of the day before.
    const maturity = data.maturity.at(age - 1);
    return {
      spend: d.spend,
      value: outcomeOf(d),
      age,
      maturity,
      exposure: maturity * factors[weekday(d.date)]!,
    };
  });

const FLAT = [1, 1, 1, 1, 1, 1, 1] as const;

/** χ² with 6 degrees of freedom at p = 0.05: a weekly pattern weaker than this is treated as noise. */
const WEEKLY_CHI2 = 12.59;

/** χ² of observed against expected counts per weekday, expected rescaled to the observed total. */
const weeklyChi2 = (observed: ArrayLike<number>, expected: ArrayLike<number>, dispersion: number) => {
  const o = Array.from(observed);
  const e = Array.from(expected);
  const scale =
    o.reduce((a, b) => a + b, 0) /
    Math.max(
      1e-9,
      e.reduce((a, b) => a + b, 0),
    );
  return o.reduce((s, v, w) => {
    const mean = e[w]! * scale;
    return mean > 0 ? s + (v - mean) ** 2 / (dispersion * mean) : s;
  }, 0);
};

/**
 * Day-of-week factors from a first fit's residuals, each day read against the level of the week around it.
 * The portfolio's pattern is kept only when it stands out from the day-to-day noise (χ², p < 0.05) against
 * a flat week. Each channel's own factors are then shrunk toward it by empirical Bayes: by how far channels
 * really differ from the portfolio's pattern (the spread of their factors beyond their sampling noise)
 * against how noisy the channel's own are. A channel with plenty of data keeps its own pattern, a small one
 * borrows the portfolio's, and the portfolio's is not the largest channel's alone. Each set averages 1, so a
 * channel's level stays its weekly mean. With fewer than three weeks of data, every factor is 1.
 */
interface WeeklyFactors {
  /** Per channel, the factor of each weekday (0 = Sunday), averaging 1. */
  readonly factors: number[][];
  /** Per channel, each factor's relative standard error: what a few weeks of each weekday leave unknown. */
  readonly errors: number[][];
  /** Per channel, the part of that error that comes from the portfolio's pattern, shared by every channel. */
  readonly sharedErrors: number[][];
}

const weeklyFactors = (channels: readonly ChannelData[], asOf: string, fits: readonly ResponseModel[]): WeeklyFactors => {
  // Counted only as far as the threshold: every channel's every row's date listed and deduplicated was a
  // twelfth of this function, to learn that a portfolio's history spans more than three weeks.
  const dates = new Set<string>();
  for (const c of channels) {
    for (const d of c.weekRows) dates.add(d.date);
    if (dates.size >= WEEKLY_MIN_DAYS) break;
  }
  const none = () => channels.map(() => [0, 0, 0, 0, 0, 0, 0]);
  if (dates.size < WEEKLY_MIN_DAYS) return { factors: channels.map(() => [...FLAT]), errors: none(), sharedErrors: none() };
  const sums = channels.map((data, i) => {
    const fit = fits[i]!;
    // Each day by age: reported, expected from the curve at its spend (at its maturity), and its weekday.
    const oldest = data.weekRows.reduce((max, d) => Math.max(max, daysBetween(d.date, asOf)), 0);
    const y = new Float64Array(oldest + 1);
    const e = new Float64Array(oldest + 1);
    const day = new Int8Array(oldest + 1).fill(-1);
    for (const d of data.weekRows) {
      const age = daysBetween(d.date, asOf);
      y[age] = d.conversions;
      e[age] = data.maturity.at(age - 1) * (fit.baseline + expectedAt(fit, d.spend));
      day[age] = weekday(d.date);
    }
    // Each day is read against the level of the week centred on it (classical seasonal decomposition), so a
    // level that drifted or shifted over sixteen weeks, away from the recent curve, does not read as a
    // weekday's effect. Days without a whole week around them (the newest three, gaps) are left out.
    const observed = new Float64Array(7);
    const expected = new Float64Array(7);
    const rows: { y: number; e: number; w: number }[] = [];
    for (let age = HALF_WEEK; age + HALF_WEEK <= oldest; age += 1) {
      if (day[age]! < 0) continue;
      let weekY = 0;
      let weekE = 0;
      let whole = true;
      for (let k = age - HALF_WEEK; k <= age + HALF_WEEK; k += 1) {
        whole &&= day[k]! >= 0;
        weekY += y[k]!;
        weekE += e[k]!;
      }
      if (!whole || !(weekY > 0 && weekE > 0)) continue;
      const local = e[age]! * (weekY / weekE);
      const w = day[age]!;
      observed[w]! += y[age]!;
      expected[w]! += local;
      rows.push({ y: y[age]!, e: local, w });
    }
    // The noise around each weekday's own level: a weekly pattern must stand out from this, not from the
    // first fit's residuals, which the pattern itself inflates.
    const ratio = Array.from(observed, (o, w) => (expected[w]! > 0 ? o / expected[w]! : 1));
    const chi2 = rows.reduce((s, r) => {
      const mean = Math.max(1e-9, r.e * ratio[r.w]!);
      return s + (r.y - mean) ** 2 / mean;
    }, 0);
    const dispersion = Math.max(1, chi2 / Math.max(1, rows.length - 7));
    return { observed, expected, dispersion };
  });
  const normalize = (f: number[]) => {
    const mean = f.reduce((a, b) => a + b, 0) / 7;
    return f.map((v) => (mean > 0 ? v / mean : 1));
  };
  const total = (pick: (c: (typeof sums)[number]) => Float64Array) =>
    Array.from({ length: 7 }, (_, w) => sums.reduce((s, c) => s + pick(c)[w]!, 0));
  const dispersion = sums.reduce((s, c) => s + c.dispersion, 0) / Math.max(1, sums.length);
  const significant =
    weeklyChi2(
      total((c) => c.observed),
      total((c) => c.expected),
      dispersion,
    ) >= WEEKLY_CHI2;
  // Each channel's own factors and their sampling variances (a ratio of counts: φ / count, relative).
  const own = sums.map((c) => ({
    factors: normalize(Array.from(c.observed, (o, w) => (c.expected[w]! > 0 && o > 0 ? o / c.expected[w]! : 1))),
    variances: Array.from(c.observed, (o) => (o > 0 ? c.dispersion / o : Number.POSITIVE_INFINITY)),
  }));
  // The portfolio's pattern (flat when it does not stand out): each channel weighs by its precision.
  const precision = Array.from({ length: 7 }, (_, w) => own.reduce((s, o) => s + 1 / o.variances[w]!, 0));
  const pattern = significant
    ? normalize(
        Array.from({ length: 7 }, (_, w) => own.reduce((s, o) => s + o.factors[w]! / o.variances[w]!, 0) / Math.max(1e-12, precision[w]!)),
      )
    : [...FLAT];
  // How far channels really differ from it, beyond their sampling noise, per weekday, averaged over the week.
  const spread =
    Array.from({ length: 7 }, (_, w) =>
      betweenVariance(
        own.map((o) => o.factors[w]!),
        own.map((o) => o.variances[w]!),
        significant ? undefined : 1,
      ),
    ).reduce((a, b) => a + b, 0) / 7;
  // The pattern's own variance, each channel weighing as it did counting that spread as noise too.
  const patternVariances = significant
    ? Array.from(
        { length: 7 },
        (_, w) =>
          1 /
          Math.max(
            1e-12,
            own.reduce((s, o) => s + 1 / (o.variances[w]! + spread), 0),
          ),
      )
    : [0, 0, 0, 0, 0, 0, 0];
  const shrunk = own.map((o, c) => {
    // Without a portfolio pattern, a channel keeps a pattern of its own only when it stands out from a flat
    // week on its own: otherwise noise alone would give every channel a week.
    if (!significant && weeklyChi2(sums[c]!.observed, sums[c]!.expected, sums[c]!.dispersion) < WEEKLY_CHI2) {
      return { factors: [...FLAT], errors: [0, 0, 0, 0, 0, 0, 0], sharedErrors: [0, 0, 0, 0, 0, 0, 0] };
    }
    // The share of its own factor a channel keeps: its precision against the channels' spread.
    const keep = o.variances.map((v) => ownShare(spread, v));
    return {
      factors: normalize(Array.from({ length: 7 }, (_, w) => keep[w]! * o.factors[w]! + (1 - keep[w]!) * pattern[w]!)),
      errors: Array.from({ length: 7 }, (_, w) =>
        Math.sqrt((keep[w]! > 0 ? keep[w]! ** 2 * o.variances[w]! : 0) + (1 - keep[w]!) ** 2 * patternVariances[w]!),
      ),
      sharedErrors: Array.from({ length: 7 }, (_, w) => (1 - keep[w]!) * Math.sqrt(patternVariances[w]!)),
    };
  });
  return { factors: shrunk.map((o) => o.factors), errors: shrunk.map((o) => o.errors), sharedErrors: shrunk.map((o) => o.sharedErrors) };
};

/**
 * Fits every channel and sets today's bounds. Maturity comes first (so immature days are read at their
 * reported share), then a first fit gives the weekday factors, and a second fit uses both.
 */
export const buildPlans = (input: AllocationInput): ChannelPlan[] => {
  const { portfolio, history, previous, asOf } = input;
  const known = new Set(portfolio.channels.map((c) => c.id));
  const long = history.filter((d) => known.has(d.channelId) && daysBetween(d.date, asOf) < FIT.weeklyLookbackDays && d.date < asOf);
  const recent = long.filter((d) => daysBetween(d.date, asOf) < FIT.lookbackDays);
  const maturities = portfolioMaturity(portfolio, recent, asOf);
  const byChannel = groupBy(recent, (d) => d.channelId);
  const longByChannel = groupBy(long, (d) => d.channelId);
  const channels: ChannelData[] = portfolio.channels.map((channel) => ({
    channel,
    rows: byChannel.get(channel.id) ?? [],
    weekRows: longByChannel.get(channel.id) ?? [],
    maturity: maturities.get(channel.id)!,
  }));

  // Pooled priors: efficiency per unit of matured spend, and the order value revenue is counted in.
  const matured = (d: HistoryDay) => maturityOf(maturities.get(d.channelId)!, d.date, asOf);
  const spend = recent.reduce((s, d) => s + d.spend * matured(d), 0);
  const conversions = recent.reduce((s, d) => s + d.conversions, 0);
  const revenue = recent.reduce((s, d) => s + (d.revenue ?? 0), 0);
  const coldEfficiency = 1 / (portfolio.objective.targetCpa ?? COLD_START_CPA);
  const guessed = !(spend > 0 && conversions > 0);
  const conversionEfficiency = guessed ? coldEfficiency : conversions / spend;
  // Revenue is fitted in units of the portfolio's order value, so its counts keep Poisson-like uncertainty.
  const orderValue = conversions > 0 && revenue > 0 ? revenue / conversions : 1;
  const revenueEfficiency = revenue > 0 ? revenue / orderValue / Math.max(spend, 1) : conversionEfficiency;
  const typical = portfolio.budget.daily / portfolio.channels.length;

  const fit = (
    data: ChannelData,
    factors: readonly number[],
    outcomeOf: (d: HistoryDay) => number,
    efficiency: number,
    chosen?: ResponseModel,
  ) =>
    fitResponse(
      data.channel.id,
      observe(data, asOf, factors, outcomeOf),
      { efficiency, guessed, adstock: data.channel.adstockPrior, decay: chosen?.adstock, baseline: chosen && chosen.baseline > 0 },
      Math.max(data.channel.base, typical),
    );
  // The first fit chooses each channel's carryover and whether it has an organic baseline; the later fits
  // of the same days keep both choices.
  const first = channels.map((data) => fit(data, FLAT, (d) => d.conversions, conversionEfficiency));
  const { factors, errors, sharedErrors } = weeklyFactors(channels, asOf, first);

  const previousTotals = new Map(previous?.channels.map((c) => [c.channelId, c.total]) ?? []);
  const bounds = channelBounds(input);
  const today = weekday(asOf);
  return channels.map((data, i) => {
    const { channel } = data;
    const flat = factors[i]!.every((f) => f === 1);
    const conversionModel = flat ? first[i]! : fit(data, factors[i]!, (d) => d.conversions, conversionEfficiency, first[i]);
    const revenueModel = fit(data, factors[i]!, (d) => (d.revenue ?? 0) / orderValue, revenueEfficiency, first[i]);
    const { reference, stopLoss: stop, low, high } = bounds[i]!;
    const recentMaturity = data.maturity.known ? data.maturity.at(0) : null;
    return {
      channel,
      conversions: conversionModel,
      revenue: revenueModel,
      orderValue,
      dayFactor: factors[i]![today]!,
      dayFactorError: errors[i]![today]!,
      dayFactorSharedError: sharedErrors[i]![today]!,
      weekFactors: factors[i]!,
      incrementality: channel.incrementality ?? 1,
      maturity: data.maturity,
      recentMaturity,
      previousTotal: previousTotals.get(channel.id) ?? null,
      reference,
      stopLoss: stop,
      low,
      high,
    };
  });
};

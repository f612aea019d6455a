import { maturityOf } from '../allocation/maturity.js';
import { buildPlans, type ChannelPlan, conversionsAt } from '../allocation/plans.js';
import { drawCurve, FIT } from '../allocation/responseModel.js';
import type { AllocationInput, HistoryDay } from '../allocation/schemas.js';
import { groupBy } from '../collections.js';
import type { Portfolio } from '../config.js';
import { addDays, weekday } from '../dates.js';
import { roundTo } from '../money.js';
import { gamma, normal, poisson, type Random, substream } from '../random.js';
import { historyRange } from '../snapshots.js';
import type { ChannelDiagnostics, DiagnosticDay, Diagnostics } from './schemas.js';
import { channelFlags, summaryOf } from './words.js';

/** Tuning, in one place, with the reason for each value. */
export const DIAGNOSTICS = {
  /**
   * Held-out days, each predicted by a model fitted on the days before it: every one costs a refit of the
   * whole portfolio, so they are bounded. Two weeks give each weekday twice and 14 chances for the band.
   */
  heldOutDays: 14,
  /** The recent part of the held-out days, judged against the days before it. */
  recentDays: 7,
  /** Draws of the predictive distribution per channel-day: enough for stable 10th and 90th percentiles. */
  draws: 200,
  /** The band: 10th to 90th percentile of the reported value. */
  band: [0.1, 0.9] as const,
} as const;

/** What the diagnostics read: the same portfolio and history rows (with revisions) an allocation reads. */
export interface DiagnosticsInput {
  readonly portfolio: Portfolio;
  /** Daily rows reaching back at least {@link diagnosticsRange}'s `from`; older or later rows are ignored. */
  readonly history: readonly HistoryDay[];
  /** Today: the latest fit plans for it, and the held-out days end the day before. */
  readonly asOf: string;
  readonly seed: number;
}

/**
 * The days of history diagnostics need: what a reallocation on the first held-out day would read, up to
 * yesterday: its daily totals from `from`, their revisions from `revisionsFrom`. Defined by the reallocation's
 * own range, so a longer fit window lengthens this one too.
 */
export const diagnosticsRange = (asOf: string) => {
  const { from, revisionsFrom } = historyRange(addDays(asOf, -DIAGNOSTICS.heldOutDays));
  return { from, revisionsFrom, to: addDays(asOf, -1) };
};

/**
 * A row as it stood at the end of the day before `day`: a revision's value stands through its `reportedOn`
 * (docs/allocation.md), so the value then is the first revision reported on or after that day, and only the
 * revisions before it were known. A held-out day is predicted from what was known the day before it.
 */
export const asItStood = (row: HistoryDay, day: string): HistoryDay => {
  const end = addDays(day, -1);
  const revisions = row.revisions ?? [];
  const standing = revisions.find((r) => r.reportedOn >= end);
  if (!standing) return row;
  const { revisions: _later, ...latest } = row;
  const earlier = revisions.filter((r) => r.reportedOn < end);
  return {
    ...latest,
    conversions: standing.conversions,
    ...(standing.revenue === undefined ? {} : { revenue: standing.revenue }),
    ...(earlier.length > 0 ? { revisions: earlier } : {}),
  };
};

/** The allocator's own fits of every channel for `asOf`, from the rows known by then (no plan in force: bounds do not matter here). */
const plansAsOf = (input: DiagnosticsInput, asOf: string): ChannelPlan[] => {
  const known = input.history.filter((row) => row.date < asOf).map((row) => asItStood(row, asOf));
  const allocationInput: AllocationInput = {
    portfolio: input.portfolio,
    history: known,
    previous: null,
    stopLoss: [],
    releaseReserve: false,
    asOf,
    seed: input.seed,
  };
  return buildPlans(allocationInput);
};

/**
 * Adstocked spend on `date`: `(1 − λ)·Σ λ^k·spend_{t−k}` renormalized over the days seen, as the fit reads
 * it (equal to the day's spend without carryover, which is what the model chose for most channels).
 */
const effectiveSpend = (spends: ReadonlyMap<string, number>, date: string, decay: number, earliest: string): number => {
  const today = spends.get(date) ?? 0;
  if (decay === 0) return today;
  let sum = 0;
  let weight = 0;
  for (let k = 0, day = date; k < 30 && day >= earliest; k += 1, day = addDays(day, -1)) {
    sum += decay ** k * (spends.get(day) ?? 0);
    weight += decay ** k;
  }
  return weight > 0 ? sum / weight : today;
};

/**
 * A draw of a day's reported count: the curve drawn from its posterior (as the outlook's band draws it), the
 * weekday factor within its own error, then the day's noise, overdispersed as the fit measured (φ): a
 * negative binomial with variance φ·mean, as a Gamma mixture of Poissons.
 */
const drawReported = (plan: ChannelPlan, spend: number, exposure: number, random: Random): number => {
  const model = plan.conversions;
  const { a, scale } = drawCurve(model, random);
  const factor = plan.dayFactor * Math.exp(plan.dayFactorError * normal(random) - plan.dayFactorError ** 2 / 2);
  const mean = exposure * factor * (model.baseline + a * -Math.expm1(-spend / scale));
  if (mean <= 0) return 0;
  const excess = model.dispersion - 1;
  return poisson(random, excess > 1e-6 ? excess * gamma(random, mean / excess) : mean);
};

const percentile = (sorted: Float64Array, p: number) => sorted[Math.round(p * (sorted.length - 1))]!;

/** One held-out channel-day: the reported value, the forecast, its band, and its expected absolute error and variance. */
interface Forecast {
  readonly reported: number;
  readonly predicted: number;
  readonly low: number;
  readonly high: number;
  readonly noiseError: number;
  readonly variance: number;
}

const forecastOf = (plan: ChannelPlan, row: HistoryDay, spend: number, exposure: number, seed: number): Forecast => {
  const predicted = exposure * conversionsAt(plan, spend);
  const random = substream(seed, `diagnostics:${plan.channel.id}:${row.date}`);
  const draws = Float64Array.from({ length: DIAGNOSTICS.draws }, () => drawReported(plan, spend, exposure, random));
  let absolute = 0;
  let squares = 0;
  for (const y of draws) {
    absolute += Math.abs(y - predicted);
    squares += (y - predicted) ** 2;
  }
  draws.sort();
  return {
    reported: row.conversions,
    predicted,
    low: percentile(draws, DIAGNOSTICS.band[0]),
    high: percentile(draws, DIAGNOSTICS.band[1]),
    noiseError: absolute / draws.length,
    variance: squares / draws.length,
  };
};

/** Σ of a quantity over forecasts, divided by what was reported: a weighted MAPE and its relatives. */
const ratio = (forecasts: readonly Forecast[], of: (f: Forecast) => number): number | null => {
  const reported = forecasts.reduce((s, f) => s + f.reported, 0);
  return reported > 0 ? forecasts.reduce((s, f) => s + of(f), 0) / reported : null;
};
const noiseRatio = (forecasts: readonly Forecast[]): number | null => {
  const predicted = forecasts.reduce((s, f) => s + f.predicted, 0);
  return predicted > 0 ? forecasts.reduce((s, f) => s + f.noiseError, 0) / predicted : null;
};
const share = (value: number | null) => (value === null ? null : roundTo(value, 4));

/** The numbers of one channel's held-out days (or of a whole portfolio's). */
export const scoreOf = (forecasts: readonly Forecast[]) => {
  const held = forecasts.filter((f) => f.reported >= f.low && f.reported <= f.high).length;
  return {
    error: ratio(forecasts, (f) => Math.abs(f.reported - f.predicted)),
    // What a right model would miss, over what it expects: divided by what was reported instead, a collapse
    // in the reported values would inflate the very yardstick it is judged against.
    noiseError: noiseRatio(forecasts),
    bias: ratio(forecasts, (f) => f.predicted - f.reported),
    coverage: { held, days: forecasts.length, share: forecasts.length > 0 ? share(held / forecasts.length) : null },
    reported: forecasts.reduce((s, f) => s + f.reported, 0),
    /** How far the summed miss is from zero, in standard deviations of the predictive distribution. */
    biasZ:
      forecasts.reduce((s, f) => s + f.predicted - f.reported, 0) /
      Math.sqrt(
        Math.max(
          1e-9,
          forecasts.reduce((s, f) => s + f.variance, 0),
        ),
      ),
  };
};
export type Score = ReturnType<typeof scoreOf>;

export interface DiagnoseOptions {
  /** Milliseconds now, for `computation.ms`; without one it is 0 (the domain reads no clock). */
  readonly timer?: () => number;
}

/**
 * Fit diagnostics for a portfolio: for each of the last {@link DIAGNOSTICS.heldOutDays} days, the allocator's
 * own fit (`buildPlans`) on the data known the day before predicts the day's reported conversions with an
 * 80% band; the latest fit gives each day of its window a fitted value. Per channel: the one-day-ahead error
 * (wMAPE), the error noise alone would give, the band's coverage, and flags; for the portfolio, a verdict in
 * words. Deterministic for a seed.
 */
export const diagnose = (input: DiagnosticsInput, options: DiagnoseOptions = {}): Diagnostics => {
  const timer = options.timer ?? (() => 0);
  const started = timer();
  const { portfolio, asOf } = input;
  const heldOutFrom = addDays(asOf, -DIAGNOSTICS.heldOutDays);
  const windowFrom = addDays(asOf, -FIT.lookbackDays);
  const rows = groupBy(
    input.history.filter((row) => row.date < asOf),
    (row) => row.channelId,
  );
  const spendsOf = new Map(portfolio.channels.map((c) => [c.id, new Map((rows.get(c.id) ?? []).map((r) => [r.date, r.spend]))]));
  const earliestOf = (channelId: string) => (rows.get(channelId) ?? []).reduce((min, r) => (r.date < min ? r.date : min), asOf);

  const forecasts = new Map<string, Map<string, Forecast>>(portfolio.channels.map((c) => [c.id, new Map()]));
  for (let day = heldOutFrom; day < asOf; day = addDays(day, 1)) {
    const plans = plansAsOf(input, day);
    for (const plan of plans) {
      const row = rows.get(plan.channel.id)?.find((r) => r.date === day);
      if (!row) continue;
      const spend = effectiveSpend(spendsOf.get(plan.channel.id)!, day, plan.conversions.adstock, addDays(day, -FIT.lookbackDays));
      // The reported value is read as it stands now, so the forecast is scaled by how far the day has matured.
      const exposure = maturityOf(plan.maturity, day, asOf);
      forecasts.get(plan.channel.id)!.set(day, forecastOf(plan, row, spend, exposure, input.seed));
    }
  }

  const latest = plansAsOf(input, asOf);
  const channels = latest.map((plan): ChannelDiagnostics => {
    const id = plan.channel.id;
    const own = forecasts.get(id)!;
    const days = (rows.get(id) ?? [])
      .filter((row) => row.date >= windowFrom)
      .sort((x, y) => (x.date < y.date ? -1 : 1))
      .map((row): DiagnosticDay => {
        const spend = effectiveSpend(spendsOf.get(id)!, row.date, plan.conversions.adstock, earliestOf(id));
        // The plan's own reading of a day's conversions, at that day's weekday factor instead of today's.
        const fitted =
          maturityOf(plan.maturity, row.date, asOf) * conversionsAt({ ...plan, dayFactor: plan.weekFactors[weekday(row.date)]! }, spend);
        const forecast = own.get(row.date);
        return {
          date: row.date,
          spend: row.spend,
          reported: row.conversions,
          fitted: roundTo(fitted, 2),
          ...(forecast
            ? { predicted: roundTo(forecast.predicted, 2), low: roundTo(forecast.low, 2), high: roundTo(forecast.high, 2) }
            : {}),
        };
      });
    const all = [...own.values()];
    const recentFrom = addDays(asOf, -DIAGNOSTICS.recentDays);
    const recent = [...own].filter(([date]) => date >= recentFrom).map(([, f]) => f);
    const earlier = [...own].filter(([date]) => date < recentFrom).map(([, f]) => f);
    const score = scoreOf(all);
    const recentScore = scoreOf(recent);
    const earlierError = scoreOf(earlier).error;
    const usual = recentScore.noiseError === null ? earlierError : Math.max(earlierError ?? 0, recentScore.noiseError);
    return {
      channelId: id,
      name: plan.channel.name ?? id,
      error: share(score.error),
      noiseError: share(score.noiseError),
      recentError: share(recentScore.error),
      earlierError: share(earlierError),
      usualError: share(usual),
      bias: share(score.bias),
      coverage: score.coverage,
      reported: roundTo(score.reported, 2),
      flags: channelFlags(score, { error: recentScore.error, reported: recentScore.reported, usual, days: recent.length }),
      days,
    };
  });

  const portfolioScore = scoreOf([...forecasts.values()].flatMap((f) => [...f.values()]));
  const heldOutDates = new Set([...forecasts.values()].flatMap((f) => [...f.keys()]));
  return {
    portfolioId: portfolio.id,
    asOf,
    metric: 'wmape',
    window: { from: windowFrom, to: addDays(asOf, -1) },
    heldOut: { from: heldOutFrom, to: addDays(asOf, -1), days: heldOutDates.size },
    summary: summaryOf(portfolioScore, heldOutDates.size, channels),
    channels,
    computation: { fits: DIAGNOSTICS.heldOutDays + 1, ms: roundTo(timer() - started, 1) },
  };
};

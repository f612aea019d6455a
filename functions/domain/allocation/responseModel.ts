import { daysBetween } from '../dates.js';
import type { HistoryDay } from './schemas.js';

/**
 * A channel's fitted response: expected value per day at spend s is `a · (1 − e^(−s/θ))`, a saturating
 * curve whose slope `a/θ` at zero spend is its best efficiency. `a` carries a Gamma(shape, rate) posterior,
 * the conjugate of Poisson counts, so uncertainty shrinks as (recent, weighted) data accumulates.
 */
export interface ResponseModel {
  readonly channelId: string;
  /** Saturation scale θ in currency units. */
  readonly scale: number;
  /** Posterior of the saturation level `a`. */
  readonly shape: number;
  readonly rate: number;
  /** Effective (recency-weighted) number of observed days. */
  readonly evidence: number;
  /** True when a shift was detected and only the recent days were used. */
  readonly regimeShift: boolean;
}

/** How the curve is read: the posterior mean of `a`, or a sampled `a` (Thompson). */
export const level = (model: ResponseModel): number => model.shape / model.rate;

/** Expected value per day at `spend`. */
export const expectedAt = (model: ResponseModel, spend: number, a = level(model)): number =>
  spend <= 0 ? 0 : a * -Math.expm1(-spend / model.scale);

/** Marginal value of the next currency unit at `spend`. */
export const marginalAt = (model: ResponseModel, spend: number, a = level(model)): number =>
  (a / model.scale) * Math.exp(-Math.max(0, spend) / model.scale);

/** Posterior coefficient of variation of the level: 1/√shape. */
export const uncertainty = (model: ResponseModel): number => 1 / Math.sqrt(model.shape);

/** Tuning, in one place, with the reason for each value. */
export const FIT = {
  /** Days looked back: six weeks covers weekly cycles without remembering last quarter. */
  lookbackDays: 42,
  /** A day's weight halves every 7 days, so the fit leans on the last two weeks. */
  halfLifeDays: 7,
  /** Recent window tested for a regime change, and kept alone when one is found. */
  recentDays: 6,
  /** Poisson z-score of the recent window's misfit that counts as a regime change. */
  shiftZ: 3.5,
  /** Pearson residual beyond which a day is down-weighted as an outlier (Huber-like). */
  outlierZ: 3,
  /** Prior strength in pseudo-days: weak, so a week of data outweighs it. */
  priorDays: 1.5,
  /** Candidate scales, as multiples of the channel's typical spend. */
  scaleGrid: Array.from({ length: 25 }, (_, i) => 0.25 * 1.25 ** i),
  /** Standard deviation of the log-scale prior: scale is weakly tied to the typical spend. */
  scalePriorSd: 1.2,
} as const;

/** What the portfolio's pooled data says a channel without history should expect. */
export interface PortfolioPrior {
  /** Pooled value per currency unit (conversions or revenue per unit spent). */
  readonly efficiency: number;
}

interface Observation {
  readonly spend: number;
  readonly value: number;
  /** Days before `asOf`. */
  readonly age: number;
  /** Recency weight, lowered for outliers. */
  weight: number;
}

/** The fitted level and log-likelihood for one candidate scale. */
const fitAtScale = (points: readonly Observation[], scale: number, prior: { shape: number; typical: number; efficiency: number }) => {
  // Prior mean of `a` such that the curve passes through the pooled efficiency at the typical spend.
  const priorLevel = (prior.efficiency * prior.typical) / -Math.expm1(-prior.typical / scale);
  let shape = prior.shape;
  let rate = prior.shape / priorLevel;
  for (const p of points) {
    shape += p.weight * p.value;
    rate += p.weight * -Math.expm1(-p.spend / scale);
  }
  const a = shape / rate;
  let logLikelihood = 0;
  for (const p of points) {
    const mean = Math.max(1e-9, a * -Math.expm1(-p.spend / scale));
    logLikelihood += p.weight * (p.value * Math.log(mean) - mean);
  }
  const z = Math.log(scale / (2 * prior.typical)) / FIT.scalePriorSd;
  return { scale, shape, rate, score: logLikelihood - 0.5 * z * z };
};

const bestFit = (points: readonly Observation[], prior: { shape: number; typical: number; efficiency: number }) => {
  let best = fitAtScale(points, FIT.scaleGrid[0]! * prior.typical, prior);
  for (const multiple of FIT.scaleGrid.slice(1)) {
    const candidate = fitAtScale(points, multiple * prior.typical, prior);
    if (candidate.score > best.score) best = candidate;
  }
  return best;
};

/**
 * Fits a channel's response from its history up to `asOf`:
 * - days weigh 0.5^(age/7): recent days lead, and a shifted market is followed within days;
 * - zero-spend days are left out (the curve passes through zero by construction);
 * - outliers are down-weighted after a first fit (Huber-like, on Pearson residuals);
 * - if the last 6 days miss the fit by more than 3.5 Poisson standard errors, the market has shifted,
 *   and only those days are kept;
 * - with few or no points, the prior from the portfolio (pooled efficiency at a typical spend) decides.
 * `outcomeOf` picks what is maximized: conversions, or revenue in units of the portfolio's order value.
 */
export const fitResponse = (
  channelId: string,
  history: readonly HistoryDay[],
  asOf: string,
  prior: PortfolioPrior,
  typicalSpend: number,
  outcomeOf: (day: HistoryDay) => number,
): ResponseModel => {
  const points: Observation[] = history
    .filter((d) => d.channelId === channelId && d.spend > 0)
    .map((d) => ({ d, age: daysBetween(d.date, asOf) }))
    .filter(({ age }) => age >= 0 && age < FIT.lookbackDays)
    .map(({ d, age }) => ({ spend: d.spend, value: outcomeOf(d), weight: 0.5 ** (age / FIT.halfLifeDays), age }));
  const spendWeight = points.reduce((s, p) => s + p.weight, 0);
  const typical = spendWeight > 0 ? points.reduce((s, p) => s + p.weight * p.spend, 0) / spendWeight : Math.max(1, typicalSpend);
  const priorShape = FIT.priorDays * Math.max(1e-6, prior.efficiency * typical);
  const settings = { shape: Math.max(0.5, priorShape), typical, efficiency: Math.max(1e-9, prior.efficiency) };

  let fit = bestFit(points, settings);
  // Outliers: one reweighting pass.
  const a = fit.shape / fit.rate;
  let reweighted = false;
  for (const p of points) {
    const mean = a * -Math.expm1(-p.spend / fit.scale);
    const residual = Math.abs(p.value - mean) / Math.sqrt(mean + 1);
    if (residual > FIT.outlierZ) {
      p.weight *= (FIT.outlierZ / residual) ** 2;
      reweighted = true;
    }
  }
  if (reweighted) fit = bestFit(points, settings);

  // Regime change: does the recent window disagree with the whole fit?
  const recent = points.filter((p) => p.age < FIT.recentDays);
  let regimeShift = false;
  if (recent.length >= 3 && recent.length < points.length) {
    const level = fit.shape / fit.rate;
    const expected = recent.reduce((s, p) => s + level * -Math.expm1(-p.spend / fit.scale), 0);
    const observed = recent.reduce((s, p) => s + p.value, 0);
    if (Math.abs(observed - expected) / Math.sqrt(expected + 1) > FIT.shiftZ) {
      regimeShift = true;
      // Keep the learned shape of the curve (its scale) and relearn its level from the recent days only.
      fit = fitAtScale(recent, fit.scale, settings);
    }
  }
  const evidence = (regimeShift ? recent : points).reduce((s, p) => s + p.weight, 0);
  return { channelId, scale: fit.scale, shape: fit.shape, rate: fit.rate, evidence, regimeShift };
};

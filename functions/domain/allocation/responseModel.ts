import type { Random } from '../random.js';
import { gamma } from '../random.js';

/**
 * A channel's fitted response. Expected value on a day with (adstocked) spend E is
 *
 *   exposure · (baseline + a · (1 − e^(−E/θ)))
 *
 * where `exposure` is what is known about that day before the fit (its maturity, the share of its final
 * conversions reported so far, times its day-of-week factor), `baseline` is what would happen at zero spend
 * (organic conversions the channel gets credit for but does not cause), and `a · (1 − e^(−E/θ))` is the
 * channel's incremental effect: a saturating curve whose slope `a/θ` at zero is its best efficiency.
 * E is geometric adstock, `(1 − λ) · Σ λ^k · spend_{t−k}`: equal to spend when it is sustained, so a plan
 * reads the curve at its daily spend (the value of keeping that spend up).
 *
 * `a` carries a Gamma posterior (conjugate to Poisson counts) and θ a posterior over a grid. Carryover and a
 * baseline each cost a parameter: they are kept only when they improve the quasi-likelihood (the Poisson
 * likelihood divided by the overdispersion the residuals show) by more than that cost, so clean data fits
 * exactly as a plain curve through zero would.
 */
export interface ResponseModel {
  readonly channelId: string;
  /** Saturation scale θ in currency units (the posterior mode). */
  readonly scale: number;
  /** Posterior of the saturation level `a`. */
  readonly shape: number;
  readonly rate: number;
  /** Posterior weights over candidate scales, for Thompson draws of the curve's shape. */
  readonly scales: readonly { readonly scale: number; readonly weight: number; readonly level: number }[];
  /** Adstock decay λ: the share of a day's effect carried to the next. */
  readonly adstock: number;
  /** Organic value per day at zero spend (weekday-average, fully matured). */
  readonly baseline: number;
  /** Variance over the Poisson's, from the residuals (≥ 1). */
  readonly dispersion: number;
  /** Effective (recency-weighted) number of observed days. */
  readonly evidence: number;
  /** True when a shift was detected and only the recent days were used. */
  readonly regimeShift: boolean;
}

/** How the curve is read: the posterior mean of `a`, or a sampled `a` (Thompson). */
export const level = (model: ResponseModel): number => model.shape / model.rate;

/**
 * Expected incremental value per day at sustained `spend`: averaged over the scale's posterior (each scale
 * with the level that fits it), or for one drawn curve when `a` and `scale` are given.
 */
export const expectedAt = (model: ResponseModel, spend: number, a?: number, scale?: number): number => {
  if (spend <= 0) return 0;
  if (a !== undefined) return a * -Math.expm1(-spend / (scale ?? model.scale));
  return model.scales.reduce((sum, s) => sum + s.weight * s.level * -Math.expm1(-spend / s.scale), 0);
};

/** Marginal incremental value of the next currency unit at `spend`, averaged the same way. */
export const marginalAt = (model: ResponseModel, spend: number, a?: number, scale?: number): number => {
  const at = Math.max(0, spend);
  if (a !== undefined) return (a / (scale ?? model.scale)) * Math.exp(-at / (scale ?? model.scale));
  return model.scales.reduce((sum, s) => sum + s.weight * (s.level / s.scale) * Math.exp(-at / s.scale), 0);
};

/** Posterior coefficient of variation of the level: 1/√shape. */
export const uncertainty = (model: ResponseModel): number => 1 / Math.sqrt(model.shape);

/** The scales a draw picks from: the posterior's, or the model's own scale at its level when it has none. */
export const drawableScales = (
  model: ResponseModel,
): readonly { readonly scale: number; readonly level: number; readonly weight: number }[] =>
  model.scales.length > 0 ? model.scales : [{ scale: model.scale, level: level(model), weight: 1 }];

/** Which of {@link drawableScales} a draw picks, from one uniform number: the first while the weights do not reach it. */
const drawnIndex = (model: ResponseModel, u: number): number => {
  let left = u;
  for (let k = 0; k < model.scales.length; k += 1) {
    left -= model.scales[k]!.weight;
    if (left <= 0) return k;
  }
  return 0;
};

/** A draw of the curve from its posterior: level and scale (Thompson sampling). */
export const drawCurve = (model: ResponseModel, random: Random): { a: number; scale: number } => {
  const drawn = drawableScales(model)[drawnIndex(model, random())]!;
  // The level's relative uncertainty is the posterior's; its centre is the one that fits the drawn scale.
  const a = (gamma(random, model.shape) / model.shape) * drawn.level;
  return { a, scale: drawn.scale };
};

/**
 * `count` draws of the curve, each as {@link drawCurve} draws it (the same numbers from `random`, in turn), as
 * columns: its level `a`, and which of {@link drawableScales} it picked. A reader of hundreds of draws reads
 * each scale's exponential once, not once a draw, and allocates no object a draw.
 */
export const drawCurves = (model: ResponseModel, random: Random, count: number): { a: number[]; scale: number[] } => {
  const scales = drawableScales(model);
  // Plain arrays, pushed: a typed array's buffer lives outside the heap, and two per channel and reader cost
  // more to allocate and free than the draws' numbers.
  const a: number[] = [];
  const scale: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const k = drawnIndex(model, random());
    scale.push(k);
    a.push((gamma(random, model.shape) / model.shape) * scales[k]!.level);
  }
  return { a, scale };
};

/** Tuning, in one place, with the reason for each value. */
export const FIT = {
  /** Days the curves are fitted on: six weeks covers weekly cycles without remembering last quarter. */
  lookbackDays: 42,
  /**
   * Days the weekday factors are read from, where the store holds them: sixteen weeks. A weekly pattern is a
   * slow parameter, and six weeks give six days of each weekday, whose noise went straight into the target's
   * caution; the curves' level, a fast one, is still fitted on the last six weeks at today's recency.
   */
  weeklyLookbackDays: 112,
  /** A day's weight halves every 7 days, so the fit leans on the last two weeks. */
  halfLifeDays: 7,
  /**
   * The curve's shape (its scale) is a slow parameter: its posterior weighs days by a half-life three times
   * the level's, so six weeks of spend moves tell it apart, while each scale's level is still read at the
   * level's recency (see {@link shapePosterior}).
   */
  shapeHalfLifeDays: 21,
  /** Recent window tested for a regime change, and kept alone when one is found. */
  recentDays: 6,
  /** Poisson z-score of the recent window's misfit that counts as a regime change. */
  shiftZ: 3.5,
  /** Pearson residual beyond which a day is down-weighted as an outlier (Huber-like). */
  outlierZ: 3,
  /**
   * Prior strength in pseudo-days, before the channel's first day: weak, so a week of data outweighs it. The
   * prior is what was known before that day, so it is forgotten as that day is (see {@link priorWeight}).
   */
  priorDays: 1.5,
  /**
   * Prior strength, in pseudo-conversions, when the portfolio has no data at all and its efficiency is a
   * guess (the target CPA, else a CPA of 50): one, so the level's uncertainty is 100%, not the few percent
   * that a day and a half of a busy channel's counts would claim.
   */
  guessedPriorShape: 1,
  /** Candidate scales, as multiples of the channel's typical spend. */
  scaleGrid: Array.from({ length: 25 }, (_, i) => 0.25 * 1.25 ** i),
  /** Standard deviation of the log-scale prior: scale is weakly tied to the typical spend. */
  scalePriorSd: 1.2,
  /** Candidate adstock decays. */
  adstockGrid: [0, 0.2, 0.4, 0.6, 0.75],
  /** Quasi-log-likelihood a carryover or a baseline must gain to be kept: about an AIC's worth per parameter. */
  parameterCost: 3,
  /** Prior mean of the organic baseline as a share of the channel's mean value, and its strength in pseudo-days. */
  baselineShare: 0.05,
  baselineDays: 1,
  /** Prior strength, in pseudo-days, when the level is relearned after a shift: a day of the new regime outweighs it. */
  shiftPriorDays: 0.25,
  /** Days of maturity below which a day tells too little to test a regime shift on. */
  shiftMinMaturity: 0.6,
} as const;

/** What the portfolio's pooled data says a channel without history should expect. */
export interface PortfolioPrior {
  /** Pooled value per currency unit (conversions or revenue per unit spent). */
  readonly efficiency: number;
  /** True when no data stands behind `efficiency` (a cold start): the prior is then held as a guess. */
  readonly guessed?: boolean | undefined;
  /** The channel's own adstock prior, when its config sets one. */
  readonly adstock?: number | undefined;
  /**
   * A carryover already chosen for this channel by an earlier fit of the same days (the conversion fit,
   * for the revenue and weekday-adjusted fits): used as it is, without searching the grid again.
   */
  readonly decay?: number | undefined;
  /** Whether that earlier fit kept an organic baseline: the later fits keep its choice instead of testing again. */
  readonly baseline?: boolean | undefined;
}

/** One observed day of a channel. */
export interface Observation {
  readonly spend: number;
  readonly value: number;
  /** Days before `asOf`. */
  readonly age: number;
  /** What is known of the day in advance: maturity × day-of-week factor. */
  readonly exposure: number;
  /** Maturity alone (the regime-shift test trusts only well-reported days). */
  readonly maturity: number;
}

interface Settings {
  readonly shape: number;
  readonly typical: number;
  readonly efficiency: number;
  readonly meanValue: number;
}

/**
 * A scale's curve over the days, `1 − e^(−E/θ)`, the log of the exposed curve `log(exposure · curve)`, and
 * the least exposed curve (which tells whether any day's mean can fall to the likelihood's floor).
 */
interface Curve {
  readonly curve: readonly number[];
  readonly logExposed: readonly number[];
  readonly leastExposed: number;
}

/**
 * The days seen through one carryover, as columns: the fit reads them 25 scales × several candidates over, in
 * tight loops. A scale's curve over the days depends on the spend, the carryover and the exposure only, never
 * on the weights, the level or the baseline, so it is computed once per scale and read by every fit of these
 * days: the plain curve, the baseline's, and the refit after outliers.
 */
interface Days {
  readonly n: number;
  readonly value: readonly number[];
  readonly exposure: readonly number[];
  /** Recency weights, lowered for outliers. */
  readonly weight: number[];
  /** Adstocked spend under the carryover. */
  readonly effective: readonly number[];
  readonly curves: Map<number, Curve>;
}

/** The days' columns (plain arrays: a fit makes hundreds of these short columns, and typed arrays are slow to allocate). */
const daysOf = (value: readonly number[], exposure: readonly number[], weight: readonly number[], effective: readonly number[]): Days => ({
  n: value.length,
  value,
  exposure,
  weight: [...weight],
  effective,
  curves: new Map(),
});

const curveAt = (days: Days, scale: number): Curve => {
  const cached = days.curves.get(scale);
  if (cached) return cached;
  const curve: number[] = new Array(days.n);
  const logExposed: number[] = new Array(days.n);
  let leastExposed = Number.POSITIVE_INFINITY;
  for (let i = 0; i < days.n; i += 1) {
    curve[i] = -Math.expm1(-days.effective[i]! / scale);
    const exposed = days.exposure[i]! * curve[i]!;
    logExposed[i] = Math.log(exposed);
    leastExposed = Math.min(leastExposed, exposed);
  }
  const computed = { curve, logExposed, leastExposed };
  days.curves.set(scale, computed);
  return computed;
};

/** Prior mean of `a` such that the curve passes through the pooled efficiency at the typical spend. */
const priorLevelAt = (scale: number, prior: Settings) => (prior.efficiency * prior.typical) / -Math.expm1(-prior.typical / scale);

/** The scale's prior: its log is normal around twice the typical spend. */
const logPriorOf = (scale: number, prior: Settings) => {
  const z = Math.log(scale / (2 * prior.typical)) / FIT.scalePriorSd;
  return -0.5 * z * z;
};

/** What a plain fit sums over the days at their current weights, the same at every scale: summed once per grid. */
interface WeightedDays {
  /** w·v and w·e per day. */
  readonly values: readonly number[];
  readonly exposures: readonly number[];
  /** Σ w·v, and the posterior shape prior + Σ w·v (summed in the days' order, as the EM round did). */
  readonly valueSum: number;
  readonly shape: number;
}

const weightedDays = (days: Days, prior: Settings): WeightedDays => {
  const values: number[] = new Array(days.n);
  const exposures: number[] = new Array(days.n);
  let valueSum = 0;
  let shape = prior.shape;
  for (let i = 0; i < days.n; i += 1) {
    values[i] = days.weight[i]! * days.value[i]!;
    exposures[i] = days.weight[i]! * days.exposure[i]!;
    valueSum += values[i]!;
    shape += values[i]!;
  }
  return { values, exposures, valueSum, shape };
};

/**
 * The plain curve (no baseline) at one scale, in closed form. Every day's value is then the curve's, so the
 * conjugate Gamma update is a single step, the one EM round it replaces: shape = prior + Σ w·v (the same at
 * every scale), rate = prior + Σ w·e·c. The log-likelihood Σ w·(v·log(e·a·c) − e·a·c) separates into
 * Σw·v · log a + Σ w·v·log(e·c) − a · Σ w·e·c, with log(e·c) cached with the curve: one pass over the days
 * and no logarithm per day. Only when some day's mean could fall to the 1e-9 floor (a day without spend)
 * is it summed day by day.
 */
const plainFitAt = (days: Days, scale: number, prior: Settings, weighted: WeightedDays) => {
  const { curve, logExposed, leastExposed } = curveAt(days, scale);
  const priorLevel = priorLevelAt(scale, prior);
  const { shape } = weighted;
  let rate = prior.shape / priorLevel;
  let exposedSum = 0;
  let logSum = 0;
  for (let i = 0; i < days.n; i += 1) {
    const exposed = weighted.exposures[i]! * curve[i]!;
    rate += exposed;
    exposedSum += exposed;
    logSum += weighted.values[i]! * logExposed[i]!;
  }
  const a = shape / rate;
  const logLikelihood =
    a * leastExposed > 2e-9 ? weighted.valueSum * Math.log(a) + logSum - a * exposedSum : flooredLogLikelihood(days, curve, a, 0);
  const logPrior = logPriorOf(scale, prior);
  return { scale, shape, rate, baseline: 0, logLikelihood, logPrior, score: logLikelihood + logPrior };
};

/** Σ w·(v·log μ − μ), each day's mean μ = e·(baseline + a·c) held above 1e-9. */
const flooredLogLikelihood = (days: Days, curve: readonly number[], a: number, baseline: number) => {
  let logLikelihood = 0;
  for (let i = 0; i < days.n; i += 1) {
    const mean = Math.max(1e-9, days.exposure[i]! * (baseline + a * curve[i]!));
    logLikelihood += days.weight[i]! * (days.value[i]! * Math.log(mean) - mean);
  }
  return logLikelihood;
};

/**
 * An upper bound on the best score a carryover candidate's plain curve reaches on `scales`, read without
 * the logarithms of its curve. Against the same days' curve without that carryover (`reference`, whose
 * log column is cached), Σ w·v·log(e·c) = Σ w·v·log(e·ĉ) + Σ w·v·log(c/ĉ), and by Jensen's inequality
 * Σ w·v·log(c/ĉ) ≤ W·log(Σ w·v·(c/ĉ) / W), with W = Σ w·v. The level, the rate and the rest of the score are
 * the fit's own ({@link plainFitAt}), so the bound exceeds the score by that one inequality's slack.
 * Infinite where it does not hold: no value, a day without spend under the reference (no curve to compare
 * with), or a mean the likelihood's 1e-9 floor could lift.
 */
const carryoverBound = (days: Days, reference: Days, scales: readonly number[], prior: Settings): number => {
  const weighted = weightedDays(days, prior);
  if (!(weighted.valueSum > 0)) return Number.POSITIVE_INFINITY;
  let best = Number.NEGATIVE_INFINITY;
  for (const scale of scales) {
    const known = curveAt(reference, scale);
    if (!(known.leastExposed > 0)) return Number.POSITIVE_INFINITY;
    let rate = prior.shape / priorLevelAt(scale, prior);
    let exposedSum = 0;
    let logSum = 0;
    let ratioSum = 0;
    let leastExposed = Number.POSITIVE_INFINITY;
    for (let i = 0; i < days.n; i += 1) {
      const curve = -Math.expm1(-days.effective[i]! / scale);
      const exposed = weighted.exposures[i]! * curve;
      rate += exposed;
      exposedSum += exposed;
      logSum += weighted.values[i]! * known.logExposed[i]!;
      ratioSum += weighted.values[i]! * (curve / known.curve[i]!);
      leastExposed = Math.min(leastExposed, days.exposure[i]! * curve);
    }
    const a = weighted.shape / rate;
    if (!(a * leastExposed > 2e-9)) return Number.POSITIVE_INFINITY;
    const jensen = weighted.valueSum * Math.log(ratioSum / weighted.valueSum);
    best = Math.max(best, weighted.valueSum * Math.log(a) + logSum + jensen - a * exposedSum + logPriorOf(scale, prior));
  }
  return best;
};

/**
 * An upper bound on the best score a curve with an organic baseline reaches on `scales`. With b = a·t,
 * the mean is a·e·(t + c); the best level for a given t is W / (t·E + Σ w·e·c) (W = Σ w·v, E = Σ w·e), and
 * Σ w·v·log(t + c) ≤ Σ w·v·log c + W·log(1 + t·Q/W) (Jensen, Q = Σ w·v/c). What is left of t is
 * W·log((1 + t·Q/W) / (1 + t·E/Σ w·e·c)), monotone in t: at most W·max(0, log(Q·Σ w·e·c / (W·E))) above
 * the plain curve's best log-likelihood. The EM's level and baseline can do no better than the best ones.
 * Infinite where it does not hold: no value, a day without spend, a mean the 1e-9 floor could lift.
 */
const baselineBound = (days: Days, scales: readonly number[], prior: Settings): number => {
  const { n, value, exposure, weight } = days;
  let best = Number.NEGATIVE_INFINITY;
  for (const scale of scales) {
    const { curve, logExposed, leastExposed } = curveAt(days, scale);
    let valueSum = 0;
    let logSum = 0;
    let exposedSum = 0;
    let exposureSum = 0;
    let perCurve = 0;
    for (let i = 0; i < n; i += 1) {
      const wv = weight[i]! * value[i]!;
      valueSum += wv;
      logSum += wv * logExposed[i]!;
      exposedSum += weight[i]! * exposure[i]! * curve[i]!;
      exposureSum += weight[i]! * exposure[i]!;
      perCurve += wv / curve[i]!;
    }
    // The EM's level is at least the prior's shape over the largest rate it can reach: its means stay above the floor.
    const leastLevel = prior.shape / (prior.shape / priorLevelAt(scale, prior) + exposedSum);
    if (!(valueSum > 0 && leastExposed > 0 && leastLevel * leastExposed > 2e-9)) return Number.POSITIVE_INFINITY;
    const plain = valueSum * Math.log(valueSum / exposedSum) + logSum - valueSum;
    const gain = valueSum * Math.max(0, Math.log((perCurve * exposedSum) / (valueSum * exposureSum)));
    best = Math.max(best, plain + gain + logPriorOf(scale, prior));
  }
  return best;
};

/**
 * The level and baseline for one candidate scale: a few EM rounds split each day's value between the
 * organic baseline and the paid curve, each with its conjugate Gamma update.
 */
const baselineFitAt = (days: Days, scale: number, prior: Settings) => {
  const { n, value, exposure, weight } = days;
  const { curve } = curveAt(days, scale);
  const priorLevel = priorLevelAt(scale, prior);
  const baseShape = FIT.baselineDays;
  const baseRate = baseShape / Math.max(1e-9, FIT.baselineShare * prior.meanValue);
  let a = priorLevel;
  let baseline = FIT.baselineShare * prior.meanValue;
  let shape = prior.shape;
  let rate = prior.shape / priorLevel;
  // EM rounds until the split between baseline and curve settles (at most 8).
  for (let round = 0; round < 8; round += 1) {
    shape = prior.shape;
    rate = prior.shape / priorLevel;
    let bShape = baseShape;
    let bRate = baseRate;
    for (let i = 0; i < n; i += 1) {
      const paid = a * curve[i]!;
      const share = paid + baseline > 0 ? paid / (paid + baseline) : 1;
      const w = weight[i]!;
      shape += w * value[i]! * share;
      rate += w * exposure[i]! * curve[i]!;
      bShape += w * value[i]! * (1 - share);
      bRate += w * exposure[i]!;
    }
    const settled = Math.abs(shape / rate - a) <= 1e-4 * a && Math.abs(bShape / bRate - baseline) <= 1e-4 * (baseline + a);
    a = shape / rate;
    baseline = bShape / bRate;
    if (settled) break;
  }
  const logLikelihood = flooredLogLikelihood(days, curve, a, baseline);
  const logPrior = logPriorOf(scale, prior);
  return { scale, shape, rate, baseline, logLikelihood, logPrior, score: logLikelihood + logPrior };
};

const fitAtScale = (days: Days, scale: number, prior: Settings, withBaseline: boolean) =>
  withBaseline ? baselineFitAt(days, scale, prior) : plainFitAt(days, scale, prior, weightedDays(days, prior));

type Fit = ReturnType<typeof fitAtScale>;

/** Expected value of each day under a fit, by its index (its curve read once from the cache the fit filled). */
const meansOf = (fit: Fit, days: Days) => {
  const { curve } = curveAt(days, fit.scale);
  const level = fit.shape / fit.rate;
  return (i: number) => days.exposure[i]! * (fit.baseline + level * curve[i]!);
};

/** Each fit's posterior weight from its log-score (`e^(score − best)`, normalized), best first. */
const posterior = (fits: readonly Fit[], scores: readonly number[]) => {
  const top = Math.max(...scores);
  const odds = scores.map((score) => Math.exp(score - top));
  const total = odds.reduce((s, o) => s + o, 0);
  return fits
    .map((_, k) => k)
    .sort((i, j) => scores[j]! - scores[i]!)
    .map((k) => ({ fit: fits[k]!, weight: odds[k]! / total }));
};

/** Every candidate scale's fit, best first, with its posterior weight. */
const scaleFits = (
  days: Days,
  prior: Settings,
  withBaseline = false,
  scales: readonly number[] = FIT.scaleGrid.map((multiple) => multiple * prior.typical),
) => {
  const weighted = withBaseline ? null : weightedDays(days, prior);
  const fits = scales.map((scale) => (weighted ? plainFitAt(days, scale, prior, weighted) : baselineFitAt(days, scale, prior)));
  return posterior(
    fits,
    fits.map((f) => f.score),
  );
};

/**
 * The scales a fit left any posterior weight on: the baseline's EM rounds are spent only there, since a
 * baseline moves the level far more than the curve's shape.
 */
const plausibleScales = (fits: readonly { fit: Fit; weight: number }[]) => fits.filter((f) => f.weight > 1e-3).map((f) => f.fit.scale);

/** The grid's scales next to or among a fit's plausible ones. */
const neighbourhood = (fits: readonly { fit: Fit; weight: number }[]) => {
  const plausible = new Set(plausibleScales(fits));
  const grid = fits.map((f) => f.fit.scale).sort((a, b) => a - b);
  return grid.filter((scale, i) => plausible.has(scale) || plausible.has(grid[i - 1]!) || plausible.has(grid[i + 1]!));
};

/**
 * The scale's posterior read from the quasi-likelihood: the log-likelihood divided by the dispersion the
 * residuals show, so counts that scatter φ times wider than Poisson count as 1/φ as many. Read at face value,
 * overdispersed noise becomes confident curvature (a channel saturating at a third of its true scale).
 * Best first.
 */
const quasiPosterior = (fits: readonly { fit: Fit; weight: number }[], dispersion: number) => {
  const plain = fits.map((f) => f.fit);
  return posterior(
    plain,
    plain.map((f) => f.logLikelihood / dispersion + f.logPrior),
  );
};

/** The posterior over scales, negligible ones dropped and the rest renormalized, each with its level. */
const normalizedScales = (fits: readonly { fit: Fit; weight: number }[]) => {
  const kept = fits.filter((f) => f.weight > 1e-4);
  const total = kept.reduce((s, f) => s + f.weight, 0);
  return kept.map((f) => ({ scale: f.fit.scale, weight: f.weight / total, level: f.fit.shape / f.fit.rate }));
};

/** A day's weight by its age, 0.5^(age / 7): read from a table for the whole days of the window. */
const RECENCY = Array.from({ length: FIT.lookbackDays }, (_, age) => 0.5 ** (age / FIT.halfLifeDays));
const recency = (age: number) =>
  Number.isInteger(age) && age >= 0 && age < RECENCY.length ? RECENCY[age]! : 0.5 ** (age / FIT.halfLifeDays);

/**
 * Each decay's powers λ^0 … λ^29 and their running sums (λ^0 + … + λ^k, added in that order), computed once:
 * the candidates are the same few decays for every channel.
 */
interface Powers {
  readonly powers: readonly number[];
  readonly sums: readonly number[];
}
const decayPowers = new Map<number, Powers>();
const powersOf = (decay: number): Powers => {
  let cached = decayPowers.get(decay);
  if (!cached) {
    const powers = Array.from({ length: 30 }, (_, k) => decay ** k);
    const sums: number[] = [];
    let sum = 0;
    for (const power of powers) {
      sum += power;
      sums.push(sum);
    }
    cached = { powers, sums };
    // Bounded: the grid's decays and the few a config sets; a stray value is not kept.
    if (decayPowers.size < 64) decayPowers.set(decay, cached);
  }
  return cached;
};

/** Adstocked spend of each point: `(1 − λ)·Σ λ^k·spend_{t−k}` over the days seen, renormalized where they stop. */
const adstocked = (points: readonly Observation[], decay: number): number[] => {
  if (decay === 0) return points.map((p) => p.spend);
  let oldest = 0;
  for (const p of points) oldest = Math.max(oldest, p.age);
  // Spend by age (NaN where a day is missing), read 30 deep per point with the decay's powers. Built by
  // pushing, so the engine keeps it a column of unboxed doubles: filled with NaN, a plain array held its spends
  // as boxed numbers, and this, run for every carryover candidate of every channel, made an eighth of the
  // allocator's garbage (45 MB a run at 100 channels); a typed array's buffer costs more to allocate and free.
  const byAge: number[] = [];
  for (let age = 0; age <= oldest; age += 1) byAge.push(Number.NaN);
  for (const p of points) byAge[p.age] = p.spend;
  const { powers, sums } = powersOf(decay);
  return points.map((p) => {
    // Every power read counts toward the weight, a missing day's too: the running sum up to the deepest one.
    const deepest = Math.min(29, Math.floor(oldest - p.age));
    let sum = 0;
    for (let k = 0; k <= deepest; k += 1) {
      const spend = byAge[p.age + k]!;
      if (!Number.isNaN(spend)) sum += powers[k]! * spend;
    }
    const weight = sums[deepest]!;
    return weight > 0 ? sum / weight : p.spend;
  });
};

/** A day whose expected value is below this share of the channel's average day tells nothing of its noise. */
const NOISE_MIN_SHARE = 0.01;

/**
 * The Pearson overdispersion of the days `of` about `fit` (1 when they weigh too little to tell), at most 50,
 * read on the days the curve expects at least {@link NOISE_MIN_SHARE} of an average day on: a day barely
 * spent (a paused campaign) whose one late-credited conversion sat at a mean of 0.00001 read as a residual
 * of 300 and set the channel's noise at the cap, 50 times Poisson's, widening every band and the target's
 * caution. (Reading every day's variance as at least one conversion's instead read a sparse channel's
 * overdispersion as none.)
 */
const dispersionOf = (fit: Fit, days: Days, of: readonly number[]) => {
  const meanOf = meansOf(fit, days);
  const means = of.map((i) => meanOf(i));
  const totalWeight = of.reduce((s, i) => s + days.weight[i]!, 0);
  const average = of.reduce((s, i, k) => s + days.weight[i]! * means[k]!, 0) / Math.max(1e-12, totalWeight);
  let weightSum = 0;
  let chi2 = 0;
  of.forEach((i, k) => {
    const mean = Math.max(1e-9, means[k]!);
    if (mean < NOISE_MIN_SHARE * average) return;
    weightSum += days.weight[i]!;
    chi2 += (days.weight[i]! * (days.value[i]! - mean) ** 2) / mean;
  });
  return weightSum > 3 ? Math.min(50, Math.max(1, chi2 / Math.max(1, weightSum - 2))) : 1;
};

/**
 * The scale's posterior read from the fit window's days at the shape's half-life ({@link FIT.shapeHalfLifeDays}),
 * each scale keeping the level it was fitted with at the level's: the level follows the market within days,
 * but a curve's bend is the same curve's from week to week, and at the level's half-life (about ten effective
 * days) the bend was read from too few spend moves. Outlier weights are kept; the likelihoods are quasi ones,
 * divided by the dispersion they show at the current mode.
 */
const shapePosterior = (
  fits: readonly { fit: Fit; weight: number }[],
  days: Days,
  observed: readonly Observation[],
  settings: Settings,
  baselined: boolean,
) => {
  // The same days and curve columns (each scale's curve is computed once for both readings), other weights.
  const slow: Days = {
    ...days,
    weight: observed.map((o, i) => (days.weight[i]! * 0.5 ** (o.age / FIT.shapeHalfLifeDays)) / recency(o.age)),
  };
  const weighted = baselined ? null : weightedDays(slow, settings);
  const slowFits = fits.map(({ fit }) =>
    weighted ? plainFitAt(slow, fit.scale, settings, weighted) : baselineFitAt(slow, fit.scale, settings),
  );
  const phi = dispersionOf(
    slowFits[0]!,
    slow,
    Array.from({ length: slow.n }, (_, i) => i),
  );
  return posterior(
    fits.map((f) => f.fit),
    slowFits.map((f, k) => f.logLikelihood / phi + fits[k]!.fit.logPrior),
  );
};

/**
 * How much of its weight the portfolio's prior keeps: the recency weight of the day before the oldest observed
 * one. Days are forgotten at the fit's half-life, and the prior is older than all of them; held at full
 * weight, it would stay a fixed share of a fit that never holds more than about ten effective days, and pull
 * every channel toward the pooled efficiency for good (a channel at a CPA of 80 in a portfolio at 20 was still
 * read 1.5× too efficient after ten weeks).
 */
const priorWeight = (observed: readonly Observation[]) => {
  let oldest = -1;
  for (const o of observed) oldest = Math.max(oldest, o.age);
  return recency(oldest + 1);
};

/**
 * Fits a channel's response from its observed days:
 * - days weigh 0.5^(age/7) for the level: recent days lead, and a shifted market is followed within days;
 *   with two weeks of days, the scale's posterior weighs them 0.5^(age/21), the shape being a slow parameter;
 * - each day's expected value is scaled by its exposure (maturity × day-of-week factor), so an immature or a
 *   weak weekday does not read as a drop;
 * - adstock decay, scale and baseline are chosen by weighted likelihood with weak priors;
 * - outliers are down-weighted after a first fit (Huber-like, on Pearson residuals);
 * - if the last 6 well-matured days miss the fit by more than 3.5 standard errors, the market has shifted,
 *   and the level is relearned from those days, the shape from the days before them;
 * - with few or no points, the prior from the portfolio (pooled efficiency at a typical spend) decides; it is
 *   forgotten as the oldest day is.
 */
export const fitResponse = (
  channelId: string,
  observations: readonly Observation[],
  prior: PortfolioPrior,
  typicalSpend: number,
): ResponseModel => {
  const observed = observations.filter((o) => o.age >= 0 && o.age < FIT.lookbackDays);
  const paid = observed.filter((o) => o.spend > 0);
  const spendWeight = paid.reduce((s, p) => s + recency(p.age), 0);
  const typical = spendWeight > 0 ? paid.reduce((s, p) => s + recency(p.age) * p.spend, 0) / spendWeight : Math.max(1, typicalSpend);
  const exposureSum = observed.reduce((s, p) => s + p.exposure, 0);
  const meanValue = exposureSum > 0 ? observed.reduce((s, p) => s + p.value, 0) / exposureSum : prior.efficiency * typical;
  const priorShape = prior.guessed
    ? FIT.guessedPriorShape
    : priorWeight(observed) * FIT.priorDays * Math.max(1e-6, prior.efficiency * typical);
  const settings: Settings = { shape: Math.max(0.5, priorShape), typical, efficiency: Math.max(1e-9, prior.efficiency), meanValue };

  const values = observed.map((o) => o.value);
  const exposures = observed.map((o) => o.exposure);
  const recencies = observed.map((o) => recency(o.age));
  const daysAt = (decay: number) => daysOf(values, exposures, recencies, adstocked(observed, decay));
  /** The days' indices, all of them or those that `keep` picks. */
  const indices = (keep: (o: Observation) => boolean = () => true) => {
    const kept: number[] = [];
    for (let i = 0; i < observed.length; i += 1) if (keep(observed[i]!)) kept.push(i);
    return kept;
  };
  const everyDay = indices();
  // The plain curve first (no carryover unless the config's prior says so, no baseline): its dispersion
  // turns likelihoods into quasi-likelihoods, the scale on which extra parameters must pay for themselves.
  const centre = prior.decay ?? prior.adstock ?? 0;
  let days = daysAt(centre);
  let fits = scaleFits(days, settings);
  let decay = centre;
  const candidates = prior.decay === undefined ? FIT.adstockGrid.filter((candidate) => candidate !== centre) : [];
  // A later fit of the same days keeps the carryover and the baseline the first one chose, and tests neither:
  // it needs no bar for them to clear, nor the scales a candidate is scored on.
  if (observed.length >= 14 && (candidates.length > 0 || prior.baseline !== false)) {
    const phi = dispersionOf(fits[0]!.fit, days, everyDay);
    let quasi = fits[0]!.fit.score / phi;
    // Candidates are scored on every other scale the plain curve found plausible, widened a step each way
    // (carryover smooths spend, so it moves the scale little, and a fit's score is smooth across the grid's
    // 1.25× steps); the winner, if any, is then fitted on the whole grid.
    const around = candidates.length > 0 ? neighbourhood(fits).filter((_, k) => k % 2 === 0) : [];
    let best: Days | null = null;
    for (const candidate of candidates) {
      const candidateDays = daysAt(candidate);
      // A candidate whose best score, bounded from above, cannot pay for its parameter is not fitted.
      const bound = carryoverBound(candidateDays, days, around, settings);
      if (bound / phi - FIT.parameterCost < quasi - 1e-9 * (1 + Math.abs(quasi))) continue;
      const score = scaleFits(candidateDays, settings, false, around)[0]!.fit.score / phi - FIT.parameterCost;
      if (score > quasi) {
        quasi = score;
        best = candidateDays;
        decay = candidate;
      }
    }
    if (best) {
      days = best;
      fits = scaleFits(days, settings);
    }
    // A baseline, likewise, is fitted only when a bound on what it could add leaves it a chance to pay.
    const scales = plausibleScales(fits);
    const hopeless =
      prior.baseline === undefined &&
      baselineBound(days, scales, settings) / phi - FIT.parameterCost < quasi - 1e-9 * (1 + Math.abs(quasi));
    if (prior.baseline !== false && !hopeless) {
      const withBaseline = scaleFits(days, settings, true, scales);
      if (prior.baseline === true || withBaseline[0]!.fit.score / phi - FIT.parameterCost > quasi) fits = withBaseline;
    }
  }
  let fit = fits[0]!.fit;
  const baselined = fit.baseline > 0;

  // Outliers: one reweighting pass.
  let reweighted = false;
  const fitted = meansOf(fit, days);
  for (let i = 0; i < days.n; i += 1) {
    const mean = fitted(i);
    const residual = Math.abs(days.value[i]! - mean) / Math.sqrt(mean + 1);
    if (residual > FIT.outlierZ) {
      days.weight[i]! *= (FIT.outlierZ / residual) ** 2;
      reweighted = true;
    }
  }
  if (reweighted) {
    fits = baselined ? scaleFits(days, settings, true, plausibleScales(fits)) : scaleFits(days, settings);
    fit = fits[0]!.fit;
  }
  const dispersion = dispersionOf(fit, days, everyDay);
  fits = quasiPosterior(fits, dispersion);
  if (observed.length >= 14) fits = shapePosterior(fits, days, observed, settings, baselined);
  fit = fits[0]!.fit;

  // Regime change: does the recent, well-reported window disagree with the whole fit? The noise it is judged
  // against is the older days' own: a shift inflates the residuals of the days it touches, so a dispersion
  // measured over them would hide the very shift being tested.
  const recent = indices((o) => o.age < FIT.recentDays && o.maturity >= FIT.shiftMinMaturity);
  const older = indices((o) => o.age >= FIT.recentDays);
  let regimeShift = false;
  if (recent.length >= 3 && recent.length < days.n) {
    const meanOf = meansOf(fit, days);
    const expected = recent.reduce((s, i) => s + meanOf(i), 0);
    const observedValue = recent.reduce((s, i) => s + days.value[i]!, 0);
    const noise = older.length >= 7 ? dispersionOf(fit, days, older) : dispersion;
    if (Math.abs(observedValue - expected) / Math.sqrt(noise * (expected + 1)) > FIT.shiftZ) {
      regimeShift = true;
      // The curve's shape (its scale), a slow parameter, is read from the days before the shift: the whole
      // fit bent it to explain the shift's days with the old level. Its level is relearned from the recent
      // days only, at plain recency weights: outlier weights judged against the old regime's fit would all but
      // erase the shift.
      const daysAmong = (kept: readonly number[]) =>
        daysOf(
          kept.map((i) => days.value[i]!),
          kept.map((i) => days.exposure[i]!),
          kept.map((i) => recencies[i]!),
          kept.map((i) => days.effective[i]!),
        );
      const refit = daysAmong(recent);
      const shapeScale = older.length >= 7 ? scaleFits(daysAmong(older), settings, baselined)[0]!.fit.scale : fit.scale;
      // The pooled prior says what the channel was worth before the shift, so it is held weakly: a few days
      // of the new regime outweigh it.
      const weak = { ...settings, shape: Math.max(0.1, FIT.shiftPriorDays * settings.efficiency * settings.typical) };
      fit = fitAtScale(refit, shapeScale, weak, baselined);
      fits = [{ fit, weight: 1 }];
    }
  }
  const evidence = regimeShift ? recent.reduce((s, i) => s + recencies[i]!, 0) : days.weight.reduce((s, w) => s + w, 0);
  return {
    channelId,
    scale: fit.scale,
    shape: fit.shape,
    rate: fit.rate,
    scales: normalizedScales(fits),
    adstock: decay,
    baseline: fit.baseline,
    dispersion,
    evidence,
    regimeShift,
  };
};

import type { Portfolio } from '../config.js';
import { daysBetween } from '../dates.js';
import { betweenVariance } from './pooling.js';
import type { HistoryDay } from './schemas.js';

/**
 * How a day's conversions mature: the fraction of its final count reported by the end of each age (0 = the
 * day itself). Platforms keep restating a day for days or weeks (attribution windows, offline imports), so
 * the last few days always read low; the fit divides nothing, it scales each day's expected count by its
 * maturity (a thinned Poisson), and the regime-shift test compares like with like.
 *
 * Learned per channel with the chain-ladder method (as insurers develop claims): for each age a, the
 * development factor f(a) = Σ value at a+1 / Σ value at a over every row seen at both ages, read from the
 * rows' `revisions`. Each age's factor is shrunk toward the channel's own reporting delay, itself shrunk
 * toward the portfolio's ({@link shrunkDelays}); with a `conversionLagDays`, toward the portfolio's factors
 * instead, and both toward the prior the window gives (95% reported by its end). With neither revisions nor
 * a window, every day counts as final.
 */
export interface Maturity {
  /** Fraction of the final value reported by the end of age `a`, in (0, 1]. */
  readonly at: (age: number) => number;
  /** Whether anything (revisions or a lag prior) says days mature at all. */
  readonly known: boolean;
}

/** Ages developed: six weeks, the history the allocator reads. */
const MAX_AGE = 42;
/** Weight of the prior in the portfolio's factors, in conversions. */
const PRIOR_WEIGHT = 30;

const FINAL: Maturity = { at: () => 1, known: false };

/**
 * A row's conversions by the end of each age up to `until`: a revision's value stands through its
 * `reportedOn`, the latest value after the last revision.
 */
const valuesByAge = (row: HistoryDay, until: number): number[] => {
  // A plain array: a short typed array costs more to allocate than this whole loop, twice per channel a run.
  const values: number[] = new Array(until + 1).fill(row.conversions);
  let age = 0;
  for (const revision of row.revisions ?? []) {
    const last = Math.min(until, daysBetween(row.date, revision.reportedOn));
    for (; age <= last; age += 1) values[age] = revision.conversions;
  }
  return values;
};

/** Cumulative reported fraction by age under an attribution window: 95% by its end, exponential. */
const lagPrior = (lagDays: number) => (age: number) => 1 - Math.exp((-3 * (age + 1)) / (lagDays + 1));

/** Development sums per age: Σ value(a+1) and Σ value(a) over rows observed at both ages. */
interface DevelopmentSums {
  readonly next: Float64Array;
  readonly current: Float64Array;
}

const noDevelopment = (): DevelopmentSums => ({ next: new Float64Array(MAX_AGE), current: new Float64Array(MAX_AGE) });

/**
 * The portfolio's development sums over every row, and each of `channelIds`' over its own rows, in one pass:
 * a row's values by age are read once for both (they were read twice, a tenth of the maturity's cost). Each
 * sum takes its rows in the history's order, as summing the portfolio's and then each channel's rows did.
 */
const developmentSums = (
  rows: readonly HistoryDay[],
  asOf: string,
  channelIds: Iterable<string>,
): { pooled: DevelopmentSums; byChannel: Map<string, DevelopmentSums> } => {
  const pooled = noDevelopment();
  const byChannel = new Map<string, DevelopmentSums>();
  for (const id of channelIds) byChannel.set(id, noDevelopment());
  for (const row of rows) {
    if (!row.revisions || row.revisions.length === 0) continue;
    // The latest value stands as of the end of the day before `asOf`.
    const until = Math.min(MAX_AGE, daysBetween(row.date, asOf) - 1);
    if (until <= 0) continue;
    const values = valuesByAge(row, until);
    for (let a = 0; a < until; a += 1) {
      pooled.current[a]! += values[a]!;
      pooled.next[a]! += values[a + 1]!;
    }
    const own = byChannel.get(row.channelId);
    if (!own) continue;
    for (let a = 0; a < until; a += 1) {
      own.current[a]! += values[a]!;
      own.next[a]! += values[a + 1]!;
    }
  }
  return { pooled, byChannel };
};

/**
 * The sampling variance of a development factor read from `current` conversions: the ones still to come are
 * about Poisson, so (f − 1) / current; the 1 / current keeps a factor of exactly 1 from claiming certainty.
 */
const factorVariance = (sums: DevelopmentSums, age: number) => {
  const current = sums.current[age]!;
  if (!(current > 0)) return Number.POSITIVE_INFINITY;
  return (Math.abs(sums.next[age]! / current - 1) + 1 / current) / current;
};

/** The most conversions the portfolio's factor counts for in a channel's: channels that do not differ take it whole. */
const MAX_POOL_WEIGHT = 1e9;

/** Conversions an age must hold before its development factor counts toward the tail's fit. */
const TAIL_MIN_CONVERSIONS = 20;

/** Mean reporting delays the tail's fit considers, in days: 0.05 to about 53, log-spaced (× 1.16). */
const DELAYS = Array.from({ length: 48 }, (_, i) => 0.05 * 1.16 ** i);

/** Development factor at `age` of a geometric reporting delay with mean `delay` days: m(a) = 1 − e^(−(a+1)/delay). */
const geometricFactor = (delay: number, age: number) => {
  const reported = -Math.expm1(-(age + 1) / delay);
  return -Math.expm1(-(age + 2) / delay) / Math.max(1e-12, reported);
};

/** Each candidate delay's factors at every age developed, computed once: every channel's fit reads them. */
const DELAY_FACTORS = DELAYS.map((delay) => Float64Array.from({ length: MAX_AGE }, (_, age) => geometricFactor(delay, age)));

/**
 * The geometric delay whose factors best fit `observed` at `ages` (least squares, each age weighed by `weight`).
 * Each age's observed factor and weight are read once, not once per candidate delay: a channel's are credibility
 * blends that cost more to compute than the misfit they enter (they were 7% of an allocation at 100 channels).
 */
const fitDelay = (ages: readonly number[], observed: (age: number) => number, weight: (age: number) => number): Float64Array => {
  const observedAt = ages.map((a) => observed(a));
  const weightAt = ages.map((a) => weight(a));
  let best = { factors: DELAY_FACTORS[0]!, misfit: Number.POSITIVE_INFINITY };
  for (const factors of DELAY_FACTORS) {
    let misfit = 0;
    for (let i = 0; i < ages.length; i += 1) misfit += weightAt[i]! * (observedAt[i]! - factors[ages[i]!]!) ** 2;
    if (misfit < best.misfit) best = { factors, misfit };
  }
  return best.factors;
};

/** Log of the step between candidate delays: a delay's standard error is never read finer than half of it. */
const LOG_STEP = Math.log(DELAYS[1]! / DELAYS[0]!);

/**
 * A channel's own reporting delay, on the log scale, and its standard error: the geometric delay whose
 * factors fit the channel's own at every age it has seen, each weighed by its sampling variance (a χ²), and
 * the error from where that χ² rises by one. Undefined where the channel's rows show no development.
 */
const ownDelay = (sums: DevelopmentSums): { log: number; variance: number } | undefined => {
  const ages = Array.from({ length: MAX_AGE }, (_, a) => a).filter((a) => sums.current[a]! > 0);
  if (ages.length === 0 || ages.every((a) => sums.next[a]! <= sums.current[a]!)) return undefined;
  const observed = ages.map((a) => sums.next[a]! / sums.current[a]!);
  const precision = ages.map((a) => 1 / factorVariance(sums, a));
  const chi2 = DELAY_FACTORS.map((factors) => ages.reduce((s, a, i) => s + precision[i]! * (observed[i]! - factors[a]!) ** 2, 0));
  const best = chi2.indexOf(Math.min(...chi2));
  const within = chi2.flatMap((c, k) => (c <= chi2[best]! + 1 ? [k] : []));
  const halfWidth = Math.max(0.5, (within.at(-1)! - within[0]!) / 2) * LOG_STEP;
  return { log: Math.log(DELAYS[best]!), variance: halfWidth ** 2 };
};

/**
 * Each channel's reporting delay, shrunk toward the portfolio's by how far the channels' delays really differ
 * (Paule–Mandel's between-channel variance of the log delay, as the weekday factors are pooled): a channel of
 * a few conversions a day takes the portfolio's, one with plenty keeps its own. A delay is one parameter that
 * every age of a channel's rows informs; shrinking each age's factor toward the portfolio's instead pulled a
 * slow channel among fast ones toward them at every age, and a video channel of nine a day (mean delay 6
 * days) read age 5 as 72% reported against a true 63%, so its newest day read a quarter short.
 */
const shrunkDelays = (byChannel: ReadonlyMap<string, DevelopmentSums>): Map<string, number> => {
  const own = [...byChannel].flatMap(([id, sums]) => {
    const delay = ownDelay(sums);
    return delay ? [{ id, ...delay }] : [];
  });
  const spread = betweenVariance(
    own.map((d) => d.log),
    own.map((d) => d.variance),
  );
  const weights = own.map((d) => 1 / (d.variance + spread));
  const centre = own.reduce((s, d, i) => s + weights[i]! * d.log, 0) / weights.reduce((a, b) => a + b, 0);
  return new Map(
    own.map((d) => [d.id, Math.exp(spread > 0 ? (d.log / d.variance + centre / spread) / (1 / d.variance + 1 / spread) : centre)]),
  );
};

/**
 * The development of the ages no row has reached yet. A chain ladder knows a factor only where some row was
 * seen at both ages; beyond them it would count a day as final, so a young history (a new portfolio, a week of
 * data) reads its newest days as complete and a slow-reporting channel as poor, and money leaves the very
 * channels whose conversions are still arriving. As insurers extrapolate a ladder's tail with a fitted curve,
 * the factors observed are fitted with the simplest delay that has a mean, the geometric one, and the fit
 * carries past the oldest age observed (`last`). `factorAt` and `weightAt` are the ladder's factor at an age
 * and the conversions behind it. Undefined with no development to fit.
 */
const tailOf = (ages: readonly number[], factorAt: (age: number) => number, weightAt: (age: number) => number) => {
  if (ages.length === 0 || ages.every((a) => factorAt(a) <= 1)) return undefined;
  const factors = fitDelay(ages, factorAt, weightAt);
  return { last: ages.at(-1)!, at: (age: number) => factors[age]! };
};

/** The ages the portfolio's rows have developed through, with enough conversions to fit a tail on. */
const developedAges = (sums: DevelopmentSums) =>
  Array.from({ length: MAX_AGE }, (_, a) => a).filter((a) => sums.current[a]! >= TAIL_MIN_CONVERSIONS);

/** Maturity from development factors f(a): m(a) = 1 / Π_{k ≥ a} f(k). */
const fromFactors = (factors: Float64Array): ((age: number) => number) => {
  const tail = new Float64Array(MAX_AGE + 1).fill(1);
  for (let a = MAX_AGE - 1; a >= 0; a -= 1) tail[a] = tail[a + 1]! / Math.max(1, factors[a]!);
  return (age) => (age >= MAX_AGE ? 1 : age < 0 ? tail[0]! : Math.min(1, Math.max(1e-3, tail[Math.floor(age)]!)));
};

/** The prior's development factors, from its cumulative curve. */
const priorFactors = (prior: (age: number) => number) =>
  Float64Array.from({ length: MAX_AGE }, (_, a) => prior(a + 1) / Math.max(1e-9, prior(a)));

/**
 * Each channel's maturity from its rows' revisions and its `conversionLagDays`, shrunk toward the
 * portfolio's. Channels with neither revisions nor a lag prior count every day as final.
 */
export const learnMaturity = (
  history: readonly HistoryDay[],
  lagDays: ReadonlyMap<string, number | undefined>,
  asOf: string,
): Map<string, Maturity> => {
  const { pooled, byChannel: channelSums } = developmentSums(history, asOf, lagDays.keys());
  const anyRevisions = pooled.current.some((v) => v > 0);
  const ages = developedAges(pooled);
  const pooledTail = tailOf(
    ages,
    (a) => pooled.next[a]! / pooled.current[a]!,
    (a) => pooled.current[a]!,
  );
  // How far the channels' development really differs at each age, beyond the noise of their own counts: a
  // search channel reports within a day and a video channel over a week, and a fixed weight toward the
  // portfolio's would read the slow one as fast while its few conversions in a young history were all it had.
  const everyChannel = [...channelSums.values()];
  const spreads = Float64Array.from({ length: MAX_AGE }, (_, a) => {
    const seen = everyChannel.filter((sums) => sums.current[a]! > 0);
    return betweenVariance(
      seen.map((sums) => sums.next[a]! / sums.current[a]!),
      seen.map((sums) => factorVariance(sums, a)),
    );
  });
  const delays = shrunkDelays(channelSums);
  const result = new Map<string, Maturity>();
  for (const [channelId, lag] of lagDays) {
    const own = channelSums.get(channelId)!;
    // The conversions the portfolio's factor counts for, in a channel's: its factor's variance over the spread.
    const poolWeight = (a: number) =>
      own.current[a]! > 0 && spreads[a]! > 0
        ? Math.min(MAX_POOL_WEIGHT, (own.current[a]! * factorVariance(own, a)) / spreads[a]!)
        : MAX_POOL_WEIGHT;
    const hasOwn = own.current.some((v) => v > 0);
    if (lag === undefined && !anyRevisions) {
      result.set(channelId, FINAL);
      continue;
    }
    const prior = lag === undefined ? undefined : priorFactors(lagPrior(lag));
    // Without an attribution window, each age's factor is shrunk toward the channel's own delay (itself
    // shrunk toward the portfolio's), which also carries on past the ages its rows reach.
    const delay = lag === undefined ? delays.get(channelId) : undefined;
    const factors = Float64Array.from({ length: MAX_AGE }, (_, a) => {
      if (delay !== undefined) return (own.next[a]! + poolWeight(a) * geometricFactor(delay, a)) / (own.current[a]! + poolWeight(a));
      // The portfolio's factor, itself shrunk toward the prior (or its carried-on development, else 1).
      const base = prior?.[a] ?? (pooledTail && a > pooledTail.last ? pooledTail.at(a) : 1);
      const pool = (pooled.next[a]! + PRIOR_WEIGHT * base) / (pooled.current[a]! + PRIOR_WEIGHT);
      const anchor = lag === undefined ? pool : hasOwn || anyRevisions ? pool : base;
      return (own.next[a]! + poolWeight(a) * anchor) / (own.current[a]! + poolWeight(a));
    });
    result.set(channelId, { at: fromFactors(factors), known: true });
  }
  return result;
};

/** A row's maturity at `asOf`: its latest value stands as of the end of the day before. */
export const maturityOf = (maturity: Maturity, date: string, asOf: string): number => maturity.at(daysBetween(date, asOf) - 1);

/**
 * A portfolio's maturity view: each channel's, from the history's revisions and its `conversionLagDays`.
 * The allocator and the alert rules both read days through this one view.
 */
export const portfolioMaturity = (
  portfolio: Pick<Portfolio, 'channels'>,
  history: readonly HistoryDay[],
  asOf: string,
): Map<string, Maturity> => learnMaturity(history, new Map(portfolio.channels.map((c) => [c.id, c.conversionLagDays])), asOf);

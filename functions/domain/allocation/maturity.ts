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
 * rows' `revisions`. Each age's factor is shrunk toward the channel's reporting delay: its own, shrunk toward
 * the portfolio's ({@link channelDelays}); until its rows show any, the one its `conversionLagDays` implies (95%
 * reported by the end of its attribution window), else the portfolio's. With neither revisions nor a window,
 * every day counts as final.
 */
export interface Maturity {
  /**
   * Fraction of the final value reported by the end of age `a`, in [0.001, 2]: above 1 where the platform
   * later restates its days down (deduplicated or invalidated conversions).
   */
  readonly at: (age: number) => number;
  /** Whether anything (revisions or a lag prior) says days mature at all. */
  readonly known: boolean;
}

/** Ages developed: six weeks, the history the allocator reads. */
const MAX_AGE = 42;

const FINAL: Maturity = { at: () => 1, known: false };

/**
 * A row's conversions by the end of each age up to `until`, into `values` (read through `until`): a revision's
 * value stands through its `reportedOn`, the latest value after the last revision. One column serves every
 * row of a run, instead of one allocated, and collected, per row.
 */
const valuesByAge = (row: HistoryDay, until: number, values: Float64Array): Float64Array => {
  let age = 0;
  for (const revision of row.revisions ?? []) {
    const last = Math.min(until, daysBetween(row.date, revision.reportedOn));
    for (; age <= last; age += 1) values[age] = revision.conversions;
  }
  for (; age <= until; age += 1) values[age] = row.conversions;
  return values;
};

/** The geometric delay an attribution window of `lagDays` implies: 95% of a day reported by its end. */
const windowDelay = (lagDays: number) => (lagDays + 1) / 3;

/**
 * Whether a row's count was corrected rather than developed: from one age to the next it lost more than
 * half. A platform removing a double count or a test import is fixing an error the latest value already
 * carries; read as development, one day that first read 505 and then 5 sent a channel of five a day to the
 * cap, every newest day read as twice its final count.
 */
const corrected = (values: Float64Array, until: number) => {
  for (let a = 1; a <= until; a += 1) if (values[a]! < values[a - 1]! / 2) return true;
  return false;
};

/** Development sums per age: Σ value(a+1) and Σ value(a) over rows observed at both ages. */
interface DevelopmentSums {
  readonly next: Float64Array;
  readonly current: Float64Array;
}

const noDevelopment = (): DevelopmentSums => ({ next: new Float64Array(MAX_AGE), current: new Float64Array(MAX_AGE) });

/**
 * Each of `channelIds`' development sums over its own rows. A row without revisions is one that never
 * changed, from the first day the history records any restatement on: left out, the rows of a channel of a
 * few conversions a day that happened to stay put read its delay long, and a channel that reports final
 * numbers took the portfolio's delay and its newest days read several times their level. Rows before that
 * day may predate the recording (a backfill of final days). A corrected row ({@link corrected}) is left out.
 */
const developmentSums = (rows: readonly HistoryDay[], asOf: string, channelIds: Iterable<string>): Map<string, DevelopmentSums> => {
  const byChannel = new Map<string, DevelopmentSums>();
  for (const id of channelIds) byChannel.set(id, noDevelopment());
  let recordedFrom: string | undefined;
  for (const row of rows) {
    if (row.revisions && row.revisions.length > 0 && (recordedFrom === undefined || row.date < recordedFrom)) recordedFrom = row.date;
  }
  if (recordedFrom === undefined) return byChannel;
  const values = new Float64Array(MAX_AGE + 1);
  for (const row of rows) {
    if (row.date < recordedFrom) continue;
    // The latest value stands as of the end of the day before `asOf`.
    const until = Math.min(MAX_AGE, daysBetween(row.date, asOf) - 1);
    if (until <= 0) continue;
    const own = byChannel.get(row.channelId);
    if (!own) continue;
    if (corrected(valuesByAge(row, until, values), until)) continue;
    for (let a = 0; a < until; a += 1) {
      own.current[a]! += values[a]!;
      own.next[a]! += values[a + 1]!;
    }
  }
  return byChannel;
};

/**
 * The sampling variance of a development factor read from `current` conversions when `factor` is expected:
 * the ones still to come are about Poisson, so (f − 1) / current; the 1 / current keeps a factor of exactly
 * 1 from claiming certainty.
 */
const factorVariance = (sums: DevelopmentSums, age: number, factor: number) => {
  const current = sums.current[age]!;
  if (!(current > 0)) return Number.POSITIVE_INFINITY;
  return (Math.abs(factor - 1) + 1 / current) / current;
};

/** The most conversions a delay's factor counts for in a channel's: where the channel follows it, it is taken whole. */
const MAX_DELAY_WEIGHT = 1e9;

/** Mean reporting delays a channel's fit considers, in days: 0.05 to about 53, log-spaced (× 1.16). */
const DELAYS = Array.from({ length: 48 }, (_, i) => 0.05 * 1.16 ** i);

/** Share of a day reported by the end of `age` under a geometric reporting delay of mean `delay` days. */
const geometricMaturity = (delay: number, age: number) => -Math.expm1(-(age + 1) / delay);

/** Development factor at `age` of that delay: m(a + 1) / m(a). */
const geometricFactor = (delay: number, age: number) => geometricMaturity(delay, age + 1) / Math.max(1e-12, geometricMaturity(delay, age));

/** The ages at which some row of the channel has been seen and the one after. */
const agesSeen = (sums: DevelopmentSums) => Array.from({ length: MAX_AGE }, (_, a) => a).filter((a) => sums.current[a]! > 0);

/** Each candidate delay's factors at every age developed, computed once: every channel's fit reads them. */
const DELAY_FACTORS = DELAYS.map((delay) => Float64Array.from({ length: MAX_AGE }, (_, age) => geometricFactor(delay, age)));

/** Log of the step between candidate delays: a delay's standard error is never read finer than half of it. */
const LOG_STEP = Math.log(DELAYS[1]! / DELAYS[0]!);

/**
 * A channel's own reporting delay, on the log scale, and its standard error: the geometric delay whose
 * factors fit the channel's own at every age it has seen, each weighed by its sampling variance (a χ²), and
 * the error from where that χ² rises by one. A channel whose rows never change reads the shortest delays, all
 * alike. Undefined where no row of the channel has been seen at two ages.
 */
const ownDelay = (sums: DevelopmentSums): { log: number; variance: number } | undefined => {
  const ages = agesSeen(sums);
  if (ages.length === 0) return undefined;
  const observed = ages.map((a) => sums.next[a]! / sums.current[a]!);
  // Each age's variance is read at the factors a first fit expects, then held while the delays are scored
  // (iteratively reweighted, one round): read at the observed factor, a late factor of exactly 1 would claim
  // a precision that pulls the delay short; read at each candidate's, the widest variances would win.
  const chi2At = (variance: readonly number[]) =>
    DELAY_FACTORS.map((factors) => {
      let chi2 = 0;
      for (let i = 0; i < ages.length; i += 1) chi2 += (observed[i]! - factors[ages[i]!]!) ** 2 / variance[i]!;
      return chi2;
    });
  const bestOf = (chi2: readonly number[]) => chi2.indexOf(Math.min(...chi2));
  const first = bestOf(chi2At(ages.map((a, i) => factorVariance(sums, a, observed[i]!))));
  const chi2 = chi2At(ages.map((a) => factorVariance(sums, a, DELAY_FACTORS[first]![a]!)));
  const best = bestOf(chi2);
  const within = chi2.flatMap((c, k) => (c <= chi2[best]! + 1 ? [k] : []));
  const halfWidth = Math.max(0.5, (within.at(-1)! - within[0]!) / 2) * LOG_STEP;
  return { log: Math.log(DELAYS[best]!), variance: halfWidth ** 2 };
};

/**
 * Each channel's reporting delay in days, undefined where nothing says its days mature at all. A channel whose
 * rows show their development keeps its own delay, shrunk toward the portfolio's by how far the channels'
 * delays really differ (Paule–Mandel's between-channel variance of the log delay, as the weekday factors are
 * pooled): a channel of a few conversions a day takes the portfolio's, one with plenty keeps its own. One
 * without takes the delay its attribution window implies, else the portfolio's. A delay is one parameter that
 * every age of a channel's rows informs; shrinking each age's factor toward the portfolio's instead pulled a
 * slow channel among fast ones toward them at every age, and a video channel of nine a day (mean delay 6
 * days) read age 5 as 72% reported against a true 63%, so its newest day read a quarter short.
 */
const channelDelays = (
  byChannel: ReadonlyMap<string, DevelopmentSums>,
  lagDays: ReadonlyMap<string, number | undefined>,
): Map<string, number | undefined> => {
  const own = new Map(
    [...byChannel].flatMap(([id, sums]) => {
      const delay = ownDelay(sums);
      return delay ? [[id, delay] as const] : [];
    }),
  );
  const estimates = [...own.values()];
  const spread = betweenVariance(
    estimates.map((d) => d.log),
    estimates.map((d) => d.variance),
  );
  const weights = estimates.map((d) => 1 / (d.variance + spread));
  const centre = estimates.reduce((s, d, i) => s + weights[i]! * d.log, 0) / weights.reduce((a, b) => a + b, 0);
  const portfolio = estimates.length > 0 ? Math.exp(centre) : undefined;
  return new Map(
    [...lagDays].map(([id, lag]) => {
      const d = own.get(id);
      // A window of 0 days reports each day in full by its end.
      if (d === undefined) return [id, lag === undefined ? portfolio : lag === 0 ? undefined : windowDelay(lag)];
      return [id, Math.exp(spread > 0 ? (d.log / d.variance + centre / spread) / (1 / d.variance + 1 / spread) : centre)];
    }),
  );
};

/** The most a day's count is read above its final one: beyond, a restatement is a correction ({@link corrected}). */
const MOST_ABOVE_FINAL = 2;

/**
 * Maturity from development factors f(a): m(a) = 1 / Π_{k ≥ a} f(k), from age `MAX_AGE` on the delay's own
 * maturity (a delay of weeks is not final at six). A factor below 1 (a count restated down) counts: held at
 * 1, a day that read 50, then 120, then 100 for good read 0.417 reported at its first age, not 0.5.
 */
const fromFactors = (factors: Float64Array, delay: number): ((age: number) => number) => {
  const tail = new Float64Array(MAX_AGE + 1);
  tail[MAX_AGE] = geometricMaturity(delay, MAX_AGE);
  for (let a = MAX_AGE - 1; a >= 0; a -= 1) tail[a] = tail[a + 1]! / Math.max(1e-9, factors[a]!);
  return (age) =>
    age >= MAX_AGE ? geometricMaturity(delay, age) : Math.min(MOST_ABOVE_FINAL, Math.max(1e-3, tail[Math.max(0, Math.floor(age))]!));
};

/**
 * Each channel's maturity from its rows' revisions and its `conversionLagDays`: each age's development factor
 * shrunk toward the channel's delay ({@link channelDelays}), which carries on past the ages its rows reach.
 * Channels with neither revisions nor a lag prior count every day as final.
 */
export const learnMaturity = (
  history: readonly HistoryDay[],
  lagDays: ReadonlyMap<string, number | undefined>,
  asOf: string,
): Map<string, Maturity> => {
  const channelSums = developmentSums(history, asOf, lagDays.keys());
  const delays = channelDelays(channelSums, lagDays);
  const result = new Map<string, Maturity>();
  for (const [channelId, delay] of delays) {
    if (delay === undefined) {
      result.set(channelId, FINAL);
      continue;
    }
    const own = channelSums.get(channelId)!;
    const expected = Array.from({ length: MAX_AGE }, (_, a) => geometricFactor(delay, a));
    const variance = expected.map((factor, a) => factorVariance(own, a, factor));
    const ages = agesSeen(own);
    // How far the channel's own development departs from its delay's, beyond the noise of its counts (τ² of
    // its factors around the delay's): a geometric delay is only the simplest that has a mean, and a weekly
    // offline import or an attribution window's cut-off is none, so there the channel's own factors stand.
    const misfit = betweenVariance(
      ages.map((a) => own.next[a]! / own.current[a]! - expected[a]!),
      ages.map((a) => variance[a]!),
      0,
    );
    const factors = Float64Array.from({ length: MAX_AGE }, (_, a) => {
      // Nothing reported by an age but some later: the factor is at least the least under which seeing none of
      // those by then is still plausible (5%). Conversions imported overnight (thousands) read the day as barely
      // reported; one late conversion of a channel with a few quiet days, as the delay reads it.
      if (own.current[a] === 0 && own.next[a]! > 0) return Math.max(expected[a]!, 1 / -Math.expm1(Math.log(0.05) / own.next[a]!));
      // The conversions the delay's factor counts for in a channel's: its count times its variance over the misfit.
      const weight =
        own.current[a]! > 0 && misfit > 0 ? Math.min(MAX_DELAY_WEIGHT, (own.current[a]! * variance[a]!) / misfit) : MAX_DELAY_WEIGHT;
      return (own.next[a]! + weight * expected[a]!) / (own.current[a]! + weight);
    });
    result.set(channelId, { at: fromFactors(factors, delay), known: true });
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

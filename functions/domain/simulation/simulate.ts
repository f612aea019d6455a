import { allocate } from '../allocation/allocate.js';
import { FIT } from '../allocation/responseModel.js';
import type { HistoryDay } from '../allocation/schemas.js';
import { Portfolio } from '../config.js';
import { addDays, weekday } from '../dates.js';
import { roundTo } from '../money.js';
import { normal, poisson, substream } from '../random.js';
import { knownAllocation } from './known.js';
import { oracleAllocation } from './oracle.js';
import { multiplierOn, reportedShare, type Scenario, type ScenarioChannel, scenarioPortfolioFields, weeklyOn } from './scenario.js';
import { respond } from './trueCurve.js';

/**
 * The policies a backtest compares, in the order its table shows them: the ceiling (`oracle`), the
 * product's rules with the true curves (`known`), the product (`optimizer`), the product without exploration
 * (`greedy`), and two fixed splits.
 */
export const POLICIES = ['oracle', 'known', 'optimizer', 'greedy', 'fixed-share', 'equal'] as const;
export type Policy = (typeof POLICIES)[number];

/** The `--json` result of a backtest (docs/scenarios.md). */
export interface BacktestResult {
  readonly scenario: string;
  readonly policy: Policy;
  readonly days: number;
  readonly spend: number;
  readonly expectedConversions: number;
  readonly realizedConversions: number;
  readonly oracleExpectedConversions: number;
  readonly ratioToOracle: number;
  readonly cpa: number;
  /** Days the plan's true expected CPA was over the scenario's target, and the oracle's (when it sets one). */
  readonly targetExceededDays?: number;
  readonly oracleTargetExceededDays?: number;
  /** Days the allocator held the previous allocation. */
  readonly heldDays: number;
}

/** The first simulated day's date; only differences between dates matter. */
const DAY_ZERO = '2026-01-01';

/** The portfolio a scenario describes, as the allocator would read it from config. */
export const scenarioPortfolio = (scenario: Scenario) => Portfolio.parse(scenarioPortfolioFields(scenario));

/** Totals with every channel at the same level, clamped to [base, max], summing to the budget where possible. */
const equalLevels = (scenario: Scenario): number[] => {
  const at = (level: number) => scenario.channels.map((c) => Math.min(c.max, Math.max(c.base, level)));
  let lo = 0;
  let hi = scenario.dailyBudget;
  for (let i = 0; i < 60; i += 1) {
    const mid = (lo + hi) / 2;
    if (at(mid).reduce((a, b) => a + b, 0) > scenario.dailyBudget) hi = mid;
    else lo = mid;
  }
  return at(lo);
};

/** Day 0's previous allocation: the bases plus an equal split of the rest (docs/scenarios.md). */
export const dayZeroAllocation = (scenario: Scenario): number[] => {
  const spare = scenario.dailyBudget - scenario.channels.reduce((s, c) => s + c.base, 0);
  return scenario.channels.map((c) => Math.min(c.max, c.base + spare / scenario.channels.length));
};

/** Each channel's multiplier on a day: its events and its weekday. */
const multipliersOn = (scenario: Scenario, day: number, date: string) =>
  scenario.channels.map((c) => multiplierOn(c, day) * weeklyOn(scenario, c, weekday(date)));

/**
 * The oracle's spend for a day: the exact optimum of the day's true (steady-state) curves under the bases,
 * caps and budget, and the target CPA when the scenario sets one, cached by the day's multipliers.
 */
const oracleFor = (scenario: Scenario) => {
  const cache = new Map<string, number[]>();
  return (multipliers: readonly number[]) => {
    const key = multipliers.join(',');
    let spend = cache.get(key);
    if (!spend) {
      spend = oracleAllocation(
        scenario.channels.map((c, i) => ({ base: c.base, max: c.max, curve: c.response, multiplier: multipliers[i]! })),
        scenario.dailyBudget,
        scenario.targetCpa,
      );
      cache.set(key, spend);
    }
    return spend;
  };
};

/** Adstocked (effective) spend from a channel's spend history, newest last: equal to spend when sustained. */
const effectiveSpend = (channel: ScenarioChannel, spends: readonly number[]): number => {
  const decay = channel.adstock?.decay ?? 0;
  if (decay === 0) return spends.at(-1)!;
  let sum = 0;
  let weight = 0;
  for (let k = 0; k < spends.length && k < 60; k += 1) {
    const w = decay ** k;
    sum += w * spends[spends.length - 1 - k]!;
    weight += w;
  }
  return sum / weight;
};

/**
 * What a channel's platform has reported for one day by the end of `age` days: the final count once what is
 * left to come rounds to nothing. (Rounded down, a lagged day never reached it: its share only tends to 1, so
 * each day's last conversion was never reported, and a channel of nine a day read 11% below its truth.)
 */
const reportedBy = (channel: ScenarioChannel, finalCount: number, age: number) =>
  age < 0 ? 0 : Math.round(finalCount * reportedShare(channel, age));

/** One simulated day as a trace shows it: what the policy spent, and what it and the oracle expected to gain. */
export interface DayTrace {
  readonly day: number;
  readonly date: string;
  readonly totals: readonly number[];
  readonly oracle: readonly number[];
  readonly expected: number;
  readonly oracleExpected: number;
  /** What the allocator expected each channel to gain (incremental conversions), when the policy is the allocator. */
  readonly predicted?: readonly number[];
  /** The allocator's marginal CPA for each channel at its total (null where more spend buys nothing), when the policy is the allocator. */
  readonly marginalCpa?: readonly (number | null)[];
  /** Each channel's true expected conversions. */
  readonly truth: readonly number[];
}

export interface DayRecord {
  readonly date: string;
  readonly spend: number;
  /** Final reported conversions (incremental ÷ incrementality, plus organic) and revenue. */
  readonly reported: number;
  readonly revenue: number | undefined;
}

/** A day's history row as the platform shows it on `today`: matured as far as its age, with its revisions. */
export const historyRow = (channel: ScenarioChannel, record: DayRecord, day: number, today: number): HistoryDay => {
  const age = today - 1 - day;
  const value = (a: number) => reportedBy(channel, record.reported, a);
  const revenueAt = (a: number) => (record.revenue === undefined ? undefined : (record.revenue * value(a)) / Math.max(1, record.reported));
  const revisions: HistoryDay['revisions'] = [];
  for (let a = 0; a < age; a += 1) {
    if (value(a) !== value(a + 1)) {
      const revenue = revenueAt(a);
      revisions.push({ reportedOn: addDays(record.date, a), conversions: value(a), ...(revenue === undefined ? {} : { revenue }) });
    }
  }
  const revenue = revenueAt(age);
  return {
    channelId: channel.id,
    date: record.date,
    spend: record.spend,
    conversions: value(age),
    ...(revenue === undefined ? {} : { revenue }),
    ...(revisions.length > 0 ? { revisions } : {}),
  };
};

/**
 * Runs a policy through a scenario day by day. The policy sees only what a deployment would: each day's
 * spend and the conversions (and revenue) reported so far, restated as they mature, with their revisions.
 * Scoring uses the true expected incremental conversions of what was spent (under carryover, of the spend
 * history), so noise, lag and organic conversions do not decide the ranking.
 */
export const simulate = (scenario: Scenario, policy: Policy, onDay?: (day: DayTrace) => void): BacktestResult => {
  const portfolio = scenarioPortfolio(scenario);
  const oracle = oracleFor(scenario);
  const noise = scenario.channels.map((c) => substream(scenario.seed, `noise:${c.id}`));
  const organic = scenario.channels.map((c) => substream(scenario.seed, `organic:${c.id}`));
  const fixed = dayZeroAllocation(scenario);
  const equal = equalLevels(scenario);
  const records: DayRecord[][] = scenario.channels.map(() => []);
  // Spend before day 0 was the day-0 split, sustained; the oracle's own history is kept for its scoring.
  const spends = scenario.channels.map((_, i) => [fixed[i]!]);
  const oracleSpends = scenario.channels.map((_, i) => [fixed[i]!]);
  let previous = fixed;
  let spend = 0;
  let expected = 0;
  let realized = 0;
  let oracleExpected = 0;
  let exceeded = 0;
  let oracleExceeded = 0;
  let held = 0;
  for (let day = 0; day < scenario.days; day += 1) {
    const date = addDays(DAY_ZERO, day);
    const multipliers = multipliersOn(scenario, day, date);
    const truth = (i: number, s: number) => multipliers[i]! * respond(scenario.channels[i]!.response, s);
    let totals: number[];
    let predicted: number[] | undefined;
    let marginalCpa: (number | null)[] | undefined;
    if (policy === 'optimizer' || policy === 'greedy') {
      // The allocator reads sixteen weeks (six for its curves, all for the weekday factors), as a deployment does.
      const from = Math.max(0, day - FIT.weeklyLookbackDays);
      const history = scenario.channels.flatMap((c, i) => records[i]!.slice(from).map((r, d) => historyRow(c, r, from + d, day)));
      const allocation = allocate(
        {
          portfolio,
          history,
          previous: { channels: scenario.channels.map((c, i) => ({ channelId: c.id, total: previous[i]! })) },
          stopLoss: [],
          releaseReserve: false,
          asOf: date,
          seed: scenario.seed + day,
        },
        { exploration: policy === 'optimizer' },
      );
      if (allocation.status === 'held') held += 1;
      totals = allocation.channels.map((c) => c.total);
      predicted = allocation.channels.map((c) => c.incrementalConversions ?? c.expectedConversions);
      marginalCpa = allocation.channels.map((c) => c.marginalCpa);
    } else if (policy === 'known') totals = knownAllocation(scenario, multipliers, previous);
    else if (policy === 'fixed-share') totals = fixed;
    else if (policy === 'equal') totals = equal;
    else totals = oracle(multipliers);

    const best = oracle(multipliers);
    let dayMean = 0;
    let oracleMean = 0;
    const dayTruth: number[] = [];
    scenario.channels.forEach((channel, i) => {
      spends[i]!.push(totals[i]!);
      oracleSpends[i]!.push(best[i]!);
      const mean = truth(i, effectiveSpend(channel, spends[i]!));
      const observed =
        channel.noise.type === 'poisson'
          ? poisson(noise[i]!, mean)
          : mean * Math.exp(channel.noise.sigma * normal(noise[i]!) - channel.noise.sigma ** 2 / 2);
      const organicCount = channel.baseline > 0 ? poisson(organic[i]!, channel.baseline * weeklyOn(scenario, channel, weekday(date))) : 0;
      const reported = Math.round(observed / channel.incrementality + organicCount);
      const revenue = channel.orderValue
        ? reported * channel.orderValue.mean * Math.exp(channel.orderValue.sigma * normal(noise[i]!) - channel.orderValue.sigma ** 2 / 2)
        : undefined;
      records[i]!.push({ date, spend: totals[i]!, reported, revenue });
      spend += totals[i]!;
      expected += mean;
      dayMean += mean;
      dayTruth.push(mean);
      realized += observed;
      const oracleDay = truth(i, effectiveSpend(channel, oracleSpends[i]!));
      oracleExpected += oracleDay;
      oracleMean += oracleDay;
    });
    if (scenario.targetCpa !== undefined) {
      const over = (s: readonly number[], mean: number) => s.reduce((a, b) => a + b, 0) > scenario.targetCpa! * mean * (1 + 1e-6);
      if (over(totals, dayMean)) exceeded += 1;
      if (over(best, oracleMean)) oracleExceeded += 1;
    }
    onDay?.({
      day,
      date,
      totals,
      oracle: best,
      expected: dayMean,
      oracleExpected: oracleMean,
      truth: dayTruth,
      ...(predicted === undefined ? {} : { predicted }),
      ...(marginalCpa === undefined ? {} : { marginalCpa }),
    });
    previous = totals;
  }
  const round = (x: number, d = 2) => roundTo(x, d);
  return {
    scenario: scenario.name,
    policy,
    days: scenario.days,
    spend: round(spend),
    expectedConversions: round(expected, 1),
    realizedConversions: round(realized, 1),
    oracleExpectedConversions: round(oracleExpected, 1),
    ratioToOracle: round(expected / oracleExpected, 4),
    cpa: round(spend / expected),
    ...(scenario.targetCpa === undefined ? {} : { targetExceededDays: exceeded, oracleTargetExceededDays: oracleExceeded }),
    heldDays: held,
  };
};

import { allocate } from '../allocation/allocate.js';
import type { HistoryDay } from '../allocation/schemas.js';
import { Portfolio } from '../config.js';
import { addDays } from '../dates.js';
import { roundTo } from '../money.js';
import { normal, poisson, substream } from '../random.js';
import { oracleAllocation } from './oracle.js';
import { multiplierOn, type Scenario } from './scenario.js';
import { respond } from './trueCurve.js';

export const POLICIES = ['optimizer', 'fixed-share', 'equal', 'greedy', 'oracle'] as const;
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
}

/** The first simulated day's date; only differences between dates matter. */
const DAY_ZERO = '2026-01-01';

/** The portfolio a scenario describes, as the allocator would read it from config. */
export const scenarioPortfolio = (scenario: Scenario) =>
  Portfolio.parse({
    id: 'scenario',
    name: scenario.name,
    currency: 'USD',
    timezone: 'UTC',
    budget: { daily: scenario.dailyBudget, explorationShare: scenario.explorationShare, maxDailyChange: scenario.maxDailyChange },
    channels: scenario.channels.map((c) => ({ id: c.id, platform: 'generic', base: c.base, max: c.max, explore: c.explore })),
  });

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

/** The oracle's spend for a day, cached by the day's true multipliers (they change only at events). */
const oracleFor = (scenario: Scenario) => {
  const cache = new Map<string, number[]>();
  return (day: number) => {
    const multipliers = scenario.channels.map((c) => multiplierOn(c, day));
    const key = multipliers.join(',');
    let spend = cache.get(key);
    if (!spend) {
      spend = oracleAllocation(
        scenario.channels.map((c, i) => ({ base: c.base, max: c.max, curve: c.response, multiplier: multipliers[i]! })),
        scenario.dailyBudget,
      );
      cache.set(key, spend);
    }
    return spend;
  };
};

/**
 * Runs a policy through a scenario day by day. The policy sees only what a deployment would: each day's
 * spend and realized (noisy) conversions. Scoring uses expected conversions under the true curves, so
 * noise does not decide the ranking.
 */
export const simulate = (scenario: Scenario, policy: Policy): BacktestResult => {
  const portfolio = scenarioPortfolio(scenario);
  const oracle = oracleFor(scenario);
  const noise = scenario.channels.map((c) => substream(scenario.seed, `noise:${c.id}`));
  const fixed = dayZeroAllocation(scenario);
  const equal = equalLevels(scenario);
  const history: HistoryDay[] = [];
  let previous = fixed;
  let spend = 0;
  let expected = 0;
  let realized = 0;
  let oracleExpected = 0;
  for (let day = 0; day < scenario.days; day += 1) {
    const date = addDays(DAY_ZERO, day);
    const multipliers = scenario.channels.map((c) => multiplierOn(c, day));
    const truth = (i: number, s: number) => multipliers[i]! * respond(scenario.channels[i]!.response, s);
    let totals: number[];
    if (policy === 'optimizer' || policy === 'greedy') {
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
      totals = allocation.channels.map((c) => c.total);
    } else if (policy === 'fixed-share') totals = fixed;
    else if (policy === 'equal') totals = equal;
    else totals = oracle(day);

    const best = oracle(day);
    scenario.channels.forEach((channel, i) => {
      const mean = truth(i, totals[i]!);
      const observed =
        channel.noise.type === 'poisson'
          ? poisson(noise[i]!, mean)
          : mean * Math.exp(channel.noise.sigma * normal(noise[i]!) - channel.noise.sigma ** 2 / 2);
      history.push({ channelId: channel.id, date, spend: totals[i]!, conversions: observed });
      spend += totals[i]!;
      expected += mean;
      realized += observed;
      oracleExpected += truth(i, best[i]!);
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
  };
};

import { Portfolio } from '../config.js';
import * as z from '../schema.js';
import { ResponseCurve } from './trueCurve.js';

const Weekly = z.array(z.number().check(z.positive())).check(z.length(7));

/** A simulated market with known truth (docs/scenarios.md). */
const ScenarioFields = z.strictObject({
  name: z.string().check(z.minLength(1)),
  seed: z.int(),
  days: z.int().check(z.gte(1), z.lte(3650)),
  dailyBudget: z.number().check(z.positive()),
  explorationShare: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0.1),
  maxDailyChange: z._default(z.number().check(z.gt(0)), 0.25),
  channels: z
    .array(
      z.strictObject({
        id: z.string().check(z.minLength(1)),
        base: z.number().check(z.nonnegative()),
        max: z.number().check(z.positive()),
        explore: z._default(z.boolean(), true),
        response: ResponseCurve,
        noise: z.discriminatedUnion('type', [
          z.strictObject({ type: z.literal('poisson') }),
          z.strictObject({ type: z.literal('lognormal'), sigma: z.number().check(z.positive()) }),
        ]),
        events: z._default(z.array(z.strictObject({ day: z.int().check(z.gte(0)), multiplier: z.number().check(z.nonnegative()) })), []),
        /** This channel's own weekday multipliers (overrides the scenario's). */
        weekly: z.optional(Weekly),
        /** Geometric carryover: the share of a day's effective spend carried to the next. */
        adstock: z.optional(z.strictObject({ decay: z.number().check(z.gte(0), z.lt(1)) })),
        /**
         * Conversion lag: a day's count is reported over the following days, a share 1 − e^(−(age+1)/meanDays) by
         * the end of each age; `windowDays`, when set, is told to the allocator as the channel's attribution window.
         */
        lag: z.optional(
          z.strictObject({
            meanDays: z.number().check(z.positive(), z.lte(30)),
            windowDays: z.optional(z.int().check(z.gte(0), z.lte(90))),
          }),
        ),
        /** Organic conversions a day the platform reports for the channel whatever it spends. */
        baseline: z._default(z.number().check(z.nonnegative()), 0),
        /** The share of its paid conversions the platform reports that are incremental (a lift test's answer, told to the allocator). */
        incrementality: z._default(z.number().check(z.gt(0), z.lte(1)), 1),
        /** Revenue per reported conversion, with lognormal noise. */
        orderValue: z.optional(
          z.strictObject({ mean: z.number().check(z.positive()), sigma: z._default(z.number().check(z.nonnegative()), 0) }),
        ),
      }),
    )
    .check(z.minLength(1)),
  /** Weekday multipliers of every channel's true curve, Monday first (they should average about 1). */
  weekly: z.optional(Weekly),
  /** A target CPA the portfolio plans under; exceedance days are counted on the true expected CPA. */
  targetCpa: z.optional(z.number().check(z.positive())),
});

/** The portfolio config a scenario describes, as the allocator would read it from config (before its checks). */
export const scenarioPortfolioFields = (scenario: z.infer<typeof ScenarioFields>) => ({
  id: 'scenario',
  name: scenario.name,
  currency: 'USD',
  timezone: 'UTC',
  budget: { daily: scenario.dailyBudget, explorationShare: scenario.explorationShare, maxDailyChange: scenario.maxDailyChange },
  objective: { maximize: 'conversions', targetCpa: scenario.targetCpa ?? null },
  channels: scenario.channels.map((c) => ({
    id: c.id,
    platform: 'generic',
    base: c.base,
    max: c.max,
    explore: c.explore,
    ...(c.lag?.windowDays === undefined ? {} : { conversionLagDays: c.lag.windowDays }),
    ...(c.incrementality < 1 ? { incrementality: c.incrementality } : {}),
  })),
});

/** Where a portfolio config's field comes from in the scenario. */
const SCENARIO_PATHS: Record<string, string> = {
  'budget.daily': 'dailyBudget',
  'budget.explorationShare': 'explorationShare',
  'budget.maxDailyChange': 'maxDailyChange',
  'objective.targetCpa': 'targetCpa',
};

/**
 * A scenario, valid when the portfolio it describes is: a config's own checks (channel ids once each, a base
 * within its max, the bases within the budget) hold of a scenario too, each at the scenario's own path. Checked
 * only here, a scenario that broke them passed and then crashed the backtest.
 */
export const Scenario = ScenarioFields.check(
  z.superRefine((scenario, ctx) => {
    const portfolio = Portfolio.safeParse(scenarioPortfolioFields(scenario));
    if (portfolio.success) return;
    for (const issue of portfolio.error.issues) {
      const dotted = issue.path.join('.');
      const path = SCENARIO_PATHS[dotted]?.split('.') ?? issue.path;
      ctx.addIssue({ code: 'custom', path: path as PropertyKey[], message: issue.message, input: scenario });
    }
  }),
);
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioChannel = Scenario['channels'][number];

/** The true curve's multiplier on `day`: the product of every event that has started. */
export const multiplierOn = (channel: ScenarioChannel, day: number): number =>
  channel.events.filter((e) => e.day <= day).reduce((m, e) => m * e.multiplier, 1);

/** The true curve's weekday multiplier on a day (Monday-first in the scenario, `getUTCDay` here). */
export const weeklyOn = (scenario: Scenario, channel: ScenarioChannel, weekday: number): number =>
  (channel.weekly ?? scenario.weekly)?.[(weekday + 6) % 7] ?? 1;

/** Share of a day's conversions reported by the end of `age` days. */
export const reportedShare = (channel: ScenarioChannel, age: number): number =>
  channel.lag ? 1 - Math.exp(-(age + 1) / channel.lag.meanDays) : 1;

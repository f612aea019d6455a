import * as z from '../schema.js';
import { ResponseCurve } from './trueCurve.js';

/** A simulated market with known truth (docs/scenarios.md). */
export const Scenario = z.strictObject({
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
      }),
    )
    .check(z.minLength(1)),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioChannel = Scenario['channels'][number];

/** The true curve's multiplier on `day`: the product of every event that has started. */
export const multiplierOn = (channel: ScenarioChannel, day: number): number =>
  channel.events.filter((e) => e.day <= day).reduce((m, e) => m * e.multiplier, 1);

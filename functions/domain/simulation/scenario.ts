import { z } from 'zod';
import { ResponseCurve } from '../response.js';

/** A simulated market with known truth (CONTRACTS §5). */
export const Scenario = z.strictObject({
  name: z.string().min(1),
  seed: z.int(),
  days: z.int().min(1).max(3650),
  dailyBudget: z.number().positive(),
  explorationShare: z.number().min(0).max(0.5).default(0.1),
  maxDailyChange: z.number().gt(0).default(0.25),
  channels: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        base: z.number().nonnegative(),
        max: z.number().positive(),
        explore: z.boolean().default(true),
        response: ResponseCurve,
        noise: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('poisson') }), z.strictObject({ type: z.literal('lognormal'), sigma: z.number().positive() })]),
        events: z.array(z.strictObject({ day: z.int().min(0), multiplier: z.number().nonnegative() })).default([]),
      }),
    )
    .min(1),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioChannel = Scenario['channels'][number];

/** The true curve's multiplier on `day`: the product of every event that has started. */
export const multiplierOn = (channel: ScenarioChannel, day: number): number =>
  channel.events.filter((e) => e.day <= day).reduce((m, e) => m * e.multiplier, 1);

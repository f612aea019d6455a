import { Portfolio } from '../config.js';
import { IsoDate } from '../dates.js';
import * as z from '../schema.js';

/** One channel-day of observed performance, money in currency units. */
export const HistoryDay = z.strictObject({
  channelId: z.string().check(z.minLength(1)),
  date: IsoDate,
  spend: z.number().check(z.nonnegative()),
  conversions: z.number().check(z.nonnegative()),
  revenue: z.optional(z.number().check(z.nonnegative())),
});

/** What the allocator decides from (docs/allocation.md); the reallocation function builds the same object. */
export const AllocationInput = z.strictObject({
  portfolio: Portfolio,
  history: z.array(HistoryDay),
  previous: z._default(
    z.nullable(
      z.strictObject({
        channels: z.array(z.strictObject({ channelId: z.string().check(z.minLength(1)), total: z.number().check(z.nonnegative()) })),
      }),
    ),
    null,
  ),
  stopLoss: z._default(z.array(z.string().check(z.minLength(1))), []),
  asOf: IsoDate,
  seed: z._default(z.int(), 0),
});

export const ChannelAllocation = z.object({
  channelId: z.string(),
  base: z.number(),
  performance: z.number(),
  exploration: z.number(),
  total: z.number(),
  previousTotal: z.nullable(z.number()),
  expectedConversions: z.number(),
  /** Cost of one more conversion at this spend; null when more spend buys nothing. */
  marginalCpa: z.nullable(z.number()),
  reason: z.string(),
});

/** The allocator's decision (docs/allocation.md); the body of a snapshot. */
export const Allocation = z.object({
  status: z.enum(['optimal', 'held']),
  /** Why the allocation was held; absent when optimal. */
  reason: z.optional(z.string()),
  asOf: IsoDate,
  total: z.number(),
  channels: z.array(ChannelAllocation),
  exploration: z.number(),
  expectedConversions: z.number(),
  /** Expected revenue, when the portfolio maximizes revenue. */
  expectedRevenue: z.optional(z.number()),
  solver: z.object({ name: z.string(), ms: z.number(), variables: z.optional(z.number()), presolved: z.optional(z.boolean()) }),
});

export type HistoryDay = z.infer<typeof HistoryDay>;
export type AllocationInput = z.infer<typeof AllocationInput>;
export type AllocationInputRaw = z.input<typeof AllocationInput>;
export type ChannelAllocation = z.infer<typeof ChannelAllocation>;
export type Allocation = z.infer<typeof Allocation>;

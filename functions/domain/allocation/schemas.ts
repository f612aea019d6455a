import { z } from 'zod';
import { Portfolio } from '../config.js';
import { IsoDate } from '../dates.js';

/** One channel-day of observed performance, money in currency units. */
export const HistoryDay = z.strictObject({
  channelId: z.string().min(1),
  date: IsoDate,
  spend: z.number().nonnegative().finite(),
  conversions: z.number().nonnegative().finite(),
  revenue: z.number().nonnegative().finite().optional(),
});

/** What the allocator decides from (CONTRACTS §4); the reallocation function builds the same object. */
export const AllocationInput = z.strictObject({
  portfolio: Portfolio,
  history: z.array(HistoryDay),
  previous: z
    .strictObject({ channels: z.array(z.strictObject({ channelId: z.string().min(1), total: z.number().nonnegative().finite() })) })
    .nullable()
    .default(null),
  stopLoss: z.array(z.string().min(1)).default([]),
  asOf: IsoDate,
  seed: z.int().default(0),
});

export const ChannelAllocation = z.object({
  channelId: z.string(),
  base: z.number(),
  performance: z.number(),
  exploration: z.number(),
  total: z.number(),
  previousTotal: z.number().nullable(),
  expectedConversions: z.number(),
  /** Cost of one more conversion at this spend; null when more spend buys nothing. */
  marginalCpa: z.number().nullable(),
  reason: z.string(),
});

/** The allocator's decision (CONTRACTS §4); the body of a snapshot. */
export const Allocation = z.object({
  status: z.enum(['optimal', 'held']),
  /** Why the allocation was held; absent when optimal. */
  reason: z.string().optional(),
  asOf: IsoDate,
  total: z.number(),
  channels: z.array(ChannelAllocation),
  exploration: z.number(),
  expectedConversions: z.number(),
  /** Expected revenue, when the portfolio maximizes revenue. */
  expectedRevenue: z.number().optional(),
  solver: z.object({ name: z.string(), ms: z.number(), variables: z.number().optional(), presolved: z.boolean().optional() }),
});

export type HistoryDay = z.infer<typeof HistoryDay>;
export type AllocationInput = z.infer<typeof AllocationInput>;
export type AllocationInputRaw = z.input<typeof AllocationInput>;
export type ChannelAllocation = z.infer<typeof ChannelAllocation>;
export type Allocation = z.infer<typeof Allocation>;

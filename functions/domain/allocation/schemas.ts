import { Portfolio } from '../config.js';
import { IsoDate } from '../dates.js';
import { MAX_AMOUNT } from '../money.js';
import * as z from '../schema.js';

/**
 * A non-negative amount (money in currency units, or a count of conversions) no larger than any field of
 * the service may carry: a finite but huge input (1e308) would turn the fits' products into Infinity.
 */
const Amount = z.number().check(z.nonnegative(), z.lte(MAX_AMOUNT));

/** A row's values as they stood at the end of an earlier day on which they later changed. */
export const Revision = z.strictObject({
  reportedOn: IsoDate,
  conversions: Amount,
  revenue: z.optional(Amount),
});

/** One channel-day of observed performance, money in currency units; `revisions` oldest first. */
export const HistoryDay = z
  .strictObject({
    channelId: z.string().check(z.minLength(1)),
    date: IsoDate,
    spend: Amount,
    conversions: Amount,
    revenue: z.optional(Amount),
    revisions: z.optional(z.array(Revision).check(z.maxLength(120))),
  })
  .check(
    z.superRefine((row, ctx) => {
      row.revisions?.forEach((revision, i) => {
        if (isDate(row.date) && isDate(revision.reportedOn) && revision.reportedOn < row.date) {
          ctx.addIssue({ code: 'custom', path: ['revisions', i, 'reportedOn'], message: `reported before the day itself (${row.date})` });
        }
        const before = row.revisions![i - 1];
        if (before && revision.reportedOn <= before.reportedOn) {
          ctx.addIssue({ code: 'custom', path: ['revisions', i, 'reportedOn'], message: 'revisions must be oldest first, one per day' });
        }
      });
    }),
  );

/**
 * A published plan's channel totals, as a later run reads them. A channel may appear once; one the config
 * no longer has is ignored (a plan made before the channel was removed).
 */
export const PlanTotals = z.strictObject({
  channels: z.array(z.strictObject({ channelId: z.string().check(z.minLength(1)), total: Amount })).check(
    z.superRefine((channels, ctx) => {
      channels.forEach((c, i) => {
        const first = channels.findIndex((other) => other.channelId === c.channelId);
        if (first < i)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'channelId'],
            message: `channel "${c.channelId}" is already at channels[${first}]`,
            input: c,
          });
      });
    }),
  ),
});

/** Whether `date` is a real calendar date: a date compared with another must be one, else its own schema reports it. */
const isDate = (date: string): boolean => IsoDate.safeParse(date).success;

/**
 * What the allocator cannot honour although each field is well formed: the same channel-day twice (which
 * row is the day?); a row, or a revision, dated on a day the allocation cannot have seen (a row on `asOf`
 * would be a partial day read as whole, a later one a day to come); a row or a stop-loss for a channel the
 * portfolio does not have (the allocator would drop the row without a word). The reallocation never sends
 * any of them: it reads the days before `asOf` of the portfolio's own channels.
 */
const checkInput = (
  input: { history: readonly HistoryDay[]; stopLoss: readonly string[]; asOf: string; portfolio: { channels: readonly { id: string }[] } },
  ctx: z.core.$RefinementCtx<unknown>,
): void => {
  const channels = new Set(input.portfolio.channels.map((c) => c.id));
  const seen = new Map<string, number>();
  // An invalid asOf or date is reported once, at its own path, not again as a comparison against it.
  const asOfValid = isDate(input.asOf);
  input.history.forEach((row, i) => {
    if (asOfValid && isDate(row.date) && row.date >= input.asOf)
      ctx.addIssue({
        code: 'custom',
        path: ['history', i, 'date'],
        message: `on or after asOf (${input.asOf}): history holds only days before the day being decided`,
      });
    if (!channels.has(row.channelId))
      ctx.addIssue({ code: 'custom', path: ['history', i, 'channelId'], message: `"${row.channelId}" is not a channel of the portfolio` });
    const key = `${row.channelId}\u0000${row.date}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: ['history', i],
        message: `channel "${row.channelId}" on ${row.date} is already at history[${first}]`,
      });
    row.revisions?.forEach((revision, r) => {
      if (asOfValid && isDate(revision.reportedOn) && revision.reportedOn > input.asOf)
        ctx.addIssue({
          code: 'custom',
          path: ['history', i, 'revisions', r, 'reportedOn'],
          message: `reported after asOf (${input.asOf}): the allocation cannot know it yet`,
        });
    });
  });
  input.stopLoss.forEach((id, i) => {
    if (!channels.has(id)) ctx.addIssue({ code: 'custom', path: ['stopLoss', i], message: `"${id}" is not a channel of the portfolio` });
  });
};

/** The fields of {@link AllocationInput}, before the checks across them. */
const AllocationInputFields = z.strictObject({
  portfolio: Portfolio,
  history: z.array(HistoryDay),
  /** The plan in force now (`LATEST`): what a held run keeps, and what each channel's reason compares with. */
  previous: z._default(z.nullable(PlanTotals), null),
  /**
   * The plan in force when the portfolio's local day began: `maxDailyChange` is measured from it, so any
   * number of runs in one day stay within the limit. Absent, `previous` is the reference (one run a day).
   */
  dayStart: z.optional(z.nullable(PlanTotals)),
  stopLoss: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** Place the reserve too (an on-demand release, with a reason recorded in the snapshot's trigger). */
  releaseReserve: z._default(z.boolean(), false),
  asOf: IsoDate,
  seed: z._default(z.int(), 0),
});

/** What the allocator decides from (docs/allocation.md); the reallocation function builds the same object. */
export const AllocationInput = AllocationInputFields.check(
  z.superRefine(
    (input, ctx) => {
      try {
        checkInput(input, ctx);
      } catch {
        // A part too malformed to cross-check is already reported by its own schema.
      }
    },
    // Cross-field checks run even when a field elsewhere is wrong, so one pass reports every problem.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  ),
);

export const ChannelAllocation = z.object({
  channelId: z.string(),
  base: z.number(),
  performance: z.number(),
  exploration: z.number(),
  total: z.number(),
  previousTotal: z.nullable(z.number()),
  expectedConversions: z.number(),
  /** Of those, the conversions the channel causes: its curve without the organic baseline, times its incrementality. */
  incrementalConversions: z.optional(z.number()),
  /** Cost of one more incremental conversion at this spend; null when more spend buys nothing. */
  marginalCpa: z.nullable(z.number()),
  /** kg CO2e a day at the total, when the channel declares its carbon intensity. */
  carbonKg: z.optional(z.number()),
  /**
   * The fitted curve, incremental and in the objective's unit: `[spend, low, mean, high]` points from 0 to
   * the channel's max (the band is the 10th–90th posterior percentile), the current and planned spends
   * among them. Present on solved allocations of up to 60 channels.
   */
  curve: z.optional(z.array(z.tuple([z.number(), z.number(), z.number(), z.number()]))),
  /** Effective days of history the curve rests on (recent days weigh more); 0 for a channel without data. */
  evidenceDays: z.optional(z.number()),
  reason: z.string(),
});

/** The plan's expected outcome next to splitting the same spend as it was spent lately. */
export const Outcome = z.object({
  unit: z.enum(['conversions', 'revenue']),
  /** Expected incremental value, and its 10th–90th percentile interval. */
  expected: z.number(),
  low: z.number(),
  high: z.number(),
  /** Expected from the same total split in each channel's share of the last 14 days' spend. */
  fixedShare: z.number(),
  /** expected / fixedShare − 1 (the optimized-versus-current lift); null when the fixed split expects nothing. */
  lift: z.nullable(z.number()),
});

/** A constraint that binds at the optimum, priced: what relaxing it by one unit would add to the objective. */
export const BindingConstraint = z.object({
  /** `budget`, `targetCpa`, `minRoas`, `carbon`, `group:<id>`, `max:<channel>` or `change:<channel>`. */
  id: z.string(),
  binding: z.boolean(),
  /** In the objective's unit (conversions, or revenue) per unit of the constraint (currency, 1 of CPA, 1.0 of ROAS, kg). */
  shadowPrice: z.number(),
  /**
   * How far a target, or a group's share, is missed when nothing within today's limits meets it, in its own
   * row's units (a group's: currency, from its share of the allocatable budget to its total).
   */
  unmet: z.optional(z.number()),
  /** On a binding target: what planning it with caution costs, in the objective's unit a day (docs/allocation.md). */
  cautionCost: z.optional(z.number()),
  explanation: z.string(),
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
  /** Held back from today's allocation (`budget.reserveShare`), unless released. */
  reserve: z._default(z.number(), 0),
  /** Allocatable budget left unplaced, and the constraints that hold it back. */
  unallocated: z.optional(z.object({ amount: z.number(), reasons: z.array(z.string()) })),
  constraints: z._default(z.array(BindingConstraint), []),
  /** kg CO2e a day of the whole plan, when channels declare their carbon intensity. */
  carbonKg: z.optional(z.number()),
  expectedConversions: z.number(),
  /** Expected revenue, when the portfolio maximizes revenue. */
  expectedRevenue: z.optional(z.number()),
  /** On solved allocations. */
  outcome: z.optional(Outcome),
  solver: z.object({ name: z.string(), ms: z.number(), variables: z.optional(z.number()), presolved: z.optional(z.boolean()) }),
});

export type Revision = z.infer<typeof Revision>;
export type PlanTotals = z.infer<typeof PlanTotals>;
export type HistoryDay = z.infer<typeof HistoryDay>;
export type AllocationInput = z.infer<typeof AllocationInput>;
export type AllocationInputRaw = z.input<typeof AllocationInput>;
export type ChannelAllocation = z.infer<typeof ChannelAllocation>;
export type Allocation = z.infer<typeof Allocation>;
export type BindingConstraint = z.infer<typeof BindingConstraint>;

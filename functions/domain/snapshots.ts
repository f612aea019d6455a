import { FIT } from './allocation/responseModel.js';
import { Allocation, type AllocationInput, type PlanTotals } from './allocation/schemas.js';
import { groupBy } from './collections.js';
import type { Portfolio } from './config.js';
import { addDays, IsoDate } from './dates.js';
import { canonicalJson, sha256 } from './hash.js';
import { type DailyTotal, type RowVersion, revisionsOf } from './metrics.js';
import * as z from './schema.js';
import { Text } from './text.js';

/** What started a run: a schedule window (at-least-once, so the window is its idempotency key), or a person. */
export const Trigger = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('schedule'), window: z.iso.datetime() }),
  z.strictObject({
    kind: z.literal('on-demand'),
    by: z.string().check(z.minLength(1)),
    /** Present when the run released the reserve, with the reason its caller gave. */
    releaseReserve: z.optional(z.strictObject({ reason: z.string().check(z.minLength(1), z.maxLength(500)) })),
  }),
]);

/** The body of `POST /portfolios/{id}/reallocate`: empty, or a release of the reserve with its reason (a reason alone is refused). */
export const ReallocateRequest = z.pipe(
  z.strictObject({
    releaseReserve: z._default(z.boolean(), false),
    reason: z.optional(Text(500)),
  }),
  z.transform((body, ctx) => {
    if (body.releaseReserve && !body.reason) {
      ctx.issues.push({ code: 'custom', path: ['reason'], message: 'releasing the reserve needs a reason', input: body });
    }
    // Recorded only with a release: a reason beside none was dropped without a word, and the run went ahead as
    // a plain reallocation its caller may not have meant.
    if (!body.releaseReserve && body.reason) {
      ctx.issues.push({
        code: 'custom',
        path: ['reason'],
        message: 'a reason goes with releasing the reserve: send "releaseReserve": true with it, or leave it out',
        input: body,
      });
    }
    return body.releaseReserve && body.reason ? { releaseReserve: { reason: body.reason } } : {};
  }),
);

/**
 * An immutable allocation snapshot: what was decided, from which data, under which config, and why it ran.
 * `computation` says whether the allocator solved, or reused the previous snapshot because its input was
 * identical (same data, config, previous totals and day, so the allocator would give the same answer).
 */
export const Snapshot = z.object({
  snapshotId: z.string(),
  portfolioId: z.string(),
  createdAt: z.iso.datetime(),
  configHash: z.string(),
  /** The newest metric date the run saw; null when there was none. */
  watermark: z.nullable(IsoDate),
  /** SHA-256 of the canonical allocation input: equal hashes, equal decisions. */
  inputHash: z.string(),
  computation: z.enum(['solved', 'reused']),
  reusedFrom: z.optional(z.string()),
  trigger: Trigger,
  allocation: Allocation,
});

export type Trigger = z.infer<typeof Trigger>;
export type Snapshot = z.infer<typeof Snapshot>;

/** A reserve released into a snapshot's plan: by whom (the caller the run was on behalf of), when (the run's instant) and why. */
export interface ReserveRelease {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
}

/** Who released the reserve into this snapshot's plan, when and why, as its trigger records it; undefined when the reserve was held back. */
export const reserveRelease = (snapshot: Pick<Snapshot, 'trigger' | 'createdAt'>): ReserveRelease | undefined =>
  snapshot.trigger.kind === 'on-demand' && snapshot.trigger.releaseReserve !== undefined
    ? { by: snapshot.trigger.by, at: snapshot.createdAt, reason: snapshot.trigger.releaseReserve.reason }
    : undefined;

/**
 * A time-ordered snapshot id: the creation instant in compact ISO form (fixed width, so ids sort by time)
 * and a random suffix that separates runs in the same millisecond, e.g. `20261122T101500123Z-3f9a1c`.
 */
export const snapshotId = (createdAt: Date, suffix: string): string => `${compactInstant(createdAt)}-${suffix}`;

const compactInstant = (at: Date): string => at.toISOString().replace(/[-:.]/g, '');

/**
 * The snapshot-id bounds of a `from`/`to` filter given as a date (whole day) or an instant, inclusive.
 * Returns undefined when the value is neither.
 */
export const snapshotIdBound = (value: string, side: 'from' | 'to'): string | undefined => {
  if (IsoDate.safeParse(value).success) return side === 'from' ? value.replaceAll('-', '') : `${value.replaceAll('-', '')}~`;
  const at = new Date(value);
  if (!z.iso.datetime({ offset: true }).safeParse(value).success || Number.isNaN(at.getTime())) return undefined;
  return side === 'from' ? compactInstant(at) : `${compactInstant(at)}~`;
};

/** The seed of a portfolio's allocation on a day: fixed per (portfolio, day), so reruns agree. */
export const allocationSeed = (portfolioId: string, asOf: string): number =>
  Number.parseInt(sha256(`${portfolioId}#${asOf}`).slice(0, 8), 16);

/**
 * The days of history the allocator reads, ending the day before `asOf`: sixteen weeks of daily totals for
 * the weekday factors, and the revisions of the six weeks its curves and maturity are learned from.
 */
export const historyRange = (asOf: string) => ({
  from: addDays(asOf, -FIT.weeklyLookbackDays),
  revisionsFrom: addDays(asOf, -FIT.lookbackDays),
  to: addDays(asOf, -1),
});

/**
 * The allocation input's history rows from stored daily totals and the versions of their daily rows: each
 * row with the revisions it went through (in the portfolio's zone), so the allocator can learn how days mature.
 */
export const historyDays = (
  portfolio: Pick<Portfolio, 'timezone'>,
  daily: readonly DailyTotal[],
  versions: readonly RowVersion[],
  asOf: string,
): AllocationInput['history'] => {
  const versionsOf = groupBy(versions, (v) => `${v.channelId}#${v.date}`);
  return daily
    .filter((d) => d.date < asOf)
    .map((d) => {
      const revisions = revisionsOf(versionsOf.get(`${d.channelId}#${d.date}`) ?? [], portfolio.timezone);
      return {
        channelId: d.channelId,
        date: d.date,
        spend: d.spend,
        conversions: d.conversions,
        ...(d.revenue > 0 ? { revenue: d.revenue } : {}),
        ...(revisions.length > 0 ? { revisions } : {}),
      };
    });
};

/** A snapshot's channel totals, as a later run's input carries them. */
const totalsOf = (snapshot: Snapshot | null): PlanTotals | null =>
  snapshot ? { channels: snapshot.allocation.channels.map((c) => ({ channelId: c.channelId, total: c.total })) } : null;

/** The plans a run starts from: the one in force now, and the one in force when the local day began. */
export interface PlansInForce {
  readonly latest: Snapshot | null;
  readonly dayStart: Snapshot | null;
}

/**
 * The allocator's input for a portfolio on `asOf`, from stored daily totals with their revisions
 * ({@link historyDays}), the plans in force (now, and when the day began: the daily change limit's
 * reference) and the channels under an open stop-loss alert.
 */
export const allocationInput = (
  portfolio: Portfolio,
  history: AllocationInput['history'],
  { latest, dayStart }: PlansInForce,
  stopLoss: readonly string[],
  asOf: string,
  releaseReserve = false,
): AllocationInput => ({
  portfolio,
  history,
  previous: totalsOf(latest),
  dayStart: totalsOf(dayStart),
  stopLoss: [...stopLoss].sort(),
  releaseReserve,
  asOf,
  seed: allocationSeed(portfolio.id, asOf),
});

/** The newest date in the history, the run's data watermark. */
export const watermarkOf = (input: AllocationInput): string | null =>
  input.history.reduce<string | null>((max, d) => (max === null || d.date > max ? d.date : max), null);

/** Hash of the allocation input, with the config hash, so reuse never crosses a config change. */
export const inputHashOf = (input: AllocationInput, configHash: string): string => sha256(canonicalJson({ input, configHash }));

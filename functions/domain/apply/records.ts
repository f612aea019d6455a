import { APPLY_MODES } from '../config.js';
import { PageLimit } from '../paging.js';
import * as z from '../schema.js';

/**
 * The Applies table's records, as the API and the dashboard read them: one per apply (a snapshot's own, and each
 * operator's rollback to it), with every platform budget it touched, before and after, and who approved it when.
 * Money in currency units.
 */

/** Where an apply of one snapshot stands. */
export const APPLY_STATUSES = [
  /** dry-run: the changes were computed and recorded; nothing was sent. */
  'dry-run',
  /** approve: waiting for a person in finance or operators. */
  'pending',
  /** approved and queued; the worker applies it next. */
  'approved',
  'applied',
  /** some budgets were set, others failed or were refused. */
  'partial',
  'failed',
  /** a guardrail refused the whole plan (`reason`). */
  'refused',
  /** a newer plan was published before this one was applied. */
  'superseded',
] as const;
export type ApplyStatus = (typeof APPLY_STATUSES)[number];

/** The modes a record was made under; `rollback` is an operator's explicit re-apply of an earlier plan. */
export const RECORD_MODES = [...APPLY_MODES.filter((m) => m !== 'off'), 'rollback'] as const;

export const BudgetChange = z.strictObject({
  key: z.string(),
  channelId: z.string(),
  platform: z.string(),
  accountId: z.string(),
  campaignId: z.string(),
  level: z.string(),
  entityId: z.string(),
  currency: z.string(),
  /** The platform's budget when read before the write. */
  before: z.number(),
  /** What the plan gives it (after the daily change limit). */
  target: z.number(),
  /** The platform's budget read back after the write; null when nothing was written. */
  after: z.nullable(z.number()),
  status: z.enum(['proposed', 'applied', 'unchanged', 'failed', 'refused']),
  reason: z.optional(z.string()),
  /** Said when the daily change limit moved the target from the plan's amount. */
  note: z.optional(z.string()),
  at: z.optional(z.string()),
});
export type BudgetChange = z.infer<typeof BudgetChange>;

export const ChannelOutcome = z.strictObject({
  channelId: z.string(),
  planned: z.number(),
  status: z.enum(['mapped', 'refused', 'unconnected']),
  reason: z.optional(z.string()),
});
export type ChannelOutcome = z.infer<typeof ChannelOutcome>;

export const ApplyRecord = z.strictObject({
  portfolioId: z.string(),
  /**
   * The apply's own id, which its events carry: the snapshot's id for the snapshot's own apply,
   * `<instant>~rollback-<snapshotId>` for an operator's re-apply of it, so every apply and every rollback is a
   * record of its own. Given on every record read from the store.
   */
  applyId: z.optional(z.string()),
  /** The plan this apply puts on the platforms (for a rollback, the earlier plan it goes back to). */
  snapshotId: z.string(),
  /**
   * The plan the platforms held when this apply was approved or made: the one it replaces, or for a rollback
   * the one it rolls back from; null when no apply had reached them. Absent on records that send nothing
   * (dry runs, plans awaiting approval, refused or superseded ones) and on records made before it was kept.
   */
  replaces: z.optional(z.nullable(z.string())),
  mode: z.enum(RECORD_MODES),
  status: z.enum(APPLY_STATUSES),
  reason: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The person who approved (approve mode, rollback), and when. */
  approvedBy: z.optional(z.string()),
  approvedAt: z.optional(z.string()),
  channels: z.array(ChannelOutcome),
  changes: z.array(BudgetChange),
});
export type ApplyRecord = z.infer<typeof ApplyRecord>;

/** Statuses after which nothing more happens to a record. */
export const isFinal = (status: ApplyStatus): boolean =>
  status === 'applied' ||
  status === 'partial' ||
  status === 'failed' ||
  status === 'refused' ||
  status === 'superseded' ||
  status === 'dry-run';

/** `GET /portfolios/{id}/applies` query: how many of the newest applies (default 20); strict, as every read's. */
export const AppliesQuery = z.strictObject({
  limit: z.optional(PageLimit),
});

/** The dashboard's approval form: which snapshot, and whether it is an operator's rollback to it. */
export const ApprovalForm = z.strictObject({
  csrf: z.string(),
  portfolio: z.string().check(z.minLength(1), z.maxLength(64)),
  snapshotId: z.string().check(z.regex(/^\d{8}T\d{9}Z-[0-9a-f]{1,32}$/, 'a snapshot id')),
  action: z._default(z.enum(['approve', 'rollback']), 'approve'),
});

import * as z from '../schema.js';
import { BudgetChange } from './records.js';

/**
 * The apply events (docs/events.md): `AllocationApplied` and `AllocationApplyFailed`, sent only by the
 * apply worker; part of {@link import('../events.js').BudgetEvent}.
 */

const Common = {
  portfolioId: z.string(),
  /**
   * The apply this event reports, once: the snapshot's id for its own apply, `<instant>~rollback-<snapshotId>`
   * for an operator's re-apply of it (its record's `applyId`). Two rollbacks to one snapshot are two applies:
   * dedupe on this, not the snapshot.
   */
  applyId: z.string(),
  configHash: z.string(),
  /** When the event was produced (ISO 8601). */
  timestamp: z.iso.datetime(),
};

/**
 * One platform budget in an apply event: where it is, and its amount before and after (account currency
 * units; `after` is null when it was not written), as the apply's record holds it.
 */
const AppliedBudget = z.pick(BudgetChange, {
  channelId: true,
  platform: true,
  accountId: true,
  campaignId: true,
  level: true,
  entityId: true,
  currency: true,
  before: true,
  after: true,
  reason: true,
});

/** A plan reached the platforms: every budget set and verified (docs/connectors.md). */
export const AllocationApplied = z.strictObject({
  ...Common,
  snapshotId: z.string(),
  mode: z.enum(['auto', 'approve', 'rollback']),
  approvedBy: z.optional(z.string()),
  budgets: z.array(AppliedBudget),
});

/** A plan did not (wholly) reach the platforms; `reason` says why, each budget its own; `stopped` when applies stop. */
export const AllocationApplyFailed = z.strictObject({
  ...Common,
  snapshotId: z.string(),
  mode: z.enum(['auto', 'approve', 'rollback']),
  reason: z.string(),
  stopped: z.boolean(),
  budgets: z.array(AppliedBudget),
});

/** An apply event as the bus takes it. */
export type ApplyEvent =
  | { readonly detailType: 'AllocationApplied'; readonly detail: z.infer<typeof AllocationApplied> }
  | { readonly detailType: 'AllocationApplyFailed'; readonly detail: z.infer<typeof AllocationApplyFailed> };

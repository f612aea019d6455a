import { z } from 'zod';
import { Trigger, type Snapshot } from './snapshots.js';

/** The `source` of every event the system publishes (CONTRACTS §3). */
export const EVENT_SOURCE = 'budget-optimizer';

const Common = {
  portfolioId: z.string(),
  configHash: z.string(),
  /** When the event was produced (ISO 8601). */
  timestamp: z.iso.datetime(),
};

/** A new allocation is in force. */
export const AllocationPublished = z.strictObject({
  ...Common,
  snapshotId: z.string(),
  asOf: z.string(),
  total: z.number(),
  expectedConversions: z.number(),
  computation: z.enum(['solved', 'reused']),
  trigger: Trigger,
});

/** The allocator kept the previous allocation; `reason` says why (infeasible, stale data, solver failure). */
export const AllocationHeld = z.strictObject({
  ...Common,
  snapshotId: z.string(),
  asOf: z.string(),
  reason: z.string(),
  trigger: Trigger,
});

export const EVENT_DETAILS = { AllocationPublished, AllocationHeld } as const;

export type DetailType = keyof typeof EVENT_DETAILS;

/** One event: its detail type and a detail that the matching schema accepts. */
export type BudgetEvent = {
  [K in DetailType]: { readonly detailType: K; readonly detail: z.infer<(typeof EVENT_DETAILS)[K]> };
}[DetailType];

/** The event a snapshot announces: published when optimal, held otherwise. */
export const snapshotEvent = (snapshot: Snapshot, timestamp: string): BudgetEvent => {
  const { portfolioId, snapshotId, configHash, trigger, allocation } = snapshot;
  if (allocation.status === 'held') {
    return {
      detailType: 'AllocationHeld',
      detail: AllocationHeld.parse({ portfolioId, snapshotId, configHash, timestamp, asOf: allocation.asOf, reason: allocation.reason ?? 'held', trigger }),
    };
  }
  return {
    detailType: 'AllocationPublished',
    detail: AllocationPublished.parse({
      portfolioId,
      snapshotId,
      configHash,
      timestamp,
      asOf: allocation.asOf,
      total: allocation.total,
      expectedConversions: allocation.expectedConversions,
      computation: snapshot.computation,
      trigger,
    }),
  };
};

import type { AlertChange } from './alerts/lifecycle.js';
import { Observed, Severity } from './alerts/severity.js';
import type { ApplyEvent } from './apply/events.js';
import * as z from './schema.js';
import { type Snapshot, Trigger } from './snapshots.js';

/** The `source` of every event the system publishes (docs/events.md). */
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

const AlertCommon = {
  ...Common,
  alertId: z.string(),
  ruleId: z.string(),
  channelId: z.string(),
  metric: z.string(),
  op: z.string(),
  threshold: z.number(),
  /** The windows judged, oldest first. */
  windows: z.array(z.string()),
  action: z.optional(z.literal('stop-loss')),
};

/** An alert opened, or its severity rose (`transition` says which). */
export const ThresholdBreached = z.strictObject({
  ...AlertCommon,
  transition: z.enum(['opened', 'escalated']),
  severity: Severity,
  observed: Observed,
});

/** An alert's rule no longer breaches. */
export const AlertResolved = z.strictObject({
  ...AlertCommon,
  /** The severity it had when it resolved. */
  severity: Severity,
  observed: z.nullable(Observed),
});

export const EVENT_DETAILS = { AllocationPublished, AllocationHeld, ThresholdBreached, AlertResolved } as const;

export type DetailType = keyof typeof EVENT_DETAILS;

/**
 * One event: its detail type and a detail that the matching schema accepts. The apply events' schemas live
 * with the actuator (`apply/events.ts`), so the functions that never send them do not bundle them.
 */
export type BudgetEvent =
  | {
      [K in DetailType]: { readonly detailType: K; readonly detail: z.infer<(typeof EVENT_DETAILS)[K]> };
    }[DetailType]
  | ApplyEvent;

/** The event a snapshot announces: published when optimal, held otherwise. */
export const snapshotEvent = (snapshot: Snapshot, timestamp: string): BudgetEvent => {
  const { portfolioId, snapshotId, configHash, trigger, allocation } = snapshot;
  if (allocation.status === 'held') {
    return {
      detailType: 'AllocationHeld',
      detail: AllocationHeld.parse({
        portfolioId,
        snapshotId,
        configHash,
        timestamp,
        asOf: allocation.asOf,
        reason: allocation.reason ?? 'held',
        trigger,
      }),
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

/** The event an alert change announces: `ThresholdBreached` on open and escalation, `AlertResolved` on resolve. */
export const alertEvent = (change: AlertChange, timestamp: string): BudgetEvent => {
  const { alert } = change;
  const common = {
    portfolioId: alert.portfolioId,
    configHash: alert.configHash,
    timestamp,
    alertId: alert.alertId,
    ruleId: alert.ruleId,
    channelId: alert.channelId,
    metric: alert.metric,
    op: alert.op,
    threshold: alert.threshold,
    windows: alert.windows,
    ...(alert.action ? { action: alert.action } : {}),
  };
  if (change.kind === 'resolve') {
    return {
      detailType: 'AlertResolved',
      detail: AlertResolved.parse({ ...common, severity: alert.severity, observed: alert.history.at(-1)?.observed ?? null }),
    };
  }
  return {
    detailType: 'ThresholdBreached',
    detail: ThresholdBreached.parse({
      ...common,
      transition: change.kind === 'open' ? 'opened' : 'escalated',
      severity: alert.severity,
      observed: alert.observed,
    }),
  };
};

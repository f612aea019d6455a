import { formatAmount } from '../money.js';
import { fromMinor } from './budgets.js';

/**
 * The guardrails between a published plan and the platforms' budgets (docs/connectors.md, "Guardrails"):
 * which plans may be applied at all, and how far one budget may move in a day. Pure: the instant, the
 * schedule's period and the portfolio's apply state come in as arguments.
 */

/** Why a whole plan is not applied, as a stable code and a sentence. */
export interface PlanRefusal {
  readonly code: 'held' | 'breaks-config' | 'reserve-released' | 'stale' | 'superseded' | 'older-than-applied' | 'stopped';
  readonly reason: string;
}

/** A portfolio's apply state: the newest snapshot applied, and the failures since the last success. */
export interface ApplyState {
  readonly lastAppliedSnapshotId: string | null;
  /**
   * The plan the platforms hold: the snapshot of the newest apply that reached them without a failure, a
   * rollback's included (`lastAppliedSnapshotId` never goes back to an older plan; this does). What the next
   * apply replaces, and what a rollback rolls back from.
   */
  readonly inForceSnapshotId: string | null;
  readonly consecutiveFailures: number;
  /** Set when applies stopped after repeated failures; cleared by an operator's explicit apply. */
  readonly stoppedAt: string | null;
  readonly stopReason: string | null;
}

export const INITIAL_APPLY_STATE: ApplyState = {
  lastAppliedSnapshotId: null,
  inForceSnapshotId: null,
  consecutiveFailures: 0,
  stoppedAt: null,
  stopReason: null,
};

/** Consecutive failed applies after which a portfolio's applies stop, unless `apply.maxConsecutiveFailures` says otherwise. */
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

export interface PlanFacts {
  readonly snapshotId: string;
  readonly status: 'optimal' | 'held';
  /** When the snapshot was made (ISO instant). */
  readonly createdAt: string;
  readonly heldReason?: string;
  /**
   * How the plan breaks today's config (`feasibilityIssues`, as "path: message"): a plan published under an
   * earlier config (a budget cut since, an earlier snapshot rolled back to) is never applied as it was.
   */
  readonly configIssues?: readonly string[];
  /**
   * The plan fits today's config only with the reserve its run released, and a newer plan has held the reserve
   * back since: a release is its own run's decision, and going back to the plan would spend it again.
   */
  readonly spendsReleasedReserve?: boolean;
}

export interface PlanCheck {
  readonly plan: PlanFacts;
  readonly now: Date;
  /** The reallocation schedule's period: a plan older than it has been, or should have been, replaced. */
  readonly periodMs: number;
  /** The newest published snapshot of the portfolio (LATEST), if known. */
  readonly latestSnapshotId: string | null;
  readonly state: ApplyState;
  /**
   * An operator's explicit re-apply of an earlier snapshot (a rollback): it may be older than the one applied
   * and than its period, and it lifts a stop. A held plan is still never applied.
   */
  readonly rollback?: boolean;
}

/**
 * Null when the plan may be applied now; otherwise why not. Checked in this order: held, breaks today's
 * config (a rollback too), spends a reserve released for an earlier run (a rollback too), stopped,
 * superseded, older, stale.
 */
export const planRefusal = ({ plan, now, periodMs, latestSnapshotId, state, rollback = false }: PlanCheck): PlanRefusal | null => {
  if (plan.status === 'held') {
    return { code: 'held', reason: `a held plan is never applied (${plan.heldReason ?? 'the allocator kept the previous plan'})` };
  }
  if (plan.configIssues && plan.configIssues.length > 0) {
    return {
      code: 'breaks-config',
      reason: `it breaks today's config (${plan.configIssues.join('; ')}); a reallocation under today's config is the plan to apply`,
    };
  }
  if (plan.spendsReleasedReserve) {
    return {
      code: 'reserve-released',
      reason:
        'it places the reserve its run released, and a newer plan has held the reserve back since; a reallocation that releases it again, with a reason, places it',
    };
  }
  if (rollback) return null;
  if (state.stoppedAt) {
    return {
      code: 'stopped',
      reason: `applies stopped at ${state.stoppedAt} after ${state.consecutiveFailures} consecutive failures (${state.stopReason ?? 'see the last failure'}); an operator's explicit apply resumes them`,
    };
  }
  if (latestSnapshotId !== null && latestSnapshotId > plan.snapshotId) {
    return { code: 'superseded', reason: `a newer plan (${latestSnapshotId}) was published since; it is the one to apply` };
  }
  if (state.lastAppliedSnapshotId !== null && state.lastAppliedSnapshotId > plan.snapshotId) {
    return { code: 'older-than-applied', reason: `a newer plan (${state.lastAppliedSnapshotId}) is already applied` };
  }
  const age = now.getTime() - Date.parse(plan.createdAt);
  if (age > periodMs) {
    return {
      code: 'stale',
      reason: `the plan is ${formatAmount(age / 60_000, 0)} minutes old, older than the reallocation schedule's period of ${formatAmount(periodMs / 60_000, 0)} minutes`,
    };
  }
  return null;
};

/** What the daily change limit lets one budget become. */
export type LimitedMove =
  | { readonly ok: true; readonly amountMinor: number; readonly limited: boolean; readonly note?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * The amount a budget may take today: `targetMinor` brought within ±`maxDailyChange` of `dayStartMinor`
 * (the budget before the day's first apply), rounded inwards to whole minor units. Refused when that bound
 * sits below the platform minimum, which the platform would reject anyway. With `limitCuts` false, only a
 * raise is limited: a cut goes as far as the plan does, since a plan within today's config can only be
 * reached from a higher budget by cutting, and a lower budget never spends beyond the config (the budget
 * wins, as it does in the allocator).
 */
export const limitMove = (
  dayStartMinor: number,
  targetMinor: number,
  maxDailyChange: number,
  minimumMinor: number,
  decimals: number,
  { limitCuts = true }: { readonly limitCuts?: boolean } = {},
): LimitedMove => {
  const low = limitCuts ? Math.ceil(dayStartMinor * (1 - maxDailyChange) - 1e-9) : 0;
  const high = Math.floor(dayStartMinor * (1 + maxDailyChange) + 1e-9);
  const amountMinor = Math.min(Math.max(targetMinor, Math.max(0, low)), high);
  if (amountMinor < minimumMinor) {
    return {
      ok: false,
      reason: `the daily change limit keeps this budget at most ${formatAmount(fromMinor(high, decimals), decimals, decimals)}, below the platform minimum of ${formatAmount(fromMinor(minimumMinor, decimals), decimals, decimals)}`,
    };
  }
  if (amountMinor === targetMinor) return { ok: true, amountMinor, limited: false };
  const limit = `${formatAmount(maxDailyChange * 100, 1)}%`;
  return {
    ok: true,
    amountMinor,
    limited: true,
    note: `moved by the most the daily change limit allows (${limit} of ${formatAmount(fromMinor(dayStartMinor, decimals), decimals, decimals)} at the day's first apply), not to the plan's ${formatAmount(fromMinor(targetMinor, decimals), decimals, decimals)}`,
  };
};

/** The state after an apply: a success clears the failures (and a stop); a failure counts, and stops at `maxFailures`. */
export const nextApplyState = (
  state: ApplyState,
  outcome: {
    readonly snapshotId: string;
    readonly ok: boolean;
    readonly reason?: string;
    readonly at: string;
    readonly rollback?: boolean;
  },
  maxFailures: number,
): ApplyState => {
  if (outcome.ok) {
    const newer = state.lastAppliedSnapshotId === null || outcome.snapshotId > state.lastAppliedSnapshotId;
    return {
      lastAppliedSnapshotId: newer ? outcome.snapshotId : state.lastAppliedSnapshotId,
      inForceSnapshotId: outcome.snapshotId,
      consecutiveFailures: 0,
      stoppedAt: null,
      stopReason: null,
    };
  }
  const failures = state.consecutiveFailures + 1;
  const stops = failures >= maxFailures && state.stoppedAt === null;
  return {
    ...state,
    consecutiveFailures: failures,
    stoppedAt: stops ? outcome.at : state.stoppedAt,
    stopReason: stops ? (outcome.reason ?? 'repeated failures') : state.stopReason,
  };
};

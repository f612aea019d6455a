import type { BudgetLevel, CampaignBudgets } from '../domain/apply/budgets.js';
import type { ApplyState } from '../domain/apply/guardrails.js';
import type { ApplyRecord, BudgetChange } from '../domain/apply/records.js';
import type { Account, ConnectedPlatform } from '../domain/config.js';

/**
 * The ports the actuator owns (applyAllocation.ts): each platform's budget API, and the Applies table.
 * Adapters: functions/adapters/platforms/*Budgets.ts and functions/adapters/appliesRepository.ts.
 */

/** How a platform call failed, as the actuator must treat it. */
export type PlatformFailure =
  /** The credentials are expired or revoked: nothing more is tried on the account until someone renews them. */
  | 'auth'
  /** Throttled past the client's bounded backoff. */
  | 'rate-limit'
  /** The platform refused the change itself (below its minimum, a field it does not allow). */
  | 'rejected'
  /** Anything else: network, 5xx, an answer that is not what the API documents. */
  | 'unavailable';

/** A platform call that failed; `message` is safe to record and show (it never carries a credential). */
export class PlatformCallError extends Error {
  constructor(
    readonly failure: PlatformFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PlatformCallError';
  }
}

/** The budget a write sets. */
export interface BudgetTarget {
  readonly campaignId: string;
  readonly level: BudgetLevel;
  readonly entityId: string;
  /** The account currency's decimals, to convert minor units into the API's own unit. */
  readonly decimals: number;
}

/** One platform's budget API, through an account's credentials (named by `account.secret`). */
export interface BudgetPlatform {
  /** The budgets governing these campaigns, their currency and recent spend; throws {@link PlatformCallError}. */
  read(account: Account, campaignIds: readonly string[]): Promise<CampaignBudgets[]>;
  /** Sets one daily budget to `amountMinor`; throws {@link PlatformCallError}. */
  write(account: Account, target: BudgetTarget, amountMinor: number): Promise<void>;
}

export type BudgetPlatforms = Readonly<Record<ConnectedPlatform, BudgetPlatform>>;

/** A portfolio's apply state with the version its optimistic update is conditioned on. */
export interface VersionedApplyState extends ApplyState {
  readonly version: number;
}

/**
 * The Applies table: one record per apply, a claim per (apply, budget), the day-start budgets, the state, and
 * the lease that runs a portfolio's applies one at a time.
 */
export interface ApplyStore {
  get(portfolioId: string, applyId: string): Promise<ApplyRecord | null>;
  /**
   * The newest records first, by id: a snapshot's apply by when the plan was made, a rollback by when it was
   * asked. Each record carries its id.
   */
  list(portfolioId: string, limit: number): Promise<ApplyRecord[]>;
  /** Writes `record` under `applyId` unless one exists; whether it wrote. */
  create(applyId: string, record: ApplyRecord): Promise<boolean>;
  /** Replaces a record, unless its status has moved from `expected` since it was read; whether it wrote. */
  save(applyId: string, record: ApplyRecord, expected: ApplyRecord['status']): Promise<boolean>;
  /**
   * Claims the write of one budget for an apply: true for the one caller that may write it; false when
   * another holds it (its outcome, once settled, is {@link settled}). A claim left unsettled past `staleBefore`
   * (its holder died mid-call) may be taken over.
   */
  claim(portfolioId: string, applyId: string, key: string, at: string, staleBefore: string): Promise<boolean>;
  settle(portfolioId: string, applyId: string, change: BudgetChange): Promise<void>;
  settled(portfolioId: string, applyId: string, key: string): Promise<BudgetChange | null>;
  /** The budget before the day's first apply: stored on the first call of a day, answered after. */
  dayStart(portfolioId: string, date: string, key: string, amountMinor: number): Promise<number>;
  /** The budgets stored as the day's start so far, by budget key: what a proposal's limit is measured from. */
  dayStarts(portfolioId: string, date: string): Promise<ReadonlyMap<string, number>>;
  state(portfolioId: string): Promise<VersionedApplyState>;
  /** Saves the state if its version is still `version`; whether it did. */
  saveState(portfolioId: string, state: ApplyState, version: number): Promise<boolean>;
  /** Whether the apply's event is recorded as sent. */
  eventSent(portfolioId: string, applyId: string): Promise<boolean>;
  /** Records the apply's event as sent, once the bus took it. */
  markEventSent(portfolioId: string, applyId: string): Promise<void>;
  /**
   * Takes the portfolio's apply lease until `until`, unless another holder's runs past `at`: the holder's token
   * to {@link release} it with, or null while another apply holds it.
   */
  lease(portfolioId: string, at: string, until: string): Promise<string | null>;
  /** Gives the lease back, unless it ran out and another apply holds it now. */
  release(portfolioId: string, holder: string): Promise<void>;
}

import { feasibilityIssues } from '../domain/allocation/feasibility.js';
import type { CampaignBudgets } from '../domain/apply/budgets.js';
import { fromMinor } from '../domain/apply/budgets.js';
import { AllocationApplied, AllocationApplyFailed } from '../domain/apply/events.js';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, limitMove, nextApplyState, type PlanRefusal, planRefusal } from '../domain/apply/guardrails.js';
import { type EntityChange, mapPlan } from '../domain/apply/mapping.js';
import type { ApplyRecord, BudgetChange, ChannelOutcome } from '../domain/apply/records.js';
import { type Account, accountCampaigns, type Portfolio } from '../domain/config.js';
import { dateInZone } from '../domain/dates.js';
import type { BudgetEvent } from '../domain/events.js';
import { reserveRelease, type Snapshot } from '../domain/snapshots.js';
import { type ApplyStore, type BudgetPlatforms, PlatformCallError } from './applyPorts.js';
import type { Clock, EventPublisher, SnapshotStore, WorkQueue } from './ports.js';

/** A message on the apply queue: a plan was published (the EventBridge event), or a person approved one. */
export type ApplyMessage =
  | { readonly kind: 'published'; readonly portfolioId: string; readonly snapshotId: string }
  | { readonly kind: 'approved'; readonly portfolioId: string; readonly applyId: string };

export interface ActuatorDependencies {
  readonly snapshots: Pick<SnapshotStore, 'get' | 'latestSnapshotId'>;
  readonly applies: ApplyStore;
  readonly platforms: BudgetPlatforms;
  readonly events: EventPublisher;
  /** The apply queue: an approval is applied by the worker, which holds the platform credentials. */
  readonly queue: WorkQueue;
  readonly clock: Clock;
  /** The reallocation schedule's period: a plan older than it is not applied. */
  readonly periodMs: number;
  readonly configHash: string;
  /** Waits while another apply of the portfolio holds its lease. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Why an approval was not taken, as an HTTP-neutral code the handler maps to a status, and the guardrail that refused it. */
export class ApprovalRefused extends Error {
  constructor(
    readonly code: 'not-found' | 'not-approve-mode' | 'not-pending' | 'refused',
    message: string,
    readonly guardrail?: PlanRefusal['code'],
  ) {
    super(message);
    this.name = 'ApprovalRefused';
  }
}

/** How long a claim on a budget write is held before a retry may take it over (a worker died mid-call). */
const CLAIM_LEASE_MS = 5 * 60_000;

/**
 * How long an apply holds its portfolio's lease: past the worker's timeout (120 s), so the lease of a worker that
 * died runs out before the queue gives its message again (after 720 s, its visibility timeout).
 */
export const APPLY_LEASE_MS = 5 * 60_000;
/** How long an apply waits for the one before it, then gives its message back to the queue to be retried. */
const LEASE_WAIT_MS = 30_000;

/** Another apply of the portfolio is running and did not finish in time: the message is retried later. */
export class ApplyBusy extends Error {
  constructor(portfolioId: string, applyId: string) {
    super(`another apply of portfolio ${portfolioId} is still running: ${applyId} waits for it and is retried`);
    this.name = 'ApplyBusy';
  }
}

/**
 * The id of an operator's re-apply of an earlier snapshot, apart from the snapshot's own apply: the instant it
 * was asked, then the snapshot. Ids sort as snapshot ids do (`<instant>-<suffix>`), so the applies list puts a
 * rollback where it happened, not beside the old plan it re-applies (where a list of the newest would miss it).
 */
export const rollbackApplyId = (snapshotId: string, at: Date): string => `${at.toISOString().replace(/[-:.]/g, '')}~rollback-${snapshotId}`;

/** The changes a plan makes now, as recorded, and the platform budgets behind them (same order). */
interface Proposal {
  readonly channels: ChannelOutcome[];
  readonly changes: BudgetChange[];
  readonly entities: EntityChange[];
  /** Accounts that could not be read (credentials, throttling, outage): failures, not refusals. */
  readonly unreadable: string[];
}

/** A sentence's first letter lowered to follow a colon; a code or acronym (RESOURCE_EXHAUSTED, HTTP) is kept as it is. */
const lowerFirst = (text: string) => (/^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text);

/**
 * The actuator (issue 24 item 3): maps a published plan onto the platforms' budgets per the portfolio's
 * `apply.mode` and the guardrails, records every change in the Applies table, and announces the outcome.
 */
export class Actuator {
  constructor(private readonly deps: ActuatorDependencies) {}

  /** `AllocationPublished` arrived for a portfolio: record a dry run, a pending approval, or apply it now. */
  async published(portfolio: Portfolio, snapshotId: string): Promise<ApplyRecord | null> {
    const mode = portfolio.apply.mode;
    if (mode === 'off') return null;
    const { applies, snapshots } = this.deps;
    const existing = await applies.get(portfolio.id, snapshotId);
    if (existing) {
      // A message delivered again: its first delivery decided; only an event it could not send is sent now. An
      // auto apply still `approved` died before it finished: the retry applies it (its claims keep each write once).
      if (existing.status === 'approved') return this.approved(portfolio, snapshotId);
      if (isOutcome(existing)) await this.announce(portfolio, snapshotId, existing);
      return existing;
    }
    const snapshot = await snapshots.get(portfolio.id, snapshotId);
    if (!snapshot) return null;
    const now = this.deps.clock().toISOString();
    const base = {
      portfolioId: portfolio.id,
      applyId: snapshotId,
      snapshotId,
      mode,
      createdAt: now,
      updatedAt: now,
      channels: [],
      changes: [],
    };
    const refusal = await this.refusal(portfolio, snapshot, false);
    if (refusal) {
      const record: ApplyRecord = {
        ...base,
        status: refusal.code === 'superseded' ? 'superseded' : 'refused',
        reason: refusal.reason,
      };
      if (!(await applies.create(snapshotId, record))) return applies.get(portfolio.id, snapshotId);
      if (mode === 'auto' && refusal.code !== 'superseded' && refusal.code !== 'older-than-applied') {
        await this.announce(portfolio, snapshotId, record);
      }
      return record;
    }
    const proposal = await this.propose(portfolio, snapshot);
    const status = mode === 'dry-run' ? 'dry-run' : mode === 'approve' ? 'pending' : 'approved';
    const record: ApplyRecord = { ...base, status, channels: proposal.channels, changes: proposal.changes };
    if (!(await applies.create(snapshotId, record))) return applies.get(portfolio.id, snapshotId);
    await this.supersedeOlder(portfolio.id, snapshotId);
    return mode === 'auto' ? this.approved(portfolio, snapshotId) : record;
  }

  /**
   * A person approves a snapshot (approve mode), or an operator applies one explicitly (`rollback`: an
   * earlier plan, or the latest to resume after a stop; approve or auto mode): the approval is recorded and queued, and the worker applies it. Who may do which is the
   * handler's check (finance or operators approve; operators roll back).
   */
  async approve(portfolio: Portfolio, snapshotId: string, by: string, { rollback = false } = {}): Promise<ApplyRecord> {
    const { applies, snapshots, clock, queue } = this.deps;
    const at = clock();
    const snapshot = await snapshots.get(portfolio.id, snapshotId);
    if (!snapshot) throw new ApprovalRefused('not-found', `no snapshot ${snapshotId} in portfolio ${portfolio.id}`);
    if (rollback && portfolio.apply.mode !== 'approve' && portfolio.apply.mode !== 'auto') {
      // off and dry-run promise that nothing is sent to the platforms, an operator's explicit apply included.
      throw new ApprovalRefused(
        'not-approve-mode',
        `apply.mode is "${portfolio.apply.mode}" for portfolio ${portfolio.id}: nothing is applied`,
      );
    }
    if (!rollback && portfolio.apply.mode !== 'approve') {
      throw new ApprovalRefused(
        'not-approve-mode',
        `apply.mode is "${portfolio.apply.mode}", not "approve", for portfolio ${portfolio.id}`,
      );
    }
    const refusal = await this.refusal(portfolio, snapshot, rollback);
    if (refusal) throw new ApprovalRefused('refused', `this plan cannot be applied: ${refusal.reason}`, refusal.code);
    const approval = { approvedBy: by, approvedAt: at.toISOString(), updatedAt: at.toISOString() };
    let applyId = snapshotId;
    let record: ApplyRecord;
    if (rollback) {
      applyId = rollbackApplyId(snapshotId, at);
      record = {
        portfolioId: portfolio.id,
        applyId,
        snapshotId,
        // What it rolls back from, as it stands now; the worker says it again as it applies.
        replaces: (await applies.state(portfolio.id)).inForceSnapshotId,
        mode: 'rollback',
        status: 'approved',
        createdAt: at.toISOString(),
        channels: [],
        changes: [],
        ...approval,
      };
      // The same rollback asked twice in one millisecond is one: the first is queued already.
      if (!(await applies.create(applyId, record))) return (await applies.get(portfolio.id, applyId)) ?? record;
    } else {
      const pending = await applies.get(portfolio.id, snapshotId);
      if (pending?.status !== 'pending') {
        throw new ApprovalRefused('not-pending', `snapshot ${snapshotId} is ${pending ? pending.status : 'not awaiting approval'}`);
      }
      record = { ...pending, status: 'approved', ...approval };
      if (!(await applies.save(snapshotId, record, 'pending'))) {
        throw new ApprovalRefused('not-pending', `snapshot ${snapshotId} was approved or superseded meanwhile`);
      }
    }
    await queue.send([{ kind: 'approved', portfolioId: portfolio.id, applyId } satisfies ApplyMessage]);
    return record;
  }

  /**
   * The worker's side of an approval (and of an auto apply): applies it unless it was done already or a guardrail
   * now refuses it. It runs under the portfolio's lease, so everything it reads (the record, the guardrails' state,
   * the budgets) is read after the apply before it finished writing.
   */
  async approved(portfolio: Portfolio, applyId: string): Promise<ApplyRecord | null> {
    return this.exclusively(portfolio, applyId, () => this.applyApproved(portfolio, applyId));
  }

  private async applyApproved(portfolio: Portfolio, applyId: string): Promise<ApplyRecord | null> {
    const { applies, snapshots } = this.deps;
    const record = await applies.get(portfolio.id, applyId);
    if (record?.status !== 'approved') {
      if (record && isOutcome(record)) await this.announce(portfolio, applyId, record);
      return record;
    }
    const snapshot = await snapshots.get(portfolio.id, record.snapshotId);
    if (!snapshot) return record;
    const refusal = await this.refusal(portfolio, snapshot, record.mode === 'rollback');
    if (refusal) {
      const refused: ApplyRecord = {
        ...record,
        status: refusal.code === 'superseded' ? 'superseded' : 'refused',
        reason: refusal.reason,
        updatedAt: this.deps.clock().toISOString(),
      };
      if (await applies.save(applyId, refused, 'approved')) await this.announce(portfolio, applyId, refused);
      return refused;
    }
    return this.execute(portfolio, snapshot, applyId, record);
  }

  /**
   * Runs `apply` holding the portfolio's apply lease, so a portfolio's applies run one at a time. Two rollbacks
   * asked a moment apart would otherwise both read the budgets before either wrote, and the later would find them
   * "unchanged" while the earlier set its own. Waits up to {@link LEASE_WAIT_MS} for the apply before it, then
   * throws {@link ApplyBusy} so the queue retries the message.
   */
  private async exclusively<T>(portfolio: Portfolio, applyId: string, apply: () => Promise<T>): Promise<T> {
    const { applies, clock, sleep } = this.deps;
    const take = () => {
      const at = clock();
      return applies.lease(portfolio.id, at.toISOString(), new Date(at.getTime() + APPLY_LEASE_MS).toISOString());
    };
    let holder = await take();
    for (let waited = 0, pause = 50; !holder; waited += pause, pause = Math.min(2 * pause, 1_000)) {
      if (waited >= LEASE_WAIT_MS) throw new ApplyBusy(portfolio.id, applyId);
      await sleep(pause);
      holder = await take();
    }
    try {
      return await apply();
    } finally {
      await applies.release(portfolio.id, holder);
    }
  }

  /** The guardrails that judge a whole plan, with the portfolio's state and the newest published snapshot. */
  private async refusal(portfolio: Portfolio, snapshot: Snapshot, rollback: boolean): Promise<PlanRefusal | null> {
    const [latestSnapshotId, state] = await Promise.all([
      this.deps.snapshots.latestSnapshotId(portfolio.id),
      this.deps.applies.state(portfolio.id),
    ]);
    // The reserve counts as released only for the plan of the run that released it, with a reason, while that
    // plan is the latest: the next run holds the reserve back again, and a rollback to the released plan then
    // would spend it again without anyone deciding so.
    const released = reserveRelease(snapshot) !== undefined;
    const check = (releaseReserve: boolean) =>
      feasibilityIssues(snapshot.allocation, { portfolio, previous: null, dayStart: null, stopLoss: [], releaseReserve }).map(
        (issue) => `${issue.path}: ${issue.message}`,
      );
    const issues = check(released);
    const releaseHolds = !rollback || snapshot.snapshotId === latestSnapshotId;
    return planRefusal({
      plan: {
        snapshotId: snapshot.snapshotId,
        status: snapshot.allocation.status,
        createdAt: snapshot.createdAt,
        ...(snapshot.allocation.reason ? { heldReason: snapshot.allocation.reason } : {}),
        // Checked against today's config alone: the actuator holds each budget to the daily change limit itself.
        configIssues: issues,
        spendsReleasedReserve: released && !releaseHolds && check(false).length > issues.length,
      },
      now: this.deps.clock(),
      periodMs: this.deps.periodMs,
      latestSnapshotId,
      state,
      rollback,
    });
  }

  /**
   * Older records still awaiting approval give way to this newer plan. An approved one is the worker's: it may
   * be writing budgets now, and the worker's own guardrails refuse it as superseded before it writes any.
   */
  private async supersedeOlder(portfolioId: string, snapshotId: string): Promise<void> {
    const { applies, clock } = this.deps;
    for (const older of await applies.list(portfolioId, 20)) {
      if (older.snapshotId >= snapshotId || older.mode === 'rollback' || older.status !== 'pending') continue;
      const reason = `a newer plan (${snapshotId}) was published before this one was applied`;
      await applies.save(older.snapshotId, { ...older, status: 'superseded', reason, updatedAt: clock().toISOString() }, older.status);
    }
  }

  /**
   * The changes a plan makes now: each connected account read once, each channel's total mapped onto its
   * budgets, each budget bounded by the daily change limit from the day's first apply (read, not stored:
   * only a real apply stores the day's start; a budget no apply has written today starts the day where it is).
   */
  private async propose(portfolio: Portfolio, snapshot: Snapshot): Promise<Proposal> {
    const today = dateInZone(this.deps.clock(), portfolio.timezone);
    const [{ campaigns, unreadable }, dayStarts] = await Promise.all([
      this.readAccounts(portfolio),
      this.deps.applies.dayStarts(portfolio.id, today),
    ]);
    const owned = accountCampaigns(portfolio);
    const mappings = mapPlan({
      currency: portfolio.currency,
      channels: snapshot.allocation.channels.map((c) => ({ channelId: c.channelId, total: c.total })),
      owned: owned.filter((o) => !unreadable.has(`${o.platform}:${o.accountId}`)),
      campaigns,
    });
    const channels: ChannelOutcome[] = mappings.map((m) => {
      const failedAccount = owned.find((o) => o.channelId === m.channelId && unreadable.has(`${o.platform}:${o.accountId}`));
      if (failedAccount) {
        const reason = unreadable.get(`${failedAccount.platform}:${failedAccount.accountId}`)!;
        return { channelId: m.channelId, planned: m.planned, status: 'refused', reason };
      }
      return { channelId: m.channelId, planned: m.planned, status: m.status, ...(m.reason ? { reason: m.reason } : {}) };
    });
    const entities = mappings
      .filter((m) => channels.find((c) => c.channelId === m.channelId)!.status === 'mapped')
      .flatMap((m) => m.changes);
    return {
      channels,
      changes: entities.map((e) => this.bounded(portfolio, e, dayStarts.get(e.key) ?? e.beforeMinor)),
      entities,
      unreadable: [...unreadable.values()],
    };
  }

  /** A change as recorded: the target within the daily change limit from `dayStartMinor`. */
  private bounded(portfolio: Portfolio, change: EntityChange, dayStartMinor: number): BudgetChange {
    const money = (minor: number) => fromMinor(minor, change.decimals);
    const common = {
      key: change.key,
      channelId: change.channelId,
      platform: change.platform,
      accountId: change.accountId,
      campaignId: change.campaignId,
      level: change.level,
      entityId: change.entityId,
      currency: change.currency,
      before: money(change.beforeMinor),
      after: null,
    };
    // Raises wait for the daily change limit; a cut goes as far as the plan, which is within today's config.
    const move = limitMove(dayStartMinor, change.targetMinor, portfolio.budget.maxDailyChange, change.minimumMinor, change.decimals, {
      limitCuts: false,
    });
    if (!move.ok) return { ...common, target: money(change.targetMinor), status: 'refused', reason: move.reason };
    // A budget already at its target needs no write: the platform holds it, before and after.
    if (move.amountMinor === change.beforeMinor) return { ...common, target: common.before, after: common.before, status: 'unchanged' };
    return { ...common, target: money(move.amountMinor), status: 'proposed', ...(move.note ? { note: move.note } : {}) };
  }

  private async readAccounts(portfolio: Portfolio): Promise<{ campaigns: CampaignBudgets[]; unreadable: Map<string, string> }> {
    const owned = accountCampaigns(portfolio);
    const campaigns: CampaignBudgets[] = [];
    const unreadable = new Map<string, string>();
    for (const account of portfolio.accounts) {
      const ids = owned.filter((o) => o.platform === account.platform && o.accountId === account.accountId).map((o) => o.campaignId);
      if (ids.length === 0) continue;
      try {
        campaigns.push(...(await this.deps.platforms[account.platform].read(account, ids)));
      } catch (error) {
        unreadable.set(`${account.platform}:${account.accountId}`, failureReason(account, error));
      }
    }
    return { campaigns, unreadable };
  }

  /**
   * Applies an approved (or auto) record: fresh reads, then per budget a claim, the day's start, the write
   * within the change limit and a read back; the record, the portfolio's state and one event follow.
   */
  private async execute(portfolio: Portfolio, snapshot: Snapshot, applyId: string, record: ApplyRecord): Promise<ApplyRecord> {
    const { applies, clock } = this.deps;
    const [proposal, { inForceSnapshotId }] = await Promise.all([this.propose(portfolio, snapshot), applies.state(portfolio.id)]);
    const today = dateInZone(clock(), portfolio.timezone);
    const dead = new Map<string, string>(); // accounts whose credentials failed: nothing more is sent to them
    const changes: BudgetChange[] = [];
    for (const [i, change] of proposal.changes.entries()) {
      if (change.status !== 'proposed') changes.push(change);
      else changes.push(await this.applyOne(portfolio, applyId, proposal.entities[i]!, today, dead));
    }
    const failed = changes.filter((c) => c.status === 'failed');
    const done = changes.filter((c) => c.status === 'applied' || c.status === 'unchanged');
    const refusedChannels = proposal.channels.filter((c) => c.status === 'refused');
    const troubles = [
      ...failed.map((c) => `${c.channelId} ${c.platform} ${c.entityId}: ${c.reason}`),
      ...refusedChannels.map((c) => `${c.channelId}: ${c.reason}`),
      ...changes.filter((c) => c.status === 'refused').map((c) => `${c.channelId} ${c.platform} ${c.entityId}: ${c.reason}`),
    ];
    const status = troubles.length === 0 ? 'applied' : done.length > 0 && failed.length < changes.length ? 'partial' : 'failed';
    const now = clock().toISOString();
    const finished: ApplyRecord = {
      ...record,
      // The plan the platforms held as this one was written: what it replaces, or what a rollback rolls back from.
      replaces: inForceSnapshotId,
      status,
      ...(troubles.length ? { reason: troubles.join('; ') } : {}),
      channels: proposal.channels,
      changes,
      updatedAt: now,
    };
    // Another worker finished this apply meanwhile (a redelivered message): its record and event stand.
    if (!(await applies.save(applyId, finished, record.status))) return (await applies.get(portfolio.id, applyId)) ?? finished;
    const ok = failed.length === 0 && proposal.unreadable.length === 0;
    await this.recordOutcome(
      portfolio,
      snapshot.snapshotId,
      ok,
      proposal.unreadable[0] ?? failed[0]?.reason,
      now,
      record.mode === 'rollback',
    );
    await this.announce(portfolio, applyId, finished);
    return finished;
  }

  /** One budget: claimed once per apply, read before (in the proposal) and after, recorded either way. */
  private async applyOne(
    portfolio: Portfolio,
    applyId: string,
    entity: EntityChange,
    today: string,
    dead: Map<string, string>,
  ): Promise<BudgetChange> {
    const { applies, clock, platforms } = this.deps;
    const at = clock();
    const account = portfolio.accounts.find((a) => a.platform === entity.platform && a.accountId === entity.accountId)!;
    const accountKey = `${account.platform}:${account.accountId}`;
    const stale = new Date(at.getTime() - CLAIM_LEASE_MS).toISOString();
    if (!(await applies.claim(portfolio.id, applyId, entity.key, at.toISOString(), stale))) {
      // Another delivery of this apply holds or settled it: its outcome stands, and nothing is written twice.
      const settled = await applies.settled(portfolio.id, applyId, entity.key);
      return (
        settled ?? {
          ...this.bounded(portfolio, entity, entity.beforeMinor),
          status: 'failed',
          reason: 'another worker is applying this budget',
        }
      );
    }
    const settle = async (outcome: BudgetChange) => {
      const stamped = { ...outcome, at: clock().toISOString() };
      await applies.settle(portfolio.id, applyId, stamped);
      return stamped;
    };
    const dayStart = await applies.dayStart(portfolio.id, today, entity.key, entity.beforeMinor);
    const change = this.bounded(portfolio, entity, dayStart);
    if (change.status === 'refused') return settle(change);
    if (dead.has(accountKey)) return settle({ ...change, status: 'failed', reason: dead.get(accountKey)! });
    const amountMinor = Math.round(change.target * 10 ** entity.decimals);
    if (amountMinor === entity.beforeMinor) return settle({ ...change, after: change.before, status: 'unchanged' });
    const target = { campaignId: entity.campaignId, level: entity.level, entityId: entity.entityId, decimals: entity.decimals };
    try {
      await platforms[account.platform].write(account, target, amountMinor);
      const after = await this.readBack(account, entity);
      if (after === amountMinor) return settle({ ...change, after: fromMinor(after, entity.decimals), status: 'applied' });
      const shown = after === null ? 'no budget' : String(fromMinor(after, entity.decimals));
      return settle({
        ...change,
        after: after === null ? null : fromMinor(after, entity.decimals),
        status: 'failed',
        reason: `the platform shows ${shown} after the write of ${change.target}`,
      });
    } catch (error) {
      const reason = failureReason(account, error);
      if (error instanceof PlatformCallError && error.failure === 'auth') dead.set(accountKey, reason);
      return settle({ ...change, status: 'failed', reason });
    }
  }

  /** The budget's amount read back from its platform after a write, in minor units; null when it is gone. */
  private async readBack(account: Account, entity: EntityChange): Promise<number | null> {
    const [campaign] = await this.deps.platforms[account.platform].read(account, [entity.campaignId]);
    return campaign?.entities.find((e) => e.entityId === entity.entityId && e.level === entity.level)?.amountMinor ?? null;
  }

  /** The portfolio's apply state after an outcome, under optimistic locking (a concurrent apply re-reads). */
  private async recordOutcome(
    portfolio: Portfolio,
    snapshotId: string,
    ok: boolean,
    reason: string | undefined,
    at: string,
    rollback: boolean,
  ) {
    const maxFailures = portfolio.apply.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { version, ...state } = await this.deps.applies.state(portfolio.id);
      const next = nextApplyState(state, { snapshotId, ok, at, rollback, ...(reason ? { reason } : {}) }, maxFailures);
      if (await this.deps.applies.saveState(portfolio.id, next, version)) return next;
    }
    throw new Error(`the apply state of ${portfolio.id} kept changing under this apply`);
  }

  /** `AllocationApplied` or `AllocationApplyFailed`, once per apply. */
  private async announce(portfolio: Portfolio, applyId: string, record: ApplyRecord): Promise<void> {
    if (record.mode === 'dry-run' || record.status === 'superseded') return;
    // At least once: published, then recorded as sent. A worker that dies in between sends it again on the
    // message's retry, and consumers dedupe on applyId; recorded first, a crash would have lost it.
    if (await this.deps.applies.eventSent(portfolio.id, applyId)) return;
    const state = await this.deps.applies.state(portfolio.id);
    const common = {
      portfolioId: portfolio.id,
      applyId,
      configHash: this.deps.configHash,
      timestamp: this.deps.clock().toISOString(),
      snapshotId: record.snapshotId,
      mode: record.mode,
      budgets: record.changes.map((c) => ({
        channelId: c.channelId,
        platform: c.platform,
        accountId: c.accountId,
        campaignId: c.campaignId,
        level: c.level,
        entityId: c.entityId,
        currency: c.currency,
        before: c.before,
        after: c.after,
        ...(c.reason ? { reason: c.reason } : {}),
      })),
    };
    const event: BudgetEvent =
      record.status === 'applied'
        ? {
            detailType: 'AllocationApplied',
            detail: AllocationApplied.parse({ ...common, ...(record.approvedBy ? { approvedBy: record.approvedBy } : {}) }),
          }
        : {
            detailType: 'AllocationApplyFailed',
            detail: AllocationApplyFailed.parse({ ...common, reason: record.reason ?? record.status, stopped: state.stoppedAt !== null }),
          };
    await this.deps.events.publish([event]);
    await this.deps.applies.markEventSent(portfolio.id, applyId);
  }
}

/** An apply that reached the platforms, or tried to: the outcomes every retry makes sure were announced. */
const isOutcome = (record: ApplyRecord) => record.status === 'applied' || record.status === 'partial' || record.status === 'failed';

/** What a failed platform call says about the account, for records, events and people. */
const failureReason = (account: Account, error: unknown): string => {
  if (error instanceof PlatformCallError) {
    const what =
      error.failure === 'auth' ? 'credentials expired or revoked' : error.failure === 'rate-limit' ? 'rate limited' : error.failure;
    return `${account.platform} account ${account.accountId}: ${what}: ${lowerFirst(error.message)}`;
  }
  return `${account.platform} account ${account.accountId}: ${(error as Error).message}`;
};

import { type Alert, type AlertChange, resolved as resolvedAlert } from '../domain/alerts/lifecycle.js';
import {
  type Account,
  accountCampaigns,
  type BudgetConfig,
  type ConnectedPlatform,
  type Portfolio,
  restatementDays,
} from '../domain/config.js';
import { credentialsAlert, openCredentialsAlert, refusedFingerprint } from '../domain/connectors/credentialsAlert.js';
import { BACKFILL_DAYS, chunkByKey, pullWindow } from '../domain/connectors/pullWindow.js';
import {
  platformKey,
  REFUSED_RULE,
  refusalText,
  refusedRowsAlert,
  standingRefusals,
  withRefusals,
} from '../domain/connectors/refusedRowsAlert.js';
import { addDays, dateInZone } from '../domain/dates.js';
import { MAX_RECORDS } from '../domain/delivery.js';
import { alertEvent } from '../domain/events.js';
import { alreadySays, type MetricRow, metricKey } from '../domain/metrics.js';
import type { DeliveryToStore } from './acceptDelivery.js';
import { prepareDelivery } from './acceptDelivery.js';
import type { PlatformReports, PullFailureKind } from './platformReports.js';
import { PullError } from './platformReports.js';
import type { AlertStore, Clock, EventPublisher, MetricsReader, PullLog } from './ports.js';

/** What storing one delivery answered: the webhook's receipt. */
export interface StoredReceipt {
  readonly accepted: number;
  readonly duplicates: number;
  readonly stale: number;
}

export interface PollerDependencies {
  readonly config: BudgetConfig;
  readonly configHash: string;
  readonly reports: Readonly<Record<ConnectedPlatform, PlatformReports>>;
  /** Stores a delivery exactly once (the webhook's DeliveryRecorder). */
  readonly record: (delivery: DeliveryToStore) => Promise<StoredReceipt>;
  readonly metrics: Pick<MetricsReader, 'portfolioRows'>;
  /** Where each answered pull is noted per channel, whatever it changed (the stale-data rule reads it). */
  readonly pulls: Pick<PullLog, 'recordPulled'>;
  readonly alerts: Pick<AlertStore, 'open' | 'apply' | 'published'>;
  readonly events: EventPublisher;
  readonly clock: Clock;
}

/** One account's pull: its rows, or why there are none. */
export interface AccountPull {
  readonly platform: ConnectedPlatform;
  readonly accountId: string;
  readonly from: string;
  readonly to: string;
  readonly rows: number;
  /** Why nothing was read: the platform's failure, or `skipped` while its refused credentials are unchanged. */
  readonly failure?: PullFailureKind | 'skipped';
  readonly message?: string;
}

/** What a poll of a portfolio did. */
export interface PollResult {
  readonly portfolioId: string;
  readonly pulledAt: string;
  readonly accounts: readonly AccountPull[];
  /** Rows the pulls returned that differ from what is stored (new days and restated ones), and what storing them answered. */
  readonly changed: number;
  readonly unchanged: number;
  readonly receipt: StoredReceipt;
  /** Channels left out because one of their accounts failed: a partial sum would replace a whole day. */
  readonly heldBack: readonly string[];
  readonly alertsOpened: readonly string[];
  readonly alertsResolved: readonly string[];
  /** What the webhook rules refused (a platform row out of bounds): each issue, as its alert names it, whose channel-day was left out. */
  readonly refused: readonly string[];
}

/** A poll that completed only in part because a platform failed transiently: the queue retries the message. */
export class PollIncomplete extends Error {
  override readonly name = 'PollIncomplete';
  constructor(readonly result: PollResult) {
    const failed = result.accounts.filter((a) => a.failure === 'throttled' || a.failure === 'unavailable');
    super(`poll of ${result.portfolioId} incomplete: ${failed.map((a) => `${a.platform}:${a.accountId} ${a.failure}`).join(', ')}`);
  }
}

/** The platform rows' field holding the campaign id, per platform, to group a pull's rows by channel-day. */
const campaignOf: Record<ConnectedPlatform, (row: unknown) => { campaign: string; date: string }> = {
  'google-ads': (row) => {
    const r = row as { campaign: { id: string }; segments: { date: string } };
    return { campaign: r.campaign.id, date: r.segments.date };
  },
  meta: (row) => {
    const r = row as { campaign_id: string; date_start: string };
    return { campaign: r.campaign_id, date: r.date_start };
  },
  tiktok: (row) => {
    const r = row as { dimensions: { campaign_id: string; stat_time_day: string } };
    return { campaign: r.dimensions.campaign_id, date: r.dimensions.stat_time_day.slice(0, 10) };
  },
};

/** A platform's rows in its webhook envelope (docs/webhooks.md), the body the ingest route would take. */
const envelope = (platform: ConnectedPlatform, portfolioId: string, deliveryId: string, pulledAt: string, rows: readonly unknown[]) => {
  const head = { portfolioId, deliveryId, pulledAt };
  if (platform === 'google-ads') return { ...head, results: rows };
  if (platform === 'tiktok') return { ...head, data: { list: rows } };
  return { ...head, data: rows };
};

/**
 * Pulls a portfolio's ad platform accounts and hands their rows to the webhook's own use case, so a poller and
 * a webhook sender follow one set of rules: each platform's rows go in its webhook envelope with the pull
 * instant as `pulledAt` (every row's revision), through {@link prepareDelivery} (validation, mapping through
 * `sourceIds`, the canonical limits) and the delivery recorder (idempotency, restatements).
 *
 * - Each account is read over its restatement window (reaching back to the newest stored day, or 60 days
 *   when nothing is stored), every page, with the client's bounded backoff.
 * - Rows equal to what is stored are not sent again, so a repeat pull changes nothing and writes nothing.
 * - Credentials a platform refuses open a critical alert naming the account; the account is then skipped
 *   until its credentials change, so a dead token is not retried every poll; a later successful pull
 *   resolves the alert.
 * - A channel with a campaign in a failed account is held back whole; a throttled or unavailable account
 *   makes the poll {@link PollIncomplete} after the rest is stored, so the queue retries it.
 */
/** The row a delivery issue names (`results[9].metrics.conversions`, `data[2].spend`, `data.list[4]…`), if any. */
const rowIndex = (path: string): number[] => {
  const match = /^(?:results|data(?:\.list)?)\[(\d+)\]/.exec(path);
  return match ? [Number(match[1])] : [];
};

export class Poller {
  constructor(private readonly deps: PollerDependencies) {}

  async poll(portfolio: Portfolio): Promise<PollResult> {
    const { clock, metrics } = this.deps;
    const now = clock();
    const pulledAt = now.toISOString();
    const today = dateInZone(now, portfolio.timezone);
    const campaigns = accountCampaigns(portfolio);
    const channelIds = [...new Set(campaigns.map((c) => c.channelId))];
    const [stored, open] = await Promise.all([
      metrics.portfolioRows(portfolio.id, channelIds, addDays(today, -BACKFILL_DAYS), today),
      this.deps.alerts.open(portfolio.id),
    ]);
    const storedByKey = new Map(stored.map((row) => [metricKey(row), row]));
    const newest = new Map<string, string>();
    for (const row of stored) if ((newest.get(row.channelId) ?? '') < row.date) newest.set(row.channelId, row.date);

    const pulls: AccountPull[] = [];
    const rowsByPlatform = new Map<ConnectedPlatform, unknown[]>();
    const failedChannels = new Set<string>();
    /**
     * From which day each answered channel's (and platform's) days were read this poll: the latest start among
     * its accounts, so a day counts as read again only where every account that feeds it read it.
     */
    const readFrom = new Map<string, string>();
    const opened: string[] = [];
    const resolved: string[] = [];
    for (const account of portfolio.accounts) {
      const mine = campaigns.filter((c) => c.platform === account.platform && c.accountId === account.accountId);
      const mineChannels = [...new Set(mine.map((c) => c.channelId))];
      const newestOfAccount = mineChannels.every((id) => newest.has(id)) ? mineChannels.map((id) => newest.get(id)!).sort()[0] : undefined;
      const window = pullWindow(today, restatementDays(account), newestOfAccount);
      const pull = await this.pullAccount(
        portfolio,
        account,
        mine.map((c) => c.campaignId),
        window,
        open,
        pulledAt,
      );
      pulls.push(pull.summary);
      if (pull.opened) opened.push(pull.opened);
      if (pull.resolved) resolved.push(pull.resolved);
      if (pull.rows === undefined) for (const id of mineChannels) failedChannels.add(id);
      else {
        rowsByPlatform.set(account.platform, [...(rowsByPlatform.get(account.platform) ?? []), ...pull.rows]);
        for (const key of [...mineChannels, platformKey(account.platform)]) {
          const from = readFrom.get(key);
          if (from === undefined || window.from > from) readFrom.set(key, window.from);
        }
      }
    }

    // A channel held back (another of its accounts failed) was not read: its refused days stand as they are.
    for (const id of failedChannels) readFrom.delete(id);
    const owner = new Map(campaigns.map((c) => [`${c.platform}:${c.campaignId}`, c.channelId]));
    let changed = 0;
    let unchanged = 0;
    const receipt = { accepted: 0, duplicates: 0, stale: 0 };
    const refused: string[] = [];
    /** Each refusal under the channel whose day it left out, or its platform where it names no row. */
    const refusedFor = new Map<string, string[]>();
    const heard = new Set<string>();
    for (const [platform, rows] of rowsByPlatform) {
      const kept = rows.filter((row) => !failedChannels.has(owner.get(`${platform}:${campaignOf[platform](row).campaign}`) ?? ''));
      // A channel-day: its campaigns' rows add up to one record, so they are stored, or left out, together.
      const channelDay = (row: unknown) => {
        const { campaign, date } = campaignOf[platform](row);
        return `${owner.get(`${platform}:${campaign}`) ?? campaign}#${date}`;
      };
      for (const [index, chunk] of chunkByKey(kept, channelDay, MAX_RECORDS).entries()) {
        // A row out of the webhook's bounds leaves its channel-day out, named in `refused`, and the rest is
        // stored: one bad row froze the whole account's pull, its valid restatements included, every poll.
        const prepare = (rows: readonly unknown[]) =>
          prepareDelivery(
            JSON.stringify(envelope(platform, portfolio.id, `pull-${platform}-${pulledAt}-${index}`, pulledAt, rows)),
            platform,
            this.deps.config,
            now,
          );
        let pending = chunk;
        let prepared = prepare(pending);
        while (!prepared.ok) {
          const bad = new Set(prepared.rejection.issues.flatMap((issue) => rowIndex(issue.path)).map((i) => channelDay(pending[i])));
          const refuse = (row: { campaign: string; date: string } | undefined, path: string, message: string) => {
            const text = refusalText(platform, row, path, message);
            refused.push(text);
            const key = (row && owner.get(`${platform}:${row.campaign}`)) ?? platformKey(platform);
            refusedFor.set(key, [...(refusedFor.get(key) ?? []), text]);
          };
          for (const issue of prepared.rejection.issues) {
            const [i] = rowIndex(issue.path);
            refuse(i === undefined ? undefined : campaignOf[platform](pending[i]), issue.path, issue.message);
          }
          const rest = pending.filter((row) => !bad.has(channelDay(row)));
          if (bad.size === 0 && prepared.rejection.issues.length === 0) refuse(undefined, '', prepared.rejection.message);
          if (bad.size === 0 || rest.length === 0) break;
          pending = rest;
          prepared = prepare(pending);
        }
        if (!prepared.ok) continue;
        for (const row of prepared.delivery.plan.rows) heard.add(row.channelId);
        const fresh = prepared.delivery.plan.rows.filter((row) => !sameAsStored(storedByKey.get(metricKey(row)), row));
        unchanged += prepared.delivery.plan.rows.length - fresh.length;
        changed += fresh.length;
        if (fresh.length === 0) continue;
        const answer = await this.deps.record({ ...prepared.delivery, plan: { ...prepared.delivery.plan, rows: fresh } });
        receipt.accepted += answer.accepted;
        receipt.duplicates += answer.duplicates;
        receipt.stale += answer.stale;
      }
    }
    // Every channel the pull returned valid rows for has been heard from, whatever it changed; one whose
    // campaigns returned nothing (a mistyped id) or only refused rows has not.
    if (heard.size > 0) await this.deps.pulls.recordPulled(portfolio.id, [...heard], pulledAt);
    const refusals = await this.alertRefusals(portfolio, open, refusedFor, readFrom, addDays(today, -BACKFILL_DAYS), pulledAt);
    opened.push(...refusals.opened);
    resolved.push(...refusals.resolved);
    const result: PollResult = {
      portfolioId: portfolio.id,
      pulledAt,
      accounts: pulls,
      changed,
      unchanged,
      receipt,
      heldBack: [...failedChannels].sort(),
      alertsOpened: opened,
      alertsResolved: resolved,
      refused,
    };
    if (pulls.some((p) => p.failure === 'throttled' || p.failure === 'unavailable')) throw new PollIncomplete(result);
    return result;
  }

  /** Pulls one account, opening or resolving its credentials alert; never throws for a platform's failure. */
  private async pullAccount(
    portfolio: Portfolio,
    account: Account,
    campaignIds: readonly string[],
    window: { from: string; to: string },
    open: readonly Alert[],
    at: string,
  ): Promise<{ summary: AccountPull; rows?: readonly unknown[]; opened?: string; resolved?: string }> {
    const base = { platform: account.platform, accountId: account.accountId, ...window };
    const reports = this.deps.reports[account.platform];
    const existing = openCredentialsAlert(open, account);
    let fingerprint: string;
    try {
      fingerprint = await reports.credentialsFingerprint(account);
    } catch (error) {
      const failure = asPullError(error);
      // A secret missing or unreadable needs a person as a refused token does; it is tried again once it reads.
      if (failure.kind === 'credentials')
        return this.refuseCredentials(portfolio, account, existing, 'unreadable', base, at, failure.message);
      return { summary: { ...base, rows: 0, failure: failure.kind, message: failure.message } };
    }
    if (existing && refusedFingerprint(existing) === fingerprint) {
      return {
        summary: {
          ...base,
          rows: 0,
          failure: 'skipped',
          message: `credentials refused earlier and unchanged (alert ${existing.alertId}); renew secret "${account.secret}"`,
        },
      };
    }
    try {
      const rows = await reports.dailyRows(account, campaignIds, window.from, window.to);
      let resolvedId: string | undefined;
      if (existing) {
        const alert = resolvedAlert(existing, at, 0);
        const change = { kind: 'resolve', before: existing, alert } as const;
        const entry = await this.deps.alerts.apply(change, alertEvent(change, at));
        if (entry) await this.announce(entry);
        resolvedId = existing.alertId;
      }
      return { summary: { ...base, rows: rows.length }, rows, ...(resolvedId ? { resolved: resolvedId } : {}) };
    } catch (error) {
      const failure = asPullError(error);
      if (failure.kind === 'credentials')
        return this.refuseCredentials(portfolio, account, existing, fingerprint, base, at, failure.message);
      return { summary: { ...base, rows: 0, failure: failure.kind, message: failure.message } };
    }
  }

  /**
   * Brings the refused-rows alerts in line with this poll ({@link REFUSED_RULE}): one opened for each channel
   * (or platform) with refusals and none open; an open one whose channel the poll read (from `readFrom`) names
   * the days still refused, this poll's and the unread older ones ({@link standingRefusals}), and is resolved
   * when there are none. A channel the poll did not read keeps its alert as it is.
   */
  private async alertRefusals(
    portfolio: Portfolio,
    open: readonly Alert[],
    refusedFor: ReadonlyMap<string, readonly string[]>,
    readFrom: ReadonlyMap<string, string>,
    oldest: string,
    at: string,
  ): Promise<{ opened: string[]; resolved: string[] }> {
    const current = new Map(open.filter((a) => a.ruleId === REFUSED_RULE && a.status === 'open').map((a) => [a.channelId, a]));
    const changes: AlertChange[] = [];
    for (const [key, texts] of refusedFor) {
      if (!current.has(key)) {
        changes.push({ kind: 'open', alert: refusedRowsAlert(portfolio.id, key, [...new Set(texts)].sort(), at, this.deps.configHash) });
      }
    }
    for (const [key, existing] of current) {
      const from = readFrom.get(key);
      if (from === undefined) continue;
      const standing = standingRefusals(existing.windows, refusedFor.get(key) ?? [], from, oldest);
      if (standing.length === 0) {
        changes.push({ kind: 'resolve', before: existing, alert: resolvedAlert(existing, at, 0) });
        continue;
      }
      const alert = withRefusals(existing, standing, at);
      if (alert) changes.push({ kind: 'escalate', before: existing, alert });
    }
    for (const change of changes) {
      const entry = await this.deps.alerts.apply(change, alertEvent(change, at));
      if (entry) await this.announce(entry);
    }
    return {
      opened: changes.flatMap((c) => (c.kind === 'open' ? [c.alert.alertId] : [])),
      resolved: changes.flatMap((c) => (c.kind === 'resolve' ? [c.alert.alertId] : [])),
    };
  }

  private async refuseCredentials(
    portfolio: Portfolio,
    account: Account,
    existing: Alert | undefined,
    fingerprint: string,
    base: Omit<AccountPull, 'rows'>,
    at: string,
    message: string,
  ): Promise<{ summary: AccountPull; opened?: string }> {
    const summary: AccountPull = { ...base, rows: 0, failure: 'credentials', message };
    if (existing) {
      // Renewed credentials refused again: the alert stays open, says so, and remembers the new fingerprint.
      const alert: Alert = {
        ...existing,
        windows: credentialsAlert(portfolio.id, account, fingerprint, at, existing.configHash).windows,
        history: [...existing.history, { at, kind: 'escalated', severity: 'critical', observed: 1 }],
      };
      const change = { kind: 'escalate', before: existing, alert } as const;
      const entry = await this.deps.alerts.apply(change, alertEvent(change, at));
      if (entry) await this.announce(entry);
      return { summary };
    }
    const alert = credentialsAlert(portfolio.id, account, fingerprint, at, this.deps.configHash);
    const change = { kind: 'open', alert } as const;
    const entry = await this.deps.alerts.apply(change, alertEvent(change, at));
    if (entry) await this.announce(entry);
    return { summary, opened: alert.alertId };
  }

  private async announce(entry: NonNullable<Awaited<ReturnType<AlertStore['apply']>>>): Promise<void> {
    await this.deps.events.publish([entry.event]);
    await this.deps.alerts.published(entry);
  }
}

/**
 * A failure as a pull failure: a client's own, or anything unforeseen (a bug, a network stack's error) as
 * `unavailable`, so the account's channels are held back, the other accounts still stored, and the queue
 * retries the message (then dead-letters it, which pages someone) instead of the whole poll dying at once.
 */
const asPullError = (error: unknown): PullError =>
  error instanceof PullError
    ? error
    : new PullError('unavailable', `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);

/** A pulled row that says what is stored already (a platform report states whole rows). */
const sameAsStored = (stored: MetricRow | undefined, row: MetricRow): boolean => stored !== undefined && alreadySays(stored, row);

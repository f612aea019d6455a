import { type AllocatedByDate, evaluatePortfolio, lookbackDays } from '../domain/alerts/evaluate.js';
import { type Alert, alertChanges, alertReadings } from '../domain/alerts/lifecycle.js';
import { portfolioMaturity } from '../domain/allocation/maturity.js';
import { FIT } from '../domain/allocation/responseModel.js';
import type { Portfolio } from '../domain/config.js';
import { addDays, dateInZone } from '../domain/dates.js';
import { alertEvent } from '../domain/events.js';
import { rollupDaily } from '../domain/metrics.js';
import { historyDays, snapshotIdBound } from '../domain/snapshots.js';
import type { AlertStore, Clock, EventPublisher, MetricsReader, PendingEvent, PullLog, SnapshotStore } from './ports.js';

export interface AlertEvaluatorDependencies {
  readonly metrics: MetricsReader;
  /** When each channel's platform last answered a poll: the stale-data rule hears a poll that changed nothing. */
  readonly pulls: Pick<PullLog, 'lastPulled'>;
  readonly allocations: SnapshotStore;
  readonly alerts: AlertStore;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly configHash: string;
}

/** What one evaluation changed. */
export interface EvaluationResult {
  readonly opened: Alert[];
  readonly escalated: Alert[];
  readonly resolved: Alert[];
}

/** Snapshots per page when reading allocations for pacing. */
const SNAPSHOT_PAGE = 100;

/**
 * Evaluates a portfolio's rules now and applies the transitions: each one is written together with its
 * event in an outbox, then published, then cleared from the outbox. Events left by a run that died are
 * published first, so every transition is announced, once per transition.
 */
export class AlertEvaluator {
  constructor(private readonly deps: AlertEvaluatorDependencies) {}

  async evaluate(portfolio: Portfolio): Promise<EvaluationResult> {
    const { metrics, alerts, clock, configHash } = this.deps;
    await this.flush(await alerts.pending(portfolio.id));
    const now = clock();
    const today = dateInZone(now, portfolio.timezone);
    // Back as far as the allocator reads, so the rules see days mature exactly as the allocator does.
    const from = addDays(today, -Math.max(lookbackDays(portfolio.alerts.rules), FIT.lookbackDays));
    const channelIds = portfolio.channels.map((c) => c.id);
    const [rows, versions, open, allocated, pulled] = await Promise.all([
      metrics.portfolioRows(portfolio.id, channelIds, from, today),
      metrics.portfolioVersions(portfolio.id, channelIds, from, today),
      alerts.open(portfolio.id),
      this.allocatedByDate(portfolio, today),
      this.deps.pulls.lastPulled(portfolio.id, channelIds),
    ]);
    const maturity = portfolioMaturity(portfolio, historyDays(portfolio, rollupDaily(rows), versions, today), today);
    const evaluations = evaluatePortfolio(portfolio, rows, allocated, now, maturity, pulled);
    const changes = alertChanges(portfolio, open, evaluations, now, configHash);
    const result: EvaluationResult = { opened: [], escalated: [], resolved: [] };
    for (const change of changes) {
      const entry = await alerts.apply(change, alertEvent(change, now.toISOString()));
      if (!entry) continue; // a concurrent evaluation got there first and announced it
      await this.flush([entry]);
      ({ open: result.opened, escalate: result.escalated, resolve: result.resolved })[change.kind].push(change.alert);
    }
    // An alert the breach still holds shows what it reads now, not only what it read when it opened.
    for (const reading of alertReadings(open, evaluations, now)) await alerts.observe(reading);
    return result;
  }

  private async flush(entries: readonly PendingEvent[]): Promise<void> {
    for (const entry of entries) {
      await this.deps.events.publish([entry.event]);
      await this.deps.alerts.published(entry);
    }
  }

  /**
   * Allocated totals per day and channel from the newest snapshot of each day, over the days the pacing
   * rules look at only (hourly runs make many snapshots a day); nothing is read without a pacing rule.
   */
  private async allocatedByDate(portfolio: Portfolio, today: string): Promise<AllocatedByDate> {
    const byDate = new Map<string, Map<string, number>>();
    const pacing = portfolio.alerts.rules.filter((r) => r.metric === 'pacing');
    if (pacing.length === 0) return byDate;
    const from = addDays(today, -lookbackDays(pacing));
    let cursor: string | undefined;
    do {
      const page = await this.deps.allocations.list(portfolio.id, {
        from: snapshotIdBound(from, 'from')!,
        limit: SNAPSHOT_PAGE,
        // A snapshot a run wrote and never published was never in force: pacing is measured against plans that were.
        publishedOnly: true,
        ...(cursor ? { cursor } : {}),
      });
      // Newest first: the first snapshot seen for a day is the one in force at its end.
      for (const s of page.snapshots) {
        if (!byDate.has(s.allocation.asOf))
          byDate.set(s.allocation.asOf, new Map(s.allocation.channels.map((c) => [c.channelId, c.total])));
      }
      cursor = page.next ?? undefined;
    } while (cursor);
    return byDate;
  }
}

import type {
  AlertStore,
  EventPublisher,
  MetricsReader,
  PendingEvent,
  PullLog,
  SnapshotListing,
  SnapshotPage,
  SnapshotStore,
} from '../../../functions/application/ports.js';
import { type Alert, type AlertChange, stopLossChannels } from '../../../functions/domain/alerts/lifecycle.js';
import type { Portfolio } from '../../../functions/domain/config.js';
import type { BudgetEvent } from '../../../functions/domain/events.js';
import type { MetricRow, RowVersion } from '../../../functions/domain/metrics.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';

/** In-memory ports with the semantics the DynamoDB adapters promise, and hooks to inject faults. */

export class InMemoryMetrics implements MetricsReader, PullLog {
  /** Each `portfolio#channel`'s last answered poll. */
  readonly pulled = new Map<string, string>();

  constructor(
    readonly rows: MetricRow[] = [],
    readonly versions: (RowVersion & { portfolioId: string })[] = [],
  ) {}

  async recordPulled(portfolioId: string, channelIds: readonly string[], at: string): Promise<void> {
    for (const id of channelIds) this.pulled.set(`${portfolioId}#${id}`, at);
  }

  async lastPulled(portfolioId: string, channelIds: readonly string[]): Promise<Map<string, string>> {
    return new Map(
      channelIds.flatMap((id) =>
        this.pulled.has(`${portfolioId}#${id}`) ? [[id, this.pulled.get(`${portfolioId}#${id}`)!] as const] : [],
      ),
    );
  }

  async portfolioRows(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<MetricRow[]> {
    return this.rows.filter((r) => r.portfolioId === portfolioId && channelIds.includes(r.channelId) && r.date >= from && r.date <= to);
  }

  async portfolioVersions(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<RowVersion[]> {
    return this.versions.filter((v) => v.portfolioId === portfolioId && channelIds.includes(v.channelId) && v.date >= from && v.date <= to);
  }
}

export class InMemorySnapshots implements SnapshotStore {
  readonly snapshots = new Map<string, Snapshot>();
  readonly windows = new Map<string, string>();
  readonly published = new Map<string, string>();
  latestId = new Map<string, string>();
  /** Runs before each `LATEST` write: a test moves `LATEST` here to lose the race. */
  beforeLatestWrite: (portfolioId: string) => void = () => undefined;

  async create(snapshot: Snapshot): Promise<{ created: true } | { created: false; existing: string }> {
    const key = `${snapshot.portfolioId}/${snapshot.snapshotId}`;
    if (this.snapshots.has(key)) throw new Error('The conditional request failed');
    if (snapshot.trigger.kind === 'schedule') {
      const window = `${snapshot.portfolioId}/${snapshot.trigger.window}`;
      const existing = this.windows.get(window);
      if (existing) return { created: false, existing };
      this.windows.set(window, snapshot.snapshotId);
    }
    this.snapshots.set(key, structuredClone(snapshot));
    return { created: true };
  }

  async windowSnapshotId(portfolioId: string, window: string): Promise<string | undefined> {
    return this.windows.get(`${portfolioId}/${window}`);
  }

  async advanceLatest(portfolioId: string, snapshotId: string): Promise<void> {
    this.beforeLatestWrite(portfolioId);
    const current = this.latestId.get(portfolioId);
    if (current === undefined || current < snapshotId) this.latestId.set(portfolioId, snapshotId);
  }

  async latest(portfolioId: string): Promise<Snapshot | null> {
    const id = this.latestId.get(portfolioId);
    return id ? this.get(portfolioId, id) : null;
  }

  readonly inputs = new Map<string, unknown>();

  async saveInput(portfolioId: string, snapshotId: string, input: unknown): Promise<void> {
    this.inputs.set(`${portfolioId}/${snapshotId}`, structuredClone(input));
  }

  async input(portfolioId: string, snapshotId: string): Promise<unknown | null> {
    return this.inputs.get(`${portfolioId}/${snapshotId}`) ?? null;
  }

  async latestSnapshotId(portfolioId: string): Promise<string | null> {
    return this.latestId.get(portfolioId) ?? null;
  }

  async get(portfolioId: string, snapshotId: string): Promise<Snapshot | null> {
    return this.snapshots.get(`${portfolioId}/${snapshotId}`) ?? null;
  }

  async list(portfolioId: string, { from = '', to = '~', limit, publishedOnly = false }: SnapshotListing): Promise<SnapshotPage> {
    const isPublished = (s: Snapshot) => this.published.has(`${portfolioId}/${s.snapshotId}`);
    const snapshots = [...this.snapshots.values()]
      .filter((s) => s.portfolioId === portfolioId && s.snapshotId >= from && s.snapshotId <= to)
      .filter((s) => !publishedOnly || isPublished(s))
      .sort((a, b) => b.snapshotId.localeCompare(a.snapshotId));
    const page = snapshots.slice(0, limit);
    return { snapshots: page, published: new Set(page.filter(isPublished).map((s) => s.snapshotId)), next: null };
  }

  readonly claims = new Map<string, string>();

  async isPublished(portfolioId: string, snapshotId: string): Promise<boolean> {
    return this.published.has(`${portfolioId}/${snapshotId}`);
  }

  async claimPublication(portfolioId: string, snapshotId: string, now: string, until: string): Promise<boolean> {
    const key = `${portfolioId}/${snapshotId}`;
    const held = this.claims.get(key);
    if (this.published.has(key) || (held !== undefined && held >= now)) return false;
    this.claims.set(key, until);
    return true;
  }

  async markPublished(portfolioId: string, snapshotId: string, at: string): Promise<void> {
    this.published.set(`${portfolioId}/${snapshotId}`, at);
  }
}

export class InMemoryAlerts implements AlertStore {
  readonly alerts = new Map<string, Alert>();
  readonly outbox = new Map<string, PendingEvent>();

  async open(portfolioId: string): Promise<Alert[]> {
    return this.list(portfolioId, 'open');
  }

  async openStopLosses(portfolio: Portfolio): Promise<string[]> {
    return stopLossChannels(await this.open(portfolio.id), portfolio);
  }

  async list(portfolioId: string, status?: Alert['status']): Promise<Alert[]> {
    return [...this.alerts.values()].filter((a) => a.portfolioId === portfolioId && (status === undefined || a.status === status));
  }

  /** Conditional on the state the change was computed from, as the DynamoDB transaction is. */
  async apply(change: AlertChange, event: BudgetEvent): Promise<PendingEvent | null> {
    const { alert } = change;
    const stored = this.alerts.get(alert.alertId);
    if (change.kind === 'open') {
      const clash = [...this.alerts.values()].some(
        (a) => a.status === 'open' && a.portfolioId === alert.portfolioId && a.ruleId === alert.ruleId && a.channelId === alert.channelId,
      );
      if (stored || clash) return null;
    } else if (stored?.history.length !== change.before.history.length) {
      return null;
    }
    this.alerts.set(alert.alertId, structuredClone(alert));
    const entry = { key: { pk: alert.portfolioId, sk: `OUTBOX#${alert.alertId}#${alert.history.length}` }, event };
    this.outbox.set(entry.key.sk, entry);
    return entry;
  }

  /** Conditional on no transition since, as the DynamoDB update is. */
  async observe(alert: Alert): Promise<boolean> {
    const stored = this.alerts.get(alert.alertId);
    if (stored?.history.length !== alert.history.length) return false;
    if (stored.observedAt !== undefined && alert.observedAt !== undefined && stored.observedAt >= alert.observedAt) return false;
    const { observed, severity, windows } = alert;
    this.alerts.set(alert.alertId, {
      ...stored,
      observed,
      severity,
      windows,
      ...(alert.observedAt ? { observedAt: alert.observedAt } : {}),
    });
    return true;
  }

  async pending(portfolioId: string): Promise<PendingEvent[]> {
    return [...this.outbox.values()].filter((e) => e.key.pk === portfolioId).sort((a, b) => a.key.sk.localeCompare(b.key.sk));
  }

  async published(entry: PendingEvent): Promise<void> {
    this.outbox.delete(entry.key.sk);
  }
}

/** A bus that records what it accepted and refuses the calls a test names (1-based). */
export class RecordingBus implements EventPublisher {
  readonly accepted: BudgetEvent[] = [];
  private calls = 0;

  constructor(private readonly failOn: ReadonlySet<number> = new Set()) {}

  async publish(events: readonly BudgetEvent[]): Promise<void> {
    this.calls += 1;
    if (this.failOn.has(this.calls)) throw new Error(`bus unavailable (call ${this.calls})`);
    this.accepted.push(...events);
  }
}

/** A clock that moves one second per reading, so each run's snapshot id is newer than the last. */
export const steppingClock = (start: string) => {
  let at = Date.parse(start);
  return () => {
    at += 1000;
    return new Date(at);
  };
};

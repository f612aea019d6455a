import type { Alert, AlertChange } from '../domain/alerts/lifecycle.js';
import type { Portfolio } from '../domain/config.js';
import type { BudgetEvent } from '../domain/events.js';
import type { MetricRow, RowVersion } from '../domain/metrics.js';
import type { Snapshot } from '../domain/snapshots.js';

/**
 * The ports the use cases own: what they need from the world, as interfaces only. The adapters implement
 * them (DynamoDB, EventBridge, SQS, the local runtime's stand-ins) and the composition root in `wiring/`
 * picks which; tests implement them in memory.
 */

/** The current instant; passed in so tests and simulations can fix time. */
export type Clock = () => Date;

/** Where the system's events go: the EventBridge bus in AWS, the local bus in the local runtime. */
export interface EventPublisher {
  /** Resolves once every event was accepted; throws if any could not be, after retries. */
  publish(events: readonly BudgetEvent[]): Promise<void>;
}

/** A queue of per-portfolio jobs: SQS in AWS, an in-process queue in the local runtime. */
export interface WorkQueue {
  /** Resolves once every message was accepted; throws if any could not be, after retries. */
  send(messages: readonly unknown[]): Promise<void>;
}

/** The channels of a portfolio under an open alert whose rule is a stop-loss in the config in force. */
export interface StopLossSource {
  openStopLosses(portfolio: Portfolio): Promise<string[]>;
}

/** Stored metric rows (daily and hourly) of a portfolio's channels. */
export interface MetricsReader {
  /** Every stored row of these channels with a date in [from, to]. */
  portfolioRows(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<MetricRow[]>;
  /** Every accepted version of these channels' daily rows with a date in [from, to], as they were restated. */
  portfolioVersions(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<RowVersion[]>;
}

/**
 * When each channel's platform account last answered a poll, whatever the pull changed: a poll writes only
 * the rows that changed, so a channel whose figures stand still would otherwise read as silent.
 */
export interface PullLog {
  recordPulled(portfolioId: string, channelIds: readonly string[], at: string): Promise<void>;
  /** Each channel's last answered poll (an ISO instant); channels never pulled are absent. */
  lastPulled(portfolioId: string, channelIds: readonly string[]): Promise<Map<string, string>>;
}

/** One page of snapshots, newest first. */
export interface SnapshotPage {
  readonly snapshots: Snapshot[];
  /**
   * The ids of those whose event the bus accepted; the others were written by a run that has not published
   * them (yet, or ever: it died in between). Absent when the store does not say.
   */
  readonly published?: ReadonlySet<string>;
  /** Opaque cursor for the next page; null on the last one. */
  readonly next: string | null;
}

/** Bounds and paging of a snapshot listing; ids between the bounds, inclusive. */
export interface SnapshotListing {
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
  /** Leave out the snapshots not published, still filling the page up to `limit`. */
  readonly publishedOnly?: boolean;
  /** End the page early once its snapshots' JSON would pass this many bytes (never before the first). */
  readonly maxBytes?: number;
}

/** Immutable allocation snapshots, the `LATEST` pointer, schedule-window markers and publication markers. */
export interface SnapshotStore {
  /**
   * Writes a new snapshot; for a scheduled run together with its window marker. Answers the snapshot the
   * window already had when another delivery of the same window got there first.
   */
  create(snapshot: Snapshot): Promise<{ created: true } | { created: false; existing: string }>;
  /** The snapshot a schedule window made, if any. */
  windowSnapshotId(portfolioId: string, window: string): Promise<string | undefined>;
  /** Moves `LATEST` to this snapshot unless it already points at a newer one; never backwards. */
  advanceLatest(portfolioId: string, snapshotId: string): Promise<void>;
  latest(portfolioId: string): Promise<Snapshot | null>;
  /** The id `LATEST` points at, without reading the snapshot (a pointer read). */
  latestSnapshotId(portfolioId: string): Promise<string | null>;
  get(portfolioId: string, snapshotId: string): Promise<Snapshot | null>;
  list(portfolioId: string, listing: SnapshotListing): Promise<SnapshotPage>;
  isPublished(portfolioId: string, snapshotId: string): Promise<boolean>;
  /** Keeps the exact allocator input a snapshot is decided from (written before the snapshot), for replay. */
  saveInput(portfolioId: string, snapshotId: string, input: unknown): Promise<void>;
  /** The input a snapshot was decided from; null when it was made before inputs were kept. */
  input(portfolioId: string, snapshotId: string): Promise<unknown | null>;
  /**
   * Claims the publication of a snapshot's event until `until` (ISO instant): true for the one run that may
   * publish now, false while another holds an unexpired claim or the event is already out. A run that dies
   * holding a claim is taken over by the first retry after it expires.
   */
  claimPublication(portfolioId: string, snapshotId: string, now: string, until: string): Promise<boolean>;
  /** Records that the snapshot's event was accepted by the bus. */
  markPublished(portfolioId: string, snapshotId: string, at: string): Promise<void>;
}

/** An event waiting in the alert outbox, with the key that removes it. */
export interface PendingEvent {
  readonly key: { readonly pk: string; readonly sk: string };
  readonly event: BudgetEvent;
}

/** Alerts, one open alert per (rule, channel), and the outbox of their events. */
export interface AlertStore extends StopLossSource {
  open(portfolioId: string): Promise<Alert[]>;
  list(portfolioId: string, status?: Alert['status']): Promise<Alert[]>;
  /**
   * Applies a transition together with its event in the outbox; null when a concurrent evaluation already
   * applied it (nothing to announce).
   */
  apply(change: AlertChange, event: BudgetEvent): Promise<PendingEvent | null>;
  /** Records an open alert's latest value and when it was read; false when a transition moved it since. */
  observe(alert: Alert): Promise<boolean>;
  /** Events left in the outbox by runs that died before publishing them. */
  pending(portfolioId: string): Promise<PendingEvent[]>;
  /** Clears an outbox entry once the bus accepted its event. */
  published(entry: PendingEvent): Promise<void>;
}

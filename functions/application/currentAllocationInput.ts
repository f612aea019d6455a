import type { AllocationInput } from '../domain/allocation/schemas.js';
import type { Portfolio } from '../domain/config.js';
import { dateInZone, startOfDayInZone } from '../domain/dates.js';
import { rollupDaily } from '../domain/metrics.js';
import { allocationInput, historyDays, historyRange, type Snapshot, snapshotIdBound } from '../domain/snapshots.js';
import type { MetricsReader, SnapshotStore, StopLossSource } from './ports.js';

/** What the allocator's input is read from: stored metrics, the snapshots (plans in force) and open stop-losses. */
export interface AllocationInputSources {
  readonly metrics: MetricsReader;
  readonly allocations: Pick<SnapshotStore, 'latest' | 'list'>;
  readonly stopLosses: StopLossSource;
}

/** The input a run at `now` would solve, with the plan in force now (`LATEST`), which a run may reuse. */
export interface CurrentAllocationInput {
  readonly input: AllocationInput;
  readonly latest: Snapshot | null;
}

/**
 * The allocator's input for a portfolio at `now`, as the stores hold it: sixteen weeks of daily totals, the
 * fit window's with their revisions, the plan in force now (`LATEST`) and when the local day began (the daily change limit's
 * reference), and the channels under an open stop-loss. The one way a reallocation and a what-if plan
 * (`GET /portfolios/{id}/plan`) read it, so a plan answers what a reallocation would.
 */
export const currentAllocationInput = async (
  sources: AllocationInputSources,
  portfolio: Portfolio,
  now: Date,
  releaseReserve: boolean,
): Promise<CurrentAllocationInput> => {
  const { metrics, allocations, stopLosses } = sources;
  const asOf = dateInZone(now, portfolio.timezone);
  const range = historyRange(asOf);
  const channelIds = portfolio.channels.map((c) => c.id);
  const [rows, versions, latest, dayStart, stopLoss] = await Promise.all([
    metrics.portfolioRows(portfolio.id, channelIds, range.from, range.to),
    metrics.portfolioVersions(portfolio.id, channelIds, range.revisionsFrom, range.to),
    allocations.latest(portfolio.id),
    planAtDayStart(allocations, portfolio, asOf),
    stopLosses.openStopLosses(portfolio),
  ]);
  const history = historyDays(portfolio, rollupDaily(rows), versions, asOf);
  return { input: allocationInput(portfolio, history, { latest, dayStart }, stopLoss, asOf, releaseReserve), latest };
};

/**
 * The plan in force when the portfolio's local day began: the newest snapshot published before local
 * midnight (`LATEST` moves only forward, and a snapshot a run wrote but never published was never in force).
 */
const planAtDayStart = async (
  allocations: AllocationInputSources['allocations'],
  portfolio: Portfolio,
  asOf: string,
): Promise<Snapshot | null> => {
  const midnight = startOfDayInZone(asOf, portfolio.timezone);
  const to = snapshotIdBound(new Date(midnight.getTime() - 1).toISOString(), 'to')!;
  const { snapshots } = await allocations.list(portfolio.id, { to, limit: 1, publishedOnly: true });
  return snapshots[0] ?? null;
};

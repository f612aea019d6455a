import { groupBy } from '../domain/collections.js';
import type { MetricRow, RowVersion } from '../domain/metrics.js';
import type { MetricsReader } from './ports.js';

/**
 * A stretch of a portfolio's stored metrics: its rows dated from `from`, and the versions of its daily rows
 * dated from `revisionsFrom` (none when absent), both through `to`.
 */
export interface MetricsRange {
  readonly from: string;
  readonly revisionsFrom?: string;
  readonly to: string;
}

const earlier = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined || a <= b ? a : b);

/** The smallest range that holds each of `ranges` (ISO dates compare as strings). */
export const coveringRange = (ranges: readonly MetricsRange[]): MetricsRange => {
  const from = ranges.map((r) => r.from).reduce((a, b) => (a <= b ? a : b));
  const to = ranges.map((r) => r.to).reduce((a, b) => (a >= b ? a : b));
  const revisionsFrom = ranges.map((r) => r.revisionsFrom).reduce(earlier, undefined);
  return revisionsFrom === undefined ? { from, to } : { from, revisionsFrom, to };
};

/** Each channel's items of one read, in the order the store gave them, for the reads that ask for a stretch of them. */
const servedFrom = <T extends { channelId: string; date: string }>(items: readonly T[]) => {
  const byChannel = groupBy(items, (item) => item.channelId);
  return (channelIds: readonly string[], from: string, to: string): T[] =>
    channelIds.flatMap((id) => (byChannel.get(id) ?? []).filter((item) => item.date >= from && item.date <= to));
};

/**
 * Reads a portfolio's metrics once, over `range`, and answers every read inside it from what was read, as
 * the store would have answered it (the same rows, channel by channel in the order asked, each channel's in
 * the store's order). One request whose parts each read a stretch of the same rows (the dashboard's pacing,
 * its what-if plans and its model health) then reads them once, and each part keeps its own definition of
 * what it reads. A read reaching outside the range, or naming another portfolio or channel, goes to the store.
 */
export const readMetricsOnce = async (
  metrics: MetricsReader,
  portfolioId: string,
  channelIds: readonly string[],
  range: MetricsRange,
): Promise<MetricsReader> => {
  const [rows, versions] = await Promise.all([
    metrics.portfolioRows(portfolioId, channelIds, range.from, range.to),
    range.revisionsFrom === undefined ? [] : metrics.portfolioVersions(portfolioId, channelIds, range.revisionsFrom, range.to),
  ]);
  const within = (id: string, ids: readonly string[], from: string, to: string, start: string | undefined) =>
    id === portfolioId && start !== undefined && from >= start && to <= range.to && ids.every((c) => channelIds.includes(c));
  const rowsIn = servedFrom<MetricRow>(rows);
  const versionsIn = servedFrom<RowVersion>(versions);
  return {
    portfolioRows: async (id, ids, from, to) =>
      within(id, ids, from, to, range.from) ? rowsIn(ids, from, to) : metrics.portfolioRows(id, ids, from, to),
    portfolioVersions: async (id, ids, from, to) =>
      within(id, ids, from, to, range.revisionsFrom) ? versionsIn(ids, from, to) : metrics.portfolioVersions(id, ids, from, to),
  };
};

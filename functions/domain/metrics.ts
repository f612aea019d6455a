import type { Revision } from './allocation/schemas.js';
import { groupBy } from './collections.js';
import { addDays, dateInZone } from './dates.js';
import { roundTo, sumMicros } from './money.js';

/** One stored metric row: a channel's day (hour = null) or one hour of it. Money in integer micros. */
export interface MetricRow {
  readonly portfolioId: string;
  readonly channelId: string;
  readonly date: string;
  readonly hour: number | null;
  readonly spendMicros: number;
  readonly revenueMicros: number | null;
  readonly impressions: number | null;
  readonly clicks: number | null;
  readonly conversions: number;
  readonly revision: number;
  /** When the stored row arrived (ISO 8601); present on rows read back from the table. */
  readonly receivedAt?: string;
  /**
   * The record states the whole row (a platform report, where a metric left out is none): its restatements
   * replace every value, and a null clears what was stored. Otherwise a null is a value not sent, and a
   * restatement keeps the stored one (see {@link OPTIONAL_VALUES}).
   */
  readonly wholeRow?: boolean;
}

/** The identity of a stored metric within a portfolio: one per (channel, date, hour). */
export const metricKey = (row: Pick<MetricRow, 'channelId' | 'date' | 'hour'>): string =>
  `${row.channelId}#${row.date}#${row.hour ?? '--'}`;

/** The fields that make a row's values; two rows with the same key and these equal say the same thing. */
export const METRIC_VALUES = ['spendMicros', 'revenueMicros', 'impressions', 'clicks', 'conversions'] as const;

/** Whether two rows (or a row and a stored item) carry the same values; absent counts as null. */
export const sameValues = (a: Partial<Record<(typeof METRIC_VALUES)[number], unknown>>, b: MetricRow): boolean =>
  METRIC_VALUES.every((field) => (a[field] ?? null) === b[field]);

/**
 * The values a record may leave out (null in a row). A restatement that leaves one out keeps the stored
 * value: a platform that re-reports spend and conversions has not said that the day's clicks were zero.
 */
export const OPTIONAL_VALUES = ['revenueMicros', 'impressions', 'clicks'] as const;

/**
 * Whether a stored row already says everything this row says: the same spend and conversions, and the same
 * value for each optional field the row sends (every field, for a {@link MetricRow.wholeRow}). Such a row
 * changes nothing when stored again (a duplicate).
 */
export const alreadySays = (stored: Partial<Record<(typeof METRIC_VALUES)[number], unknown>>, row: MetricRow): boolean =>
  METRIC_VALUES.every((field) => (keepsStored(row, field) && row[field] === null) || (stored[field] ?? null) === row[field]);

/** Whether a null in this row's field leaves the stored value as it is. */
export const keepsStored = (row: MetricRow, field: string): boolean => !row.wholeRow && omittable.has(field);

const omittable = new Set<string>(OPTIONAL_VALUES);

/**
 * The rows that stand for one channel's date: its daily row when there is one, else its hourly rows. A
 * platform that sends both is never counted twice; every reader of daily totals goes through this.
 */
export const standingRows = (rowsOfDate: readonly MetricRow[]): readonly MetricRow[] => {
  const daily = rowsOfDate.find((r) => r.hour === null);
  return daily ? [daily] : rowsOfDate;
};

/** A channel's totals for one date, money in currency units (the API shape). */
export interface DailyTotal {
  readonly channelId: string;
  readonly date: string;
  readonly spend: number;
  readonly impressions: number;
  readonly clicks: number;
  readonly conversions: number;
  readonly revenue: number;
  /** How many stored rows made the total: 1 for a daily row, else the hours reported. */
  readonly rows: number;
}

/**
 * Rolls stored rows up to daily totals per channel and date. A daily row is authoritative for its date:
 * hourly rows are summed only for dates without one, so a platform that sends both is not counted twice.
 * Sums are taken in micros so totals are exact. Output is sorted by channel, then date.
 */
export const rollupDaily = (rows: readonly MetricRow[]): DailyTotal[] => {
  const groups = groupBy(rows, (row) => `${row.channelId}\u0000${row.date}`);
  const totals: DailyTotal[] = [];
  for (const group of groups.values()) {
    const parts = standingRows(group);
    const first = parts[0]!;
    let impressions = 0;
    let clicks = 0;
    let conversions = 0;
    for (const r of parts) {
      impressions += r.impressions ?? 0;
      clicks += r.clicks ?? 0;
      conversions += r.conversions;
    }
    totals.push({
      channelId: first.channelId,
      date: first.date,
      spend: sumMicros(parts.map((r) => r.spendMicros)),
      impressions,
      clicks,
      conversions: roundTo(conversions, 6),
      revenue: sumMicros(parts.map((r) => r.revenueMicros ?? 0)),
      rows: parts.length,
    });
  }
  return totals.sort((a, b) => (a.channelId === b.channelId ? (a.date < b.date ? -1 : 1) : a.channelId < b.channelId ? -1 : 1));
};

/**
 * One accepted version of a daily row's results, kept as it is restated so that how a day's conversions
 * mature can be learned (`allocation/maturity.ts`). Money in integer micros, like the row.
 */
export interface RowVersion {
  readonly channelId: string;
  readonly date: string;
  readonly conversions: number;
  readonly revenueMicros: number | null;
  /** This version did not send revenue and the row kept the revenue it had (see {@link OPTIONAL_VALUES}). */
  readonly revenueKept?: boolean;
  /** When this version arrived (ISO 8601). */
  readonly receivedAt: string;
}

/** Versions in arrival order with the revenue the row held: one that kept the revenue holds the one before. */
const keptRevenue = (byArrival: readonly RowVersion[]): RowVersion[] => {
  let revenueMicros: number | null = null;
  return byArrival.map((version) => {
    revenueMicros = version.revenueKept ? revenueMicros : version.revenueMicros;
    return version.revenueMicros === revenueMicros ? version : { ...version, revenueMicros };
  });
};

/**
 * The revisions of one daily row from its stored versions, in the allocation input's form: one entry per
 * value the row held before its latest, dated the last day (in the portfolio's zone) it stood at the end of,
 * oldest first. Versions that arrived the same day collapse to the day's last; a repeat of the same values
 * (a retried delivery) is no change. The latest value is the row itself, so it is not among them.
 */
export const revisionsOf = (versions: readonly RowVersion[], timeZone: string): Revision[] => {
  const byArrival = keptRevenue([...versions].sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0)));
  const days: { day: string; version: RowVersion }[] = [];
  for (const version of byArrival) {
    const day = dateInZone(new Date(version.receivedAt), timeZone);
    const last = days.at(-1);
    if (last && last.version.conversions === version.conversions && last.version.revenueMicros === version.revenueMicros) continue;
    if (last?.day === day) days.pop();
    const before = days.at(-1);
    // Back to the value the day began with: that day's change undid itself.
    if (before && before.version.conversions === version.conversions && before.version.revenueMicros === version.revenueMicros) continue;
    days.push({ day, version });
  }
  const revisions: Revision[] = [];
  for (let i = 0; i + 1 < days.length; i += 1) {
    const { version } = days[i]!;
    const reportedOn = addDays(days[i + 1]!.day, -1);
    if (reportedOn < version.date) continue; // restated on the day itself: the day's end saw only the later value
    revisions.push({
      reportedOn,
      conversions: version.conversions,
      ...(version.revenueMicros === null ? {} : { revenue: version.revenueMicros / 1e6 }),
    });
  }
  return revisions;
};

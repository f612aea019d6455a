import type { Allocation, ChannelAllocation } from './allocation/schemas.js';
import { currencyDigits, formatAmount, minorUnitOf, roundTo } from './money.js';
import { type ReserveRelease, reserveRelease, type Snapshot } from './snapshots.js';

/**
 * Money for people: the currency's decimals with US grouping ("8,500.00", "33.76"), "—" where there is no
 * value. The same {@link formatAmount} the attention list and the alerts write with, so a figure reads the
 * same wherever a person meets it.
 */
export const displayMoney = (currency: string) => {
  const digits = currencyDigits(currency);
  return (value: number | null): string => (value === null ? '—' : formatAmount(value, digits, digits));
};

/** Counts for people (conversions, days): at most one decimal, US grouping ("1,234.5", "96"). */
export const displayCount = (value: number | null): string => (value === null ? '—' : formatAmount(value, 1));

/** Counts for people that are read together, all to the same decimals: "206.0" beside "198.6 – 213.2", not "206". */
export const displayCounts = (values: readonly number[]): string[] => {
  const digits = values.some((v) => Math.round(Math.abs(v) * 10) % 10 !== 0) ? 1 : 0;
  return values.map((v) => formatAmount(v, 1, digits));
};

/**
 * An outcome and its 80% interval as people read them together: revenue as money, conversions as counts all
 * to the same decimals ("206.0 (80% interval 198.6 – 213.2)").
 */
export const displayOutcome = (
  outcome: { readonly expected: number; readonly low: number; readonly high: number },
  unit: 'conversions' | 'revenue',
  money: (value: number) => string,
): { expected: string; interval: string } => {
  const [expected, low, high] =
    unit === 'revenue'
      ? [outcome.expected, outcome.low, outcome.high].map(money)
      : displayCounts([outcome.expected, outcome.low, outcome.high]);
  return { expected: expected!, interval: `${low} – ${high}` };
};

/** A share for people: "12.5%". */
export const displayShare = (share: number | null): string => (share === null ? '—' : `${formatAmount(share * 100, 1, 1)}%`);

/** An instant for people, to the minute in UTC: "2026-11-22 10:15 UTC". */
export const displayInstant = (instant: string): string => `${instant.slice(0, 16).replace('T', ' ')} UTC`;

/** A channel's name as people read it (its id only where the config gives no name). */
export const channelName = (
  portfolio: { readonly channels: readonly { readonly id: string; readonly name?: string | undefined }[] },
  channelId: string,
): string => portfolio.channels.find((c) => c.id === channelId)?.name ?? channelId;

/** Points on the what-if planner's curve: 25 daily budgets from 50% to 200% of `daily`, today's among them. */
export const PLANNER_POINTS = 25;

/**
 * The daily budgets the dashboard's planner solves: evenly spaced from half to twice `daily`, in whole minor
 * units of `currency`; the ninth is `daily` (a KWD budget of 3,000.123 is not today's at 3,000.12).
 */
export const plannerBudgets = (daily: number, currency: string): number[] =>
  Array.from({ length: PLANNER_POINTS }, (_, i) => minorUnitOf(currency).round(daily * (0.5 + (1.5 * i) / (PLANNER_POINTS - 1))));

/**
 * The portfolio's marginal cost in a plan: what the last money placed buys, from the budget's shadow price
 * (one more unit of budget buys `shadowPrice` of the objective). For conversions, the cost of one more
 * (currency per conversion); for revenue, the revenue one more unit of budget returns. Null when the
 * budget does not bind (more budget would stay unplaced).
 */
export const marginalCost = (allocation: Pick<Allocation, 'constraints'>, unit: 'conversions' | 'revenue'): number | null => {
  const budget = allocation.constraints.find((c) => c.id === 'budget' && c.binding);
  if (!budget || !(budget.shadowPrice > 0)) return null;
  // A shadow price so small that its inverse overflows says the next unit buys nothing: no cost to show.
  const cost = unit === 'conversions' ? 1 / budget.shadowPrice : budget.shadowPrice;
  return Number.isFinite(cost) ? cost : null;
};

/** A curve's mean at `spend`, linear between its points, flat past its last (the channel's max). */
export const curveAt = (curve: readonly (readonly [number, number, number, number])[], spend: number): number => {
  if (spend <= curve[0]![0]) return curve[0]![2];
  for (let i = 1; i < curve.length; i += 1) {
    const [a, b] = [curve[i - 1]!, curve[i]!];
    if (spend <= b[0]) return a[2] + ((b[2] - a[2]) * (spend - a[0])) / Math.max(b[0] - a[0], 1e-12);
  }
  return curve.at(-1)![2];
};

const change = (from: number | null, to: number) => ({
  change: from === null ? null : roundTo(to - from, 6),
  changePercent: from === null || from === 0 ? null : roundTo(((to - from) / from) * 100, 2),
});

/** RFC 4180: quote a field when it holds a comma, quote or line break; double the quotes inside. */
const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** The allocation table's columns, as the dashboard and the CSV show them. */
export const TABLE_COLUMNS = [
  'channel',
  'base',
  'performance',
  'exploration',
  'total',
  'previous',
  'change',
  'change %',
  'expected conversions',
  'marginal CPA',
  'carbon kg',
  'reason',
] as const;

/** The CSV's columns: the table's, and what each row belongs to (currency, snapshot, day). */
export const CSV_COLUMNS = [...TABLE_COLUMNS, 'currency', 'snapshotId', 'asOf'] as const;

/** A snapshot's channels with their change from the previous allocation: the finance table's rows. */
export const financeRows = (snapshot: Snapshot) => snapshot.allocation.channels.map((c) => ({ ...c, ...change(c.previousTotal, c.total) }));

/** The cells every allocation table starts with: channel, then its tracks, total and previous total as money. */
export const allocationCells = (c: ChannelAllocation, money: (value: number | null) => string): string[] => [
  c.channelId,
  money(c.base),
  money(c.performance),
  money(c.exploration),
  money(c.total),
  money(c.previousTotal),
];

/** A line under the channels: the plan's totals, the reserve held back, or the budget left unplaced. */
export interface SummaryLine {
  readonly label: '(total)' | '(reserve)' | '(unallocated)';
  /** The tracks, on the total line only. */
  readonly tracks: Pick<ChannelAllocation, 'base' | 'performance' | 'exploration'> | null;
  readonly amount: number;
  /** On the total line: the previous plan's total (of the channels that had one), and the change from it. */
  readonly previous: number | null;
  readonly change: number | null;
  readonly changePercent: number | null;
  readonly expectedConversions: number | null;
  readonly carbonKg: number | null;
  readonly note: string;
}

/** What the reserve line says: held back, released into the plan (by whom, when, why: `release`), or none. */
const reserveNote = (reserve: number, release: ReserveRelease | undefined): string => {
  if (release) return `released into this plan by ${release.by} at ${displayInstant(release.at)}: ${release.reason}`;
  return reserve > 0 ? "held back from today's allocation" : 'no reserve held back';
};

/**
 * The lines every allocation table ends with, so the channels, the reserve and the unplaced add up to the
 * budget. `release` ({@link reserveRelease} of the snapshot) words a released reserve's line.
 */
export const summaryLines = (allocation: Allocation, release?: ReserveRelease): SummaryLine[] => {
  const sum = (pick: (c: ChannelAllocation) => number) =>
    roundTo(
      allocation.channels.reduce((s, c) => s + pick(c), 0),
      6,
    );
  const hadPrevious = allocation.channels.filter((c) => c.previousTotal !== null);
  const previous =
    hadPrevious.length === 0
      ? null
      : roundTo(
          hadPrevious.reduce((s, c) => s + c.previousTotal!, 0),
          6,
        );
  const none = { previous: null, change: null, changePercent: null };
  return [
    {
      label: '(total)',
      tracks: { base: sum((c) => c.base), performance: sum((c) => c.performance), exploration: sum((c) => c.exploration) },
      amount: allocation.total,
      previous,
      ...change(previous, allocation.total),
      expectedConversions: allocation.expectedConversions,
      carbonKg: allocation.carbonKg ?? null,
      note: '',
    },
    {
      label: '(reserve)',
      tracks: null,
      amount: allocation.reserve,
      ...none,
      expectedConversions: null,
      carbonKg: null,
      note: reserveNote(allocation.reserve, release),
    },
    ...(allocation.unallocated
      ? [
          {
            label: '(unallocated)' as const,
            tracks: null,
            amount: allocation.unallocated.amount,
            ...none,
            expectedConversions: null,
            carbonKg: null,
            note: allocation.unallocated.reasons.join(' '),
          },
        ]
      : []),
  ];
};

/** A summary line's cells, in the allocation table's columns, with the caller's number formats. */
export const summaryCells = (
  line: SummaryLine,
  format: { money: (value: number | null) => string; count: (value: number) => string; kg: (value: number | null) => string },
): string[] => [
  line.label,
  format.money(line.tracks?.base ?? null),
  format.money(line.tracks?.performance ?? null),
  format.money(line.tracks?.exploration ?? null),
  format.money(line.amount),
  format.money(line.previous),
  format.money(line.change),
  line.changePercent === null ? '' : line.changePercent.toFixed(2),
  line.expectedConversions === null ? '' : format.count(line.expectedConversions),
  '',
  format.kg(line.carbonKg),
  line.note,
];

/**
 * A snapshot as CSV for finance: one row per channel, then the total, reserve and unallocated lines; money
 * with the currency's decimals, blanks where a value does not exist (no previous allocation, no marginal CPA).
 */
export const snapshotCsv = (snapshot: Snapshot, currency: string): string => {
  const digits = currencyDigits(currency);
  const money = (value: number | null) => (value === null ? '' : value.toFixed(digits));
  const kg = (value: number | null | undefined) => (value === null || value === undefined ? '' : value.toFixed(3));
  const rows = financeRows(snapshot).map((c) => {
    const { change: delta, changePercent } = c;
    return [
      ...allocationCells(c, money),
      money(delta),
      changePercent === null ? '' : changePercent.toFixed(2),
      c.expectedConversions.toFixed(2),
      money(c.marginalCpa),
      kg(c.carbonKg),
      c.reason,
    ];
  });
  const summary = summaryLines(snapshot.allocation, reserveRelease(snapshot)).map((line) =>
    summaryCells(line, { money, count: (v) => v.toFixed(2), kg }),
  );
  // Every row says what it belongs to, so rows from several snapshots or currencies can be stacked in one sheet.
  const provenance = [currency, snapshot.snapshotId, snapshot.allocation.asOf];
  return `${[[...CSV_COLUMNS], ...[...rows, ...summary].map((row) => [...row, ...provenance])].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
};

type Tracks = Pick<ChannelAllocation, 'base' | 'performance' | 'exploration' | 'total'>;

export interface ChannelDiff {
  readonly channelId: string;
  /** The channel's tracks in each snapshot; null when it was not in that one. */
  readonly from: Tracks | null;
  readonly to: Tracks | null;
  readonly change: number;
  readonly changePercent: number | null;
}

const tracks = ({ base, performance, exploration, total }: ChannelAllocation): Tracks => ({ base, performance, exploration, total });

const header = (s: Snapshot) => ({
  snapshotId: s.snapshotId,
  createdAt: s.createdAt,
  status: s.allocation.status,
  total: s.allocation.total,
});

/** Per-channel change from one snapshot to another, channels of either included, in the `to` order first. */
export const diffSnapshots = (from: Snapshot, to: Snapshot) => {
  const before = new Map(from.allocation.channels.map((c) => [c.channelId, c]));
  const after = new Map(to.allocation.channels.map((c) => [c.channelId, c]));
  const ids = [...new Set([...after.keys(), ...before.keys()])];
  const channels: ChannelDiff[] = ids.map((channelId) => {
    const a = before.get(channelId);
    const b = after.get(channelId);
    const moved = change(a?.total ?? 0, b?.total ?? 0);
    return {
      channelId,
      from: a ? tracks(a) : null,
      to: b ? tracks(b) : null,
      change: moved.change ?? 0,
      changePercent: a ? moved.changePercent : null,
    };
  });
  return {
    portfolioId: to.portfolioId,
    from: header(from),
    to: header(to),
    ...change(from.allocation.total, to.allocation.total),
    channels,
  };
};

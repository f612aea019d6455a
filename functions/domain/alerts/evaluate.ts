import { type Maturity, maturityOf } from '../allocation/maturity.js';
import type { AlertRule, Portfolio } from '../config.js';
import { addDays, hourInZone, weekday } from '../dates.js';
import { type MetricRow, standingRows } from '../metrics.js';
import type { Severity } from './severity.js';

/**
 * A rule's judgement of one channel now:
 * - `breach`: each of the last `consecutive` complete windows has data and breaches;
 * - `clear`: the latest complete window has data and does not breach;
 * - `unknown`: neither (missing data never breaches or clears; a streak not yet long enough keeps its state).
 */
export interface Evaluation {
  readonly ruleId: string;
  readonly channelId: string;
  readonly verdict: 'breach' | 'clear' | 'unknown';
  /** The metric in the latest complete window (Infinity for spend without conversions); null when it had no data. */
  readonly observed: number | null;
  readonly severity: Severity | null;
  /** The windows judged, oldest first, e.g. `2026-11-19`, `week of 2026-11-16`, `2026-11-21T13`. */
  readonly windows: readonly string[];
}

/** Sums of one window; null money/count fields mean the window had no row reporting them. */
interface Totals {
  spend: number;
  conversions: number;
  revenue: number | null;
  clicks: number | null;
  impressions: number | null;
}

/** The allocated total per channel per date: the latest snapshot made for that day. */
export type AllocatedByDate = ReadonlyMap<string, ReadonlyMap<string, number>>;

const add = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);

const plus = (a: Totals, b: Totals): Totals => ({
  spend: a.spend + b.spend,
  conversions: a.conversions + b.conversions,
  revenue: add(a.revenue, b.revenue),
  clicks: add(a.clicks, b.clicks),
  impressions: add(a.impressions, b.impressions),
});

const fromRow = (r: MetricRow): Totals => ({
  spend: r.spendMicros / 1e6,
  conversions: r.conversions,
  revenue: r.revenueMicros === null ? null : r.revenueMicros / 1e6,
  clicks: r.clicks,
  impressions: r.impressions,
});

/** One channel's rows indexed once, so every rule reads its windows in O(windows). */
interface ChannelData {
  /** Daily totals: the daily row of a date, else the sum of its hours (as the metrics API rolls up). */
  readonly days: Map<string, Totals>;
  /** Hourly rows by `date#hour`. */
  readonly hours: Map<string, Totals>;
  readonly lastReceived: number | null;
}

const indexRows = (rows: readonly MetricRow[]): Map<string, ChannelData> => {
  const byChannel = new Map<string, { dates: Map<string, MetricRow[]>; hours: Map<string, Totals>; lastReceived: number | null }>();
  for (const row of rows) {
    const c = byChannel.get(row.channelId) ?? { dates: new Map(), hours: new Map(), lastReceived: null };
    byChannel.set(row.channelId, c);
    const ofDate = c.dates.get(row.date);
    if (ofDate) ofDate.push(row);
    else c.dates.set(row.date, [row]);
    if (row.hour !== null) c.hours.set(`${row.date}#${row.hour}`, fromRow(row));
    if (row.receivedAt) {
      const at = Date.parse(row.receivedAt);
      if (c.lastReceived === null || at > c.lastReceived) c.lastReceived = at;
    }
  }
  const out = new Map<string, ChannelData>();
  for (const [id, c] of byChannel) {
    const days = new Map([...c.dates].map(([date, group]) => [date, standingRows(group).map(fromRow).reduce(plus)] as const));
    out.set(id, { days, hours: c.hours, lastReceived: c.lastReceived });
  }
  return out;
};

/** A window: its label, the dates (or date#hour keys) it covers, and whether those are days or hours. */
interface Window {
  readonly label: string;
  readonly keys: readonly string[];
  readonly kind: 'day' | 'hour';
}

const WEEK_START = { monday: 1, sunday: 0 } as const;

/** The label of the week starting `start` (its first date), e.g. `week of 2026-11-16`. */
const weekLabel = (start: string) => `week of ${start}`;

/** The last `n` complete windows before `now` in the portfolio's zone, oldest first. */
export const completeWindows = (
  rule: Pick<AlertRule, 'window' | 'consecutive'>,
  portfolio: Pick<Portfolio, 'timezone' | 'alerts'>,
  now: Date,
): Window[] => {
  const { date: today, hour } = hourInZone(now, portfolio.timezone);
  const n = rule.consecutive;
  const windows: Window[] = [];
  for (let i = n; i >= 1; i -= 1) {
    if (rule.window === 'day') {
      const date = addDays(today, -i);
      windows.push({ label: date, keys: [date], kind: 'day' });
    } else if (rule.window === 'week') {
      const back = (weekday(today) - WEEK_START[portfolio.alerts.weekStartsOn] + 7) % 7;
      const start = addDays(today, -back - 7 * i);
      windows.push({ label: weekLabel(start), keys: Array.from({ length: 7 }, (_, d) => addDays(start, d)), kind: 'day' });
    } else {
      const h = hour - i;
      const date = addDays(today, Math.floor(h / 24));
      const hh = ((h % 24) + 24) % 24;
      windows.push({ label: `${date}T${String(hh).padStart(2, '0')}`, keys: [`${date}#${hh}`], kind: 'hour' });
    }
  }
  return windows;
};

/**
 * A day's reported share of its final conversions below which its results are still filling in: rules on
 * conversions, revenue and their ratios do not judge a window holding such a day (the verdict is unknown).
 */
export const MATURE_SHARE = 0.9;

/** The metrics read from conversions or revenue, which immature days understate. */
const RESULT_METRICS: ReadonlySet<AlertRule['metric']> = new Set(['conversions', 'revenue', 'cpa', 'roas', 'cvr']);

/** How a channel's days mature, and the day its latest values stand for. */
interface MaturityView {
  readonly maturity: Maturity | undefined;
  readonly asOf: string;
}

/**
 * A day's totals read at their expected final value: conversions and revenue divided by the share reported
 * so far; null when that share is below {@link MATURE_SHARE}.
 */
const matured = (t: Totals, date: string, view: MaturityView): Totals | null => {
  if (!view.maturity?.known) return t;
  const share = maturityOf(view.maturity, date, view.asOf);
  if (share < MATURE_SHARE) return null;
  return { ...t, conversions: t.conversions / share, revenue: t.revenue === null ? null : t.revenue / share };
};

/**
 * The window's totals, or null when no key of it has data. With a maturity view (rules on results), a window
 * holding a day still filling in has no totals yet.
 */
const windowTotals = (data: ChannelData | undefined, window: Window, view: MaturityView | null): Totals | null => {
  if (!data) return null;
  let sum: Totals | null = null;
  const source = window.kind === 'day' ? data.days : data.hours;
  for (const key of window.keys) {
    const reported = source.get(key);
    if (!reported) continue;
    const t = view && window.kind === 'day' ? matured(reported, key, view) : reported;
    if (!t) return null;
    sum = sum ? plus(sum, t) : t;
  }
  return sum;
};

/** Allocated spend for the window, or null when some part of it had no allocation. */
const windowAllocated = (allocated: AllocatedByDate, channelId: string, window: Window): number | null => {
  let sum = 0;
  for (const key of window.keys) {
    const date = key.slice(0, 10);
    const total = allocated.get(date)?.get(channelId);
    if (total === undefined) return null;
    sum += window.kind === 'hour' ? total / 24 : total;
  }
  return sum;
};

/**
 * The rule's metric over one window's totals. Ratios are explicit about zero denominators: spend with no
 * conversions is an infinite CPA; no spend means no CPA (and no ROAS); no clicks means no CVR.
 */
export const metricValue = (metric: AlertRule['metric'], t: Totals, allocated: number | null): number | null => {
  switch (metric) {
    case 'spend':
      return t.spend;
    case 'conversions':
      return t.conversions;
    case 'revenue':
      return t.revenue;
    case 'cpa':
      return t.spend === 0 ? null : t.conversions === 0 ? Number.POSITIVE_INFINITY : t.spend / t.conversions;
    case 'roas':
      return t.spend === 0 || t.revenue === null ? null : t.revenue / t.spend;
    case 'cvr':
      return t.clicks ? t.conversions / t.clicks : null;
    case 'ctr':
      return t.impressions && t.clicks !== null ? t.clicks / t.impressions : null;
    case 'pacing':
      return allocated ? t.spend / allocated - 1 : null;
    case 'hoursSinceData':
      return null; // measured from arrival times, not per window
  }
};

const breaches = (rule: AlertRule, value: number): boolean => {
  switch (rule.op) {
    case '>':
      return value > rule.threshold;
    case '>=':
      return value >= rule.threshold;
    case '<':
      return value < rule.threshold;
    case '<=':
      return value <= rule.threshold;
  }
};

/**
 * How far beyond the threshold a breaching value is, as a fraction of the threshold, banded into a severity.
 * A zero threshold has no scale, so any breach of it is critical; so is an infinite value.
 */
export const severityOf = (rule: AlertRule, value: number, bands: { warning: number; critical: number }): Severity => {
  const deviation = rule.threshold === 0 ? Number.POSITIVE_INFINITY : Math.abs(value - rule.threshold) / Math.abs(rule.threshold);
  return deviation >= bands.critical ? 'critical' : deviation >= bands.warning ? 'warning' : 'info';
};

const HOUR_MS = 3_600_000;

/**
 * Evaluates every rule of a portfolio on every channel it applies to. Pure: rows, allocations, how each
 * channel's days mature (the allocator's view, `learnMaturity`) and `now` come in; cost is linear in rows
 * plus rules × channels × windows.
 */
export const evaluatePortfolio = (
  portfolio: Portfolio,
  rows: readonly MetricRow[],
  allocated: AllocatedByDate,
  now: Date,
  maturity: ReadonlyMap<string, Maturity> = new Map(),
  pulled: ReadonlyMap<string, string> = new Map(),
): Evaluation[] => {
  const data = indexRows(rows);
  const today = hourInZone(now, portfolio.timezone).date;
  const { bands, rules } = portfolio.alerts;
  const evaluations: Evaluation[] = [];
  for (const rule of rules) {
    const windows = rule.metric === 'hoursSinceData' ? [] : completeWindows(rule, portfolio, now);
    const channels = rule.channels ?? portfolio.channels.map((c) => c.id);
    for (const channelId of channels) {
      const channel = data.get(channelId);
      const judge = (values: readonly (number | null)[], labels: readonly string[]): Evaluation => {
        const latest = values.at(-1) ?? null;
        const breach = values.length > 0 && values.every((v) => v !== null && breaches(rule, v));
        const verdict = breach ? 'breach' : latest !== null && !breaches(rule, latest) ? 'clear' : 'unknown';
        const severity = latest !== null && breaches(rule, latest) ? severityOf(rule, latest, bands) : null;
        return { ruleId: rule.id, channelId, verdict, observed: latest, severity, windows: labels };
      };
      if (rule.metric === 'hoursSinceData') {
        // Data arrived, or the channel's platform answered a poll (which writes only what changed).
        const pull = pulled.get(channelId);
        const last = Math.max(
          channel?.lastReceived ?? Number.NEGATIVE_INFINITY,
          pull === undefined ? Number.NEGATIVE_INFINITY : Date.parse(pull),
        );
        const hours = Math.max(0, (now.getTime() - last) / HOUR_MS);
        evaluations.push(judge([hours], [now.toISOString()]));
        continue;
      }
      const view = RESULT_METRICS.has(rule.metric) ? { maturity: maturity.get(channelId), asOf: today } : null;
      const values = windows.map((w) => {
        const totals = windowTotals(channel, w, view);
        return totals === null
          ? null
          : metricValue(rule.metric, totals, rule.metric === 'pacing' ? windowAllocated(allocated, channelId, w) : null);
      });
      evaluations.push(
        judge(
          values,
          windows.map((w) => w.label),
        ),
      );
    }
  }
  return evaluations;
};

/** How many days of data these rules need, back from today. */
export const lookbackDays = (rules: readonly AlertRule[]): number =>
  Math.max(
    2,
    ...rules.map((r) =>
      r.window === 'week' ? 7 * r.consecutive + 7 : r.window === 'day' ? r.consecutive + 1 : Math.ceil(r.consecutive / 24) + 2,
    ),
  );

import { describe, expect, it } from 'vitest';
import { completeWindows, type Evaluation, evaluatePortfolio } from '../../../../functions/domain/alerts/evaluate.js';
import type { Maturity } from '../../../../functions/domain/allocation/maturity.js';
import type { Portfolio } from '../../../../functions/domain/config.js';
import { addDays } from '../../../../functions/domain/dates.js';
import type { MetricRow } from '../../../../functions/domain/metrics.js';
import { day, days, NOW, portfolio } from './fixtures.js';

const verdictFor = (p: Portfolio, rows: MetricRow[], channelId = 'a', now = NOW, allocated = new Map()): Evaluation =>
  evaluatePortfolio(p, rows, allocated, now).find((e) => e.channelId === channelId)!;

describe('rule evaluation: CPA above 45 for 3 consecutive days', () => {
  const rule = portfolio([{ window: 'day', consecutive: 3 }]);
  it.each([
    { name: '3 breaching days in a row breach', cpas: [47, 47, 47], verdict: 'breach', severity: 'info' },
    {
      name: 'only 2 breaching days do not (the older day cleared; the latest still breaches)',
      cpas: [40, 47, 47],
      verdict: 'unknown',
      severity: 'info',
    },
    { name: 'a cleared latest day clears', cpas: [47, 47, 40], verdict: 'clear', severity: null },
    { name: 'a gap day with no data neither breaches nor clears', cpas: [47, null, 47], verdict: 'unknown', severity: 'info' },
    { name: 'a missing latest day neither breaches nor clears', cpas: [47, 47, 47, null], verdict: 'unknown', severity: null },
    { name: '10% beyond the threshold is a warning', cpas: [47, 47, 49.5], verdict: 'breach', severity: 'warning' },
    { name: '20% beyond the threshold is critical', cpas: [47, 47, 54], verdict: 'breach', severity: 'critical' },
  ])('$name', ({ cpas, verdict, severity }) => {
    const e = verdictFor(rule, days('a', cpas as (number | null)[]));
    expect(e.verdict).toBe(verdict);
    expect(e.severity).toBe(severity);
    expect(e.windows).toEqual(['2026-11-19', '2026-11-20', '2026-11-21']);
  });

  it('counts spend with no conversions as an infinite CPA (critical), and no spend as no CPA', () => {
    const rows = [...days('a', [50, 50], '2026-11-20'), day('a', '2026-11-21', 300, 0)];
    expect(verdictFor(rule, rows)).toMatchObject({ verdict: 'breach', observed: Number.POSITIVE_INFINITY, severity: 'critical' });
    const idle = [...days('a', [50, 50], '2026-11-20'), day('a', '2026-11-21', 0, 0)];
    expect(verdictFor(rule, idle)).toMatchObject({ verdict: 'unknown', observed: null });
  });

  it('sums the hours of a day without a daily row, and lets a daily row stand for its date', () => {
    const hours = Array.from({ length: 10 }, (_, h) => ({ ...day('a', '2026-11-21', 50, 1), hour: h }));
    const rows = [...days('a', [50, 50], '2026-11-20'), ...hours];
    expect(verdictFor(rule, rows)).toMatchObject({ verdict: 'breach', observed: 50 });
    expect(verdictFor(rule, [...rows, day('a', '2026-11-21', 400, 10)])).toMatchObject({ verdict: 'clear', observed: 40 });
  });

  it('applies a rule only to the channels it lists', () => {
    const only = portfolio([{ window: 'day', consecutive: 1, channels: ['b'] }]);
    expect(evaluatePortfolio(only, days('a', [90]), new Map(), NOW).map((e) => e.channelId)).toEqual(['b']);
  });
});

describe('windows in the portfolio time zone', () => {
  it.each([
    // 03:00 UTC on the 23rd is still the 22nd (19:00) in Los Angeles, so the 22nd is not complete there.
    { timezone: 'America/Los_Angeles', now: '2026-11-23T03:00:00Z', last: '2026-11-21' },
    { timezone: 'UTC', now: '2026-11-23T03:00:00Z', last: '2026-11-22' },
    // 20:00 UTC on the 22nd is already the 23rd (05:00) in Tokyo.
    { timezone: 'Asia/Tokyo', now: '2026-11-22T20:00:00Z', last: '2026-11-22' },
  ])('the last complete day in $timezone at $now is $last', ({ timezone, now, last }) => {
    const windows = completeWindows({ window: 'day', consecutive: 1 }, portfolio([], { timezone }), new Date(now));
    expect(windows.map((w) => w.label)).toEqual([last]);
  });

  it.each([
    { weekStartsOn: 'monday', now: '2026-11-22T10:00:00Z', weeks: ['week of 2026-11-02', 'week of 2026-11-09'] },
    { weekStartsOn: 'monday', now: '2026-11-23T00:30:00Z', weeks: ['week of 2026-11-09', 'week of 2026-11-16'] },
    { weekStartsOn: 'sunday', now: '2026-11-22T10:00:00Z', weeks: ['week of 2026-11-08', 'week of 2026-11-15'] },
  ] as const)('weeks starting $weekStartsOn, at $now, the last two complete are $weeks', ({ weekStartsOn, now, weeks }) => {
    const windows = completeWindows({ window: 'week', consecutive: 2 }, portfolio([], { weekStartsOn }), new Date(now));
    expect(windows.map((w) => w.label)).toEqual(weeks);
    expect(windows.every((w) => w.keys.length === 7)).toBe(true);
  });

  it('steps hour windows back across midnight', () => {
    const windows = completeWindows({ window: 'hour', consecutive: 3 }, portfolio([]), new Date('2026-11-22T01:30:00Z'));
    expect(windows.map((w) => w.label)).toEqual(['2026-11-21T22', '2026-11-21T23', '2026-11-22T00']);
  });
});

describe('ROAS below 1 for 2 weeks', () => {
  const rule = portfolio([{ metric: 'roas', op: '<', threshold: 1, window: 'week', consecutive: 2, action: 'stop-loss' }]);
  const week = (start: string, roas: number) =>
    Array.from({ length: 7 }, (_, d) => day('a', addDays(start, d), 100, 1, { revenueMicros: roas * 100 * 1e6 }));
  it('breaches when both complete weeks return less than they cost, whatever the current week does', () => {
    const rows = [...week('2026-11-02', 0.7), ...week('2026-11-09', 0.85), ...week('2026-11-16', 3)];
    expect(verdictFor(rule, rows)).toMatchObject({ verdict: 'breach', severity: 'warning' });
    expect(verdictFor(rule, rows).observed).toBeCloseTo(0.85, 9);
  });
  it('has no ROAS where no revenue was reported: missing data is not zero', () => {
    const rows = [...week('2026-11-02', 0.7), ...week('2026-11-09', 0.5).map((r) => ({ ...r, revenueMicros: null }))];
    expect(verdictFor(rule, rows)).toMatchObject({ verdict: 'unknown', observed: null });
  });
});

describe('silence and pacing', () => {
  it('measures hours since the channel last delivered, and breaches when it never did', () => {
    const stale = portfolio([{ metric: 'hoursSinceData', op: '>', threshold: 6 }]);
    const rows = [day('a', '2026-11-21', 10, 1, { receivedAt: '2026-11-22T02:00:00Z' })];
    expect(verdictFor(stale, rows, 'a')).toMatchObject({ verdict: 'breach', observed: 8, severity: 'critical' });
    expect(verdictFor(stale, rows, 'a', new Date('2026-11-22T07:00:00Z'))).toMatchObject({ verdict: 'clear', observed: 5 });
    expect(verdictFor(stale, rows, 'b')).toMatchObject({ verdict: 'breach', observed: Number.POSITIVE_INFINITY });
    // A poll that changed nothing (figures standing still, a paused campaign) still heard from the channel.
    const pulled = new Map([['a', '2026-11-22T09:00:00Z']]);
    const judged = evaluatePortfolio(stale, rows, new Map(), NOW, new Map(), pulled);
    expect(judged.find((e) => e.channelId === 'a')).toMatchObject({ verdict: 'clear', observed: 1 });
    expect(judged.find((e) => e.channelId === 'b')).toMatchObject({ verdict: 'breach' });
  });

  it('compares spend with the allocation made for the same day', () => {
    const over = portfolio([{ metric: 'pacing', op: '>', threshold: 0.15 }]);
    const allocated = new Map([['2026-11-21', new Map([['a', 1000]])]]);
    expect(verdictFor(over, [day('a', '2026-11-21', 1200, 5)], 'a', NOW, allocated)).toMatchObject({
      verdict: 'breach',
      severity: 'critical',
    });
    expect(verdictFor(over, [day('a', '2026-11-21', 1100, 5)], 'a', NOW, allocated)).toMatchObject({ verdict: 'clear' });
    // No allocation for that day: nothing to pace against.
    expect(verdictFor(over, [day('a', '2026-11-21', 5000, 5)], 'a', NOW, new Map())).toMatchObject({ verdict: 'unknown' });
  });
});

describe('rule evaluation on days still filling in', () => {
  // Half of a day's conversions are in by its end, three quarters a day later, all after two days.
  const halfThenAll: Maturity = { at: (age) => (age <= 0 ? 0.5 : age === 1 ? 0.75 : 1), known: true };
  const maturity = new Map([['a', halfThenAll]]);

  it('does not judge results on a day below 90% reported, where the raw CPA would breach', () => {
    // Final CPA 40 every day; yesterday shows half its conversions (CPA 80), the day before three quarters (53).
    const rows = [day('a', '2026-11-19', 400, 10), day('a', '2026-11-20', 400, 7.5), day('a', '2026-11-21', 400, 5)];
    const twoDays = portfolio([{ window: 'day', consecutive: 2 }]);
    expect(evaluatePortfolio(twoDays, rows, new Map(), NOW).find((e) => e.channelId === 'a')).toMatchObject({ verdict: 'breach' });
    expect(evaluatePortfolio(twoDays, rows, new Map(), NOW, maturity).find((e) => e.channelId === 'a')).toMatchObject({
      verdict: 'unknown',
      observed: null,
    });
  });

  it('reads a mature enough day at its expected final count, and leaves spend rules alone', () => {
    const known: Maturity = { at: (age) => (age <= 0 ? 0.95 : 1), known: true };
    const rows = [day('a', '2026-11-19', 400, 10), day('a', '2026-11-20', 400, 10), day('a', '2026-11-21', 400, 9.5)];
    const rule = portfolio([{ window: 'day', consecutive: 3 }]);
    const e = evaluatePortfolio(rule, rows, new Map(), NOW, new Map([['a', known]])).find((x) => x.channelId === 'a')!;
    expect(e.observed).toBeCloseTo(40, 9);
    const spend = portfolio([{ metric: 'spend', op: '>', threshold: 300, window: 'day', consecutive: 1 }]);
    expect(evaluatePortfolio(spend, rows, new Map(), NOW, maturity).find((x) => x.channelId === 'a')).toMatchObject({
      verdict: 'breach',
      observed: 400,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { type MetricRow, type RowVersion, revisionsOf, rollupDaily } from '../../../functions/domain/metrics.js';

describe('daily roll-up', () => {
  const row = (over: Partial<MetricRow>): MetricRow => ({
    portfolioId: 'demo',
    channelId: 'search',
    date: '2026-11-20',
    hour: null,
    spendMicros: 0,
    revenueMicros: null,
    impressions: null,
    clicks: null,
    conversions: 0,
    revision: 0,
    ...over,
  });

  it('sums hourly rows exactly', () => {
    const hours = Array.from({ length: 24 }, (_, hour) => row({ hour, spendMicros: 100_000, conversions: 0.1 }));
    expect(rollupDaily(hours)).toEqual([expect.objectContaining({ spend: 2.4, conversions: 2.4, rows: 24 })]);
  });

  it('lets a daily row stand for its date instead of adding hourly rows to it', () => {
    const totals = rollupDaily([
      row({ spendMicros: 5_000_000 }),
      row({ hour: 3, spendMicros: 1_000_000 }),
      row({ date: '2026-11-21', hour: 1, spendMicros: 2_000_000 }),
    ]);
    expect(totals.map((t) => [t.date, t.spend])).toEqual([
      ['2026-11-20', 5],
      ['2026-11-21', 2],
    ]);
  });
});

describe('revisions from stored versions', () => {
  const version = (receivedAt: string, conversions: number, revenueMicros: number | null = null): RowVersion => ({
    channelId: 'meta',
    date: '2026-11-10',
    conversions,
    revenueMicros,
    receivedAt,
  });

  it('dates each earlier value by the last day it stood at the end of, oldest first, without the latest', () => {
    const versions = [
      version('2026-11-13T08:00:00Z', 30, 3_000_000_000),
      version('2026-11-11T06:00:00Z', 12, 1_200_000_000),
      version('2026-11-16T09:00:00Z', 34, 3_400_000_000),
    ];
    expect(revisionsOf(versions, 'UTC')).toEqual([
      { reportedOn: '2026-11-12', conversions: 12, revenue: 1200 },
      { reportedOn: '2026-11-15', conversions: 30, revenue: 3000 },
    ]);
  });

  it("keeps one entry per day: a day's last value, and none for a retried delivery's repeat", () => {
    const versions = [
      version('2026-11-11T06:00:00Z', 12),
      version('2026-11-11T07:00:00Z', 12), // the same delivery retried
      version('2026-11-12T01:00:00Z', 20),
      version('2026-11-12T22:00:00Z', 25), // the same day again: the day ended at 25
      version('2026-11-14T05:00:00Z', 28),
    ];
    expect(revisionsOf(versions, 'UTC')).toEqual([
      { reportedOn: '2026-11-11', conversions: 12 },
      { reportedOn: '2026-11-13', conversions: 25 },
    ]);
  });

  it("reads arrival days in the portfolio's zone, and drops a change undone the same day", () => {
    // 02:00 UTC on the 12th is still the 11th in Los Angeles.
    const versions = [version('2026-11-11T20:00:00Z', 5), version('2026-11-12T02:00:00Z', 9), version('2026-11-13T18:00:00Z', 11)];
    expect(revisionsOf(versions, 'America/Los_Angeles')).toEqual([{ reportedOn: '2026-11-12', conversions: 9 }]);
    expect(revisionsOf(versions, 'UTC')).toEqual([
      { reportedOn: '2026-11-11', conversions: 5 },
      { reportedOn: '2026-11-12', conversions: 9 },
    ]);
    const undone = [version('2026-11-11T06:00:00Z', 5), version('2026-11-12T06:00:00Z', 9), version('2026-11-12T07:00:00Z', 5)];
    expect(revisionsOf(undone, 'UTC')).toEqual([]);
  });
});

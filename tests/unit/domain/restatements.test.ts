import { describe, expect, it } from 'vitest';
import { alreadySays, type MetricRow, type RowVersion, revisionsOf } from '../../../functions/domain/metrics.js';

/** A restatement replaces what it sends and keeps the optional values (impressions, clicks, revenue) it leaves out. */

const row = (over: Partial<MetricRow> = {}): MetricRow => ({
  portfolioId: 'demo',
  channelId: 'search',
  date: '2026-11-20',
  hour: null,
  spendMicros: 100_000_000,
  revenueMicros: null,
  impressions: null,
  clicks: null,
  conversions: 4,
  revision: 2,
  ...over,
});

describe('alreadySays: whether a stored row makes another write of the same revision a duplicate', () => {
  const stored = { spendMicros: 100_000_000, revenueMicros: 900_000_000, impressions: 5000, clicks: 120, conversions: 4 };

  it('is true when the row leaves out optional values the stored row has', () => {
    expect(alreadySays(stored, row())).toBe(true);
    expect(alreadySays(stored, row({ clicks: 120 }))).toBe(true);
  });

  it('is false when the row sends any value the stored row does not hold, 0 included', () => {
    expect(alreadySays(stored, row({ clicks: 0 }))).toBe(false);
    expect(alreadySays(stored, row({ revenueMicros: 1 }))).toBe(false);
    expect(alreadySays(stored, row({ conversions: 5 }))).toBe(false);
    expect(alreadySays(stored, row({ spendMicros: 1 }))).toBe(false);
    expect(alreadySays({ ...stored, impressions: undefined }, row({ impressions: 5000 }))).toBe(false);
  });

  it('compares every value of a whole row (a platform report): what it leaves out is none', () => {
    expect(alreadySays(stored, row({ wholeRow: true }))).toBe(false);
    expect(alreadySays(stored, row({ ...stored, wholeRow: true }))).toBe(true);
  });
});

describe('revisions of a row whose restatements left revenue out', () => {
  /** A version; `kept` is revenue the restatement did not send, so the row kept what it had. */
  const version = (receivedAt: string, conversions: number, revenueMicros: number | 'kept' | null): RowVersion => ({
    channelId: 'search',
    date: '2026-11-10',
    conversions,
    revenueMicros: revenueMicros === 'kept' ? null : revenueMicros,
    receivedAt,
    ...(revenueMicros === 'kept' ? { revenueKept: true } : {}),
  });

  it('gives each earlier value the revenue the row kept, not none', () => {
    const versions = [
      version('2026-11-11T06:00:00Z', 12, 1_200_000_000),
      version('2026-11-12T06:00:00Z', 20, 'kept'), // restated conversions only: revenue stayed 1,200
      version('2026-11-14T06:00:00Z', 25, 2_000_000_000),
    ];
    expect(revisionsOf(versions, 'UTC')).toEqual([
      { reportedOn: '2026-11-11', conversions: 12, revenue: 1200 },
      { reportedOn: '2026-11-13', conversions: 20, revenue: 1200 },
    ]);
  });

  it('reads a version without revenue and without the mark as no revenue (a platform report, or one stored before restatements kept values)', () => {
    const versions = [version('2026-11-11T06:00:00Z', 12, 1_200_000_000), version('2026-11-12T06:00:00Z', 20, null)];
    expect(revisionsOf(versions, 'UTC')).toEqual([{ reportedOn: '2026-11-11', conversions: 12, revenue: 1200 }]);
    const later = [...versions, version('2026-11-13T06:00:00Z', 20, 'kept'), version('2026-11-14T06:00:00Z', 21, 'kept')];
    expect(revisionsOf(later, 'UTC')).toEqual([
      { reportedOn: '2026-11-11', conversions: 12, revenue: 1200 },
      { reportedOn: '2026-11-13', conversions: 20 },
    ]);
  });

  it('sees no change when a restatement resends the revenue the row kept', () => {
    const versions = [
      version('2026-11-11T06:00:00Z', 12, 1_200_000_000),
      version('2026-11-12T06:00:00Z', 20, 'kept'),
      version('2026-11-13T06:00:00Z', 20, 1_200_000_000),
    ];
    expect(revisionsOf(versions, 'UTC')).toEqual([{ reportedOn: '2026-11-11', conversions: 12, revenue: 1200 }]);
  });
});

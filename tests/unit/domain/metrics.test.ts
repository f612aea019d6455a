import { describe, expect, it } from 'vitest';
import { type MetricRow, rollupDaily } from '../../../functions/domain/metrics.js';

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

import { describe, expect, it } from 'vitest';
import { Scenario } from '../../../../functions/domain/simulation/scenario.js';
import { historyRow } from '../../../../functions/domain/simulation/simulate.js';

const channelWithLag = (meanDays: number) =>
  Scenario.parse({
    name: 'lag',
    seed: 1,
    days: 60,
    dailyBudget: 1000,
    channels: [
      { id: 'video', base: 0, max: 1000, response: { type: 'exp', vmax: 10, scale: 1000 }, noise: { type: 'poisson' }, lag: { meanDays } },
    ],
  }).channels[0]!;

describe('a simulated platform’s history', () => {
  it('reports a lagged day in full once it has matured, and never takes a conversion back', () => {
    // A video channel of nine conversions a day, reported over a mean of six days.
    const video = channelWithLag(6);
    const record = { date: '2026-01-01', spend: 500, reported: 9, revenue: undefined };
    const counts = Array.from({ length: 45 }, (_, today) => historyRow(video, record, 0, today + 1).conversions);
    // Rounded down, the share only tends to 1 and the row stopped at 8 for good: 11% of the channel never came.
    expect(counts.at(-1)).toBe(9);
    expect(counts[0]).toBe(Math.round(9 * (1 - Math.exp(-1 / 6))));
    for (let a = 1; a < counts.length; a += 1) expect(counts[a]!).toBeGreaterThanOrEqual(counts[a - 1]!);
    // Its revisions restate each earlier count, in order.
    const row = historyRow(video, record, 0, 45);
    expect(row.revisions?.map((r) => r.conversions)).toEqual([...new Set(counts.slice(0, -1))].filter((c) => c !== 9));
  });
});

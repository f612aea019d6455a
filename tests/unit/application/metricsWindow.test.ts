import { describe, expect, it, vi } from 'vitest';
import { coveringRange, readMetricsOnce } from '../../../functions/application/metricsWindow.js';
import { addDays } from '../../../functions/domain/dates.js';
import { planDelivery } from '../../../functions/domain/delivery.js';
import { demoFeed } from '../../../functions/domain/demoFeed.js';
import type { RowVersion } from '../../../functions/domain/metrics.js';
import { deployedConfig } from '../../../functions/wiring/config.js';
import { InMemoryMetrics } from './inMemory.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const channels = demo.channels.map((c) => c.id);
const last = '2026-02-28';

/** Thirty days of the demo feed, and a restated version of each channel's days. */
const store = () => {
  const planned = planDelivery({ portfolioId: demo.id, records: demoFeed(demo, last, 30, 7) }, demo, last);
  if (!planned.ok) throw new Error('the demo feed does not plan');
  const versions = planned.plan.rows.map((r): RowVersion & { portfolioId: string } => ({
    portfolioId: demo.id,
    channelId: r.channelId,
    date: r.date,
    conversions: r.conversions,
    revenueMicros: r.revenueMicros,
    receivedAt: `${r.date}T23:00:00.000Z`,
  }));
  return new InMemoryMetrics(planned.plan.rows, versions);
};

describe('readMetricsOnce', () => {
  it('answers every read inside its range as the store would, having read the store once', async () => {
    // Prepare
    const metrics = store();
    const reference = store();
    const rows = vi.spyOn(metrics, 'portfolioRows');
    const versions = vi.spyOn(metrics, 'portfolioVersions');
    const window = await readMetricsOnce(metrics, demo.id, channels, {
      from: addDays(last, -20),
      revisionsFrom: addDays(last, -10),
      to: last,
    });
    const someChannels = [channels[0]!, channels[3]!];
    // Act / Assess: stretches of it, of all channels or some, give what the store gives.
    for (const [ids, from, to] of [
      [channels, addDays(last, -20), last],
      [channels, addDays(last, -14), addDays(last, -1)],
      [someChannels, addDays(last, -3), addDays(last, -3)],
    ] as const) {
      expect(await window.portfolioRows(demo.id, ids, from, to)).toEqual(await reference.portfolioRows(demo.id, ids, from, to));
    }
    expect(await window.portfolioVersions(demo.id, someChannels, addDays(last, -10), last)).toEqual(
      await reference.portfolioVersions(demo.id, someChannels, addDays(last, -10), last),
    );
    expect(rows).toHaveBeenCalledTimes(1);
    expect(versions).toHaveBeenCalledTimes(1);
  });

  it('sends a read reaching outside its range, or another portfolio, to the store', async () => {
    const metrics = store();
    const window = await readMetricsOnce(metrics, demo.id, channels, { from: addDays(last, -10), to: last });
    const rows = vi.spyOn(metrics, 'portfolioRows');
    const versions = vi.spyOn(metrics, 'portfolioVersions');

    const older = await window.portfolioRows(demo.id, channels, addDays(last, -20), last);
    await window.portfolioRows('other', channels, addDays(last, -5), last);
    await window.portfolioVersions(demo.id, channels, addDays(last, -5), last);

    expect(older.some((r) => r.date === addDays(last, -20))).toBe(true);
    expect(rows).toHaveBeenCalledTimes(2);
    expect(versions).toHaveBeenCalledTimes(1);
  });
});

describe('coveringRange', () => {
  it('spans the earliest start and the latest end, with revisions from the earliest that reads them', () => {
    expect(
      coveringRange([
        { from: '2026-02-14', to: '2026-02-27' },
        { from: '2025-11-08', revisionsFrom: '2026-01-17', to: '2026-02-27' },
        { from: '2025-10-25', revisionsFrom: '2026-01-03', to: '2026-02-26' },
      ]),
    ).toEqual({ from: '2025-10-25', revisionsFrom: '2026-01-03', to: '2026-02-27' });
    expect(coveringRange([{ from: '2026-02-14', to: '2026-02-27' }])).toEqual({ from: '2026-02-14', to: '2026-02-27' });
  });
});

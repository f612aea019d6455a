import { describe, expect, it } from 'vitest';
import { type PlatformReports, PullError } from '../../../functions/application/platformReports.js';
import { Poller } from '../../../functions/application/pollPortfolio.js';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { InMemoryAlerts, InMemoryMetrics, RecordingBus } from './inMemory.js';

/** One channel fed by two accounts: a Google Ads campaign and a Meta one. */
const config = BudgetConfig.parse({
  schedules: {},
  portfolios: [
    {
      id: 'p',
      name: 'p',
      currency: 'USD',
      timezone: 'UTC',
      budget: { daily: 1000 },
      channels: [{ id: 'search', platform: 'generic', base: 100, max: 900, sourceIds: { 'google-ads': ['111'], meta: ['222'] } }],
      accounts: [
        { platform: 'google-ads', accountId: '1112223333', secret: 'g' },
        { platform: 'meta', accountId: '100200300400500', secret: 'm' },
      ],
    },
  ],
});
const portfolio = config.portfolios[0]!;

/** A Google Ads report of campaign 111 on 2026-11-20 with `conversions`; Meta's answers as `meta` says. */
const reports = (conversions: number, meta: 'rows' | 'down'): Record<string, PlatformReports> => ({
  'google-ads': {
    platform: 'google-ads',
    credentialsFingerprint: async () => 'g1',
    dailyRows: async () => [{ campaign: { id: '111' }, segments: { date: '2026-11-20' }, metrics: { costMicros: '5000000', conversions } }],
  },
  meta: {
    platform: 'meta',
    credentialsFingerprint: async () => 'm1',
    dailyRows: async () => {
      if (meta === 'down') throw new PullError('unavailable', 'Meta answered 503');
      return [{ campaign_id: '222', date_start: '2026-11-20', date_stop: '2026-11-20', spend: '3' }];
    },
  },
  tiktok: { platform: 'tiktok', credentialsFingerprint: async () => 't1', dailyRows: async () => [] },
});

describe('refused rows of a channel fed by two accounts', () => {
  it('stand while another account of the channel fails, and resolve once both read its day clean', async () => {
    const alerts = new InMemoryAlerts();
    const metrics = new InMemoryMetrics([]);
    let now = new Date('2026-11-22T10:00:00Z');
    const poller = (conversions: number, meta: 'rows' | 'down') =>
      new Poller({
        config,
        configHash: 'h',
        reports: reports(conversions, meta) as never,
        record: async (delivery) => ({ accepted: delivery.plan.rows.length, duplicates: 0, stale: 0 }),
        metrics,
        pulls: metrics,
        alerts,
        events: new RecordingBus(),
        clock: () => now,
      });
    const open = async () => (await alerts.open('p')).filter((a) => a.ruleId === 'refused-rows').map((a) => a.windows);
    // Google reports -5 conversions: the day is left out and named.
    await poller(-5, 'rows').poll(portfolio);
    expect(await open()).toEqual([[expect.stringMatching(/^2026-11-20: google-ads campaign 111: metrics\.conversions: /)]]);
    // Google's row is right now, but Meta fails: the channel is held back whole, its day not read, still named.
    now = new Date('2026-11-22T11:00:00Z');
    await poller(5, 'down')
      .poll(portfolio)
      .catch(() => undefined);
    expect(await open()).toHaveLength(1);
    // Both read it clean: resolved.
    now = new Date('2026-11-22T12:00:00Z');
    await poller(5, 'rows').poll(portfolio);
    expect(await open()).toEqual([]);
  });
});

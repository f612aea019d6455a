import { type AlertRule, Portfolio } from '../../../../functions/domain/config.js';
import { addDays } from '../../../../functions/domain/dates.js';
import type { MetricRow } from '../../../../functions/domain/metrics.js';

/** A two-channel portfolio with the given rules (bands 10% / 20%). */
export const portfolio = (rules: Partial<AlertRule>[], extra: { timezone?: string; weekStartsOn?: 'monday' | 'sunday' } = {}) =>
  Portfolio.parse({
    id: 'p',
    name: 'P',
    currency: 'USD',
    timezone: extra.timezone ?? 'UTC',
    budget: { daily: 1000 },
    channels: [
      { id: 'a', platform: 'generic', base: 100, max: 800 },
      { id: 'b', platform: 'generic', base: 100, max: 800 },
    ],
    alerts: {
      weekStartsOn: extra.weekStartsOn ?? 'monday',
      rules: rules.map((r, i) => ({ id: `r${i}`, metric: 'cpa', op: '>', threshold: 45, ...r })),
    },
  });

/** A daily row: spend and conversions (revenue, clicks, impressions optional). */
export const day = (channelId: string, date: string, spend: number, conversions: number, extra: Partial<MetricRow> = {}): MetricRow => ({
  portfolioId: 'p',
  channelId,
  date,
  hour: null,
  spendMicros: spend * 1e6,
  revenueMicros: null,
  impressions: null,
  clicks: null,
  conversions,
  revision: 1,
  ...extra,
});

/** The fake clock: Sunday 2026-11-22, 10:00 UTC. Yesterday is the 21st. */
export const NOW = new Date('2026-11-22T10:00:00Z');
export const days = (channelId: string, cpas: (number | null)[], lastDate = '2026-11-21') =>
  cpas.flatMap((cpa, i) => (cpa === null ? [] : [day(channelId, addDays(lastDate, i - cpas.length + 1), cpa * 10, 10)]));

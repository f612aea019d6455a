import type { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import type { Portfolio } from '../functions/domain/config.js';
import { demoFeed } from '../functions/domain/demoFeed.js';
import { toMicros } from '../functions/domain/money.js';

/** Stores `days` days of the seeded demo feed for `portfolio`, ending `lastDate`, straight into the metrics table. */
export const storeDemoFeed = (metrics: MetricsRepository, portfolio: Portfolio, lastDate: string, days: number, now: Date) =>
  metrics.store(
    demoFeed(portfolio, lastDate, days).map((r) => ({
      portfolioId: portfolio.id,
      channelId: r.channelId,
      date: r.date,
      hour: null,
      spendMicros: toMicros(r.spend),
      revenueMicros: r.revenue === undefined ? null : toMicros(r.revenue),
      impressions: null,
      clicks: null,
      conversions: r.conversions,
      revision: 1,
    })),
    `seed-${portfolio.id}`,
    now.toISOString(),
  );

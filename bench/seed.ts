import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AllocationsRepository } from '../functions/adapters/allocationsRepository.js';
import { LocalBus } from '../functions/adapters/eventBus.js';
import type { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import { noStopLosses, Reallocator } from '../functions/application/reallocatePortfolio.js';
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

/** The reallocation use case on a bench's Allocations table, with no stop-losses and a local bus. */
export const benchReallocator = (
  metrics: MetricsRepository,
  client: DynamoDBDocumentClient,
  allocationsTable: string,
  configHash: string,
) =>
  new Reallocator({
    metrics,
    allocations: new AllocationsRepository(client, allocationsTable),
    stopLosses: noStopLosses,
    events: new LocalBus(),
    clock: () => new Date(),
    configHash,
  });

import type { LoadedConfig } from '../adapters/configFile.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { HttpError, httpHandler, json, parseQuery } from '../adapters/http.js';
import { findPortfolio } from '../adapters/portfolios.js';
import type { Clock, MetricsReader } from '../application/ports.js';
import { dateInZone } from '../domain/dates.js';
import { rollupDaily } from '../domain/metrics.js';
import { MetricsQuery, resolveRange } from '../domain/metricsQuery.js';
import { deployedConfig } from '../wiring/config.js';
import { dynamoClient, metricsRepository } from '../wiring/dynamo.js';

export interface MetricsReadDependencies {
  readonly config: LoadedConfig;
  readonly repository: MetricsReader;
  readonly clock: Clock;
}

/** `GET /portfolios/{id}/metrics?channel=&from=&to=`: stored daily totals per channel and date. */
export const createMetricsHandler = ({ config, repository, clock }: MetricsReadDependencies) =>
  httpHandler(async (event) => {
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    const query = parseQuery(MetricsQuery, event);
    const { channel } = query;
    if (channel !== undefined && !portfolio.channels.some((c) => c.id === channel)) {
      const message = `no channel "${channel}" in portfolio "${portfolio.id}"`;
      const known = portfolio.channels.map((c) => c.id).join(', ');
      throw new HttpError(404, 'unknown-channel', message, [{ path: 'channel', message: `${message}: use one of ${known}` }]);
    }
    const range = resolveRange(query.from, query.to, dateInZone(clock(), portfolio.timezone));
    if (typeof range === 'string') throw new HttpError(400, 'invalid-query', 'the query is invalid', [{ path: 'from', message: range }]);
    const channelIds = channel ? [channel] : portfolio.channels.map((c) => c.id);
    const rows = await repository.portfolioRows(portfolio.id, channelIds, range.from, range.to);
    return json(200, { portfolioId: portfolio.id, currency: portfolio.currency, ...range, metrics: rollupDaily(rows) });
  });

export const handler = createMetricsHandler({
  config: deployedConfig,
  repository: metricsRepository(createDocumentClient(dynamoClient())),
  clock: () => new Date(),
});

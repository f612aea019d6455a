import type { LoadedConfig } from '../adapters/configFile.js';
import { httpHandler, json, parseQuery } from '../adapters/http.js';
import { logger, recordAlertTransitions } from '../adapters/observability.js';
import { findPortfolio } from '../adapters/portfolios.js';
import type { AlertEvaluator } from '../application/evaluateAlerts.js';
import type { AlertStore } from '../application/ports.js';
import * as z from '../domain/schema.js';
import { deployedAlertEvaluator } from '../wiring/alertEvaluator.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedRepositories } from '../wiring/dynamo.js';

export interface AlertsDependencies {
  readonly config: LoadedConfig;
  readonly alerts: AlertStore;
  readonly evaluator: Pick<AlertEvaluator, 'evaluate'>;
}

/** Query of `GET /portfolios/{id}/alerts`. */
const AlertsQuery = z.strictObject({ status: z.optional(z.enum(['open', 'resolved'])) });

/** `GET /portfolios/{id}/alerts?status=` and `POST /portfolios/{id}/alerts/evaluate`. */
export const createAlertsHandler = ({ config, alerts, evaluator }: AlertsDependencies) =>
  httpHandler(async (event) => {
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    if (event.routeKey === 'POST /portfolios/{id}/alerts/evaluate') {
      const result = await evaluator.evaluate(portfolio);
      recordAlertTransitions(portfolio.id, result);
      logger.info('alerts evaluated on demand', {
        portfolioId: portfolio.id,
        opened: result.opened.length,
        escalated: result.escalated.length,
        resolved: result.resolved.length,
      });
      return json(200, { portfolioId: portfolio.id, ...result });
    }
    const { status } = parseQuery(AlertsQuery, event);
    return json(200, { portfolioId: portfolio.id, alerts: await alerts.list(portfolio.id, status) });
  });

const repositories = deployedRepositories();

export const handler = createAlertsHandler({
  config: deployedConfig,
  alerts: repositories.alerts,
  evaluator: deployedAlertEvaluator(repositories),
});

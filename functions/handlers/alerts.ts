import type { LoadedConfig } from '../adapters/configFile.js';
import { httpHandler, json, noQuery, operatorBodyBytes, parseQuery } from '../adapters/http.js';
import { logger, recordAlertTransitions } from '../adapters/observability.js';
import { backToDashboard, operatorForm } from '../adapters/operatorForm.js';
import { findPortfolio, formPortfolio } from '../adapters/portfolios.js';
import type { AlertEvaluator } from '../application/evaluateAlerts.js';
import type { AlertStore } from '../application/ports.js';
import { AlertsQuery } from '../domain/alerts/alertsQuery.js';
import type { Portfolio } from '../domain/config.js';
import { deployedAlertEvaluator } from '../wiring/alertEvaluator.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedRepositories } from '../wiring/dynamo.js';

export interface AlertsDependencies {
  readonly config: LoadedConfig;
  readonly alerts: AlertStore;
  readonly evaluator: Pick<AlertEvaluator, 'evaluate'>;
}

/**
 * `GET /portfolios/{id}/alerts?status=`, `POST /portfolios/{id}/alerts/evaluate`, and the dashboard's
 * operator form `POST /dashboard/alerts/evaluate` (303 back to the dashboard).
 */
export const createAlertsHandler = ({ config, alerts, evaluator }: AlertsDependencies) =>
  httpHandler(async (event) => {
    const evaluate = async (portfolio: Portfolio, by: string) => {
      const result = await evaluator.evaluate(portfolio);
      recordAlertTransitions(portfolio.id, result);
      logger.info('alerts evaluated on demand', {
        portfolioId: portfolio.id,
        by,
        opened: result.opened.length,
        escalated: result.escalated.length,
        resolved: result.resolved.length,
      });
      return result;
    };
    if (event.routeKey === 'POST /dashboard/alerts/evaluate') {
      const { user, form } = operatorForm(event, ['csrf', 'portfolio']);
      const portfolio = formPortfolio(config, form);
      await evaluate(portfolio, user);
      return backToDashboard(portfolio.id);
    }
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    if (event.routeKey === 'POST /portfolios/{id}/alerts/evaluate') {
      noQuery(event, 'the evaluation takes nothing but the portfolio in the path');
      operatorBodyBytes(event); // it reads no body, but refuses a compressed (415) or too large (413) one as every operator route
      const by = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam?.userArn ?? 'unknown';
      return json(200, { portfolioId: portfolio.id, ...(await evaluate(portfolio, by)) });
    }
    const { status } = parseQuery(AlertsQuery, event);
    return json(200, { portfolioId: portfolio.id, alerts: await alerts.list(portfolio.id, status === 'all' ? undefined : status) });
  });

const repositories = deployedRepositories();

export const handler = createAlertsHandler({
  config: deployedConfig,
  alerts: repositories.alerts,
  evaluator: deployedAlertEvaluator(repositories),
});

import type { LoadedConfig } from '../adapters/configFile.js';
import { HttpError, httpHandler, json, noQuery, parseQuery } from '../adapters/http.js';
import { findPortfolio } from '../adapters/portfolios.js';
import { modelDiagnostics } from '../application/modelDiagnostics.js';
import { type PlannerDependencies, planBudgets } from '../application/planBudgets.js';
import { PlanQuery } from '../domain/planQuery.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedRepositories } from '../wiring/dynamo.js';

export interface PlanDependencies extends PlannerDependencies {
  readonly config: LoadedConfig;
}

/**
 * The analysts' reads of the model, which read what a reallocation reads and write nothing:
 * - `GET /portfolios/{id}/plan?budget=N` (or `?budgets=a,b,c`): the allocation a reallocation now would make
 *   for another daily budget, from the same data;
 * - `GET /portfolios/{id}/diagnostics`: how well the fitted model has been predicting each channel
 *   (docs/diagnostics.md).
 */
export const createPlanHandler = ({ config, ...planner }: PlanDependencies) =>
  httpHandler(async (event) => {
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    if (event.routeKey === 'GET /portfolios/{id}/diagnostics') {
      noQuery(event, 'the diagnostics take nothing but the portfolio in the path');
      return json(200, await modelDiagnostics(planner, portfolio));
    }
    if (event.routeKey !== 'GET /portfolios/{id}/plan') throw new HttpError(404, 'not-found', `no route ${event.routeKey}`);
    const query = parseQuery(PlanQuery, event);
    const { plans, ...about } = await planBudgets(planner, portfolio, query.budgets ?? [query.budget!]);
    return json(200, query.budgets ? { ...about, plans } : { ...about, ...plans[0] });
  });

const { metrics, allocations, alerts } = deployedRepositories();
export const handler = createPlanHandler({ config: deployedConfig, metrics, allocations, stopLosses: alerts, clock: () => new Date() });

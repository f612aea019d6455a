import { ALERTS_TABLE, ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { AlertsRepository } from './alertsRepository.js';
import { AllocationsRepository } from './allocationsRepository.js';
import { createDocumentClient, tableName } from './dynamo.js';
import { MetricsRepository } from './metricsRepository.js';

/**
 * The repositories a deployed function uses, on the tables its environment names. The reallocator and the
 * alert evaluator are built in their own modules, so a function bundles only the one it runs (the alert
 * functions carry no LP solver).
 */
export const deployedRepositories = () => {
  const client = createDocumentClient();
  return {
    metrics: new MetricsRepository(client, tableName(METRICS_TABLE.envVar)),
    allocations: new AllocationsRepository(client, tableName(ALLOCATIONS_TABLE.envVar)),
    alerts: new AlertsRepository(client, tableName(ALERTS_TABLE.envVar)),
  };
};

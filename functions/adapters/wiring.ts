import { ALERTS_TABLE, ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { AlertEvaluator } from './alertEvaluator.js';
import { AlertsRepository } from './alertsRepository.js';
import { AllocationsRepository } from './allocationsRepository.js';
import { systemClock } from './clock.js';
import { deployedConfig } from './deployedConfig.js';
import { createDocumentClient, tableName } from './dynamo.js';
import { createEventPublisher } from './eventBus.js';
import { MetricsRepository } from './metricsRepository.js';
import { Reallocator } from './reallocator.js';

const repositories = () => {
  const client = createDocumentClient();
  return {
    metrics: new MetricsRepository(client, tableName(METRICS_TABLE.envVar)),
    allocations: new AllocationsRepository(client, tableName(ALLOCATIONS_TABLE.envVar)),
    alerts: new AlertsRepository(client, tableName(ALERTS_TABLE.envVar)),
  };
};

/** The reallocator a deployed function uses: tables and bus from its environment, the deployed config's hash. */
export const deployedReallocator = (): Reallocator => {
  const { metrics, allocations, alerts } = repositories();
  return new Reallocator({
    metrics,
    allocations,
    stopLosses: alerts,
    events: createEventPublisher(),
    clock: systemClock,
    configHash: deployedConfig.hash,
  });
};

/** The alert evaluator a deployed function uses. */
export const deployedAlertEvaluator = (): AlertEvaluator =>
  new AlertEvaluator({ ...repositories(), events: createEventPublisher(), clock: systemClock, configHash: deployedConfig.hash });

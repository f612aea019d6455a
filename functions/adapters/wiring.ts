import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { AllocationsRepository } from './allocationsRepository.js';
import { systemClock } from './clock.js';
import { deployedConfig } from './deployedConfig.js';
import { createDocumentClient, tableName } from './dynamo.js';
import { createEventPublisher } from './eventBus.js';
import { MetricsRepository } from './metricsRepository.js';
import { noStopLosses, Reallocator } from './reallocator.js';

/** The reallocator a deployed function uses: tables and bus from its environment, the deployed config's hash. */
export const deployedReallocator = (): Reallocator => {
  const client = createDocumentClient();
  return new Reallocator({
    metrics: new MetricsRepository(client, tableName(METRICS_TABLE.envVar)),
    allocations: new AllocationsRepository(client, tableName(ALLOCATIONS_TABLE.envVar)),
    stopLosses: noStopLosses,
    events: createEventPublisher(),
    clock: systemClock,
    configHash: deployedConfig.hash,
  });
};

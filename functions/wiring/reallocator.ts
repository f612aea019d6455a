import { connectEventBridge } from '../adapters/eventBridgePublisher.js';
import { Reallocator } from '../application/reallocatePortfolio.js';
import { deployedConfig } from './config.js';
import { deployedRepositories } from './dynamo.js';
import { eventPublisher } from './events.js';

/** The reallocator a deployed function uses: tables and bus from its environment, the deployed config's hash. */
export const deployedReallocator = (): Reallocator => {
  const { metrics, allocations, alerts } = deployedRepositories();
  return new Reallocator({
    metrics,
    allocations,
    stopLosses: alerts,
    events: eventPublisher(connectEventBridge),
    clock: () => new Date(),
    configHash: deployedConfig.hash,
  });
};

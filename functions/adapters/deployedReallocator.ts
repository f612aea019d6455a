import { systemClock } from './clock.js';
import { deployedConfig } from './deployedConfig.js';
import { deployedRepositories } from './deployedRepositories.js';
import { connectEventBridge } from './eventBridgePublisher.js';
import { createEventPublisher } from './eventBus.js';
import { Reallocator } from './reallocator.js';

/** The reallocator a deployed function uses: tables and bus from its environment, the deployed config's hash. */
export const deployedReallocator = (): Reallocator => {
  const { metrics, allocations, alerts } = deployedRepositories();
  return new Reallocator({
    metrics,
    allocations,
    stopLosses: alerts,
    events: createEventPublisher(connectEventBridge),
    clock: systemClock,
    configHash: deployedConfig.hash,
  });
};

import { localBus } from '../adapters/eventBus.js';
import type { EventPublisher } from '../application/ports.js';
import { isLocalRuntime, optional } from './environment.js';

/**
 * The bus named by `EVENT_BUS_NAME`, reached through `connect` (so this module never loads the EventBridge
 * SDK itself); in the local runtime, the local bus.
 */
export const eventPublisher = (connect: (busName: string) => EventPublisher): EventPublisher => {
  const busName = optional('EVENT_BUS_NAME');
  if (busName) return connect(busName);
  if (isLocalRuntime()) return localBus;
  throw new Error('EVENT_BUS_NAME is not set');
};

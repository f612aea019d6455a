import type { SQSEvent } from 'aws-lambda';
import { localBus } from '../../functions/adapters/eventBus.js';
import type { LocalConsumer, LocalWorkQueue } from '../../functions/adapters/workQueue.js';
import { applyQueue } from '../../functions/wiring/applies.js';
import { invoke } from './handlers.js';

/**
 * The local stand-in for the stack's apply path: the local bus's rule puts every `AllocationPublished` on
 * the local apply queue, which delivers to the apply worker as the SQS event source would. Returns the
 * queue, so a caller can wait for it to drain.
 */
let connected: LocalWorkQueue | undefined;

export const connectApplies = (): LocalWorkQueue => {
  if (connected) return connected;
  const queue = applyQueue() as LocalWorkQueue;
  connected = queue;
  queue.consumeWith((event: SQSEvent) => invoke('applyWorker', event) as ReturnType<LocalConsumer>);
  // The stack's rule (lib/service-stack.ts), locally: each AllocationPublished the bus takes goes to the queue.
  const publish = localBus.publish.bind(localBus);
  localBus.publish = async (events) => {
    const from = localBus.events.length;
    await publish(events);
    const published = localBus.events.slice(from).filter((e) => e['detail-type'] === 'AllocationPublished');
    if (published.length > 0) await queue.send(published);
  };
  return queue;
};

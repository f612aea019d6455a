import type { EventPublisher } from '../application/ports.js';
import { type BudgetEvent, EVENT_SOURCE } from '../domain/events.js';

/** An event as the local bus keeps it: what EventBridge would deliver to a rule's target. */
export interface ReceivedEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: unknown;
}

/** The local runtime's bus: keeps events in arrival order for `GET /_local/events`. */
export class LocalBus implements EventPublisher {
  readonly events: ReceivedEvent[] = [];

  async publish(events: readonly BudgetEvent[]): Promise<void> {
    for (const event of events) {
      this.events.push({
        id: String(this.events.length + 1),
        source: EVENT_SOURCE,
        'detail-type': event.detailType,
        time: new Date().toISOString(),
        detail: structuredClone(event.detail),
      });
    }
  }
}

/** The one local bus of this process, shared by every handler the local runtime hosts. */
export const localBus = new LocalBus();

/**
 * A publisher made on the first publish, for functions that seldom publish: an alert evaluation publishes
 * only when an alert opens, escalates or resolves, so most of its cold starts need not load the EventBridge
 * SDK (about 15 ms). A failed load is tried again on the next publish.
 */
export const onFirstPublish = (load: () => Promise<EventPublisher>): EventPublisher => {
  let publisher: Promise<EventPublisher> | undefined;
  return {
    publish: async (events) => {
      publisher ??= load().catch((error: unknown) => {
        publisher = undefined;
        throw error;
      });
      return (await publisher).publish(events);
    },
  };
};

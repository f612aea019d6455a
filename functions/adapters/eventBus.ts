import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type BudgetEvent } from '../domain/events.js';
import { sendRefusedAgain } from './retry.js';

/** Where the system's events go: the EventBridge bus in AWS, the local bus in the local runtime. */
export interface EventPublisher {
  /** Resolves once every event was accepted; throws if any could not be, after retries. */
  publish(events: readonly BudgetEvent[]): Promise<void>;
}

/** Thrown when some entries were still refused after every retry; names them so nothing is lost silently. */
export class EventsNotPublishedError extends Error {
  constructor(readonly failures: readonly { detailType: string; errorCode: string }[]) {
    super(`${failures.length} event(s) not accepted by EventBridge: ${failures.map((f) => `${f.detailType} (${f.errorCode})`).join(', ')}`);
    this.name = 'EventsNotPublishedError';
  }
}

/** PutEvents takes at most 10 entries per call. */
const BATCHING = { batchSize: 10, attempts: 6 };

/**
 * PutEvents to a custom bus. A call can succeed while refusing some entries (`FailedEntryCount`); those
 * entries, and only those, are sent again with backoff until accepted or out of attempts.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly BudgetEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.busName,
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    const refused = await sendRefusedAgain(entries, BATCHING, async (batch) => {
      const answer = await this.client.send(new PutEventsCommand({ Entries: batch }));
      if (!answer.FailedEntryCount) return [];
      const results = answer.Entries ?? [];
      return batch.flatMap((entry, index) =>
        results[index]?.ErrorCode !== undefined || results[index]?.EventId === undefined ? [{ entry, code: results[index]?.ErrorCode ?? 'Unknown' }] : [],
      );
    });
    if (refused.length > 0) throw new EventsNotPublishedError(refused.map((r) => ({ detailType: r.entry.DetailType!, errorCode: r.code })));
  }
}

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

/** The bus named by `EVENT_BUS_NAME`; in the local runtime, the local bus. */
export const createEventPublisher = (): EventPublisher => {
  const busName = process.env.EVENT_BUS_NAME;
  if (busName) return new EventBridgePublisher(new EventBridgeClient({}), busName);
  if (process.env.BUDGET_RUNTIME === 'local') return localBus;
  throw new Error('EVENT_BUS_NAME is not set');
};

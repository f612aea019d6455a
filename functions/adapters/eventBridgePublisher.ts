import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../application/ports.js';
import { type BudgetEvent, EVENT_SOURCE } from '../domain/events.js';
import { awsClientConfig } from './awsClients.js';
import { tracer } from './observability.js';
import { sendRefusedAgain } from './retry.js';

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
        results[index]?.ErrorCode !== undefined || results[index]?.EventId === undefined
          ? [{ entry, code: results[index]?.ErrorCode ?? 'Unknown' }]
          : [],
      );
    });
    if (refused.length > 0) throw new EventsNotPublishedError(refused.map((r) => ({ detailType: r.entry.DetailType!, errorCode: r.code })));
  }
}

/** The deployed publisher for a bus: `createEventPublisher`'s `connect`. */
export const connectEventBridge = (busName: string): EventPublisher =>
  new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient(awsClientConfig())), busName);

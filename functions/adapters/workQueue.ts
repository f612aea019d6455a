import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { WorkQueue } from '../application/ports.js';
import { sendRefusedAgain } from './retry.js';

/** SendMessageBatch takes at most 10 entries. */
const ENTRIES_PER_CALL = 10;
const BATCHING = { batchSize: ENTRIES_PER_CALL, attempts: 6 };

/** SendMessageBatch in tens; entries listed under `Failed` are sent again with backoff. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: readonly unknown[]): Promise<void> {
    const entries: SendMessageBatchRequestEntry[] = messages.map((message, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify(message),
    }));
    const refused = await sendRefusedAgain(entries, BATCHING, async (batch) => {
      const answer = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch }));
      const failed = new Map((answer.Failed ?? []).map((f) => [f.Id, f.Code ?? 'Unknown']));
      return batch.flatMap((entry) => (failed.has(entry.Id) ? [{ entry, code: failed.get(entry.Id)! }] : []));
    });
    if (refused.length > 0)
      throw new Error(`${refused.length} message(s) not accepted by SQS: ${[...new Set(refused.map((r) => r.code))].join(', ')}`);
  }
}

/** What consumes a local queue: the worker handler, given the SQS event Lambda would deliver. */
export type LocalConsumer = (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

/**
 * An in-process queue for the local runtime: each send is delivered at once to the registered consumer as
 * an SQS event (batches of 10, as the event source mapping is configured), and failed items are retried up
 * to `maxReceiveCount` times before they land in `deadLetters`, as the redrive policy would do, each retry
 * `retryDelayMs` after the failure (the visibility timeout's stand-in).
 */
export class LocalWorkQueue implements WorkQueue {
  readonly deadLetters: unknown[] = [];
  private consumer: LocalConsumer | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    private readonly retryDelayMs = 0,
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
    private readonly maxReceiveCount = 3,
  ) {}

  consumeWith(consumer: LocalConsumer): void {
    this.consumer = consumer;
  }

  async send(messages: readonly unknown[]): Promise<void> {
    if (!this.consumer) throw new Error(`local queue "${this.name}" has no consumer`);
    const batches: SQSRecord[][] = [];
    const records = messages.map((message) => this.record(message));
    for (let i = 0; i < records.length; i += ENTRIES_PER_CALL) batches.push(records.slice(i, i + ENTRIES_PER_CALL));
    const delivery = Promise.all(batches.map((batch) => this.deliver(batch, 1))).then(() => undefined);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Resolves when every message sent so far was consumed or dead-lettered. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(batch: SQSRecord[], receiveCount: number): Promise<void> {
    const received = batch.map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(receiveCount) } }));
    let failedIds: Set<string>;
    try {
      const { batchItemFailures } = await this.consumer!({ Records: received });
      failedIds = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failedIds = new Set(batch.map((r) => r.messageId));
    }
    const failed = batch.filter((r) => failedIds.has(r.messageId));
    if (failed.length === 0) return;
    if (receiveCount >= this.maxReceiveCount) this.deadLetters.push(...failed.map((r) => JSON.parse(r.body) as unknown));
    else {
      await this.wait(this.retryDelayMs);
      await this.deliver(failed, receiveCount + 1);
    }
  }

  private record(message: unknown): SQSRecord {
    const now = String(Date.now());
    return {
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body: JSON.stringify(message),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'local', ApproximateFirstReceiveTimestamp: now },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.name}`,
      awsRegion: 'local',
    };
  }
}

/** The local runtime's queues, one per job, shared by the fan-out and the workers it hosts. */
export const localQueues = new Map<string, LocalWorkQueue>();

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBridgePublisher, EventsNotPublishedError } from '../../../functions/adapters/eventBridgePublisher.js';
import { onFirstPublish } from '../../../functions/adapters/eventBus.js';
import { SqsWorkQueue } from '../../../functions/adapters/workQueue.js';
import type { EventPublisher } from '../../../functions/application/ports.js';
import type { BudgetEvent } from '../../../functions/domain/events.js';

const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);

const event = (n: number): BudgetEvent => ({
  detailType: 'AllocationHeld',
  detail: {
    portfolioId: `p${n}`,
    configHash: 'abc',
    timestamp: '2026-11-22T10:00:00Z',
    snapshotId: `s${n}`,
    asOf: '2026-11-22',
    reason: 'stale data',
    trigger: { kind: 'on-demand', by: 'test' },
  },
});
const sentPortfolios = (call: number) =>
  (eventBridge.commandCalls(PutEventsCommand)[call]!.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail!).portfolioId as string);

/** Runs a promise to completion while fake timers fire every backoff it waits on. */
const settle = async <T>(promise: Promise<T>): Promise<T> => {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  const result = await outcome;
  if ('error' in result) throw result.error;
  return result.value;
};

beforeEach(() => {
  eventBridge.reset();
  sqs.reset();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('EventBridgePublisher', () => {
  const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'local' }), 'bus');

  /** Fault: PutEvents succeeds as a call but refuses some entries. Invariant: no event is silently dropped. */
  it('sends again exactly the entries counted in FailedEntryCount, until all are accepted', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }, { EventId: 'c' }, { ErrorCode: 'InternalFailure' }],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'b' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'd' }] });
    await settle(publisher.publish([event(1), event(2), event(3), event(4)]));
    expect([0, 1, 2].map(sentPortfolios)).toEqual([['p1', 'p2', 'p3', 'p4'], ['p2', 'p4'], ['p4']]);
    const first = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(first).toMatchObject({ EventBusName: 'bus', Source: 'budget-optimizer', DetailType: 'AllocationHeld' });
  });

  it('throws, naming the refused events, when retries run out', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    const failure = settle(publisher.publish([event(1)]));
    await expect(failure).rejects.toBeInstanceOf(EventsNotPublishedError);
    await expect(failure).rejects.toThrow(/AllocationHeld \(InternalFailure\)/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(6);
  });

  it('sends at most 10 entries per call', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await settle(publisher.publish(Array.from({ length: 23 }, (_, i) => event(i))));
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
  });
});

describe('onFirstPublish', () => {
  const recording = () => {
    const published: BudgetEvent[][] = [];
    return {
      published,
      publisher: { publish: async (events: readonly BudgetEvent[]) => void published.push([...events]) } satisfies EventPublisher,
    };
  };

  it('loads nothing until the first publish, then loads once for every publish, concurrent ones included', async () => {
    const { published, publisher } = recording();
    const load = vi.fn(async () => publisher);
    const events = onFirstPublish(load);
    expect(load).not.toHaveBeenCalled();
    await Promise.all([events.publish([event(1)]), events.publish([event(2)])]);
    await events.publish([event(3)]);
    expect(load).toHaveBeenCalledTimes(1);
    expect(published.map(([e]) => e!.detail.portfolioId)).toEqual(['p1', 'p2', 'p3']);
  });

  /** Fault: the publisher's module fails to load. Invariant: the failure reaches the caller, and a later publish tries again. */
  it('passes a failed load to the caller and loads again on the next publish', async () => {
    const { published, publisher } = recording();
    const load = vi.fn<() => Promise<EventPublisher>>().mockRejectedValueOnce(new Error('module not found')).mockResolvedValue(publisher);
    const events = onFirstPublish(load);
    await expect(events.publish([event(1)])).rejects.toThrow('module not found');
    await events.publish([event(2)]);
    expect(load).toHaveBeenCalledTimes(2);
    expect(published).toHaveLength(1);
  });
});

describe('SqsWorkQueue', () => {
  const queue = new SqsWorkQueue(new SQSClient({ region: 'local' }), 'https://sqs/q');

  it('sends again only the entries SendMessageBatch lists as failed', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [], Failed: [] });
    await settle(queue.send([{ n: 0 }, { n: 1 }, { n: 2 }]));
    const bodies = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => e.MessageBody));
    expect(bodies).toEqual([['{"n":0}', '{"n":1}', '{"n":2}'], ['{"n":1}']]);
  });
});

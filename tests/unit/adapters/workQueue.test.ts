import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalWorkQueue } from '../../../functions/adapters/workQueue.js';

/** A consumer that fails every message its first `failures` receives, and the receive counts it saw. */
const failing = (failures: number) => {
  const received: string[] = [];
  const consumer = async ({ Records }: SQSEvent) => {
    received.push(...Records.map((r) => r.attributes.ApproximateReceiveCount));
    return { batchItemFailures: received.length <= failures ? Records.map((r) => ({ itemIdentifier: r.messageId })) : [] };
  };
  return { received, consumer };
};

describe('the local work queue', () => {
  it('waits its retry delay before each retry, as the visibility timeout does', async () => {
    const events: string[] = [];
    const queue = new LocalWorkQueue('apply', 60_000, async (ms) => void events.push(`wait ${ms}`));
    const { received, consumer } = failing(1);
    queue.consumeWith(async (event) => {
      events.push(`receive ${event.Records[0]!.attributes.ApproximateReceiveCount}`);
      return consumer(event);
    });
    await queue.send([{ kind: 'approved' }]);
    await queue.drain();
    expect([events, received, queue.deadLetters]).toEqual([['receive 1', 'wait 60000', 'receive 2'], ['1', '2'], []]);
  });

  it('dead-letters a message that failed every one of its receives', async () => {
    const queue = new LocalWorkQueue('apply');
    const { received, consumer } = failing(Number.POSITIVE_INFINITY);
    queue.consumeWith(consumer);
    await queue.send([{ kind: 'approved', applyId: 'a' }]);
    await queue.drain();
    expect([received, queue.deadLetters]).toEqual([['1', '2', '3'], [{ kind: 'approved', applyId: 'a' }]]);
  });
});

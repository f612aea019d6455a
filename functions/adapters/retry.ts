import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from './awsClients.js';

/**
 * Runs `operation` again, with backoff, while it fails with an error `retryable` accepts: only for what the
 * SDK does not retry itself (`awsClients.ts`), such as a transaction cancelled for a transient reason.
 * Other errors propagate at once; after `attempts` tries the last error does.
 */
export const withRetry = async <T>(
  operation: () => Promise<T>,
  { retryable, attempts = 8 }: { retryable: (error: unknown) => boolean; attempts?: number },
): Promise<T> => {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt + 1 >= attempts || !retryable(error)) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
};

/** Maps `items` through `task` with at most `limit` in flight, keeping order. */
export const mapLimit = async <T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

/** An entry a batch API refused, with the code it gave. */
export interface Refused<E> {
  readonly entry: E;
  readonly code: string;
}

/**
 * Sends entries through a batch API that can succeed as a call while refusing some entries (PutEvents'
 * `FailedEntryCount`, SendMessageBatch's `Failed`): in batches of `batchSize`, sending again only the refused
 * ones, with backoff, up to `attempts` times. Returns what was still refused at the end (empty when all went).
 */
export const sendRefusedAgain = async <E>(
  entries: readonly E[],
  { batchSize, attempts }: { batchSize: number; attempts: number },
  sendBatch: (batch: E[]) => Promise<Refused<E>[]>,
): Promise<Refused<E>[]> => {
  const stillRefused: Refused<E>[] = [];
  for (let i = 0; i < entries.length; i += batchSize) {
    let pending = entries.slice(i, i + batchSize);
    let refused: Refused<E>[] = [];
    for (let attempt = 0; attempt < attempts && pending.length > 0; attempt += 1) {
      if (attempt > 0) await sleep(backoffDelay(attempt, 100, 2000));
      // A call that fails outright was already retried by the SDK; only refused entries come back here.
      refused = await sendBatch(pending);
      pending = refused.map((r) => r.entry);
    }
    stillRefused.push(...refused);
  }
  return stillRefused;
};

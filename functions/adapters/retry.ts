/** Error names AWS uses when a request was throttled or failed on its side and may simply be retried. */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

/** True for throttling and server-side failures that a retry can cure. */
export const isRetryable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return RETRYABLE.has(error.name) || (status !== undefined && status >= 500);
};

export interface RetryOptions {
  /** Total tries, the first included. */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly retryable?: (error: unknown) => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before retry `n` (0-based): exponential with full jitter, as AWS recommends for contended writes. */
export const backoffDelay = (n: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number =>
  Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** n));

/**
 * Runs `operation`, retrying throttling and server errors with backoff. On top of the SDK's own retries:
 * a throttling storm outlasts them, and nothing may be dropped. Other errors propagate at once.
 */
export const withRetry = async <T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> => {
  const { attempts = 8, baseDelayMs = 50, maxDelayMs = 3000, retryable = isRetryable } = options;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt + 1 >= attempts || !retryable(error)) throw error;
      await sleep(backoffDelay(attempt, baseDelayMs, maxDelayMs));
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
      refused = await withRetry(() => sendBatch(pending));
      pending = refused.map((r) => r.entry);
    }
    stillRefused.push(...refused);
  }
  return stillRefused;
};

import { ConfiguredRetryStrategy } from '@smithy/core/retry';

/**
 * How every AWS SDK client here retries, set once: the SDK's standard strategy (it retries throttling,
 * transient and 5xx errors, and stops when its retry quota is spent) with at most {@link SDK_MAX_ATTEMPTS}
 * attempts per operation, the first included, and full-jitter exponential backoff (50 ms doubling, capped
 * at 3 s), as AWS recommends for contended writes. A throttling storm that outlasts them fails the
 * operation, and its caller (a webhook sender, a queue redelivery) tries again later; nothing is lost.
 *
 * What the SDK cannot see stays in the application: a transaction cancelled for a transient reason (a
 * `TransactionCanceledException` is a successful answer to it) and the entries PutEvents or SendMessageBatch
 * refused inside a successful call (`retry.ts`).
 */
export const SDK_MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 3000;

/** Delay before retry `n` (0-based): exponential with full jitter. */
export const backoffDelay = (n: number, baseDelayMs = BASE_DELAY_MS, maxDelayMs = MAX_DELAY_MS, random = Math.random): number =>
  Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** n));

/** The client configuration every AWS client here is built with. */
export const awsClientConfig = () => ({
  // ConfiguredRetryStrategy counts attempts the way the SDK's `maxAttempts` does: the first one included.
  retryStrategy: new ConfiguredRetryStrategy(SDK_MAX_ATTEMPTS, (attempt: number) => backoffDelay(attempt)),
});

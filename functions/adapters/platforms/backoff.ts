import { PullError } from '../../application/platformReports.js';

/** Waits; injected so tests run without the wall clock. */
export type Sleep = (ms: number) => Promise<void>;

/** Bounds of the retries one request gets. */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first wait when the platform names none; doubled each time, with full jitter. */
  readonly baseMs: number;
  /** The longest single wait: a platform asking for more is not waited for (the next poll retries). */
  readonly maxWaitMs: number;
  /** The most waited in all for one request. */
  readonly budgetMs: number;
}

/**
 * Five attempts, 1 s doubling, a wait at most 60 s and 2 minutes in all: within the poll worker's timeout
 * with room for every account, and past the per-second and per-minute limits the platforms document
 * (Google's retryDelay is usually seconds; Meta's estimated_time_to_regain_access is minutes, and beyond
 * 1 minute the next poll is the better retry).
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { attempts: 5, baseMs: 1000, maxWaitMs: 60_000, budgetMs: 120_000 };

/**
 * Runs `attempt` until it succeeds, retrying only `throttled` and `unavailable` failures, each after the
 * platform's own delay when it gave one, else an exponential wait with full jitter. Stops (throwing the last
 * failure) when attempts run out, when the platform asks for more than `maxWaitMs`, or when the waits would
 * pass `budgetMs`: a bounded backoff, never a loop.
 */
export const withBackoff = async <T>(
  attempt: () => Promise<T>,
  { sleep, random = Math.random, policy = DEFAULT_BACKOFF }: { sleep: Sleep; random?: () => number; policy?: BackoffPolicy },
): Promise<T> => {
  let waited = 0;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PullError) || (error.kind !== 'throttled' && error.kind !== 'unavailable')) throw error;
      if (n >= policy.attempts) throw error;
      const wait = error.retryAfterMs ?? Math.round(random() * policy.baseMs * 2 ** (n - 1));
      if (wait > policy.maxWaitMs || waited + wait > policy.budgetMs) throw error;
      waited += wait;
      await sleep(wait);
    }
  }
};

/** A fetch answer read whole: the status, the headers and the body parsed as JSON (undefined when not JSON). */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

/** How long one request may take before it counts as unavailable. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Sends a request and reads its JSON; network failures and timeouts are `unavailable` (retried). */
export const fetchJson = async (fetcher: typeof fetch, url: string, init: RequestInit, what: string): Promise<JsonAnswer> => {
  let response: Response;
  try {
    response = await fetcher(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new PullError(
      'unavailable',
      `${what}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : 'could not connect'}`,
      undefined,
      { cause: error },
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json };
};

/** Parses a protobuf Duration as JSON spells it (`"30s"`, `"1.5s"`) into milliseconds. */
export const durationMs = (value: unknown): number | undefined => {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
};

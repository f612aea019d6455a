import { PlatformCallError, type PlatformFailure } from '../../application/applyPorts.js';
import { PullError } from '../../application/platformReports.js';
import type { Account, ConnectedPlatform } from '../../domain/config.js';
import { type Credentials, type CredentialsSource, readCredentials } from './credentials.js';

/**
 * What the three budget clients share: one JSON call with a bounded wait on throttling, and the account's
 * currency decimals. Each client classifies its platform's own error shapes into a {@link PlatformFailure}.
 */

/** The `fetch` the clients use (the global one; tests and the local runtime point URLs at the fakes instead). */
export type Fetch = typeof fetch;

/** How long a client may wait, in total, for a throttled platform before the apply records a rate-limit failure. */
export const DEFAULT_MAX_THROTTLE_WAIT_MS = 20_000;
/** How long one request may take before it counts as the platform being unavailable. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Attempts per call, the first included. */
const MAX_ATTEMPTS = 4;

/** A platform's answer, parsed: the HTTP status and the JSON body (null when it was not JSON). */
export interface PlatformAnswer {
  readonly status: number;
  readonly json: unknown;
}

/** How a client reads an answer: a failure kind with a message, a wait before retrying, or success (undefined). */
export type Classify = (answer: PlatformAnswer) => { failure: PlatformFailure; message: string; retryAfterMs?: number } | undefined;

export interface CallOptions {
  readonly fetch: Fetch;
  readonly maxThrottleWaitMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * One call, retried on throttling while the platform's own wait (or a doubling one from 1 s) fits in the
 * remaining budget; any other failure throws at once. Never logs or echoes the request's headers.
 */
export const callPlatform = async (
  url: string,
  init: RequestInit,
  classify: Classify,
  { fetch, maxThrottleWaitMs, sleep: wait }: CallOptions,
): Promise<unknown> => {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let answer: PlatformAnswer;
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        json = null;
      }
      answer = { status: response.status, json };
    } catch (error) {
      throw new PlatformCallError('unavailable', `the platform could not be reached (${(error as Error).message})`, { cause: error });
    }
    const problem = classify(answer);
    if (!problem) return answer.json;
    const delay = problem.retryAfterMs ?? 1000 * 2 ** (attempt - 1);
    const retryable = problem.failure === 'rate-limit' || problem.failure === 'unavailable';
    if (!retryable || attempt >= MAX_ATTEMPTS || waited + delay > maxThrottleWaitMs) {
      throw new PlatformCallError(problem.failure, problem.message);
    }
    waited += delay;
    await wait(delay);
  }
};

/**
 * An account's credentials, read and classed as the pollers class them (`readCredentials`): a secret that is
 * missing, denied or not the platform's credentials fails the account the way a revoked token does (a person
 * must fix it); Secrets Manager throttling or an outage is only unavailable, retried, and never stops the
 * account. The message never carries a value.
 */
export const credentialsOf = async <P extends ConnectedPlatform>(
  source: CredentialsSource,
  account: Account & { platform: P },
): Promise<Credentials<P>> => {
  try {
    return await readCredentials(source, account);
  } catch (error) {
    const failure = error instanceof PullError && error.kind === 'credentials' ? 'auth' : 'unavailable';
    throw new PlatformCallError(failure, (error as Error).message, { cause: error });
  }
};

import type { Account, ConnectedPlatform } from '../domain/config.js';

/**
 * Why a pull from a platform account failed, in the terms the poll acts on:
 * - `credentials`: expired, revoked or missing credentials or access; a person must renew them, so the account
 *   is not tried again with the same credentials and an alert names it;
 * - `throttled`: the platform's rate limit held after the bounded backoff; the next poll re-reads the window;
 * - `unavailable`: the platform failed (5xx, timeouts, a malformed answer) after the bounded backoff;
 * - `refused`: the platform refused the request itself (a bad parameter): a bug or a config the platform
 *   does not know, not retried.
 */
export type PullFailureKind = 'credentials' | 'throttled' | 'unavailable' | 'refused';

/** A failed pull; its message names the platform's code and never carries a token or secret. */
export class PullError extends Error {
  override readonly name = 'PullError';

  constructor(
    readonly kind: PullFailureKind,
    message: string,
    /** How long the platform asked to wait before the next request, when it said. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The rows a platform's report returned, in its own shape: what its webhook envelope carries (docs/webhooks.md). */
export type PlatformRows =
  | { readonly platform: 'google-ads'; readonly rows: readonly unknown[] }
  | { readonly platform: 'meta'; readonly rows: readonly unknown[] }
  | { readonly platform: 'tiktok'; readonly rows: readonly unknown[] };

/**
 * The port a platform's reporting client implements: one account's daily campaign rows over a date range,
 * every page read, rate limits and transient failures retried within a bounded backoff. Throws
 * {@link PullError} for every failure it could classify.
 */
export interface PlatformReports {
  readonly platform: ConnectedPlatform;
  dailyRows(account: Account, campaignIds: readonly string[], from: string, to: string): Promise<readonly unknown[]>;
  /**
   * A fingerprint of the account's current credentials (an HMAC under the deployment's key, never the secret):
   * a pull refused for credentials is tried again only once they changed.
   */
  credentialsFingerprint(account: Account): Promise<string>;
}

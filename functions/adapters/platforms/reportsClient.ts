import { setTimeout as realSleep } from 'node:timers/promises';
import type { Account } from '../../domain/config.js';
import type { Sleep } from './backoff.js';
import { type CredentialsSource, credentialsFingerprint, type FingerprintKey, processFingerprintKey } from './credentials.js';

/** What a platform's reporting client is built from: the accounts' credentials, and the seams tests and the local fakes use. */
export interface ReportsOptions {
  readonly credentials: CredentialsSource;
  /** The key the credentials' fingerprints are made with: the deployment's; without one, this process's alone. */
  readonly fingerprintKey?: FingerprintKey;
  /** The API's address: the platform's own, or a local fake's. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  readonly sleep?: Sleep;
}

/** The part every REST reporting client shares: where it calls, how it fetches and waits, and its credentials' fingerprint. */
export abstract class ReportsClient<O extends ReportsOptions = ReportsOptions> {
  protected readonly baseUrl: string;
  protected readonly fetcher: typeof fetch;
  protected readonly sleep: Sleep;

  constructor(
    protected readonly options: O,
    defaultUrl: string,
  ) {
    this.baseUrl = options.baseUrl ?? defaultUrl;
    this.fetcher = options.fetch ?? fetch;
    this.sleep = options.sleep ?? realSleep;
  }

  credentialsFingerprint(account: Account): Promise<string> {
    return credentialsFingerprint(this.options.credentials, account, this.options.fingerprintKey ?? processFingerprintKey);
  }
}

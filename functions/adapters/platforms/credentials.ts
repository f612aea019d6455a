import { createHmac, randomBytes } from 'node:crypto';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PullError } from '../../application/platformReports.js';
import type { Account, ConnectedPlatform } from '../../domain/config.js';
import * as z from '../../domain/schema.js';

/**
 * Each platform's credentials as its Secrets Manager secret holds them (a JSON object; docs/connectors.md):
 * - Google Ads: the developer token and an OAuth client with a refresh token (scope `adwords`);
 * - Meta: a system user's access token (`ads_read`, and `ads_management` to apply budgets);
 * - TikTok: an advertiser access token (Reporting, and Ads Management to apply budgets).
 */
export const PlatformCredentials = {
  'google-ads': z.strictObject({
    developerToken: z.string().check(z.minLength(1)),
    clientId: z.string().check(z.minLength(1)),
    clientSecret: z.string().check(z.minLength(1)),
    refreshToken: z.string().check(z.minLength(1)),
  }),
  meta: z.strictObject({ accessToken: z.string().check(z.minLength(1)) }),
  tiktok: z.strictObject({ accessToken: z.string().check(z.minLength(1)) }),
} as const;

export type GoogleAdsCredentials = z.infer<(typeof PlatformCredentials)['google-ads']>;
export type MetaCredentials = z.infer<(typeof PlatformCredentials)['meta']>;
export type TikTokCredentials = z.infer<(typeof PlatformCredentials)['tiktok']>;
export type Credentials<P extends ConnectedPlatform> = z.infer<(typeof PlatformCredentials)[P]>;

/** Credentials the local fakes accept, used by the local runtime when no `PLATFORM_SECRET_<NAME>` overrides them. */
export const LOCAL_DEV_CREDENTIALS: { readonly [P in ConnectedPlatform]: Credentials<P> } = {
  'google-ads': {
    developerToken: 'local-dev-developer-token',
    clientId: 'local-dev-client',
    clientSecret: 'local-dev-client-secret',
    refreshToken: 'local-dev-google-refresh-token',
  },
  meta: { accessToken: 'local-dev-meta-token' },
  tiktok: { accessToken: 'local-dev-tiktok-token' },
};

/** A secret that exists but does not hold the platform's credentials: fixing it needs a person, like a revoked token. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Where an account's credentials come from: Secrets Manager in AWS, the environment locally. */
export type CredentialsSource = <P extends ConnectedPlatform>(account: Account & { platform: P }) => Promise<Credentials<P>>;

/** Secrets Manager's answers that need a person (the secret is missing, or the role may not read it), not a retry. */
const NEEDS_A_PERSON = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure', 'InvalidRequestException']);

/**
 * An account's credentials, with a failure to read them classed as the poll acts on it: a missing,
 * unreadable or malformed secret is `credentials` (an alert names the account); anything else, such as
 * Secrets Manager throttling, is `unavailable` (retried).
 */
export const readCredentials = async <P extends ConnectedPlatform>(
  source: CredentialsSource,
  account: Account & { platform: P },
): Promise<Credentials<P>> => {
  try {
    return await source(account);
  } catch (error) {
    const names = [(error as Error).name, ((error as Error).cause as Error | undefined)?.name];
    const message = `the secret "${account.secret}" could not be read (${names.filter(Boolean).join(', ')})`;
    if (error instanceof CredentialsError) throw new PullError('credentials', error.message, undefined, { cause: error });
    if (names.some((name) => name !== undefined && NEEDS_A_PERSON.has(name)))
      throw new PullError('credentials', message, undefined, { cause: error });
    throw new PullError('unavailable', message, undefined, { cause: error });
  }
};

/** Parses a secret's text as the platform's credentials; the message names fields, never values. */
export const parseCredentials = <P extends ConnectedPlatform>(platform: P, secretName: string, text: string): Credentials<P> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError(`secret "${secretName}" is not JSON; it must hold ${platform} credentials (docs/connectors.md)`);
  }
  const parsed = PlatformCredentials[platform].safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '$').join(', ');
    throw new CredentialsError(`secret "${secretName}" does not hold ${platform} credentials (check: ${fields})`);
  }
  return parsed.data as Credentials<P>;
};

/**
 * AWS: the account's secret by name, cached 5 minutes (a rotated token is picked up without a deploy). The
 * function's role may read exactly the secrets the config names (lib/service-stack.ts).
 */
export const secretsManagerCredentials: CredentialsSource = async (account) => {
  const value = await getSecret(account.secret, { maxAge: 300 });
  if (typeof value !== 'string') throw new CredentialsError(`secret "${account.secret}" is not a string`);
  return parseCredentials(account.platform, account.secret, value);
};

/** The local variable that overrides an account's secret: `PLATFORM_SECRET_<NAME>`, non-alphanumerics as `_`. */
export const localCredentialsVariable = (secretName: string): string =>
  `PLATFORM_SECRET_${secretName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** Local mode: `PLATFORM_SECRET_<NAME>` when set, else the credentials the local fakes accept. */
export const envCredentials =
  (lookup: (variable: string) => string | undefined): CredentialsSource =>
  async (account) => {
    const text = lookup(localCredentialsVariable(account.secret));
    return text === undefined ? LOCAL_DEV_CREDENTIALS[account.platform] : parseCredentials(account.platform, account.secret, text);
  };

/**
 * Where the key of the credentials fingerprints comes from: a secret of the deployment's own (the data
 * stack's `CredentialsFingerprintKey`), locally a fixed development key. Stable for as long as alerts stay
 * open, so an unchanged secret keeps its fingerprint across invocations.
 */
export type FingerprintKey = () => Promise<string>;

/** The local runtime's fingerprint key, unless `FINGERPRINT_KEY` sets one; like the local webhook secret, never a deployment's. */
export const LOCAL_FINGERPRINT_KEY = 'local-dev-fingerprint-key';

/** AWS: the deployment's fingerprint key by ARN, cached an hour; a failure to read it is retried as any unavailable pull. */
export const secretsManagerFingerprintKey =
  (arn: string): FingerprintKey =>
  async () => {
    const value = await getSecret(arn, { maxAge: 3600 });
    if (typeof value !== 'string' || value === '') throw new PullError('unavailable', 'the credentials fingerprint key could not be read');
    return value;
  };

/**
 * A key for this process alone, for a client built without one (a test, a bench): its fingerprints compare
 * within the process, and mean nothing outside it.
 */
export const processFingerprintKey: FingerprintKey = (() => {
  const key = randomBytes(32).toString('hex');
  return async () => key;
})();

/**
 * A short fingerprint of an account's credentials as they read now: it changes when someone renews the
 * secret, so a refused account is tried again then, and it shows no credential. It is an HMAC-SHA256 under
 * the deployment's key (16 hex digits), not a bare hash: the alert that keeps it is read through the API and
 * the bus, and a bare hash would let anyone who reads it test guessed or leaked tokens against it offline.
 */
export const credentialsFingerprint = async (source: CredentialsSource, account: Account, key: FingerprintKey): Promise<string> => {
  const credentials = await readCredentials(source, account as Account & { platform: ConnectedPlatform });
  return createHmac('sha256', await key())
    .update(JSON.stringify(credentials))
    .digest('hex')
    .slice(0, 16);
};

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CredentialsSource, credentialsFingerprint } from '../../../../functions/adapters/platforms/credentials.js';
import type { Account } from '../../../../functions/domain/config.js';

const account = { platform: 'meta', accountId: '100200300400500', secret: 'meta/acme' } as Account;
const holding =
  (accessToken: string): CredentialsSource =>
  async () =>
    ({ accessToken }) as never;
const key = (value: string) => async () => value;

describe('credentials fingerprint', () => {
  it('is the same for the same credentials under the same key, so an unchanged secret is not tried again', async () => {
    const once = await credentialsFingerprint(holding('EAAB-token'), account, key('k1'));
    expect(await credentialsFingerprint(holding('EAAB-token'), account, key('k1'))).toBe(once);
    expect(once).toMatch(/^[0-9a-f]{16}$/);
    expect(await credentialsFingerprint(holding('EAAB-renewed'), account, key('k1'))).not.toBe(once);
  });

  it('cannot be checked offline against guessed tokens: it is keyed by the deployment, not a bare hash of the token', async () => {
    const stored = await credentialsFingerprint(holding('local-dev-meta-token'), account, key('deployment-key'));
    // What anyone reading the alert could compute for a guessed token without the key: the unsalted SHA-256 the fingerprint was.
    const guess = createHash('sha256')
      .update(JSON.stringify({ accessToken: 'local-dev-meta-token' }))
      .digest('hex')
      .slice(0, 16);
    expect(stored).not.toBe(guess);
    expect(await credentialsFingerprint(holding('local-dev-meta-token'), account, key('another-deployment'))).not.toBe(stored);
  });
});

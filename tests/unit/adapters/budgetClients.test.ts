import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlatforms, LOCAL_DEV_TOKENS, startFakePlatforms } from '../../../bin/local/fakes/index.js';
import { credentialsOf } from '../../../functions/adapters/platforms/budgetHttp.js';
import { envCredentials, LOCAL_DEV_CREDENTIALS } from '../../../functions/adapters/platforms/credentials.js';
import { GoogleAdsBudgets } from '../../../functions/adapters/platforms/googleAdsBudgets.js';
import { MetaBudgets } from '../../../functions/adapters/platforms/metaBudgets.js';
import { TikTokBudgets } from '../../../functions/adapters/platforms/tiktokBudgets.js';
import { PlatformCallError } from '../../../functions/application/applyPorts.js';
import type { Account } from '../../../functions/domain/config.js';

const google: Account = { platform: 'google-ads', accountId: '1112223333', secret: 'g' };
const meta: Account = { platform: 'meta', accountId: '444', secret: 'm' };
const tiktok: Account = { platform: 'tiktok', accountId: '555', secret: 't' };

let fakes: FakePlatforms;
const slept: number[] = [];
const options = {
  fetch,
  maxThrottleWaitMs: 10_000,
  sleep: async (ms: number) => void slept.push(ms),
  now: () => new Date(),
  credentials: envCredentials(() => undefined),
};
const clients = () => ({
  google: new GoogleAdsBudgets({
    ...options,
    apiUrl: fakes.environment.GOOGLE_ADS_API_URL!,
    tokenUrl: fakes.environment.GOOGLE_OAUTH_TOKEN_URL!,
  }),
  meta: new MetaBudgets({ ...options, graphUrl: fakes.environment.META_GRAPH_URL! }),
  tiktok: new TikTokBudgets({ ...options, apiUrl: fakes.environment.TIKTOK_API_URL! }),
});
const failureOf = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    return error instanceof PlatformCallError ? error.failure : `not a platform error: ${(error as Error).message}`;
  }
  return 'no failure';
};

beforeAll(async () => {
  fakes = await startFakePlatforms({
    'google-ads': {
      accounts: [{ id: google.accountId, campaigns: [{ id: '11', dailyBudget: 100 }] }],
      tokens: LOCAL_DEV_TOKENS['google-ads'],
    },
    meta: {
      accounts: [{ id: meta.accountId, campaigns: [{ id: '22', dailyBudget: 100 }] }],
      tokens: LOCAL_DEV_TOKENS.meta,
    },
    tiktok: {
      accounts: [{ id: tiktok.accountId, campaigns: [{ id: '33', dailyBudget: 100 }] }],
      tokens: LOCAL_DEV_TOKENS.tiktok,
    },
  });
});
afterAll(async () => {
  await fakes?.close();
});

describe('the budget clients against the platforms’ documented answers', () => {
  it('reads each platform’s budget in minor units with its minimum, and writes it in the platform’s own unit', async () => {
    const { google: g, meta: m, tiktok: t } = clients();
    const [gc] = await g.read(google, ['11']);
    expect(gc!.entities).toEqual([
      { level: 'campaign-budget', entityId: `customers/${google.accountId}/campaignBudgets/911`, amountMinor: 10_000, minimumMinor: 100 },
    ]);
    await g.write(google, { campaignId: '11', level: 'campaign-budget', entityId: gc!.entities[0]!.entityId, decimals: 2 }, 12_345);
    expect(fakes.googleAds.state.campaign(google.accountId, '11').dailyBudget).toBe(123.45);
    const [mc] = await m.read(meta, ['22']);
    expect(mc!.entities).toEqual([{ level: 'campaign', entityId: '22', amountMinor: 10_000, minimumMinor: 100 }]);
    await m.write(meta, { campaignId: '22', level: 'campaign', entityId: '22', decimals: 2 }, 9_999);
    expect(fakes.meta.state.campaign(meta.accountId, '22').dailyBudget).toBe(99.99);
    const [tc] = await t.read(tiktok, ['33']);
    expect(tc!.entities).toEqual([{ level: 'campaign', entityId: '33', amountMinor: 10_000, minimumMinor: 5_000 }]);
    await t.write(tiktok, { campaignId: '33', level: 'campaign', entityId: '33', decimals: 2 }, 7_501);
    expect(fakes.tiktok.state.campaign(tiktok.accountId, '33').dailyBudget).toBe(75.01);
  });

  it("waits Google's retryDelay when it fits the bounded wait, and gives up at once as rate-limited when it does not", async () => {
    const { google: g } = clients();
    slept.length = 0;
    fakes.googleAds.state.fail({ kind: 'rate-limit', match: 'googleAds:search', times: 1, retryAfterSeconds: 2 });
    await g.read(google, ['11']);
    expect(slept).toEqual([2000]);
    slept.length = 0;
    fakes.googleAds.state.fail({ kind: 'rate-limit', match: 'googleAds:search', times: 1, retryAfterSeconds: 60 });
    expect(await failureOf(g.read(google, ['11']))).toBe('rate-limit');
    expect(slept).toEqual([]);
  });

  it('refreshes an expired Google access token once, and fails a revoked refresh token as the account’s credentials', async () => {
    const { google: g } = clients();
    await g.read(google, ['11']);
    fakes.googleAds.expireAccessTokens();
    await expect(g.read(google, ['11'])).resolves.toHaveLength(1);
    fakes.googleAds.state.expire(LOCAL_DEV_CREDENTIALS['google-ads'].refreshToken);
    fakes.googleAds.expireAccessTokens();
    expect(await failureOf(g.read(google, ['11']))).toBe('auth');
    fakes.googleAds.state.expiredTokens.clear();
  });

  it("classifies Meta's throttling codes, expired tokens and refusals, and TikTok's codes, as the actuator must treat them", async () => {
    const { meta: m, tiktok: t } = clients();
    for (const code of [4, 17, 613, 80004]) {
      fakes.meta.state.fail({ kind: 'rate-limit', code, times: 4 } as never);
      expect(await failureOf(m.read(meta, ['22'])), `code ${code}`).toBe('rate-limit');
      fakes.meta.state.failures.length = 0;
    }
    fakes.meta.state.fail({ kind: 'expired-token', times: 1 });
    expect(await failureOf(m.read(meta, ['22']))).toBe('auth');
    expect(await failureOf(m.write(meta, { campaignId: '22', level: 'campaign', entityId: '22', decimals: 2 }, 50))).toBe('rejected');
    fakes.tiktok.state.fail({ kind: 'rate-limit', times: 4 });
    expect(await failureOf(t.read(tiktok, ['33']))).toBe('rate-limit');
    fakes.tiktok.state.failures.length = 0;
    fakes.tiktok.state.fail({ kind: 'expired-token', times: 1 });
    expect(await failureOf(t.read(tiktok, ['33']))).toBe('auth');
    expect(await failureOf(t.write(tiktok, { campaignId: '33', level: 'campaign', entityId: '33', decimals: 2 }, 4_999))).toBe('rejected');
  });
});

describe('the apply path’s credentials', () => {
  const account = { platform: 'meta', accountId: '100200300400500', secret: 'prod/meta' } as Account & { platform: 'meta' };
  const failing = (name: string) => async () => {
    throw Object.assign(new Error('from Secrets Manager'), { name });
  };
  const failureOf = (name: string) =>
    credentialsOf(failing(name), account).then(
      () => null,
      (error: PlatformCallError) => [error.failure, error.message],
    );

  it('fails an account whose secret needs a person as revoked credentials, and a throttled Secrets Manager as a retry', async () => {
    expect(await failureOf('ResourceNotFoundException')).toEqual(['auth', expect.stringContaining('"prod/meta"')]);
    expect(await failureOf('AccessDeniedException')).toEqual(['auth', expect.any(String)]);
    // Throttled or down, Secrets Manager says nothing about the account: it must not count toward the stop.
    expect(await failureOf('ThrottlingException')).toEqual(['unavailable', expect.any(String)]);
    expect(await failureOf('InternalServiceError')).toEqual(['unavailable', expect.any(String)]);
  });
});

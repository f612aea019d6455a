import { afterEach, describe, expect, it } from 'vitest';
import { FakeMeta } from '../../../../bin/local/fakes/meta.js';
import { serveFake } from '../../../../bin/local/fakes/server.js';
import { FakeTikTok } from '../../../../bin/local/fakes/tiktok.js';
import { GoogleAdsReports } from '../../../../functions/adapters/platforms/googleAds.js';
import { MetaReports } from '../../../../functions/adapters/platforms/meta.js';
import { TikTokReports } from '../../../../functions/adapters/platforms/tiktok.js';
import type { Account } from '../../../../functions/domain/config.js';
import { addDays } from '../../../../functions/domain/dates.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const days = (last: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    date: addDays(last, -i),
    spend: 10 + i,
    conversions: 1,
    revenue: 5,
    impressions: 100,
    clicks: 3,
  }));

const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

describe('Meta insights client', () => {
  it('runs a long range as an async job, checking its status with a growing wait until it completes', async () => {
    const fake = new FakeMeta(
      { accounts: [{ id: '100', campaigns: [{ id: '7', days: days('2026-11-30', 20) }] }], tokens: { t: ['*'] } },
      undefined,
      3,
    );
    const running = await serveFake(fake.handle);
    closers.push(running.close);
    const { waits, sleep } = recordingSleep();
    const client = new MetaReports({ credentials: async () => ({ accessToken: 't' }) as never, baseUrl: running.url, sleep });
    const rows = await client.dailyRows({ platform: 'meta', accountId: '100', secret: 's' }, ['7'], '2026-11-11', '2026-11-30');
    expect(rows).toHaveLength(20);
    expect(waits).toEqual([1000, 2000]);
    expect(fake.state.served.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/v24.0/act_100/insights']);
  });

  it("slows down before its next call when the usage header nears Meta's limit", async () => {
    const answers = [
      { body: { data: [], paging: { cursors: { after: 'A' }, next: 'https://graph.facebook.com/next' } }, usage: 90 },
      { body: { data: [] }, usage: 10 },
    ];
    const fetcher = (async () => {
      const answer = answers.shift()!;
      return new Response(JSON.stringify(answer.body), {
        status: 200,
        headers: {
          'x-business-use-case-usage': JSON.stringify({
            100: [{ type: 'ads_insights', call_count: answer.usage, total_time: 1, total_cputime: 1 }],
          }),
        },
      });
    }) as unknown as typeof fetch;
    const { waits, sleep } = recordingSleep();
    const client = new MetaReports({ credentials: async () => ({ accessToken: 't' }) as never, fetch: fetcher, sleep });
    await client.dailyRows({ platform: 'meta', accountId: '100', secret: 's' }, ['7'], '2026-11-28', '2026-11-30');
    expect(waits).toEqual([16_000]);
    expect(answers).toEqual([]);
  });
});

describe('TikTok report client', () => {
  it('reads a window longer than 30 days in slices TikTok accepts', async () => {
    const fake = new FakeTikTok({
      accounts: [{ id: '900', campaigns: [{ id: '901', days: days('2026-11-30', 45) }] }],
      tokens: { t: ['*'] },
    });
    const running = await serveFake(fake.handle);
    closers.push(running.close);
    const client = new TikTokReports({
      credentials: async () => ({ accessToken: 't' }) as never,
      baseUrl: running.url,
      sleep: async () => {},
    });
    const rows = await client.dailyRows({ platform: 'tiktok', accountId: '900', secret: 's' }, ['901'], '2026-10-17', '2026-11-30');
    expect(rows).toHaveLength(45);
    expect(fake.state.served.filter((r) => r.path.includes('report')).map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('Google Ads client', () => {
  it('signs in through the manager account named in config, with the developer token, never putting secrets in the URL', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      seen.push({ url, headers: (init.headers ?? {}) as Record<string, string> });
      return new Response(url.endsWith('/token') ? JSON.stringify({ access_token: 'a', expires_in: 3600 }) : '[]', { status: 200 });
    }) as typeof fetch;
    const client = new GoogleAdsReports({
      credentials: async () =>
        ({ developerToken: 'dev', clientId: 'c', clientSecret: 'secret-value', refreshToken: 'refresh-value' }) as never,
      fetch: fetcher,
      baseUrl: 'http://ads.test',
      tokenUrl: 'http://oauth.test/token',
      sleep: async () => {},
    });
    const account: Account = { platform: 'google-ads', accountId: '1112223333', secret: 's', loginCustomerId: '9998887777' };
    expect(await client.dailyRows(account, ['5'], '2026-11-01', '2026-11-02')).toEqual([]);
    await client.dailyRows(account, ['5'], '2026-11-01', '2026-11-02');
    expect(seen.map((r) => r.url)).toEqual([
      'http://oauth.test/token',
      'http://ads.test/v22/customers/1112223333/googleAds:searchStream',
      'http://ads.test/v22/customers/1112223333/googleAds:searchStream',
    ]);
    expect(seen[1]!.headers).toMatchObject({ authorization: 'Bearer a', 'developer-token': 'dev', 'login-customer-id': '9998887777' });
    expect(seen.map((r) => r.url).join(' ')).not.toMatch(/secret-value|refresh-value/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlatforms, GOOGLE_ADS_VERSION, META_VERSION, startFakePlatforms } from '../../../bin/local/fakes/index.js';

const day = (date: string, spend: number, conversions = 2) => ({
  date,
  spend,
  conversions,
  revenue: conversions * 50,
  impressions: 1000,
  clicks: 30,
});

let fakes: FakePlatforms;

beforeAll(async () => {
  fakes = await startFakePlatforms({
    'google-ads': {
      accounts: [
        {
          id: '1112223333',
          campaigns: [
            { id: '555', dailyBudget: 100, days: [day('2026-11-01', 10.5), day('2026-11-02', 20)] },
            { id: '556', shared: true },
          ],
        },
      ],
      tokens: { refresh: ['1112223333'] },
    },
    meta: {
      accounts: [
        {
          id: '100',
          currency: 'JPY',
          campaigns: [
            { id: '777', dailyBudget: 5000, days: [day('2026-11-01', 1000), day('2026-11-02', 2000), day('2026-11-03', 3000, 0)] },
            { id: '778', dailyBudget: null, adGroups: [{ id: '7781', dailyBudget: 3000 }] },
          ],
        },
      ],
      tokens: { 'meta-token': ['100'] },
    },
    tiktok: {
      accounts: [
        {
          id: '900',
          campaigns: [{ id: '901', dailyBudget: 60, days: [day('2026-11-01', 5), day('2026-11-02', 6), day('2026-11-03', 7)] }],
        },
      ],
      tokens: { 'tt-token': ['900'] },
    },
  });
});
afterAll(() => fakes.close());

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const googleToken = async () => {
  const answer = await fetch(fakes.environment.GOOGLE_OAUTH_TOKEN_URL!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'refresh', client_id: 'c', client_secret: 's' }),
  });
  return ((await answer.json()) as { access_token: string }).access_token;
};

describe('the fake Google Ads API', () => {
  it('streams GAQL report rows in batches with int64 micros as strings, and mutates a campaign budget', async () => {
    const token = await googleToken();
    const headers = { authorization: `Bearer ${token}`, 'developer-token': 'dev' };
    const base = `${fakes.environment.GOOGLE_ADS_API_URL}/${GOOGLE_ADS_VERSION}/customers/1112223333`;
    const query =
      "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.conversions FROM campaign WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-30' AND campaign.id IN (555)";
    const batches = (await (await post(`${base}/googleAds:searchStream`, { query }, headers)).json()) as { results: unknown[] }[];
    expect(batches.flatMap((b) => b.results)).toEqual([
      { campaign: { id: '555' }, segments: { date: '2026-11-01' }, metrics: { costMicros: '10500000', conversions: 2 } },
      { campaign: { id: '555' }, segments: { date: '2026-11-02' }, metrics: { costMicros: '20000000', conversions: 2 } },
    ]);
    const budgets = await post(
      `${base}/campaignBudgets:mutate`,
      {
        operations: [
          { update: { resourceName: 'customers/1112223333/campaignBudgets/9555', amountMicros: '250000000' }, updateMask: 'amount_micros' },
        ],
      },
      headers,
    );
    expect(budgets.status).toBe(200);
    expect(fakes.googleAds.state.campaign('1112223333', '555').dailyBudget).toBe(250);
    const tooSmall = await post(
      `${base}/campaignBudgets:mutate`,
      { operations: [{ update: { resourceName: 'customers/1112223333/campaignBudgets/9555', amountMicros: '500000' } }] },
      headers,
    );
    expect(JSON.stringify(await tooSmall.json())).toContain('MONEY_AMOUNT_LESS_THAN_CURRENCY_MINIMUM_CPC');
  });

  it('answers an injected rate limit as RESOURCE_EXHAUSTED with its retry delay, and a revoked refresh token as invalid_grant', async () => {
    const token = await googleToken();
    fakes.googleAds.state.fail({ kind: 'rate-limit', match: 'searchStream', times: 1, retryAfterSeconds: 7 });
    const answer = await post(
      `${fakes.environment.GOOGLE_ADS_API_URL}/${GOOGLE_ADS_VERSION}/customers/1112223333/googleAds:searchStream`,
      { query: 'SELECT campaign.id FROM campaign' },
      {
        authorization: `Bearer ${token}`,
        'developer-token': 'dev',
      },
    );
    expect(answer.status).toBe(429);
    const body = (await answer.json()) as {
      error: { status: string; details: { errors: { details: { quotaErrorDetails: { retryDelay: string } } }[] }[] };
    };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details[0]!.errors[0]!.details.quotaErrorDetails.retryDelay).toBe('7s');
    fakes.googleAds.state.fail({ kind: 'revoked-token', match: '/token', times: 1 });
    const refused = await fetch(fakes.environment.GOOGLE_OAUTH_TOKEN_URL!, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'refresh' }),
    });
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('the fake Meta Marketing API', () => {
  const base = () => `${fakes.environment.META_GRAPH_URL}/${META_VERSION}`;

  it('pages campaign insights by cursor with a usage header, repeating each purchase under several action types', async () => {
    const params = new URLSearchParams({
      level: 'campaign',
      time_increment: '1',
      time_range: '{"since":"2026-11-01","until":"2026-11-30"}',
      limit: '2',
      access_token: 'meta-token',
    });
    const first = await fetch(`${base()}/act_100/insights?${params}`);
    const page = (await first.json()) as {
      data: { date_start: string; actions?: unknown[] }[];
      paging: { cursors: { after: string }; next?: string };
    };
    expect(page.data.map((r) => r.date_start)).toEqual(['2026-11-01', '2026-11-02']);
    expect(page.data[0]!.actions).toContainEqual({ action_type: 'offsite_conversion.fb_pixel_purchase', value: '2' });
    expect(page.paging.next).toBeDefined();
    expect(JSON.parse(first.headers.get('x-business-use-case-usage')!)['100'][0].type).toBe('ads_insights');
    params.set('after', page.paging.cursors.after);
    const last = (await (await fetch(`${base()}/act_100/insights?${params}`)).json()) as {
      data: { actions?: unknown }[];
      paging: { next?: string };
    };
    expect(last.data).toHaveLength(1);
    expect(last.data[0]!.actions).toBeUndefined();
    expect(last.paging.next).toBeUndefined();
  });

  it('keeps budgets in minor units, refuses a campaign budget without campaign budget optimization, and throttles with code 80004', async () => {
    const campaign = await (await fetch(`${base()}/777?fields=daily_budget&access_token=meta-token`)).json();
    expect(campaign).toMatchObject({ daily_budget: '5000' }); // JPY has no minor unit
    const refused = await post(`${base()}/778`, { daily_budget: 4000, access_token: 'meta-token' });
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(100);
    expect((await post(`${base()}/7781`, { daily_budget: 4000, access_token: 'meta-token' })).status).toBe(200);
    fakes.meta.state.fail({ kind: 'rate-limit', code: 80004, times: 1, retryAfterSeconds: 120 });
    const throttled = await fetch(`${base()}/act_100/insights?access_token=meta-token&level=campaign&time_increment=1`);
    expect(((await throttled.json()) as { error: { code: number } }).error.code).toBe(80004);
    expect(JSON.parse(throttled.headers.get('x-business-use-case-usage')!)['100'][0].estimated_time_to_regain_access).toBe(2);
  });
});

describe('the fake TikTok API for Business', () => {
  it('pages a BASIC report by page_info and answers QPS limits and expired tokens in the body code', async () => {
    const params = new URLSearchParams({
      advertiser_id: '900',
      report_type: 'BASIC',
      data_level: 'AUCTION_CAMPAIGN',
      dimensions: '["campaign_id","stat_time_day"]',
      metrics: '["spend","conversion"]',
      start_date: '2026-11-01',
      end_date: '2026-11-28',
      page_size: '2',
      page: '2',
    });
    const url = `${fakes.environment.TIKTOK_API_URL}/open_api/v1.3/report/integrated/get/?${params}`;
    const answer = (await (await fetch(url, { headers: { 'Access-Token': 'tt-token' } })).json()) as {
      code: number;
      data: { list: { dimensions: { stat_time_day: string } }[]; page_info: { total_page: number } };
    };
    expect(answer.code).toBe(0);
    expect(answer.data.page_info.total_page).toBe(2);
    expect(answer.data.list.map((r) => r.dimensions.stat_time_day)).toEqual(['2026-11-03 00:00:00']);
    fakes.tiktok.state.fail({ kind: 'rate-limit', times: 1 });
    expect(((await (await fetch(url, { headers: { 'Access-Token': 'tt-token' } })).json()) as { code: number }).code).toBe(40100);
    fakes.tiktok.state.expire('tt-token');
    expect(((await (await fetch(url, { headers: { 'Access-Token': 'tt-token' } })).json()) as { code: number }).code).toBe(40102);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type FakePlatforms, GOOGLE_ADS_VERSION, META_VERSION, startFakePlatforms } from '../../../bin/local/fakes/index.js';
import { TIKTOK_PATH } from '../../../bin/local/fakes/tiktok.js';
import { addDays } from '../../../functions/domain/dates.js';

/** Days a campaign held before any budget was set through the API: a day's spend of 100 each. */
const held = (from: string, days: number) =>
  Array.from({ length: days }, (_, i) => ({
    date: addDays(from, i),
    spend: 100,
    conversions: 3,
    revenue: 150,
    impressions: 4000,
    clicks: 90,
  }));

let now = new Date('2026-11-10T12:00:00Z');
let fakes: FakePlatforms;

/** The three fakes on `now`'s clock: a Google campaign, a Meta campaign budget and ad sets, a TikTok campaign. */
const start = async () => {
  now = new Date('2026-11-10T12:00:00Z');
  fakes = await startFakePlatforms({
    'google-ads': {
      accounts: [{ id: '1112223333', campaigns: [{ id: '555', dailyBudget: 100, days: held('2026-11-01', 9) }, { id: '556' }] }],
      tokens: { refresh: ['*'] },
    },
    meta: {
      accounts: [
        {
          id: '100',
          campaigns: [
            {
              id: '778',
              dailyBudget: null,
              adGroups: [
                { id: '7781', dailyBudget: 60 },
                { id: '7782', dailyBudget: 40 },
              ],
            },
          ],
        },
      ],
      tokens: { 'meta-token': ['*'] },
    },
    tiktok: { accounts: [{ id: '900', campaigns: [{ id: '901', dailyBudget: 60 }] }], tokens: { 'tt-token': ['*'] } },
  });
  for (const fake of [fakes.googleAds, fakes.meta, fakes.tiktok]) fake.state.clock = () => now;
};
afterEach(() => fakes?.close());

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).json();

/** Google Ads: a client's calls, with a fresh access token. */
const google = async () => {
  const token = await fetch(fakes.environment.GOOGLE_OAUTH_TOKEN_URL!, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'refresh' }),
  });
  const headers = { authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}`, 'developer-token': 'dev' };
  const base = `${fakes.environment.GOOGLE_ADS_API_URL}/${GOOGLE_ADS_VERSION}/customers/1112223333`;
  return {
    setBudget: (amount: number, validateOnly = false) =>
      post(
        `${base}/campaignBudgets:mutate`,
        {
          operations: [{ update: { resourceName: 'customers/1112223333/campaignBudgets/9555', amountMicros: String(amount * 1e6) } }],
          validateOnly,
        },
        headers,
      ),
    /** The campaign's report rows, as date → spend and conversions. */
    report: async (from: string, to: string) => {
      const query = `SELECT campaign.id, segments.date, metrics.cost_micros, metrics.conversions FROM campaign WHERE segments.date BETWEEN '${from}' AND '${to}' AND campaign.id IN (555)`;
      const batches = (await post(`${base}/googleAds:searchStream`, { query }, headers)) as {
        results: { segments: { date: string }; metrics: { costMicros: string; conversions: number } }[];
      }[];
      return batches
        .flatMap((b) => b.results)
        .map((r) => ({ date: r.segments.date, spend: Number(r.metrics.costMicros) / 1e6, conversions: r.metrics.conversions }));
    },
  };
};

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const days = (rows: readonly { date: string }[]) => rows.map((r) => r.date);

describe('the fakes spend the budget last applied through their API', () => {
  it('Google Ads: from the day a budget is set, each day spends about it, today the part of the day gone by; earlier days stay as held', async () => {
    // Prepare
    await start();
    const client = await google();
    // Act: 250 a day from 10 November, noon; then 50 from 10 December.
    await client.setBudget(250);
    const atNoon = await client.report('2026-11-01', '2026-11-30');
    now = new Date('2026-12-10T00:00:00Z');
    const month = await client.report('2026-11-10', '2026-12-09');
    await client.setBudget(50);
    now = new Date('2026-12-20T00:00:00Z');
    const after = await client.report('2026-11-10', '2026-12-19');
    // Assess: the held days as they were, and 10 November (today then) half spent by noon.
    expect(days(atNoon)).toEqual([...days(held('2026-11-01', 9)), '2026-11-10']);
    expect(atNoon.slice(0, 9).map((d) => d.spend)).toEqual(Array(9).fill(100));
    expect(atNoon[9]!.spend).toBeCloseTo(month[0]!.spend / 2, 2);
    // Thirty whole days at about 250 (the demo's day-to-day noise), never above twice the budget, with conversions.
    expect(month).toHaveLength(30);
    expect(mean(month.map((d) => d.spend))).toBeGreaterThan(250 * 0.85);
    expect(mean(month.map((d) => d.spend))).toBeLessThan(250 * 1.15);
    expect(Math.max(...month.map((d) => d.spend))).toBeLessThanOrEqual(500);
    expect(month.reduce((s, d) => s + d.conversions, 0)).toBeGreaterThan(0);
    // The new budget from its day on; the days before it read as they did.
    expect(after.slice(0, 30)).toEqual(month);
    expect(days(after.slice(30))).toEqual(Array.from({ length: 10 }, (_, i) => addDays('2026-12-10', i)));
    expect(mean(after.slice(30).map((d) => d.spend))).toBeGreaterThan(50 * 0.75);
    expect(mean(after.slice(30).map((d) => d.spend))).toBeLessThan(50 * 1.25);
  });

  it('Google Ads: a validate-only change sets nothing, so the campaign reports only the days it holds', async () => {
    await start();
    const client = await google();
    await client.setBudget(250, true);
    now = new Date('2026-11-20T00:00:00Z');
    expect(days(await client.report('2026-11-01', '2026-11-30'))).toEqual(days(held('2026-11-01', 9)));
  });

  it("Meta: an ad set's new budget is spent with the campaign's other ad sets', in the insights' own shape", async () => {
    await start();
    const base = `${fakes.environment.META_GRAPH_URL}/${META_VERSION}`;
    expect(await post(`${base}/7781`, { daily_budget: 20000, access_token: 'meta-token' })).toEqual({ success: true });
    now = new Date('2026-11-30T00:00:00Z');
    const params = new URLSearchParams({
      level: 'campaign',
      time_increment: '1',
      time_range: '{"since":"2026-11-01","until":"2026-11-30"}',
      access_token: 'meta-token',
      limit: '100',
    });
    const page = (await (await fetch(`${base}/act_100/insights?${params}`)).json()) as {
      data: { campaign_id: string; date_start: string; date_stop: string; spend: string }[];
    };
    // 200 for the ad set set through the API and 40 for the other: 240 a day from 10 November through 29 November.
    expect(page.data.map((r) => r.date_start)).toEqual(Array.from({ length: 20 }, (_, i) => addDays('2026-11-10', i)));
    expect(page.data.every((r) => r.campaign_id === '778' && r.date_stop === r.date_start && /^\d+(\.\d+)?$/.test(r.spend))).toBe(true);
    const spend = mean(page.data.map((r) => Number(r.spend)));
    expect(spend).toBeGreaterThan(240 * 0.85);
    expect(spend).toBeLessThan(240 * 1.15);
  });

  it("TikTok: a campaign's new budget shows in the BASIC report by day; a restated day keeps the spend it delivered", async () => {
    await start();
    const headers = { 'Access-Token': 'tt-token' };
    const url = (path: string) => `${fakes.environment.TIKTOK_API_URL}${TIKTOK_PATH}${path}`;
    const updated = await post(url('/campaign/update/'), { advertiser_id: '900', campaign_id: '901', budget: 80 }, headers);
    expect(updated).toMatchObject({ code: 0 });
    now = new Date('2026-11-30T00:00:00Z');
    const report = async () => {
      const params = new URLSearchParams({
        advertiser_id: '900',
        report_type: 'BASIC',
        data_level: 'AUCTION_CAMPAIGN',
        dimensions: '["campaign_id","stat_time_day"]',
        metrics: '["spend","conversion"]',
        start_date: '2026-11-01',
        end_date: '2026-11-29',
        page_size: '100',
      });
      const answer = (await (await fetch(`${url('/report/integrated/get/')}?${params}`, { headers })).json()) as {
        data: { list: { dimensions: { stat_time_day: string }; metrics: { spend: string; conversion: string } }[] };
      };
      return answer.data.list;
    };
    const rows = await report();
    expect(rows.map((r) => r.dimensions.stat_time_day)).toEqual(
      Array.from({ length: 20 }, (_, i) => `${addDays('2026-11-10', i)} 00:00:00`),
    );
    const spend = mean(rows.map((r) => Number(r.metrics.spend)));
    expect(spend).toBeGreaterThan(80 * 0.85);
    expect(spend).toBeLessThan(80 * 1.15);

    fakes.tiktok.state.restate('900', '901', '2026-11-12', { conversions: 99 });
    const restated = (await report()).find((r) => r.dimensions.stat_time_day.startsWith('2026-11-12'))!;
    expect(restated.metrics).toMatchObject({ spend: rows[2]!.metrics.spend, conversion: '99' });
  });
});

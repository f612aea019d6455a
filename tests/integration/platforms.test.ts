import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDelivery } from '../../bin/local/webhookClient.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

const totals = async (channel: string, date: string) =>
  (await runtime.get(`/portfolios/demo/metrics?channel=${channel}&from=${date}&to=${date}`)).body.metrics;

const googleReport = (pulledAt: string, costMicros: string, conversions: number) => ({
  portfolioId: 'demo',
  pulledAt,
  results: [
    { campaign: { id: '1234567890' }, segments: { date: '2025-06-10' }, metrics: { costMicros, conversions, conversionsValue: 500 } },
  ],
});

describe('platform webhooks: same signature, idempotency and restatement rules as generic', () => {
  it('stores a Google Ads report, ignores the same pull again, and takes a later pull as a restatement', async () => {
    const first = await postDelivery(runtime.url, 'google-ads', googleReport('2025-06-11T06:00:00Z', '1500000000', 40.5), LOCAL_DEV_SECRET);
    expect(first).toEqual({ status: 202, body: { accepted: 1, duplicates: 0, stale: 0 } });
    const again = await postDelivery(runtime.url, 'google-ads', googleReport('2025-06-11T06:00:00Z', '1500000000', 40.5), LOCAL_DEV_SECRET);
    expect(again.body).toEqual(first.body);
    const restated = await postDelivery(
      runtime.url,
      'google-ads',
      googleReport('2025-06-12T06:00:00Z', '1480000000', 39),
      LOCAL_DEV_SECRET,
    );
    expect(restated.body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
    const late = await postDelivery(runtime.url, 'google-ads', googleReport('2025-06-11T07:00:00Z', '9990000000', 1), LOCAL_DEV_SECRET);
    expect(late.body).toEqual({ accepted: 0, duplicates: 0, stale: 1 });
    expect(await totals('search', '2025-06-10')).toEqual([expect.objectContaining({ spend: 1480, conversions: 39, revenue: 500 })]);
  });

  it('stores Meta and TikTok rows under their channels', async () => {
    const meta = await postDelivery(
      runtime.url,
      'meta',
      {
        portfolioId: 'demo',
        data: [
          {
            campaign_id: '23850000000000001',
            date_start: '2025-06-10',
            date_stop: '2025-06-10',
            spend: '99.90',
            actions: [
              { action_type: 'offsite_conversion.fb_pixel_purchase', value: '3' },
              { action_type: 'purchase', value: '3' },
            ],
          },
        ],
      },
      LOCAL_DEV_SECRET,
    );
    expect(meta.status).toBe(202);
    const tiktok = await postDelivery(
      runtime.url,
      'tiktok',
      {
        portfolioId: 'demo',
        data: {
          list: [
            {
              dimensions: { campaign_id: '1790000000000001', stat_time_day: '2025-06-10 00:00:00' },
              metrics: { spend: '50.00', conversion: '2' },
            },
          ],
        },
      },
      LOCAL_DEV_SECRET,
    );
    expect(tiktok.status).toBe(202);
    expect(await totals('social', '2025-06-10')).toEqual([expect.objectContaining({ spend: 99.9, conversions: 3 })]);
    expect(await totals('video', '2025-06-10')).toEqual([expect.objectContaining({ spend: 50, conversions: 2 })]);
  });

  it('refuses unmapped ids with a 422 listing them, and a wrong signature with a 401, writing nothing', async () => {
    const before = await runtime.countItems();
    const unmapped = await postDelivery(
      runtime.url,
      'tiktok',
      {
        portfolioId: 'demo',
        data: { list: [{ dimensions: { campaign_id: '42', stat_time_day: '2025-06-10' }, metrics: { spend: '1' } }] },
      },
      LOCAL_DEV_SECRET,
    );
    expect(unmapped.status).toBe(422);
    expect((unmapped.body as any).error.issues[0].message).toContain('unmapped: 42');
    const unsigned = await postDelivery(runtime.url, 'meta', { portfolioId: 'demo', data: [] }, 'not-the-secret');
    expect(unsigned.status).toBe(401);
    expect(await runtime.countItems()).toBe(before);
  });
});

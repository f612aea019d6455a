import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postDelivery } from '../../bin/local/webhookClient.js';
import { metrics } from '../../functions/adapters/observability.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { seededRandom } from '../../functions/domain/random.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

const post = (payload: unknown, secret = LOCAL_DEV_SECRET) => postDelivery(runtime.url, 'generic', payload, secret);
const postRaw = (body: string, headers: Record<string, string> = {}) => runtime.postSigned('generic', body, headers);
const totals = async (channel: string, from: string, to: string) =>
  (await runtime.get(`/portfolios/demo/metrics?channel=${channel}&from=${from}&to=${to}`)).body.metrics as any[];

const cents = (n: number) => Number((n / 100).toFixed(2));
const channels = ['search', 'social', 'video', 'display'];
/** 200 records: 4 channels × 50 days of October–November 2025, with cents that would drift as floats. */
const twoHundred = channels.flatMap((channelId, c) =>
  Array.from({ length: 50 }, (_, d) => ({
    channelId,
    date: new Date(Date.UTC(2025, 9, 1 + d)).toISOString().slice(0, 10),
    spend: cents(10010 + 100 * c + d),
    conversions: (c + d) % 7,
    revenue: cents(10 * (d + 1)),
    revision: 1,
  })),
);

const shuffle = <T>(items: readonly T[], seed: number): T[] => {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
};

describe('POST /webhooks/generic', () => {
  it('leaves identical totals when 200 records arrive 3 times in random order and batching', async () => {
    const answers: { accepted: number; duplicates: number; stale: number }[] = [];
    for (const round of [1, 2, 3]) {
      const order = shuffle(twoHundred, round);
      const size = 30 + round * 20;
      for (let i = 0; i < order.length; i += size)
        answers.push((await post({ portfolioId: 'demo', records: order.slice(i, i + size) })).body as any);
    }
    const sum = (field: keyof (typeof answers)[number]) => answers.reduce((s, a) => s + a[field], 0);
    expect([sum('accepted'), sum('duplicates'), sum('stale')]).toEqual([200, 400, 0]);

    const stored = (await Promise.all(channels.map((c) => totals(c, '2025-10-01', '2025-11-19')))).flat();
    expect(stored).toHaveLength(200);
    const spendMicros = stored.reduce((s, t) => s + Math.round(t.spend * 1e6), 0);
    expect(spendMicros).toBe(twoHundred.reduce((s, r) => s + Math.round(r.spend * 1e6), 0));
    expect(stored.reduce((s, t) => s + t.conversions, 0)).toBe(twoHundred.reduce((s, r) => s + r.conversions, 0));
  });

  it('answers a repeated delivery with its first answer and changes nothing', async () => {
    const payload = {
      portfolioId: 'demo',
      deliveryId: 'repeat-1',
      records: [{ channelId: 'podcast', date: '2025-06-01', spend: 10, conversions: 1 }],
    };
    const first = await post(payload);
    const before = await runtime.countItems();
    const again = await post(payload);
    expect(first).toEqual({ status: 202, body: { accepted: 1, duplicates: 0, stale: 0 } });
    expect(again).toEqual(first);
    expect(await runtime.countItems()).toBe(before);
  });

  it('answers identical deliveries without a deliveryId sent at the same time as a repeat: all with the first answer', async () => {
    const records = Array.from({ length: 300 }, (_, d) => ({
      channelId: 'podcast',
      date: new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10),
      spend: 10 + d,
      conversions: d % 5,
    }));
    const body = JSON.stringify({ portfolioId: 'demo', records });
    const racing = await Promise.all(Array.from({ length: 4 }, () => postRaw(body)));
    const before = await runtime.countItems();
    const later = await postRaw(body);
    expect(later).toEqual({ status: 202, body: { accepted: 300, duplicates: 0, stale: 0 } });
    expect(racing).toEqual(Array.from({ length: 4 }, () => later));
    expect(await runtime.countItems()).toBe(before);
  });

  it('refuses a reused deliveryId with a different body (409) and stores nothing of it', async () => {
    await post({
      portfolioId: 'demo',
      deliveryId: 'reuse-1',
      records: [{ channelId: 'podcast', date: '2025-06-02', spend: 10, conversions: 1 }],
    });
    const answer = await post({
      portfolioId: 'demo',
      deliveryId: 'reuse-1',
      records: [{ channelId: 'podcast', date: '2025-06-03', spend: 99, conversions: 9 }],
    });
    expect(answer.status).toBe(409);
    expect((answer.body as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(['deliveryId']);
    expect(await totals('podcast', '2025-06-03', '2025-06-03')).toEqual([]);
  });

  it('applies a restatement (higher revision) to its day only, and ignores stale revisions', async () => {
    const day = (date: string, spend: number, revision: number) => ({ channelId: 'affiliate', date, spend, conversions: 2, revision });
    await post({ portfolioId: 'demo', records: [day('2025-07-01', 100, 1), day('2025-07-02', 200, 1)] });
    const restated = await post({ portfolioId: 'demo', records: [day('2025-07-02', 250, 2)] });
    const stale = await post({ portfolioId: 'demo', records: [day('2025-07-02', 999, 1), day('2025-07-01', 999, 1)] });
    expect(restated.body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
    expect(stale.body).toEqual({ accepted: 0, duplicates: 0, stale: 2 });
    expect((await totals('affiliate', '2025-07-01', '2025-07-02')).map((t) => t.spend)).toEqual([100, 250]);
  });

  describe('a restatement keeps what it does not resend', () => {
    const day = { channelId: 'search', date: '2025-07-21' };
    const stored = async () => (await totals('search', day.date, day.date))[0];

    it("keeps the day's impressions and clicks when the README's restatement sends spend, conversions and revenue", async () => {
      const full = { ...day, spend: 2800, impressions: 91_000, clicks: 4_100, conversions: 96, revenue: 9400, revision: 1 };
      expect((await post({ portfolioId: 'demo', records: [full] })).body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
      // The README's example: a poller restating the day without impressions or clicks.
      const restatement = { ...day, spend: 2950.5, conversions: 101, revenue: 9800, revision: 2 };
      const answer = await post({ portfolioId: 'demo', deliveryId: 'poller-2025-07-21', records: [restatement] });
      expect(answer.body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
      expect(await stored()).toEqual({
        ...day,
        spend: 2950.5,
        impressions: 91_000,
        clicks: 4_100,
        conversions: 101,
        revenue: 9800,
        rows: 1,
      });
    });

    it('keeps revenue too when a later restatement leaves it out, and replaces a field sent as 0', async () => {
      await post({ portfolioId: 'demo', records: [{ ...day, spend: 3000, clicks: 0, conversions: 104, revision: 3 }] });
      expect(await stored()).toEqual({ ...day, spend: 3000, impressions: 91_000, clicks: 0, conversions: 104, revenue: 9800, rows: 1 });
    });

    it('counts a resend of what is stored as a duplicate, and an older revision as stale, changing nothing', async () => {
      const same = { ...day, spend: 3000, conversions: 104, revision: 3 };
      expect((await post({ portfolioId: 'demo', deliveryId: 'another-poller', records: [same] })).body).toEqual({
        accepted: 0,
        duplicates: 1,
        stale: 0,
      });
      const older = { ...day, spend: 1, impressions: 1, conversions: 1, revision: 2 };
      expect((await post({ portfolioId: 'demo', records: [older] })).body).toEqual({ accepted: 0, duplicates: 0, stale: 1 });
      expect(await stored()).toEqual({ ...day, spend: 3000, impressions: 91_000, clicks: 0, conversions: 104, revenue: 9800, rows: 1 });
    });
  });

  it('lets a later platform pull replace the whole row: a Meta day whose purchases went away loses its revenue too', async () => {
    const pull = (pulledAt: string, purchases: { value: string } | null) => ({
      portfolioId: 'demo',
      pulledAt,
      data: [
        {
          campaign_id: '23850000000000001',
          date_start: '2025-07-22',
          date_stop: '2025-07-22',
          spend: '80.00',
          clicks: 300,
          ...(purchases
            ? {
                actions: [{ action_type: 'offsite_conversion.fb_pixel_purchase', value: '2' }],
                action_values: [{ action_type: 'offsite_conversion.fb_pixel_purchase', value: purchases.value }],
              }
            : {}),
        },
      ],
    });
    const meta = (body: unknown) => postDelivery(runtime.url, 'meta', body, LOCAL_DEV_SECRET);
    expect((await meta(pull('2025-07-23T06:00:00Z', { value: '150.00' }))).body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
    // Meta leaves the purchase entries out of a day without purchases: none, not "not reported".
    expect((await meta(pull('2025-07-24T06:00:00Z', null))).body).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
    expect(await totals('social', '2025-07-22', '2025-07-22')).toEqual([
      { channelId: 'social', date: '2025-07-22', spend: 80, impressions: 0, clicks: 300, conversions: 0, revenue: 0, rows: 1 },
    ]);
  });

  it('rolls hourly rows up into the daily total', async () => {
    const hours = Array.from({ length: 24 }, (_, hour) => ({
      channelId: 'display',
      date: '2025-08-01',
      hour,
      spend: 0.1,
      conversions: 1,
      clicks: 3,
    }));
    await post({ portfolioId: 'demo', records: hours });
    expect(await totals('display', '2025-08-01', '2025-08-01')).toEqual([
      { channelId: 'display', date: '2025-08-01', spend: 2.4, impressions: 0, clicks: 72, conversions: 24, revenue: 0, rows: 24 },
    ]);
  });

  describe('refuses bad input with a JSON 4xx and writes nothing', () => {
    const valid = { channelId: 'video', date: '2025-09-01', spend: 5, conversions: 1 };
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string[]][] = [
      ['malformed JSON', () => postRaw('{"portfolioId": "demo", "records": ['), 400, ['$']],
      [
        'NaN',
        () => postRaw('{"portfolioId":"demo","records":[{"channelId":"video","date":"2025-09-01","spend":NaN,"conversions":1}]}'),
        400,
        ['$'],
      ],
      [
        'a negative spend',
        () => post({ portfolioId: 'demo', records: [valid, { ...valid, date: '2025-09-02', spend: -3 }] }),
        400,
        ['records[1].spend'],
      ],
      [
        'numbers sent as strings',
        () => post({ portfolioId: 'demo', records: [{ ...valid, spend: '5', conversions: '1' }] }),
        400,
        ['records[0].spend', 'records[0].conversions'],
      ],
      [
        'an unknown channel',
        () => post({ portfolioId: 'demo', records: [valid, { ...valid, channelId: 'tv' }] }),
        422,
        ['records[1].channelId'],
      ],
      ['an unknown portfolio', () => post({ portfolioId: 'nope', records: [valid] }), 422, ['portfolioId']],
      ['more than 1000 records', () => post({ portfolioId: 'demo', records: Array.from({ length: 1001 }, () => valid) }), 413, ['records']],
      ['a body over 1 MiB', () => post({ portfolioId: 'demo', records: [valid], pad: 'x'.repeat(1024 * 1024) }), 413, ['$']],
      ['a wrong signature', () => post({ portfolioId: 'demo', records: [valid] }, 'wrong-secret'), 401, ['X-Signature']],
      [
        'no signature',
        () => postRaw(JSON.stringify({ portfolioId: 'demo', records: [valid] }), { 'x-signature': '' }),
        401,
        ['X-Signature'],
      ],
    ];
    it.each(cases)('%s', async (_name, send, status, paths) => {
      const before = await runtime.countItems();
      const added = vi.spyOn(metrics, 'addMetric');
      const answer = await send();
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toEqual(expect.any(String));
      expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual(paths);
      expect(await runtime.countItems()).toBe(before);
      expect(added.mock.calls.map(([name]) => name)).toEqual(['RequestsRejected']);
      added.mockRestore();
    });
  });
});

describe('GET /portfolios/{id}/metrics', () => {
  it('needs the bearer token', async () => {
    const response = await fetch(`${runtime.url}/portfolios/demo/metrics`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error).toMatchObject({
      code: 'unauthorized',
      issues: [{ path: 'Authorization', message: expect.stringMatching(/^the Authorization header is missing: send/) }],
    });
    const wrong = await fetch(`${runtime.url}/portfolios/demo/metrics`, { headers: { authorization: 'Bearer guess' } });
    expect(((await wrong.json()) as any).error.issues).toEqual([
      { path: 'Authorization', message: expect.stringMatching(/^the Authorization header is not the local token/) },
    ]);
  });

  it('answers 404 for an unknown portfolio or channel and 400 for a bad range', async () => {
    const nope = await runtime.get('/portfolios/nope/metrics');
    expect([nope.status, nope.body.error.issues]).toEqual([404, [{ path: 'id', message: 'no portfolio "nope" is configured' }]]);
    const unknown = await runtime.get('/portfolios/demo/metrics?channel=tv');
    expect([unknown.status, unknown.body.error?.issues]).toEqual([
      404,
      [{ path: 'channel', message: expect.stringMatching(/^no channel "tv" in portfolio "demo": use one of search, /) }],
    ]);
    const bad = await runtime.get('/portfolios/demo/metrics?from=2025-02-30');
    expect([bad.status, bad.body.error.issues]).toEqual([400, [{ path: 'from', message: 'expected a calendar date YYYY-MM-DD' }]]);
    // Every refused query answers the same message, its detail at the parameter's path.
    const crossed = await runtime.get('/portfolios/demo/metrics?from=2025-03-02&to=2025-03-01');
    expect([crossed.status, crossed.body.error]).toEqual([
      400,
      {
        code: 'invalid-query',
        message: 'the query is invalid',
        issues: [{ path: 'from', message: 'from (2025-03-02) is after to (2025-03-01)' }],
      },
    ]);
  });
});

import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../bin/local/apiGateway.js';
import { signatureHeader } from '../../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { WEBHOOK_SOURCES } from '../../functions/domain/platforms/mappers.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

type Handler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;

let runtime: TestRuntime;
let ingest: Handler;
beforeAll(async () => {
  runtime = await startTestRuntime();
  // Imported after the runtime set the environment: the deployed handler, on this runtime's tables.
  ingest = ((await import('../../functions/handlers/ingest.js')) as { handler: Handler }).handler;
});
afterAll(() => runtime.close());

/** The event API Gateway would send for a POST to `/webhooks/{source}`. */
const webhookEvent = (source: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: 'POST /webhooks/{source}',
  rawPath: `/webhooks/${source}`,
  rawQueryString: '',
  headers,
  pathParameters: { source },
  requestContext: {
    accountId: 'local',
    apiId: 'local',
    domainName: 'localhost',
    domainPrefix: 'localhost',
    http: { method: 'POST', path: `/webhooks/${source}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
    requestId: randomUUID(),
    routeKey: 'POST /webhooks/{source}',
    stage: '$default',
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  body,
  isBase64Encoded: false,
});

const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'portfolioId',
  'records',
  'deliveryId',
  'data',
  'results',
  'list',
];
const key = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ unit: 'binary', maxLength: 12 }));
const number = fc.oneof(fc.double(), fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 1e-320), fc.integer());
const leaf = fc.oneof(number, fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), fc.constant(null));
/** JSON text with any structure, hostile keys, duplicated keys (written by hand, which JSON.stringify cannot), and unicode. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf.map((v) => JSON.stringify(v) ?? 'null'),
    fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(key, tie('value')), { maxLength: 6 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;
/** Near-valid canonical bodies: right portfolio and channels, values of every wrong kind. */
const nearValid = fc
  .record({
    portfolioId: fc.constantFrom('demo', 'Demo', '', 'nope'),
    records: fc.array(
      fc.record({
        channelId: fc.constantFrom('search', 'social', 'nope', ''),
        date: fc.constantFrom('2020-01-01', '2020-02-30', '2999-01-01', 'yesterday', 20200101),
        spend: fc.oneof(number, fc.constant('12.5'), fc.constant(-1)),
        conversions: fc.oneof(number, fc.constant(null)),
        hour: fc.oneof(fc.integer({ min: -2, max: 30 }), fc.constant(undefined)),
      }),
      { minLength: 0, maxLength: 4 },
    ),
  })
  .map((body) => JSON.stringify(body));
const deepNesting = fc.integer({ min: 1_000, max: 200_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const body = fc.oneof(
  { weight: 5, arbitrary: jsonText },
  { weight: 3, arbitrary: nearValid },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: deepNesting },
);
/** Mostly a correct signature (so the body is parsed), sometimes a broken or foreign one. */
const signature = (text: string) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(signatureHeader([LOCAL_DEV_SECRET], text, Math.floor(Date.now() / 1000))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 33 }).map((t) => signatureHeader([LOCAL_DEV_SECRET], text, t)) },
  );

describe('webhook fuzzing', () => {
  it('never answers 5xx, always answers a JSON error, and writes exactly what it accepts, for 10,000 hostile bodies and headers', async () => {
    const before = await runtime.countItems();
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WEBHOOK_SOURCES, 'nope'),
        body.chain((text) => fc.tuple(fc.constant(text), signature(text))),
        async (source, [text, header]) => {
          const answer = await ingest(
            webhookEvent(source, text, { 'content-type': 'application/json', 'x-signature': header }),
            lambdaContext('Ingest'),
          );
          const status = answer.statusCode ?? 0;
          expect(status).toBeLessThan(500);
          if (status === 202) {
            // A near-valid body can be valid (revision 0 throughout, so no row replaces another).
            stored += (JSON.parse(answer.body ?? '') as { accepted: number }).accepted;
            return;
          }
          expect(status).toBeGreaterThanOrEqual(400);
          const error = JSON.parse(answer.body ?? '') as { error: { code: string; message: string; issues: unknown[] } };
          expect(error.error).toEqual({ code: expect.any(String), message: expect.any(String), issues: expect.any(Array) });
        },
      ),
      { numRuns: 10_000, seed: 2026 },
    );
    // Every row a 202 counted is stored, and nothing else: a rejected body wrote nothing, none half-way.
    expect(await runtime.countItems()).toBe(before + stored);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  }, 300_000);
});

/** Near-valid platform rows: right shapes, with the values senders get wrong (numbers as strings, huge or fractional, bad dates, missing fields). */
const recentDay = fc.integer({ min: 1, max: 30 }).map((d) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10));
const day = fc.oneof(
  { weight: 6, arbitrary: recentDay },
  {
    weight: 1,
    arbitrary: fc.constantFrom('2026-02-30', '2026-11-00', '1900-01-01', '0000-01-01', '9999-12-31', '2026-13-01', 'yesterday', ''),
  },
);
const amount = fc.oneof(
  fc.double({ min: 0, max: 1e10, noNaN: true }),
  fc.constantFrom(0, 1e9, 1e9 + 1, 2 ** 53 - 1, 1e20, -1, 0.1234567, 5e9),
  fc.integer({ min: 0, max: 5000 }),
);
const amountLike = fc.oneof(
  amount,
  amount.map(String),
  fc.constantFrom('99999999999999999999', '5000000000', '12,5', '', 'NaN', '1e3', ' 12', '-0'),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });
const defined = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
const envelope = fc.record({
  portfolioId: fc.constantFrom('demo', 'demo', 'demo', 'nope'),
  deliveryId: maybe(fc.uuid()),
  pulledAt: maybe(
    fc.oneof(
      fc.integer({ min: 0, max: 3_000_000 }).map((s) => new Date(Date.now() - s * 1000).toISOString()),
      fc.constantFrom('9999-12-31T23:59:59Z', 'not a time', '2026-02-30T00:00:00Z'),
    ),
  ),
});
const PLATFORM_BODIES: Record<'meta' | 'google-ads' | 'tiktok', fc.Arbitrary<unknown>> = {
  meta: fc
    .tuple(
      envelope,
      fc.array(
        fc.record({
          campaign_id: fc.constantFrom('23850000000000001', '23850000000000002', '999'),
          day,
          spend: amountLike,
          impressions: maybe(amountLike),
          clicks: maybe(amountLike),
          actions: maybe(
            fc.array(fc.record({ action_type: fc.constantFrom('offsite_conversion.fb_pixel_purchase', 'purchase'), value: amountLike }), {
              maxLength: 3,
            }),
          ),
        }),
        { maxLength: 6 },
      ),
    )
    .map(([e, rows]) => ({ ...defined(e), data: rows.map(({ day: d, ...r }) => defined({ ...r, date_start: d, date_stop: d })) })),
  'google-ads': fc
    .tuple(
      envelope,
      fc.array(
        fc.record({
          id: fc.constantFrom('1234567890', '1234567891', '42'),
          day,
          hour: maybe(fc.integer({ min: -1, max: 24 })),
          costMicros: maybe(fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), amountLike)),
          conversions: maybe(amount),
          conversionsValue: maybe(amount),
        }),
        { maxLength: 6 },
      ),
    )
    .map(([e, rows]) => ({
      ...defined(e),
      results: rows.map((r) => ({
        campaign: { id: r.id },
        segments: defined({ date: r.day, hour: r.hour }),
        metrics: defined({ costMicros: r.costMicros, conversions: r.conversions, conversionsValue: r.conversionsValue }),
      })),
    })),
  tiktok: fc
    .tuple(
      envelope,
      fc.array(
        fc.record({
          id: fc.constantFrom('1790000000000001', '1790000000000002', '7'),
          day: fc.oneof(
            day,
            day.map((d) => `${d} 00:00:00`),
          ),
          spend: amountLike,
          conversion: maybe(amountLike),
          clicks: maybe(amountLike),
        }),
        { maxLength: 6 },
      ),
    )
    .map(([e, rows]) => ({
      ...defined(e),
      data: {
        list: rows.map((r) => ({
          dimensions: { campaign_id: r.id, stat_time_day: r.day },
          metrics: defined({ spend: r.spend, conversion: r.conversion, clicks: r.clicks }),
        })),
      },
    })),
};

describe('platform webhook fuzzing', () => {
  for (const [source, bodies] of Object.entries(PLATFORM_BODIES)) {
    it(`never answers 5xx on /webhooks/${source} for 10,000 near-valid ${source} reports, and stores no more rows than it accepts`, async () => {
      const before = await runtime.countItems();
      let accepted = 0;
      let statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(bodies, async (report) => {
          const text = JSON.stringify(report);
          const header = signatureHeader([LOCAL_DEV_SECRET], text, Math.floor(Date.now() / 1000));
          const answer = await ingest(
            webhookEvent(source, text, { 'content-type': 'application/json', 'x-signature': header }),
            lambdaContext('Ingest'),
          );
          const status = answer.statusCode ?? 0;
          statuses = statuses.add(status);
          expect(status).toBeLessThan(500);
          if (status === 202) {
            accepted += (JSON.parse(answer.body ?? '') as { accepted: number }).accepted;
            return;
          }
          const error = JSON.parse(answer.body ?? '') as { error: { code: string; message: string; issues: unknown[] } };
          expect(error.error).toEqual({ code: expect.any(String), message: expect.any(String), issues: expect.any(Array) });
        }),
        { numRuns: 10_000, seed: 2027 },
      );
      // Later pulls of a day replace earlier ones (accepted, no new row), so stored rows never exceed accepted ones.
      expect(await runtime.countItems()).toBeLessThanOrEqual(before + accepted);
      // The generator reaches both sides: reports accepted and reports refused.
      expect(statuses.has(202)).toBe(true);
      expect(statuses.has(400)).toBe(true);
    }, 600_000);
  }
});

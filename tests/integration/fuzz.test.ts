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

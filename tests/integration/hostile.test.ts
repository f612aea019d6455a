import { request } from 'node:http';
import { connect } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { signatureHeader } from '../../functions/adapters/signature.js';
import { addDays } from '../../functions/domain/dates.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALLOCATIONS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** What a hostile or careless sender tried, one finding each; every answer is a JSON 4xx, never a 500. */
let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

/** A webhook answer: a receipt, or a JSON error with its issues. */
type Answer = { status: number; body: { error?: { code: string; issues: { path: string; message: string }[] } } };
const send = (source: string, body: string, headers: Record<string, string> = {}): Promise<Answer> =>
  runtime.postSigned(source, body, headers);
const paths = (answer: Answer) => answer.body.error?.issues.map((i) => i.path) ?? [];

const meta = (spend: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    portfolioId: 'demo',
    data: [{ campaign_id: '23850000000000001', date_start: yesterday, date_stop: yesterday, spend, ...extra }],
  });
const google = (metrics: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ portfolioId: 'demo', results: [{ campaign: { id: '1234567890' }, segments: { date: yesterday }, metrics }], ...extra });
const tiktok = (day: string) =>
  JSON.stringify({
    portfolioId: 'demo',
    data: { list: [{ dimensions: { campaign_id: '1790000000000001', stat_time_day: day }, metrics: { spend: '10' } }] },
  });

describe('platform routes keep the money limits of the generic route', () => {
  it('refuses a Meta spend too large to store, at its own field, as the generic route would', async () => {
    for (const spend of ['99999999999999999999', '5000000000']) {
      const answer = await send('meta', meta(spend));
      expect(answer.status, spend).toBe(400);
      expect(paths(answer)).toContain('data[0].spend');
    }
  });

  it('refuses a Google Ads costMicros of 2^53 − 1, naming metrics.costMicros', async () => {
    const answer = await send('google-ads', google({ costMicros: 2 ** 53 - 1 }));
    expect(answer.status).toBe(400);
    expect(paths(answer)).toContain('results[0].metrics.costMicros');
  });

  it('refuses campaigns whose sum for a channel-day passes the limit, though each alone is within it', async () => {
    const row = (id: string) => ({ campaign: { id }, segments: { date: yesterday }, metrics: { costMicros: 700_000_000 * 1e6 } });
    const config = structuredClone(demo.channels.find((c) => c.id === 'search')!.sourceIds);
    expect(config['google-ads']).toEqual(['1234567890']);
    const body = JSON.stringify({ portfolioId: 'demo', results: [row('1234567890'), row('1234567890')] });
    const answer = await send('google-ads', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.issues.some((i) => /summed/.test(i.message))).toBe(true);
  });
});

describe('dates are real dates, and the future is refused', () => {
  it('refuses TikTok days that do not exist', async () => {
    for (const day of ['2026-11-00', '2026-02-30']) expect((await send('tiktok', tiktok(day))).status, day).toBe(400);
  });

  it('refuses dates before 2000-01-01 on the generic route', async () => {
    const body = JSON.stringify({ portfolioId: 'demo', records: [{ channelId: 'search', date: '1900-01-01', spend: 1, conversions: 0 }] });
    const answer = await send('generic', body);
    expect(answer.status).toBe(400);
    expect(paths(answer)).toEqual(['records[0].date']);
  });

  it('refuses a pulledAt in the far future, which would otherwise win every later restatement', async () => {
    const answer = await send('google-ads', google({ costMicros: 1_000_000 }, { pulledAt: '9999-12-31T23:59:59Z' }));
    expect(answer.status).toBe(400);
    expect(paths(answer)).toEqual(['pulledAt']);
  });
});

describe('bodies are read one way only', () => {
  it('refuses a repeated key, naming where it repeats', async () => {
    const body = `{"portfolioId":"demo","records":[{"channelId":"search","date":"${yesterday}","spend":-1,"spend":2.25,"conversions":1}]}`;
    const answer = await send('generic', body);
    expect(answer.status).toBe(400);
    expect(paths(answer)).toEqual(['records[0].spend']);
  });

  it('refuses an operator JSON body that is not UTF-8 with a 400 naming the first bad byte, and stores nothing', async () => {
    // A Latin-1 "é" in a reserve release's reason: read leniently, the immutable snapshot would keep "caf\uFFFD".
    const text = '{"releaseReserve":true,"reason":"caf';
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xe9]), Buffer.from('"}')]);
    const before = await runtime.get('/portfolios/demo/allocations');
    const answer = await fetch(`${runtime.url}/portfolios/demo/reallocate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
      body: bytes,
    });
    const body = (await answer.json()) as { error: { code: string; message: string; issues: { path: string }[] } };
    expect([answer.status, body.error.code, body.error.issues.map((i) => i.path)]).toEqual([400, 'invalid-utf8', ['$']]);
    expect(body.error.message).toContain(`byte ${text.length} (0xe9) starts a 3-byte sequence that is cut short`);
    expect(await runtime.get('/portfolios/demo/allocations')).toEqual(before);
  });

  it('refuses an operator body over 1 MiB (413) or compressed (415) and runs nothing, whatever type it names', async () => {
    const operatorPost = async (path: string, body: string, headers: Record<string, string>) => {
      const answer = await fetch(`${runtime.url}/portfolios/demo${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.apiToken}`, ...headers },
        body,
      });
      return { status: answer.status, code: ((await answer.json()) as { error?: { code: string } }).error?.code };
    };
    const release = JSON.stringify({ releaseReserve: true, reason: 'quarter end' });
    const huge = JSON.stringify({ releaseReserve: true, reason: 'x'.repeat(3 * 1024 * 1024) });
    const json = { 'content-type': 'application/json' };
    const before = await runtime.get('/portfolios/demo/allocations');
    expect(await operatorPost('/reallocate', huge, json)).toEqual({ status: 413, code: 'body-too-large' });
    expect(await operatorPost('/reallocate', release, { ...json, 'content-encoding': 'gzip' })).toEqual({
      status: 415,
      code: 'unsupported-encoding',
    });
    expect(await operatorPost('/alerts/evaluate', huge, { 'content-type': 'text/plain' })).toEqual({ status: 413, code: 'body-too-large' });
    expect(await runtime.get('/portfolios/demo/allocations')).toEqual(before);
    expect(runtime.events).toEqual([]);
    // A JSON body is read as JSON whatever type it names: curl -d sends it form-encoded, fetch with a string as text/plain.
    expect(await operatorPost('/reallocate', release, { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      status: 201,
      code: undefined,
    });
    expect(await operatorPost('/reallocate', release, { 'content-type': 'text/plain;charset=UTF-8' })).toEqual({
      status: 201,
      code: undefined,
    });
  });

  it('refuses a body that is not JSON (415), and a compressed one (415) instead of a misleading signature error', async () => {
    const body = JSON.stringify({ portfolioId: 'demo', records: [] });
    expect((await send('generic', body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await send('generic', body, { 'content-type': 'application/xml' })).status).toBe(415);
    // JSON is UTF-8 (RFC 8259): a body that says it is Latin-1 is told so, rather than read as what it is not.
    const latin1 = await send('generic', body, { 'content-type': 'application/json; charset=latin1' });
    expect([latin1.status, latin1.body.error?.issues]).toEqual([
      415,
      [{ path: 'Content-Type', message: 'send the body in UTF-8 (charset=utf-8), not latin1' }],
    ]);
    for (const charset of ['"UTF-8"', 'us-ascii'])
      expect((await send('generic', body, { 'content-type': `application/json; charset=${charset}` })).status, charset).not.toBe(415);
    const gzip = await send('generic', body, { 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    expect(gzip.body.error?.code).toBe('unsupported-encoding');
  });

  it('refuses a signed body that is not UTF-8 with a 400 naming the first bad byte, and an unsigned one with a 401', async () => {
    const json = `{"portfolioId":"demo","records":[{"channelId":"search","date":"${yesterday}","spend":1,"conversions":0,"note":"caf`;
    // A Latin-1 "é" (0xe9) where UTF-8 needs two bytes: the kind of body a misconfigured exporter sends.
    const bytes = Buffer.concat([Buffer.from(json), Buffer.from([0xe9]), Buffer.from('"}]}')]);
    const signed = await runtime.postSigned('generic', bytes);
    expect(signed.status).toBe(400);
    expect(signed.body.error).toMatchObject({ code: 'invalid-utf8', issues: [{ path: '$' }] });
    expect(signed.body.error?.message).toContain(`byte ${json.length}`);
    const forged = signatureHeader(['a guess'], bytes, Math.floor(Date.now() / 1000));
    const unsigned = await runtime.postSigned('generic', bytes, { 'x-signature': forged });
    expect([unsigned.status, unsigned.body.error?.code]).toEqual([401, 'bad-signature']);
    expect(unsigned.body.error?.issues).toEqual([{ path: 'X-Signature', message: expect.stringContaining('matches no secret') }]);
  });
});

describe('money stays exact at the extremes', () => {
  it('rolls 24 hourly rows of 999999999.999999 up to exactly 23999999999.999976', async () => {
    const records = Array.from({ length: 24 }, (_, hour) => ({
      channelId: 'podcast',
      date: '2025-06-01',
      hour,
      spend: 999999999.999999,
      conversions: 0,
    }));
    expect((await send('generic', JSON.stringify({ portfolioId: 'demo', records }))).status).toBe(202);
    const [day] = (await runtime.get('/portfolios/demo/metrics?channel=podcast&from=2025-06-01&to=2025-06-01')).body.metrics;
    // The double nearest the exact decimal 23999999999.999976 (a float sum gives 23999999999.99999).
    expect(day.spend).toBe(Number('23999999999.999976'));
  });
});

describe('the finance API refuses what it cannot answer, with a 4xx', () => {
  let snapshots: Snapshot[];
  beforeAll(async () => {
    await replayDemoFeed(runtime.url, demo, new Date(), 14);
    for (let i = 0; i < 3; i += 1)
      await fetch(`${runtime.url}/portfolios/demo/reallocate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.apiToken}` },
      });
    snapshots = (await runtime.get('/portfolios/demo/allocations?limit=10')).body.snapshots;
  }, 60_000);

  it('names a query parameter a read does not take, instead of answering as if it were not sent', async () => {
    for (const path of [
      '/portfolios/demo/metrics?chanel=search',
      '/portfolios/demo/applies?limt=5',
      '/portfolios/demo/allocations?form=2026-11-01',
    ]) {
      const answer = await runtime.get(path);
      expect(answer.status, path).toBe(400);
      expect(
        answer.body.error.issues.map((i: { path: string }) => i.path),
        path,
      ).toEqual([path.split('?')[1]!.split('=')[0]]);
    }
  });

  it('answers 400 when from is later than to', async () => {
    const answer = await runtime.get('/portfolios/demo/allocations?from=2026-11-20&to=2026-11-01');
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['from']);
  });

  it('binds a cursor to its query: reused with other bounds, or made by hand outside them, it is a 400', async () => {
    const first = (await runtime.get('/portfolios/demo/allocations?limit=1')).body;
    expect(first.next).toBeTruthy();
    const today = new Date().toISOString().slice(0, 10);
    const reused = await runtime.get(`/portfolios/demo/allocations?limit=1&from=2020-01-01&to=2020-01-02&cursor=${first.next}`);
    expect(reused.status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ pk: 'demo', sk: 'SNAPSHOT#99990101T000000000Z-000000' })).toString('base64url');
    expect((await runtime.get(`/portfolios/demo/allocations?to=${today}&cursor=${forged}`)).status).toBe(400);
    // On the lower bound itself: DynamoDB refuses such a start key, which was a 500.
    const onBound = Buffer.from(JSON.stringify({ pk: 'demo', sk: 'SNAPSHOT#' })).toString('base64url');
    expect((await runtime.get(`/portfolios/demo/allocations?cursor=${onBound}`)).status).toBe(400);
  });

  it('answers 404, not 500, for a snapshot id that is not one, however long', async () => {
    const long = 'x'.repeat(1100);
    expect((await runtime.get(`/portfolios/demo/allocations/${long}`)).status).toBe(404);
    expect((await runtime.get(`/portfolios/demo/allocations/diff?from=${snapshots[1]!.snapshotId}&to=${'y'.repeat(60)}`)).status).toBe(404);
  });

  it('never shows a snapshot a run wrote but did not publish as the latest, on the API, the default diff or the dashboard', async () => {
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body as Snapshot;
    // A run killed right after its snapshot write: the snapshot exists, LATEST never moved to it.
    const orphan = {
      ...latest,
      snapshotId: '99990101T000000000Z-0rphan'.replace('0rphan', 'abcdef'),
      createdAt: '9999-01-01T00:00:00.000Z',
    };
    const client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
    await client.send(
      new PutCommand({
        TableName: runtime.tableName(ALLOCATIONS_TABLE.id),
        Item: { pk: 'demo', sk: `SNAPSHOT#${orphan.snapshotId}`, ...orphan },
      }),
    );
    client.destroy();
    expect((await runtime.get('/portfolios/demo/allocations/latest')).body.snapshotId).toBe(latest.snapshotId);
    expect((await runtime.get('/portfolios/demo/allocations/diff')).body.to.snapshotId).toBe(latest.snapshotId);
    const page = await (await fetch(`${runtime.url}/dashboard?token=${runtime.apiToken}`)).text();
    expect(page).toContain(latest.snapshotId);
    expect(page).not.toContain(orphan.snapshotId);
  });
});

describe('the local runtime answers every error in JSON', () => {
  it('answers a malformed percent-encoding in the path with a JSON 400', async () => {
    const response = await fetch(`${runtime.url}/portfolios/%E0%A4%A/metrics`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad-path');
  });

  it('answers 20 KB of headers with a JSON 431', async () => {
    const { port } = new URL(runtime.url);
    const answer = await new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { 'x-big': 'a'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode!, body }));
      });
      req.on('error', fail);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body).error.code).toBe('headers-too-large');
  });

  it('tells a sender whose URL holds a raw non-ASCII character to percent-encode it', async () => {
    const { port } = new URL(runtime.url);
    const raw = await new Promise<string>((done, fail) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          Buffer.concat([
            Buffer.from('GET /portfolios/demo/alerts?status='),
            Buffer.from('ö'),
            Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
          ]),
        ),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => done(text));
      socket.on('error', fail);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error).toMatchObject({
      code: 'bad-url',
      message: expect.stringContaining('percent-encode every character outside ASCII'),
    });
  });
});

describe('the API describes itself', () => {
  it('serves the OpenAPI document at /openapi.json without credentials', async () => {
    const response = await fetch(`${runtime.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/webhooks/{source}');
  });
});

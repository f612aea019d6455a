import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { Diagnostics } from '../../functions/domain/diagnostics/schemas.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** `GET /portfolios/{id}/diagnostics` through the local HTTP server, on DynamoDB Local. */
let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const base = '/portfolios/demo';
const today = () => dateInZone(new Date(), demo.timezone);

/** What a read may not change: the snapshots, LATEST and the events sent. */
const written = async () => ({
  snapshots: (await runtime.get(`${base}/allocations?include=unpublished&limit=100`)).body.snapshots.length,
  events: (await runtime.get('/_local/events')).body.events.length,
});

beforeAll(async () => {
  runtime = await startTestRuntime();
  // Eight weeks: the six-week fit window before the first of the 14 held-out days.
  await replayDemoFeed(runtime.url, demo, new Date(), 56);
}, 120_000);
afterAll(() => runtime.close());

describe('GET /portfolios/{id}/diagnostics', () => {
  it('answers per channel the fit window, the 14 held-out days with forecasts and bands, and a verdict in words', async () => {
    const started = performance.now();
    const { status, body } = await runtime.get(`${base}/diagnostics`);
    const ms = performance.now() - started;
    expect(status).toBe(200);
    const diagnostics = Diagnostics.parse(body);
    expect(diagnostics.asOf).toBe(today());
    expect(diagnostics.heldOut).toEqual({ from: addDays(today(), -14), to: addDays(today(), -1), days: 14 });
    expect(diagnostics.channels.map((c) => c.channelId)).toEqual(demo.channels.map((c) => c.id));
    // The demo's counts are Poisson draws from smooth curves: the model should predict them about as well as noise allows.
    expect(diagnostics.summary.verdict).not.toBe('not-enough-data');
    expect(diagnostics.summary.verdict).not.toBe('not-trustworthy');
    expect(diagnostics.summary.coverage.days).toBe(14 * demo.channels.length);
    expect(diagnostics.summary.text).toContain(
      `the 80% band held ${diagnostics.summary.coverage.held} of ${diagnostics.summary.coverage.days}`,
    );
    for (const channel of diagnostics.channels) {
      expect(channel.days).toHaveLength(42);
      expect(channel.days.filter((d) => d.predicted !== undefined)).toHaveLength(14);
    }
    console.info(
      `diagnostics for the demo portfolio (${demo.channels.length} channels): ${Math.round(ms)} ms through the local API, ${diagnostics.computation.ms} ms computing`,
    );
  });

  it('reads the reported values the metrics route serves, restatements included', async () => {
    const day = addDays(today(), -2);
    const restated = { channelId: 'search', date: day, spend: 2500, conversions: 7, revision: 9 };
    const delivery = await runtime.postSigned('generic', JSON.stringify({ portfolioId: 'demo', records: [restated] }));
    expect(delivery.status).toBe(202);
    const metrics = (await runtime.get(`${base}/metrics?channel=search&from=${day}&to=${day}`)).body.metrics;
    expect(metrics).toMatchObject([{ date: day, conversions: 7 }]);
    const search = Diagnostics.parse((await runtime.get(`${base}/diagnostics`)).body).channels.find((c) => c.channelId === 'search')!;
    expect(search.days.find((d) => d.date === day)).toMatchObject({ reported: 7, spend: 2500 });
  });

  it('writes nothing: no snapshot, no event', async () => {
    const before = await written();
    expect((await runtime.get(`${base}/diagnostics`)).status).toBe(200);
    expect(await written()).toEqual(before);
  });

  it('answers 404 for an unknown portfolio, and 401 without a token', async () => {
    const unknown = await runtime.get('/portfolios/nope/diagnostics');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown-portfolio');
    expect((await fetch(`${runtime.url}${base}/diagnostics`)).status).toBe(401);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type FakePlatforms, seedsFromRecords, startFakePlatforms } from '../../bin/local/fakes/index.js';
import { AlertsRepository } from '../../functions/adapters/alertsRepository.js';
import { loadConfigFile } from '../../functions/adapters/configFile.js';
import { DeliveryRecorder } from '../../functions/adapters/deliveries.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import { type CredentialsSource, LOCAL_DEV_CREDENTIALS } from '../../functions/adapters/platforms/credentials.js';
import { GoogleAdsReports } from '../../functions/adapters/platforms/googleAds.js';
import { MetaReports } from '../../functions/adapters/platforms/meta.js';
import { TikTokReports } from '../../functions/adapters/platforms/tiktok.js';
import { TikTokBudgets } from '../../functions/adapters/platforms/tiktokBudgets.js';
import { Poller, PollIncomplete, type PollResult } from '../../functions/application/pollPortfolio.js';
import type { Portfolio } from '../../functions/domain/config.js';
import { addDays } from '../../functions/domain/dates.js';
import { demoFeed } from '../../functions/domain/demoFeed.js';
import type { BudgetEvent } from '../../functions/domain/events.js';
import { ALERTS_TABLE, IDEMPOTENCY_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** The demo portfolio, its Google account re-reading 28 days: a poll of 28 days with restatements. */
const loaded = loadConfigFile();
const demo: Portfolio = {
  ...loaded.portfolios[0]!,
  accounts: loaded.portfolios[0]!.accounts.map((a) => (a.platform === 'google-ads' ? { ...a, restatementDays: 28 } : a)),
};
const config = { ...loaded, portfolios: [demo] };
const GOOGLE = demo.accounts.find((a) => a.platform === 'google-ads')!;
const META = demo.accounts.find((a) => a.platform === 'meta')!;
const SEARCH_CAMPAIGN = '1234567890';

const TODAY = '2026-11-30';
let now = new Date(`${TODAY}T12:00:00Z`);
const later = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};

let runtime: TestRuntime;
let fakes: FakePlatforms;
let poller: Poller;
let metrics: MetricsRepository;
/** Every wait the clients asked for: the backoff, without the wall clock. */
const waits: number[] = [];
const events: BudgetEvent[] = [];
let recorded = 0;
/** Per account secret, credentials a test may replace (a renewed token). */
const credentialsOverride = new Map<string, unknown>();
const credentials: CredentialsSource = async (account) => {
  const override = credentialsOverride.get(account.secret);
  if (override instanceof Error) throw override;
  return (override ?? LOCAL_DEV_CREDENTIALS[account.platform]) as never;
};
const awsError = (name: string) => Object.assign(new Error(`${name} from Secrets Manager`), { name });

const totals = async (channel: string, from: string, to = from) =>
  (await runtime.get(`/portfolios/demo/metrics?channel=${channel}&from=${from}&to=${to}`)).body.metrics as {
    date: string;
    spend: number;
    conversions: number;
  }[];

const served = (fake: { state: { served: readonly { path: string }[] } }, part: string) =>
  fake.state.served.filter((r) => r.path.includes(part)).length;

beforeAll(async () => {
  runtime = await startTestRuntime();
  fakes = await startFakePlatforms(seedsFromRecords(demo, demoFeed(demo, TODAY, 61)));
  const dynamo = createDynamoClient({ endpoint: inject('dynamoEndpoint') });
  const documents = createDocumentClient(dynamo);
  metrics = new MetricsRepository(documents, runtime.tableName(METRICS_TABLE.id));
  const recorder = new DeliveryRecorder(metrics, dynamo, runtime.tableName(IDEMPOTENCY_TABLE.id));
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  const env = fakes.environment;
  poller = new Poller({
    config,
    configHash: loaded.hash,
    reports: {
      'google-ads': new GoogleAdsReports({ credentials, baseUrl: env.GOOGLE_ADS_API_URL!, tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL!, sleep }),
      meta: new MetaReports({ credentials, baseUrl: env.META_GRAPH_URL!, sleep }),
      tiktok: new TikTokReports({ credentials, baseUrl: env.TIKTOK_API_URL!, sleep }),
    },
    record: async (delivery) => {
      recorded += 1;
      return recorder.record(delivery);
    },
    metrics,
    pulls: metrics,
    alerts: new AlertsRepository(documents, runtime.tableName(ALERTS_TABLE.id)),
    events: { publish: async (list) => void events.push(...list) },
    clock: () => now,
  });
}, 120_000);
afterAll(async () => {
  await fakes?.close();
  await runtime?.close();
});
beforeEach(() => {
  waits.length = 0;
  recorded = 0;
  later(60);
});

describe('pollers on DynamoDB Local, against the platform fakes', () => {
  let first: PollResult;

  it("backfills the 60 days before today (and today) on the first poll, every platform channel, with the fakes' own figures", async () => {
    first = await poller.poll(demo);
    expect(first.accounts.map((a) => [a.platform, a.from, a.to, a.failure])).toEqual([
      ['google-ads', addDays(TODAY, -60), TODAY, undefined],
      ['meta', addDays(TODAY, -60), TODAY, undefined],
      ['tiktok', addDays(TODAY, -60), TODAY, undefined],
    ]);
    expect(first.changed).toBe(4 * 61); // search, display, social, video × the 60 days before today, and today
    expect(first.receipt.accepted).toBe(first.changed);
    const day = fakes.googleAds.state.campaign(GOOGLE.accountId, SEARCH_CAMPAIGN).days.get('2026-11-20')!;
    expect(await totals('search', '2026-11-20')).toEqual([expect.objectContaining({ spend: day.spend, conversions: day.conversions })]);
  });

  it('polls 28 days with restatements: a later pull changes the restated days only, and a repeat pull changes nothing', async () => {
    const restated = addDays(TODAY, -25);
    const beyond = addDays(TODAY, -40);
    const before = (await totals('search', beyond))[0]!;
    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, restated, { conversions: 999 });
    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, beyond, { conversions: 777 });
    const second = await poller.poll(demo);
    expect(second.accounts[0]).toMatchObject({ platform: 'google-ads', from: addDays(TODAY, -28), to: TODAY });
    expect(second.changed).toBe(1);
    expect(second.receipt).toEqual({ accepted: 1, duplicates: 0, stale: 0 });
    expect((await totals('search', restated))[0]).toMatchObject({ conversions: 999 });
    // Outside the 28-day window the stored day stays as first pulled.
    expect((await totals('search', beyond))[0]).toMatchObject({ conversions: before.conversions });

    recorded = 0;
    later(60);
    const repeat = await poller.poll(demo);
    expect(repeat.changed).toBe(0);
    expect(repeat.unchanged).toBeGreaterThan(28);
    expect(recorded).toBe(0);
    // Nothing written, but every polled channel was heard from now: the stale-data rule reads this.
    expect(await metrics.lastPulled(demo.id, ['search', 'display', 'social', 'video', 'affiliate'])).toEqual(
      new Map(['search', 'display', 'social', 'video'].map((id) => [id, now.toISOString()])),
    );
  });

  it("completes a throttled poll, waiting as each platform asks: Google's retryDelay, Meta's regain estimate, TikTok's backoff", async () => {
    fakes.googleAds.state.fail({ kind: 'rate-limit', match: 'searchStream', times: 2, retryAfterSeconds: 7 });
    fakes.meta.state.fail({ kind: 'rate-limit', match: 'insights', code: 80004, times: 1, retryAfterSeconds: 60 });
    fakes.tiktok.state.fail({ kind: 'rate-limit', match: 'report', times: 2 });
    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, addDays(TODAY, -1), { spend: 1234.56 });
    const result = await poller.poll(demo);
    expect(result.accounts.every((a) => a.failure === undefined)).toBe(true);
    expect(waits.filter((w) => w === 7000)).toHaveLength(2);
    expect(waits).toContain(60_000);
    expect(waits.length).toBeGreaterThanOrEqual(5);
    expect((await totals('search', addDays(TODAY, -1)))[0]).toMatchObject({ spend: 1234.56 });
  });

  it('gives up on a platform that asks to wait longer than the backoff allows, stores the rest, and leaves the retry to the queue', async () => {
    fakes.meta.state.fail({ kind: 'rate-limit', match: 'insights', code: 17, times: 1, retryAfterSeconds: 30 * 60 });
    fakes.tiktok.state.restate('7000000000000000001', '1790000000000001', addDays(TODAY, -2), { spend: 321 });
    const error = await poller.poll(demo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollIncomplete);
    const result = (error as PollIncomplete).result;
    expect(result.accounts.find((a) => a.platform === 'meta')).toMatchObject({ failure: 'throttled' });
    expect(result.heldBack).toEqual(['social']);
    expect(waits).not.toContain(30 * 60_000);
    expect((await totals('video', addDays(TODAY, -2)))[0]).toMatchObject({ spend: 321 });
  });

  it('leaves out the channel-day of a row out of bounds, names it in an alert, stores the rest of the account, and resolves the alert once the row is right', async () => {
    const bad = addDays(TODAY, -4);
    const good = addDays(TODAY, -5);
    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, bad, { conversions: -5 });
    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, good, { conversions: 99 });
    const before = (await totals('search', bad))[0]!;
    const result = await poller.poll(demo);
    // One bad row froze the whole account's pull, its valid restatement included, on every poll.
    expect((await totals('search', good))[0]).toMatchObject({ conversions: 99 });
    expect((await totals('search', bad))[0]).toMatchObject({ conversions: before.conversions });
    // Named by its day, campaign and field, not by its index in the pull, which moves as the window slides.
    const refusal = new RegExp(`^${bad}: google-ads campaign ${SEARCH_CAMPAIGN}: metrics\\.conversions: `);
    expect(result.refused).toEqual([expect.stringMatching(refusal)]);
    // The gap was only in a log line: a warning now names it, as an alert people and subscribers see.
    expect(result.alertsOpened).toEqual([expect.stringMatching(/^refused-rows~search~/)]);
    const openRefused = async () =>
      (
        (await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts as { ruleId: string; channelId: string; windows: string[] }[]
      ).filter((a) => a.ruleId === 'refused-rows');
    expect(await openRefused()).toEqual([expect.objectContaining({ channelId: 'search', windows: [expect.stringMatching(refusal)] })]);
    expect(events.at(-1)).toMatchObject({ detailType: 'ThresholdBreached', detail: { channelId: 'search', ruleId: 'refused-rows' } });
    // The same refusal on the next poll is no news; the alert evaluation leaves it to the poller.
    const published = events.length;
    later(60);
    expect((await poller.poll(demo)).alertsOpened).toEqual([]);
    const evaluate = await fetch(`${runtime.url}/portfolios/demo/alerts/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(evaluate.status).toBe(200);
    expect(await openRefused()).toHaveLength(1);
    expect(events.slice(published).filter((e) => (e.detail as { ruleId?: string }).ruleId === 'refused-rows')).toEqual([]);

    fakes.googleAds.state.restate(GOOGLE.accountId, SEARCH_CAMPAIGN, bad, { conversions: before.conversions });
    later(60);
    const fixed = await poller.poll(demo);
    expect(fixed.refused).toEqual([]);
    expect(fixed.alertsResolved).toEqual([expect.stringMatching(/^refused-rows~search~/)]);
    expect(await openRefused()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ detailType: 'AlertResolved', detail: { channelId: 'search', ruleId: 'refused-rows' } });
  });

  it('pages through every report: small pages give the same rows', async () => {
    for (const fake of [fakes.googleAds, fakes.meta, fakes.tiktok]) fake.state.pageSize = 4;
    const requests = [served(fakes.googleAds, 'searchStream'), served(fakes.meta, 'insights'), served(fakes.tiktok, 'report')];
    fakes.meta.state.restate(META.accountId, '23850000000000001', addDays(TODAY, -3), { conversions: 55 });
    try {
      const result = await poller.poll(demo);
      expect(result.accounts.map((a) => a.rows)).toEqual([2 * 29, 8, 8]);
      expect(result.changed).toBe(1);
      // Meta and TikTok pages are requests of their own; Google's searchStream answers all its batches in one answer.
      expect(served(fakes.meta, 'insights') - requests[1]!).toBe(2);
      expect(served(fakes.tiktok, 'report') - requests[2]!).toBe(2);
      expect((await totals('social', addDays(TODAY, -3)))[0]).toMatchObject({ conversions: 55 });
    } finally {
      for (const fake of [fakes.googleAds, fakes.meta, fakes.tiktok]) fake.state.pageSize = undefined;
    }
  });

  it('raises an alert naming the account whose token expired, holds its channels back, does not try it again until the token changes, and resolves once it works', async () => {
    fakes.meta.state.expire(LOCAL_DEV_CREDENTIALS.meta.accessToken);
    const failed = await poller.poll(demo);
    expect(failed.accounts.find((a) => a.platform === 'meta')).toMatchObject({ failure: 'credentials' });
    expect(failed.heldBack).toEqual(['social']);
    expect(failed.alertsOpened).toEqual([expect.stringContaining(`meta:${META.accountId}`)]);
    const open = (await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts as {
      ruleId: string;
      channelId: string;
      severity: string;
    }[];
    expect(open).toContainEqual(
      expect.objectContaining({ ruleId: 'credentials', channelId: `meta:${META.accountId}`, severity: 'critical' }),
    );
    expect(events.at(-1)).toMatchObject({
      detailType: 'ThresholdBreached',
      detail: { channelId: `meta:${META.accountId}`, ruleId: 'credentials' },
    });

    const metaCalls = fakes.meta.state.served.length;
    later(60);
    const again = await poller.poll(demo);
    expect(again.accounts.find((a) => a.platform === 'meta')).toMatchObject({ failure: 'skipped' });
    expect(fakes.meta.state.served.length).toBe(metaCalls);
    expect(again.alertsOpened).toEqual([]);

    fakes.meta.state.seed({ accounts: [], tokens: { 'renewed-meta-token': ['*'] } });
    credentialsOverride.set(META.secret, { accessToken: 'renewed-meta-token' });
    later(60);
    const renewed = await poller.poll(demo);
    expect(renewed.accounts.find((a) => a.platform === 'meta')?.failure).toBeUndefined();
    expect(renewed.alertsResolved).toHaveLength(1);
    expect((await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts).not.toContainEqual(
      expect.objectContaining({ ruleId: 'credentials' }),
    );
  });

  it("alerts when Google's refresh token is revoked, and refreshes an expired access token without one", async () => {
    fakes.googleAds.expireAccessTokens();
    const tokenCalls = served(fakes.googleAds, '/token');
    const refreshed = await poller.poll(demo);
    expect(refreshed.accounts[0]?.failure).toBeUndefined();
    expect(served(fakes.googleAds, '/token')).toBe(tokenCalls + 1);
    fakes.googleAds.expireAccessTokens();
    fakes.googleAds.state.expire(LOCAL_DEV_CREDENTIALS['google-ads'].refreshToken);
    later(60);
    const revoked = await poller.poll(demo);
    expect(revoked.accounts[0]).toMatchObject({ failure: 'credentials', message: expect.stringContaining('invalid_grant') });
    expect(revoked.heldBack).toEqual(['display', 'search']);
    expect(JSON.stringify(revoked)).not.toContain(LOCAL_DEV_CREDENTIALS['google-ads'].refreshToken);
  });

  it('retries a secret Secrets Manager throttles, and alerts on one it cannot find', async () => {
    credentialsOverride.set(META.secret, awsError('ThrottlingException'));
    const throttled = await poller.poll(demo).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(PollIncomplete);
    expect((throttled as PollIncomplete).result.accounts.find((a) => a.platform === 'meta')).toMatchObject({ failure: 'unavailable' });
    expect((throttled as PollIncomplete).result.alertsOpened).toEqual([]);
    credentialsOverride.set(META.secret, awsError('ResourceNotFoundException'));
    later(60);
    const missing = await poller.poll(demo);
    expect(missing.accounts.find((a) => a.platform === 'meta')).toMatchObject({
      failure: 'credentials',
      message: expect.stringContaining(META.secret),
    });
    expect(missing.alertsOpened).toEqual([expect.stringContaining(`meta:${META.accountId}`)]);
  });
});

describe('pollers on DynamoDB Local: a budget applied to a fake is what its next reports spend', () => {
  const TIKTOK = demo.accounts.find((a) => a.platform === 'tiktok')!;
  const VIDEO_CAMPAIGN = '1790000000000001';

  it('stores, from the day the actuator set a budget, spend that follows it: today the part of it gone by, then whole days', async () => {
    // Prepare: the actuator's own TikTok client sets the video campaign's budget to 2,400 a day, today.
    fakes.tiktok.state.clock = () => now;
    const budgets = new TikTokBudgets({
      apiUrl: fakes.environment.TIKTOK_API_URL!,
      credentials,
      now: () => now,
      fetch,
      maxThrottleWaitMs: 0,
      sleep: async () => undefined,
    });
    const target = { campaignId: VIDEO_CAMPAIGN, level: 'campaign' as const, entityId: VIDEO_CAMPAIGN, decimals: 2 };
    const held = (await totals('video', TODAY))[0]!;
    const appliedOn = addDays(TODAY, 1);
    now = new Date(`${appliedOn}T06:00:00Z`);
    await budgets.write(TIKTOK, target, 240_000);
    // Act: a poll a quarter into that day, then one three days later.
    const quarter = await poller.poll(demo);
    const early = (await totals('video', appliedOn))[0]!;
    now = new Date(`${addDays(appliedOn, 3)}T00:30:00Z`);
    await poller.poll(demo);
    const days = await totals('video', appliedOn, addDays(appliedOn, 2));
    // Assess: the day before keeps the spend the fake held; from the day it was set, spend follows 2,400.
    expect(quarter.accounts.find((a) => a.platform === 'tiktok')?.failure).toBeUndefined();
    expect((await totals('video', TODAY))[0]).toMatchObject({ spend: held.spend });
    expect(days.map((d) => d.date)).toEqual([appliedOn, addDays(appliedOn, 1), addDays(appliedOn, 2)]);
    expect(early.spend).toBeCloseTo(days[0]!.spend / 4, 1);
    for (const day of days) {
      expect(day.spend).toBeGreaterThan(2400 * 0.4);
      expect(day.spend).toBeLessThanOrEqual(2 * 2400);
    }
    expect(days.reduce((sum, d) => sum + d.conversions, 0)).toBeGreaterThan(0);
  });
});

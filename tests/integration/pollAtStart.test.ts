import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pulledChannels, startDemoPlatforms } from '../../bin/local/connectors.js';
import type { FakePlatforms } from '../../bin/local/fakes/index.js';
import { LOCAL_DEV_CREDENTIALS } from '../../functions/adapters/platforms/credentials.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const yesterday = addDays(dateInZone(new Date(), demo.timezone), -1);

let runtime: TestRuntime;
let platforms: FakePlatforms;
beforeAll(async () => {
  runtime = await startTestRuntime();
  platforms = await startDemoPlatforms(runtime.url, runtime.apiToken, demo, new Date());
}, 60_000);
afterAll(async () => {
  await platforms?.close();
  await runtime?.close();
});

const metrics = async (channel: string, from = addDays(yesterday, -59), to = yesterday) =>
  (await runtime.get(`/portfolios/demo/metrics?channel=${channel}&from=${from}&to=${to}`)).body.metrics as {
    date: string;
    spend: number;
    conversions: number;
  }[];

describe('npm start: metrics arrive by pull', () => {
  it("pulls the demo platform channels' 60 days from the fakes through the deployed poll worker and its queue", async () => {
    expect([...pulledChannels(demo)].sort()).toEqual(['display', 'search', 'social', 'video']);
    await runtime.fire('poll');
    for (const channel of pulledChannels(demo)) expect(await metrics(channel), channel).toHaveLength(60);
    expect(await metrics('affiliate')).toEqual([]);
    const day = platforms.tiktok.state.campaign('7000000000000000001', '1790000000000001').days.get(yesterday)!;
    expect((await metrics('video', yesterday))[0]).toMatchObject({ spend: day.spend, conversions: day.conversions });
  });

  it('stores a restated day on the next scheduled poll, and alerts on an account whose token expired', async () => {
    platforms.googleAds.state.restate('1112223333', '1234567891', addDays(yesterday, -3), { conversions: 77 });
    platforms.meta.state.expire(LOCAL_DEV_CREDENTIALS.meta.accessToken);
    await runtime.fire('poll', new Date(Date.now() + 3_600_000));
    expect((await metrics('display', addDays(yesterday, -3)))[0]).toMatchObject({ conversions: 77 });
    const open = (await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts as { ruleId: string; channelId: string }[];
    expect(open).toContainEqual(expect.objectContaining({ ruleId: 'credentials', channelId: 'meta:100200300400500' }));
    const { events } = (await fetch(`${runtime.url}/_local/events`).then((r) => r.json())) as { events: { detail: { ruleId?: string } }[] };
    expect(events.some((e) => e.detail.ruleId === 'credentials')).toBe(true);
    // The dashboard's attention list names the account and says what to do.
    const page = await runtime.get(`/dashboard?token=${runtime.apiToken}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('meta:100200300400500');
    expect(page.body).toContain('renew its secret');
  });
});

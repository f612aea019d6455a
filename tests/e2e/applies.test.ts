/// <reference lib="dom" />
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakePlatforms } from '../../bin/local/fakes/index.js';
import type { Portfolio } from '../../functions/domain/config.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import type { TestRuntime } from '../integration/harness.js';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'tests/artifacts';

let runtime: TestRuntime;
let browser: Browser;
let fakes: FakePlatforms;
let demo: Portfolio;
let drainApplies: () => Promise<void>;

/**
 * The demo switched to approve mode, as an operator would in the config: a copy of the repository's config
 * with `apply.mode: "approve"`, named by BUDGET_CONFIG_FILE before any module reads the config (every
 * module is imported below, in beforeAll, after it is set).
 */
const approveConfig = () => {
  const raw = JSON.parse(readFileSync('config/budget.config.json', 'utf8')) as { portfolios: { id: string; apply?: unknown }[] };
  for (const p of raw.portfolios) if (p.id === 'demo') p.apply = { mode: 'approve' };
  const file = join(tmpdir(), `budget-approve-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(raw));
  return file;
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  process.env.BUDGET_CONFIG_FILE = approveConfig();
  const { deployedConfig } = await import('../../functions/wiring/config.js');
  const { startTestRuntime } = await import('../integration/harness.js');
  const { replayDemoFeed, seedHistory } = await import('../../bin/local/demo.js');
  const { seedsFromRecords, startFakePlatforms } = await import('../../bin/local/fakes/index.js');
  const { demoFeed } = await import('../../functions/domain/demoFeed.js');
  const { addDays, dateInZone } = await import('../../functions/domain/dates.js');
  const { alignDemoBudgets } = await import('../../bin/local/demoBudgets.js');
  const { localQueues } = await import('../../functions/adapters/workQueue.js');
  demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
  expect(demo.apply.mode).toBe('approve');
  const now = new Date();
  fakes = await startFakePlatforms(seedsFromRecords(demo, demoFeed(demo, addDays(dateInZone(now, demo.timezone), -1), 60)));
  Object.assign(process.env, fakes.environment);
  runtime = await startTestRuntime();
  drainApplies = () => localQueues.get('apply')!.drain();
  await replayDemoFeed(runtime.url, demo, now);
  await seedHistory(demo, now);
  await drainApplies();
  await alignDemoBudgets(fakes, runtime.url, runtime.apiToken, demo, now);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  await fakes?.close();
});

/** Each platform channel's budget as the fakes hold it, summed over the channel's campaigns. */
const fakeBudgets = () => {
  const of = (fake: FakePlatforms['meta'], id: string) =>
    [...fake.state.accounts.values()].flatMap((a) => [...a.campaigns.values()]).find((c) => c.id === id)?.dailyBudget;
  return Object.fromEntries(
    demo.channels.flatMap((channel) => {
      const [platform, ids] = Object.entries(channel.sourceIds)[0] ?? [];
      const fake =
        platform === 'google-ads' ? fakes.googleAds : platform === 'meta' ? fakes.meta : platform === 'tiktok' ? fakes.tiktok : undefined;
      return fake && ids ? [[channel.id, ids.reduce((s, id) => s + (of(fake as FakePlatforms['meta'], id) ?? 0), 0)]] : [];
    }),
  );
};

describe('applying a plan from the dashboard (approve mode)', () => {
  it('shows the plan awaiting approval with its changes, and once a finance user approves it the fake platforms hold the plan', async () => {
    const created = await fetch(`${runtime.url}/portfolios/demo/reallocate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    expect(created.status).toBe(201);
    const plan = (await created.json()) as Snapshot;
    await drainApplies();
    const before = fakeBudgets();

    // The local token shows the page but carries no session to approve with.
    const anonymous = await browser.newPage();
    await anonymous.goto(`${runtime.url}/dashboard?token=${runtime.apiToken}`);
    await expect(anonymous.locator('#apply-mode').getAttribute('data-mode')).resolves.toBe('approve');
    await expect(anonymous.locator('#approve-needs-session').count()).resolves.toBe(1);
    await anonymous.close();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${runtime.url}/auth/login`);
    await page.getByRole('link', { name: 'finance@example.com' }).click();
    await page.goto(`${runtime.url}/dashboard`);
    const diff = page.locator('#dry-run-diff');
    await expect(diff.getAttribute('data-snapshot')).resolves.toBe(plan.snapshotId);
    const rows = await diff.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        channel: tr.getAttribute('data-channel'),
        before: Number(tr.getAttribute('data-before')),
        target: Number(tr.getAttribute('data-target')),
      })),
    );
    const connected = Object.keys(before);
    expect(rows.map((r) => r.channel).sort()).toEqual([...connected].sort());
    for (const row of rows) {
      expect(row.before).toBe(before[row.channel!]);
      expect(row.target).toBeCloseTo(plan.allocation.channels.find((c) => c.channelId === row.channel)!.total, 2);
    }
    await page.locator('section[aria-labelledby="h-applied"]').screenshot({ path: `${ARTIFACTS}/applies-pending.png` });

    await page.getByRole('button', { name: /Approve and apply/ }).click();
    await page.waitForURL(/\/dashboard\?portfolio=demo/);
    await drainApplies();
    const after = fakeBudgets();
    for (const channel of connected) {
      expect(after[channel], channel).toBeCloseTo(plan.allocation.channels.find((c) => c.channelId === channel)!.total, 2);
    }

    await page.reload();
    const applied = await page.locator('#applied tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        channel: tr.getAttribute('data-channel'),
        applied: tr.getAttribute('data-applied'),
        text: tr.textContent ?? '',
      })),
    );
    for (const channel of connected) {
      const row = applied.find((r) => r.channel === channel)!;
      expect(Number(row.applied)).toBeCloseTo(after[channel]!, 2);
      expect(row.text).toContain('by finance@example.com');
    }
    expect(applied.find((r) => r.channel === 'podcast')!.text).toContain('no platform campaign');
    await expect(page.locator('#apply-history li[data-status="applied"]').count()).resolves.toBeGreaterThan(0);
    await page.locator('section[aria-labelledby="h-applied"]').screenshot({ path: `${ARTIFACTS}/applies-applied.png` });
    const events = (await runtime.get('/_local/events')).body as { events: { 'detail-type': string; detail: { snapshotId: string } }[] };
    expect(events.events.filter((e) => e['detail-type'] === 'AllocationApplied').map((e) => e.detail.snapshotId)).toEqual([
      plan.snapshotId,
    ]);
    await context.close();
  });
});

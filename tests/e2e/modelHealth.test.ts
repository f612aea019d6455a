/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { Diagnostics } from '../../functions/domain/diagnostics/schemas.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from '../integration/harness.js';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'tests/artifacts';

let runtime: TestRuntime;
let browser: Browser;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const dashboard = () => `${runtime.url}/dashboard?token=${runtime.apiToken}`;

const open = async (width: number): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(dashboard());
  return page;
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await startTestRuntime();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  // Eight weeks of the demo feed, then search's response collapses for its last six days (restated to a
  // third), which the model fitted before them could not foresee.
  await replayDemoFeed(runtime.url, demo, new Date(), 56);
  const today = dateInZone(new Date(), demo.timezone);
  const metrics = (await runtime.get(`/portfolios/demo/metrics?channel=search&from=${addDays(today, -6)}&to=${addDays(today, -1)}`)).body
    .metrics as { date: string; spend: number; conversions: number }[];
  const records = metrics.map((m) => ({
    channelId: 'search',
    date: m.date,
    spend: m.spend,
    conversions: Math.round(m.conversions / 3),
    revision: 2,
  }));
  expect((await runtime.postSigned('generic', JSON.stringify({ portfolioId: 'demo', records }))).status).toBe(202);
  const made = await fetch(`${runtime.url}/portfolios/demo/reallocate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  expect(made.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

describe('model health on the dashboard', () => {
  it('states the verdict in words and each channel’s error and band coverage, as the diagnostics route gives them', async () => {
    const page = await open(1280);
    const api = Diagnostics.parse((await runtime.get('/portfolios/demo/diagnostics')).body);
    await expect(page.locator('#model-verdict').textContent()).resolves.toBe(api.summary.text);
    expect(api.summary.text).toMatch(/one-day-ahead error \d+%.*the 80% band held \d+ of 84 channel-days/);
    const rows = await page
      .locator('#model-health-table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-channel'), Number(tr.dataset.held), Number(tr.dataset.days)]));
    expect(rows).toEqual(api.channels.map((c) => [c.channelId, c.coverage.held, c.coverage.days]));
    // One chart per channel: a dot per reported day of the fit window, the held-out days' band and forecast.
    const charts = page.locator('.health-charts figure');
    await expect(charts.count()).resolves.toBe(demo.channels.length);
    const search = page.locator('.health-charts figure[data-channel="search"]');
    await expect(search.locator('circle').count()).resolves.toBe(42);
    await expect(search.locator('polygon.band').count()).resolves.toBe(1);
    await expect(search.locator('circle.missed').count()).resolves.toBeGreaterThan(0);
    await page.locator('section:has(#h-model-health)').screenshot({ path: `${ARTIFACTS}/model-health-1280.png` });
    await page.close();
  });

  it('lists the channel whose one-day-ahead error is far above its usual in the attention list, linked to model health', async () => {
    const page = await open(1280);
    const item = page.locator('#attention li', { hasText: 'One-day-ahead error' });
    await expect(item.count()).resolves.toBe(1);
    const name = demo.channels.find((c) => c.id === 'search')!.name ?? 'search';
    await expect(item.textContent()).resolves.toMatch(
      new RegExp(`^warning ${name}: One-day-ahead error \\d+% over the last 7 days, [\\d.]+× its usual \\d+%\\. `),
    );
    await expect(item.locator('a').getAttribute('href')).resolves.toBe('#h-model-health');
    // The list sits above the first chart.
    const [list, chart] = await Promise.all([page.locator('#attention').boundingBox(), page.locator('svg').first().boundingBox()]);
    expect(list!.y).toBeLessThan(chart!.y);
    await page.close();
  });

  it('keeps chart text readable at 390 px: at least 11 px on screen, and nothing wider than the page', async () => {
    const page = await open(390);
    const sizes = await page.locator('.health-charts svg').evaluateAll((svgs) =>
      svgs.flatMap((svg) => {
        const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        return Array.from(svg.querySelectorAll('text')).map((t) => Number.parseFloat(getComputedStyle(t).fontSize) * scale);
      }),
    );
    expect(sizes.length).toBeGreaterThan(demo.channels.length * 4);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    const overflow = await page.locator('#h-model-health').evaluate((h) => {
      const section = h.parentElement!;
      return section.scrollWidth - section.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator('section:has(#h-model-health)').screenshot({ path: `${ARTIFACTS}/model-health-390.png` });
    await page.close();
  });
});

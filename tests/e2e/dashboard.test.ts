/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed, seedHistory } from '../../bin/local/demo.js';
import { SESSION_COOKIE } from '../../functions/adapters/session.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from '../integration/harness.js';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'tests/artifacts';

let runtime: TestRuntime;
let browser: Browser;
let page: Page;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const dashboard = (query = '') => `${runtime.url}/dashboard?token=${runtime.apiToken}${query}`;
const api = (path: string) => runtime.get(`/portfolios/demo${path}`);
const post = (path: string) =>
  fetch(`${runtime.url}/portfolios/demo${path}`, { method: 'POST', headers: { authorization: `Bearer ${runtime.apiToken}` } });

/** A fresh browser signed in as `email` on the local sign-in page, from `start` (the dashboard's door). */
const signedIn = async (email: string, { start = '/auth/login', viewport = { width: 1280, height: 900 } } = {}) => {
  const context = await browser.newContext({ viewport });
  const tab = await context.newPage();
  await tab.goto(`${runtime.url}${start}`);
  await tab.getByRole('link', { name: email }).click();
  return { context, tab };
};

/** No two of the quadrant's channel labels overlap on screen (the chart's placeLabels keeps them apart). */
const expectLabelsApart = async (tab: Page) => {
  const boxes = await tab
    .locator('#quadrant text.label')
    .evaluateAll((labels) => labels.map((l) => ({ text: l.textContent, box: l.getBoundingClientRect().toJSON() as DOMRect })));
  expect(boxes.length).toBeGreaterThan(1);
  for (const [i, { text, box: a }] of boxes.entries()) {
    for (const { text: other, box: b } of boxes.slice(i + 1)) {
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      expect(overlap, `${text} and ${other}: ${JSON.stringify([a, b])}`).toBe(false);
    }
  }
};

/** The session cookie the browser holds, if any. */
const sessionOf = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === SESSION_COOKIE);

/** A form POST another site could make with the browser's cookie, but without the page's CSRF token. */
const forgedPost = (path: string, cookie: { name: string; value: string }, body: string) =>
  fetch(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { cookie: `${cookie.name}=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
    redirect: 'manual',
  });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  runtime = await startTestRuntime();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

describe('finance dashboard', () => {
  it('says what to do before there is any snapshot', async () => {
    await page.goto(dashboard());
    await expect(page.locator('#empty').textContent()).resolves.toContain('/portfolios/demo/reallocate');
  });

  it('sends a browser without a valid session to sign-in, carrying the page it asked for', async () => {
    const toSignIn = [302, '/auth/login?returnTo=%2Fdashboard'];
    const bare = await fetch(`${runtime.url}/dashboard`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual(toSignIn);
    // A redirect is private and as hardened as any other answer.
    expect([bare.headers.get('cache-control'), bare.headers.get('x-content-type-options'), bare.headers.get('referrer-policy')]).toEqual([
      'no-store',
      'nosniff',
      'no-referrer',
    ]);
    const forged = await fetch(`${runtime.url}/dashboard`, { headers: { cookie: `${SESSION_COOKIE}=forged` }, redirect: 'manual' });
    expect([forged.status, forged.headers.get('location')]).toEqual(toSignIn);
    expect(await forged.text()).toBe('');
    // A wrong local token is no session either; the page to return to keeps its query but not the token.
    const wrongToken = await fetch(`${runtime.url}/dashboard?token=wrong&portfolio=demo`, { redirect: 'manual' });
    expect([wrongToken.status, wrongToken.headers.get('location')]).toEqual([302, '/auth/login?returnTo=%2Fdashboard%3Fportfolio%3Ddemo']);
    // The operators' forms are not pages: without a session the authorizer refuses them outright.
    const form = await fetch(`${runtime.url}/dashboard/reallocate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'portfolio=demo',
      redirect: 'manual',
    });
    expect([form.status, await form.json()]).toEqual([403, { message: 'Forbidden' }]);
    const root = await fetch(`${runtime.url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/auth/login']);
  });

  it('signs a finance user in, shows the dashboard from the session cookie, and signs out for good', async () => {
    const { context, tab } = await signedIn('finance@example.com', { start: '/' });
    await tab.waitForURL(`${runtime.url}/dashboard`);
    // No token travels in the URL: the session is an HttpOnly, Secure, SameSite cookie.
    expect(tab.url()).not.toContain('token');
    const session = (await sessionOf(context))!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    await expect(tab.locator('#user').textContent()).resolves.toBe('finance@example.com');
    const withCopy = () =>
      fetch(`${runtime.url}/dashboard`, { headers: { cookie: `${session.name}=${session.value}` }, redirect: 'manual' });
    expect((await withCopy()).status).toBe(200);
    await tab.getByRole('button', { name: 'Sign out' }).click();
    await expect(tab.locator('h1').textContent()).resolves.toBe('Signed out');
    expect(await sessionOf(context)).toBeUndefined();
    // The server remembers the sign-out: a copy of the cookie, still unexpired, opens nothing.
    const copy = await withCopy();
    expect([copy.status, copy.headers.get('location')]).toEqual([302, '/auth/login?returnTo=%2Fdashboard']);
    // Signed out, the dashboard sends the browser to sign-in, and signing in again returns to it.
    expect((await tab.goto(`${runtime.url}/dashboard`))?.status()).toBe(200);
    expect(tab.url()).toContain(`${runtime.url}/_local/sign-in?`);
    await tab.getByRole('link', { name: 'finance@example.com' }).click();
    await tab.waitForURL(`${runtime.url}/dashboard`);
    await expect(tab.locator('#user').textContent()).resolves.toBe('finance@example.com');
    await context.close();
  });

  it('brings a browser sent to sign-in back to the dashboard page it asked for, and to no other site', async () => {
    const { context, tab } = await signedIn('finance@example.com', { start: '/dashboard?portfolio=demo' });
    await tab.waitForURL(`${runtime.url}/dashboard?portfolio=demo`);
    await expect(tab.locator('#user').textContent()).resolves.toBe('finance@example.com');
    await context.close();

    const elsewhere = await signedIn('finance@example.com', { start: '/auth/login?returnTo=//evil.example/dashboard' });
    await elsewhere.tab.waitForURL(`${runtime.url}/dashboard`);
    await elsewhere.context.close();
  });

  it('turns away a signed-in person in neither group, and a sign-out form without the CSRF token', async () => {
    const outsider = await signedIn('outsider@example.com');
    await expect(outsider.tab.locator('h1').textContent()).resolves.toBe('No access yet');
    expect(await sessionOf(outsider.context)).toBeUndefined();
    await outsider.context.close();

    const { context, tab } = await signedIn('operator@example.com');
    await tab.waitForURL(`${runtime.url}/dashboard`);
    // Another site's form posting to sign-out brings the cookie but cannot know the session's CSRF token.
    const forged = await forgedPost('/auth/logout', (await sessionOf(context))!, 'csrf=guess');
    expect(forged.status).toBe(403);
    expect(forged.headers.getSetCookie()).toEqual([]);
    expect(await sessionOf(context)).toBeDefined();
    await context.close();
  });

  it('lets an operator, and only an operator, reallocate from the dashboard with the CSRF-protected form', async () => {
    const { context, tab } = await signedIn('operator@example.com');
    await tab.waitForURL(`${runtime.url}/dashboard`);
    const before = (await api('/allocations?limit=100')).body.snapshots.length;
    await tab.getByRole('button', { name: 'Reallocate now' }).click();
    await tab.waitForURL(`${runtime.url}/dashboard?portfolio=demo`);
    const after = (await api('/allocations?limit=100')).body.snapshots;
    expect(after).toHaveLength(before + 1);
    expect(after[0].trigger).toEqual({ kind: 'on-demand', by: 'operator@example.com' });
    // The same form without the session's CSRF token (another site posting it) is refused, and runs nothing.
    const forged = await forgedPost('/dashboard/reallocate', (await sessionOf(context))!, 'portfolio=demo&csrf=guess');
    expect(forged.status).toBe(403);
    // Evaluating alerts from the dashboard runs the same evaluation the API does.
    await tab.getByRole('button', { name: 'Evaluate alerts now' }).click();
    await tab.waitForURL(`${runtime.url}/dashboard?portfolio=demo`);
    expect((await forgedPost('/dashboard/alerts/evaluate', (await sessionOf(context))!, 'portfolio=demo')).status).toBe(403);
    expect((await api('/allocations?limit=100')).body.snapshots).toHaveLength(before + 1);
    await context.close();

    const finance = await signedIn('finance@example.com');
    await finance.tab.waitForURL(`${runtime.url}/dashboard`);
    await expect(finance.tab.locator('#reallocate-form, #evaluate-form').count()).resolves.toBe(0);
    // Nor can a finance user post it: the group is checked on the server, not only hidden.
    const financeSession = (await sessionOf(finance.context))!;
    const page = await finance.tab.content();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await forgedPost('/dashboard/reallocate', financeSession, `portfolio=demo&csrf=${csrf}`)).status).toBe(403);
    await finance.context.close();
  });

  it('draws the latest allocation with bar values equal to the API', async () => {
    await replayDemoFeed(runtime.url, demo, new Date(), 35);
    // A week of daily history, as npm start seeds four, then today's runs.
    expect(await seedHistory(demo, new Date(), 7)).toBe(7);
    for (let i = 0; i < 3; i += 1) expect((await post('/reallocate')).status).toBe(201);
    await post('/alerts/evaluate');
    await page.goto(dashboard());
    const latest = (await api('/allocations/latest')).body;
    const bars = await page.locator('#bars g.bar').evaluateAll((groups) =>
      groups.map((g) => ({
        channelId: g.getAttribute('data-channel'),
        base: Number(g.getAttribute('data-base')),
        performance: Number(g.getAttribute('data-performance')),
        exploration: Number(g.getAttribute('data-exploration')),
        total: Number(g.getAttribute('data-total')),
        segments: g.querySelectorAll('rect').length,
      })),
    );
    expect(bars.map(({ segments: _, ...bar }) => bar)).toEqual(
      latest.allocation.channels.map((c: any) => ({
        channelId: c.channelId,
        base: c.base,
        performance: c.performance,
        exploration: c.exploration,
        total: c.total,
      })),
    );
    expect(bars.every((b) => b.segments >= 1)).toBe(true);
    await expect(page.locator('#watermark').textContent()).resolves.toBe(latest.watermark);
    await expect(page.locator('#config-hash').textContent()).resolves.toBe(latest.configHash);
    const lines = await page.locator('#history polyline').count();
    expect(lines).toBe(demo.channels.length);
  });

  it("draws each channel's curve with its band, the planned point at the allocation", async () => {
    const latest = (await api('/allocations/latest')).body;
    const figures = await page.locator('#curves figure.curve').evaluateAll((all) =>
      all.map((f) => ({
        channelId: f.getAttribute('data-channel'),
        planned: f.querySelector('circle.planned')?.getAttribute('data-spend'),
        value: f.querySelector('circle.planned')?.getAttribute('data-value'),
        band: f.querySelector('polygon.band') !== null,
      })),
    );
    expect(figures.map((f) => f.channelId)).toEqual(latest.allocation.channels.map((c: any) => c.channelId));
    for (const channel of latest.allocation.channels) {
      const figure = figures.find((f) => f.channelId === channel.channelId)!;
      const point = channel.curve.find(([spend]: number[]) => spend === channel.total);
      expect([Number(figure.planned), Number(figure.value), figure.band]).toEqual([channel.total, point[2], true]);
    }
  });

  it('shows the expected outcome with its interval, and the lift as expected ÷ fixed-share split − 1', async () => {
    const { outcome } = (await api('/allocations/latest')).body.allocation;
    const shown = await page.locator('#lift').evaluate((li) => ({
      expected: Number(li.getAttribute('data-expected')),
      fixedShare: Number(li.getAttribute('data-fixed-share')),
      lift: Number(li.getAttribute('data-lift')),
      text: li.textContent,
    }));
    expect([shown.expected, shown.fixedShare, shown.lift]).toEqual([outcome.expected, outcome.fixedShare, outcome.lift]);
    expect(shown.lift).toBeCloseTo(shown.expected / shown.fixedShare - 1, 3);
    expect(shown.text).toContain(`${outcome.lift >= 0 ? '+' : '−'}${Math.abs(outcome.lift * 100).toFixed(1)}%`);
    await expect(page.locator('#outcome').getAttribute('data-low')).resolves.toBe(String(outcome.low));
  });

  it("draws the what-if planner across 50% to 200% of today's budget, through today's plan at today's budget", async () => {
    const latest = (await api('/allocations/latest')).body;
    const points = await page.locator('#planner-chart circle.plan-point').evaluateAll((all) =>
      all.map((c) => ({
        budget: Number(c.getAttribute('data-budget')),
        expected: Number(c.getAttribute('data-expected')),
        low: Number(c.getAttribute('data-low')),
        high: Number(c.getAttribute('data-high')),
      })),
    );
    const daily = demo.budget.daily;
    // 25 budgets from half to twice today's; those too small for the bases are held, listed, and not drawn.
    const held = Number(await page.locator('#planner').getAttribute('data-held'));
    expect(points.length + held).toBe(25);
    expect(points.length).toBeGreaterThanOrEqual(20);
    expect(points.at(-1)!.budget).toBe(daily * 2);
    expect(points[0]!.budget).toBeCloseTo(daily * (0.5 + held * 0.0625), 2);
    for (const p of points) expect(p.low <= p.expected && p.expected <= p.high, JSON.stringify(p)).toBe(true);
    // Today's plan, marked on the chart, is the latest snapshot's outlook at the budget in force...
    const today = await page.locator('#planner-chart g.today').evaluate((g) => ({
      budget: Number(g.getAttribute('data-budget')),
      expected: Number(g.getAttribute('data-expected')),
    }));
    expect(today).toEqual({ budget: daily, expected: latest.allocation.outcome.expected });
    // ...and the curve, solved afresh for each budget, passes through it.
    const atToday = points.find((p) => p.budget === daily)!;
    expect(atToday.expected).toBeCloseTo(today.expected, 6);
    // The marginal cost is drawn where the budget binds, today's budget among them.
    await expect(page.locator('#planner-chart polyline.marginal').count()).resolves.toBeGreaterThan(0);
  });

  it("never calls a channel strong when its next conversion costs more than the portfolio's marginal cost", async () => {
    const latest = (await api('/allocations/latest')).body;
    const budget = latest.allocation.constraints.find((c: any) => c.id === 'budget');
    const margin = budget ? 1 / budget.shadowPrice : Number.POSITIVE_INFINITY;
    const rows = await page.locator('#allocation tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        reason: tr.querySelector('td.reason')!.textContent ?? '',
        cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent),
      })),
    );
    expect(rows).toHaveLength(latest.allocation.channels.length);
    for (const [i, channel] of latest.allocation.channels.entries()) {
      expect(rows[i]!.reason).toBe(channel.reason);
      if (channel.marginalCpa !== null && channel.marginalCpa > margin) expect(rows[i]!.reason, channel.channelId).not.toMatch(/strong/i);
    }
    // The words are the numbers: no reason anywhere on the page says "strong".
    expect(rows.some((r) => /strong/i.test(r.reason))).toBe(false);
  });

  it('calls channels by name, says which snapshot each previous is, and links each term to the glossary', async () => {
    const names = demo.channels.map((c) => c.name ?? c.id);
    const firstCells = await page.locator('#allocation tbody tr td:first-child').allTextContents();
    const latest = (await api('/allocations/latest')).body;
    expect(firstCells).toEqual(latest.allocation.channels.map((c: any) => names[demo.channels.findIndex((d) => d.id === c.channelId)]));
    const barLabels = await page.locator('#bars g.bar > text:not(.value)').allTextContents();
    expect(barLabels).toEqual(firstCells);
    // The previous totals are a named snapshot: the one whose totals they are.
    const previous = await page.locator('#bars-previous code').textContent();
    const snapshots = (await api('/allocations?limit=100')).body.snapshots as {
      snapshotId: string;
      allocation: { channels: { channelId: string; total: number }[] };
    }[];
    const named = snapshots.find((s) => s.snapshotId === previous)!;
    for (const c of latest.allocation.channels)
      expect(named.allocation.channels.find((n) => n.channelId === c.channelId)!.total).toBe(c.previousTotal);
    await expect(page.locator('#allocation caption').textContent()).resolves.toContain(previous!);
    await expect(page.locator('#versus-previous code').textContent()).resolves.toMatch(/^\d{8}T/);
    // Every term link lands on its definition on the page, and the terms are all linked.
    const targets = await page.locator('a.term').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    for (const target of new Set(targets)) expect(await page.locator(target).count(), target).toBe(1);
    for (const id of ['marginal-cpa', 'exploration', 'reserve', 'pace', 'contribution', 'shadow-price', 'interval']) {
      expect(targets, id).toContain(`#term-${id}`);
    }
  });

  it('paces each channel: the bars are the stored spend, the ticks the allocation for that day', async () => {
    const metrics = (await api('/metrics')).body.metrics as { channelId: string; date: string; spend: number }[];
    const days = await page
      .locator('#pacing tbody tr')
      .evaluateAll((rows) =>
        rows.flatMap((r) =>
          Array.from(r.querySelectorAll('g.day')).map((g) => [
            r.getAttribute('data-channel'),
            g.getAttribute('data-date'),
            g.getAttribute('data-actual'),
            g.getAttribute('data-allocated'),
          ]),
        ),
      );
    expect(days).toHaveLength(demo.channels.length * 14);
    const withSpend = days.filter(([, , actual]) => actual !== '');
    expect(withSpend.length).toBeGreaterThan(demo.channels.length * 10);
    for (const [channelId, date, actual] of withSpend) {
      expect(Number(actual)).toBe(metrics.find((m) => m.channelId === channelId && m.date === date)!.spend);
    }
    // Seeded days carry the allocation in force at their end.
    expect(days.filter(([, , , allocated]) => allocated !== '').length).toBeGreaterThanOrEqual(demo.channels.length * 7);
  });

  it('says in a sentence why each channel changed, and shows the contribution matrix', async () => {
    // The oldest seeded snapshot against the latest: a week of new data and exploration in between.
    const snapshots = (await api('/allocations?limit=100')).body.snapshots as { snapshotId: string }[];
    await page.goto(dashboard(`&from=${snapshots.at(-1)!.snapshotId}`));
    const why = await page.locator('#why li').evaluateAll((items) =>
      items.map((li) => ({
        text: li.textContent ?? '',
        change: Number(li.getAttribute('data-change')),
        causes: JSON.parse(li.getAttribute('data-causes') ?? '[]') as [string, number][],
      })),
    );
    expect(why).toHaveLength(demo.channels.length);
    for (const channel of demo.channels) expect(why.some((w) => w.text.startsWith(channel.name ?? channel.id))).toBe(true);
    // The biggest mover first, and each change's causes add up to it.
    const sizes = why.map((w) => Math.abs(w.change));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const w of why.filter((w) => Math.abs(w.change) >= 0.01)) {
      expect(w.causes.length, w.text).toBeGreaterThan(0);
      expect(
        w.causes.reduce((a, [, amount]) => a + amount, 0),
        w.text,
      ).toBeCloseTo(w.change, 4);
    }
    // A week apart, new data is a cause, named by its days.
    expect(why.some((w) => /from (restated and )?new data \(.*new data for \d+ days? \(\d{4}-\d{2}-\d{2}/.test(w.text))).toBe(true);
    const matrix = await page.locator('#contribution tbody tr').evaluateAll((rows) =>
      rows.map((r) => ({
        channelId: r.getAttribute('data-channel')!,
        spend: Number(r.getAttribute('data-spend')),
        spendShare: Number(r.getAttribute('data-spend-share')),
        share: Number(r.getAttribute('data-contribution-share')),
        planned: Number(r.getAttribute('data-planned-share')),
      })),
    );
    expect(matrix).toHaveLength(demo.channels.length);
    for (const key of ['spendShare', 'share', 'planned'] as const) expect(matrix.reduce((a, r) => a + r[key], 0)).toBeCloseTo(1, 6);
    // One basis: the spend share is the stored spend of the same 14 days the contribution covers.
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.parse(today) - 14 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
    const metrics = (await api(`/metrics?from=${from}&to=${to}`)).body.metrics as { channelId: string; spend: number }[];
    const total = metrics.reduce((a, m) => a + m.spend, 0);
    for (const r of matrix) {
      const spent = metrics.filter((m) => m.channelId === r.channelId).reduce((a, m) => a + m.spend, 0);
      expect(r.spend).toBeCloseTo(spent, 6);
      expect(r.spendShare).toBeCloseTo(spent / total, 9);
    }
    await expect(page.locator('#quadrant g.channel').count()).resolves.toBe(demo.channels.length);
    // The chart's colours have a legend, and none is exploration's orange.
    const colours = await page.locator('#quadrant circle').evaluateAll((cs) => [...new Set(cs.map((c) => c.getAttribute('fill')))]);
    const legend = await page.locator('#quadrant-legend li').count();
    expect(legend).toBeGreaterThanOrEqual(colours.length);
    expect(colours).not.toContain('#a64d00');
  });

  it('names the restated data behind a change: the day, the channel, the values before and after', async () => {
    const metrics = (await api('/metrics?channel=search')).body.metrics as { date: string; conversions: number; spend: number }[];
    const day = metrics.at(-3)!;
    const restated = day.conversions * 2 + 7;
    const body = JSON.stringify({
      portfolioId: 'demo',
      deliveryId: `restatement-${day.date}`,
      records: [{ channelId: 'search', date: day.date, spend: day.spend, conversions: restated, revision: 99 }],
    });
    expect((await runtime.postSigned('generic', body)).status).toBe(202);
    expect((await post('/reallocate')).status).toBe(201);
    await page.goto(dashboard());
    const why = await page.locator('#why').textContent();
    const name = demo.channels.find((c) => c.id === 'search')!.name ?? 'search';
    const format = (v: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(v);
    expect(why).toContain(`${day.date} restated: ${name} conversions ${format(day.conversions)} → ${format(restated)}`);
    // The README's picture: why it changed, after a restatement.
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-1280.png`, fullPage: true });
  });

  it('keeps every column of the allocation table visible at 1280 px, and the quadrant labels apart', async () => {
    const right = await page
      .locator('#allocation thead th')
      .last()
      .evaluate((th) => th.getBoundingClientRect().right);
    expect(right).toBeLessThanOrEqual(1280);
    await expectLabelsApart(page);
    const history = await page.locator('#history circle').count();
    expect(history).toBeGreaterThanOrEqual(demo.channels.length * 10);
  });

  it('prints on an A4 landscape page width without cutting anything off', async () => {
    const printing = await browser.newPage({ viewport: { width: 1047, height: 720 } }); // 297 mm less 2 × 10 mm margins, at 96 dpi
    await printing.emulateMedia({ media: 'print' });
    await printing.goto(dashboard());
    const overflow = await printing.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(printing.locator('#diff-form').isVisible()).resolves.toBe(false);
    await printing.close();
  });

  it('updates the diff when another pair of snapshots is chosen', async () => {
    const snapshots = (await api('/allocations?limit=10')).body.snapshots as { snapshotId: string }[];
    const [newest, , oldest] = snapshots;
    await expect(page.locator('#diff').getAttribute('data-to')).resolves.toBe(newest!.snapshotId);
    await page.getByLabel('From', { exact: true }).selectOption(oldest!.snapshotId);
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/from=/);
    await expect(page.locator('#diff').getAttribute('data-from')).resolves.toBe(oldest!.snapshotId);
    const expected = (await api(`/allocations/diff?from=${oldest!.snapshotId}&to=${newest!.snapshotId}`)).body;
    const shown = await page
      .locator('#diff tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-channel'), Number(r.getAttribute('data-change'))]));
    expect(shown).toEqual(expected.channels.map((c: any) => [c.channelId, c.change]));
  });

  it('downloads the latest snapshot as the same CSV the API serves', async () => {
    const latest = (await api('/allocations/latest')).body;
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv').click()]);
    expect(download.suggestedFilename()).toBe(`demo-${latest.snapshotId}.csv`);
    const file = readFileSync((await download.path())!, 'utf8');
    expect(file).toBe((await api(`/allocations/${latest.snapshotId}?format=csv`)).body);
  });

  it('lists open alerts with their severity', async () => {
    const open = (await api('/alerts?status=open')).body.alerts as { ruleId: string; channelId: string; severity: string }[];
    expect(open.length).toBeGreaterThan(0);
    const items = await page.locator('#alerts li').allTextContents();
    expect(items).toHaveLength(open.length);
    const nameOf = (id: string) => demo.channels.find((c) => c.id === id)?.name ?? id;
    for (const alert of open)
      expect(items.some((t) => t.includes(alert.severity) && t.includes(alert.ruleId) && t.includes(nameOf(alert.channelId)))).toBe(true);
  });

  it('lists what needs attention above the first chart, most severe first, a stop-loss as at least a warning', async () => {
    const open = (await api('/alerts?status=open')).body.alerts as { channelId: string; severity: string; action?: string }[];
    const list = page.locator('#attention');
    const [listTop, chartTop] = await Promise.all([list.boundingBox(), page.locator('svg').first().boundingBox()]);
    expect(listTop!.y).toBeLessThan(chartTop!.y);
    const severities = await list.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-severity')));
    const rank = (s: string | null) => ['info', 'warning', 'critical'].indexOf(s ?? '');
    expect(severities.map(rank)).toEqual([...severities.map(rank)].sort((a, b) => b - a));
    const texts = await list.locator('li').allTextContents();
    const nameOf = (id: string) => demo.channels.find((c) => c.id === id)?.name ?? id;
    for (const alert of open) {
      const item = texts.find((t) => t.includes(`${nameOf(alert.channelId)}:`));
      expect(item, alert.channelId).toBeDefined();
      if (alert.action === 'stop-loss') expect(item).toMatch(/^(warning|critical) /);
    }
    if (open.some((a) => a.severity === 'critical')) expect(texts[0]).toMatch(/^critical /);
    // Each item links to its detail on the page.
    const target = await list.locator('li a').first().getAttribute('href');
    expect(await page.locator(target!).count()).toBe(1);
  });

  it('fits a phone width without sideways scrolling and keeps every control reachable by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(dashboard());
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-390.png`, fullPage: true });
    // Chart text renders at 11 px or more: its font size times the chart's scale on screen.
    const sizes = await page.locator('svg text').evaluateAll((texts) =>
      texts
        .filter((t) => t.getClientRects().length > 0)
        .map((t) => {
          const svg = (t as SVGTextElement).ownerSVGElement!;
          return { chart: svg.id, text: t.textContent, px: Number.parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM()!.a };
        }),
    );
    expect(sizes.length).toBeGreaterThan(50);
    expect(sizes.filter((s) => s.px < 11)).toEqual([]);
    for (const chart of ['bars-narrow', 'planner-chart', 'quadrant'])
      expect(
        sizes.some((s) => s.chart === chart),
        chart,
      ).toBe(true);
    await expectLabelsApart(page);
    // The history chart gives way to a table of the same totals.
    await expect(page.locator('#history').isVisible()).resolves.toBe(false);
    await expect(page.locator('#history-table tbody tr').count()).resolves.toBe(demo.channels.length);
    const focused: string[] = [];
    // Enough presses to pass the attention list's and the glossary terms' links, which come first.
    for (let i = 0; i < 120; i += 1) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ''));
    }
    expect(focused).toEqual(expect.arrayContaining(['portfolio', 'csv', 'diff-from', 'diff-to']));
  });

  it('pictures what needs attention, the what-if planner and model health together for the README, at 1280 and 390 px', async () => {
    const shown = ['h-attention', 'h-planner', 'h-model-health'];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(dashboard());
      // Everything but the three sections is set aside for the picture; the page itself is unchanged.
      const keep = shown.map((id) => `[aria-labelledby="${id}"]`).join(', ');
      await page.addStyleTag({ content: `main > :not(${keep}) { display: none !important; }` });
      const tops = await Promise.all(shown.map(async (id) => (await page.locator(`#${id}`).boundingBox())!.y));
      expect(tops).toEqual([...tops].sort((a, b) => a - b));
      await expect(page.locator('#planner-chart').isVisible()).resolves.toBe(true);
      await page.screenshot({ path: `${ARTIFACTS}/readme-${width}.png`, fullPage: true });
    }
  });
});

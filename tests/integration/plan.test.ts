import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import type { Allocation } from '../../functions/domain/allocation/schemas.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const base = '/portfolios/demo';
const today = demo.budget.daily;

const reallocate = async (): Promise<Snapshot> => {
  const response = await fetch(`${runtime.url}${base}/reallocate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Snapshot;
};
const totals = (allocation: Allocation) => allocation.channels.map((c) => [c.channelId, c.total]);
/** What a read may not change: the snapshots (published or not), LATEST, and the events sent. */
const written = async () => ({
  snapshots: (await runtime.get(`${base}/allocations?include=unpublished&limit=100`)).body.snapshots.map((s: Snapshot) => s.snapshotId),
  latest: (await runtime.get(`${base}/allocations/latest`)).body.snapshotId,
  events: (await runtime.get('/_local/events')).body.events.length,
});

beforeAll(async () => {
  runtime = await startTestRuntime();
  await replayDemoFeed(runtime.url, demo, new Date(), 21);
  // A plan in force, so the plan's input carries a previous plan as a reallocation's does.
  await reallocate();
}, 90_000);
afterAll(() => runtime.close());

describe('GET /portfolios/{id}/plan: what-if budgets', () => {
  it("answers, at today's budget, the allocation a reallocation made right after gives", async () => {
    const plan = await runtime.get(`${base}/plan?budget=${today}`);
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ portfolioId: 'demo', budget: today, asOf: expect.any(String) });
    const snapshot = await reallocate();
    expect(snapshot.computation).toBe('solved');
    expect(plan.body.asOf).toBe(snapshot.allocation.asOf);
    expect(plan.body.watermark).toBe(snapshot.watermark);
    expect(totals(plan.body.allocation)).toEqual(totals(snapshot.allocation));
    expect(plan.body.allocation.total).toBe(snapshot.allocation.total);
  });

  it('places more money for a larger budget, within each budget after the reserve', async () => {
    const { status, body } = await runtime.get(`${base}/plan?budgets=${today},${today * 1.5}`);
    expect(status).toBe(200);
    expect(body.plans.map((p: { budget: number }) => p.budget)).toEqual([today, today * 1.5]);
    const [now, more] = body.plans.map((p: { allocation: Allocation }) => p.allocation);
    expect(more.total).toBeGreaterThan(now.total);
    for (const { budget, allocation } of body.plans)
      expect(allocation.total).toBeLessThanOrEqual(budget * (1 - demo.budget.reserveShare) + 0.01);
  });

  it('answers a budget below the bases as the allocator does: a held plan, within that budget, saying why', async () => {
    const { status, body } = await runtime.get(`${base}/plan?budget=1000`);
    expect(status).toBe(200);
    expect(body.allocation.status).toBe('held');
    expect(body.allocation.total).toBeLessThanOrEqual(1000);
    expect(body.allocation.reason).toEqual(expect.any(String));
  });

  it('writes nothing: no snapshot, LATEST where it was, no event', async () => {
    const before = await written();
    for (const query of [`budget=${today}`, `budget=${today * 2}`, 'budgets=5000,12000,20000'])
      expect((await runtime.get(`${base}/plan?${query}`)).status).toBe(200);
    expect(await written()).toEqual(before);
  });

  it('answers 25 budgets, one plan each, for a curve', async () => {
    const budgets = Array.from({ length: 25 }, (_, i) => 4_000 + i * 1_000);
    const started = performance.now();
    const { status, body } = await runtime.get(`${base}/plan?budgets=${budgets.join(',')}`);
    const ms = performance.now() - started;
    expect(status).toBe(200);
    expect(body.plans.map((p: { budget: number }) => p.budget)).toEqual(budgets);
    console.info(`25 budgets for the demo portfolio: ${Math.round(ms)} ms`);
  });

  it.each([
    ['budget=abc', 'budget'],
    ['budget=0', 'budget'],
    ['budget=-5', 'budget'],
    ['budget=1e4', 'budget'],
    ['budget=10000.1234567', 'budget'],
    ['budget=2000000000', 'budget'],
    ['', 'budget'],
    [`budget=${today}&budgets=${today}`, 'budget'],
    ['budgets=5000,x,7000', 'budgets[1]'],
    [`budgets=${Array(26).fill(today).join(',')}`, 'budgets'],
  ])('refuses %j with 400 naming %s', async (query, path) => {
    const { status, body } = await runtime.get(`${base}/plan?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid-query');
    expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  // 400 digits read as Infinity: 'expected number, received Infinity' said nothing of the range.
  it.each(['budget=1e9', 'budget=0', 'budget=2000000000', 'budgets=5000,1e9', `budget=${'9'.repeat(400)}`])(
    'tells %j the allowed range and form, not only that it is wrong',
    async (query) => {
      const { status, body } = await runtime.get(`${base}/plan?${query}`);
      expect(status).toBe(400);
      const [issue] = body.error.issues;
      expect(issue.path).toMatch(/^budgets?(\[1\])?$/);
      expect(issue.message).toMatch(/above 0 and at most 1000000000/);
      expect(issue.message).toMatch(/no sign, exponent or grouping/);
    },
  );

  it('answers 404 for an unknown portfolio', async () => {
    const { status, body } = await runtime.get(`/portfolios/nope/plan?budget=${today}`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('unknown-portfolio');
  });
});

describe('npm run plan', () => {
  // Asynchronously: the local server answers from this process, so a blocking spawn would wait on itself.
  const plan = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bin/plan.ts', '--url', runtime.url, ...args],
        { encoding: 'utf8', env: { ...process.env, LOCAL_API_TOKEN: runtime.apiToken } },
        (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  const solvedIn = (body: { allocation: Allocation }) => ({ ...body, allocation: { ...body.allocation, solver: undefined } });

  it('prints the JSON the route answers', async () => {
    const printed = await plan('--portfolio', 'demo', '--budget', '12000');
    expect(printed.status).toBe(0);
    const route = await runtime.get(`${base}/plan?budget=12000`);
    expect(solvedIn(JSON.parse(printed.stdout))).toEqual(solvedIn(route.body));
  }, 30_000);

  it('passes the server refusal on: exit 2 and the error with its path', async () => {
    const printed = await plan('--portfolio', 'demo', '--budget', 'lots');
    expect(printed.status).toBe(2);
    expect(printed.stderr).toContain('"path":"budget"');
  }, 30_000);
});

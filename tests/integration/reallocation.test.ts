import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import { postDelivery } from '../../bin/local/webhookClient.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { CSV_COLUMNS } from '../../functions/domain/financeViews.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALLOCATIONS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const base = '/portfolios/demo';

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

const reallocate = async (): Promise<{ status: number; body: Snapshot }> => {
  const response = await fetch(`${runtime.url}${base}/reallocate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  return { status: response.status, body: (await response.json()) as Snapshot };
};
const eventsFor = (snapshotId: string) => runtime.events.filter((e) => (e.detail as { snapshotId?: string }).snapshotId === snapshotId);

describe('before any snapshot', () => {
  it('answers 404 with a JSON error that says how to make one', async () => {
    const latest = await runtime.get(`${base}/allocations/latest`);
    expect(latest.status).toBe(404);
    expect(latest.body.error.message).toContain('POST /portfolios/demo/reallocate');
    const diff = await runtime.get(`${base}/allocations/diff`);
    expect(diff.status).toBe(404);
  });
});

describe('end to end: webhook → on-demand reallocation → snapshot → event', () => {
  let first: Snapshot;

  beforeAll(async () => {
    await replayDemoFeed(runtime.url, demo, new Date(), 21);
  }, 60_000);

  it('answers 201 with a snapshot of the data it saw, readable through the API, and publishes it once', async () => {
    const answer = await reallocate();
    expect(answer.status).toBe(201);
    first = answer.body;
    expect(first).toMatchObject({
      portfolioId: 'demo',
      configHash: deployedConfig.hash,
      computation: 'solved',
      trigger: { kind: 'on-demand' },
    });
    expect(first.allocation.status).toBe('optimal');
    expect(first.allocation.channels.map((c) => c.channelId)).toEqual(demo.channels.map((c) => c.id));
    expect(first.allocation.total).toBeLessThanOrEqual(demo.budget.daily);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(first.watermark).toBe(yesterday);
    expect((await runtime.get(`${base}/allocations/${first.snapshotId}`)).body).toEqual(first);
    expect((await runtime.get(`${base}/allocations/latest`)).body).toEqual(first);
    expect(eventsFor(first.snapshotId)).toEqual([
      expect.objectContaining({
        source: 'budget-optimizer',
        'detail-type': 'AllocationPublished',
        detail: expect.objectContaining({ portfolioId: 'demo', configHash: deployedConfig.hash }),
      }),
    ]);
    const served = await runtime.get('/_local/events');
    expect(served.body.events.map((e: { id: string }) => e.id)).toEqual(runtime.events.map((e) => e.id));
  });

  it('starts the next run from the latest snapshot, and does not read the incomplete day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const answer = await postDelivery(
      runtime.url,
      'generic',
      { portfolioId: 'demo', records: [{ channelId: 'search', date: today, spend: 10, conversions: 1 }] },
      LOCAL_DEV_SECRET,
    );
    expect(answer.status).toBe(202);
    const next = (await reallocate()).body;
    expect(next.watermark).toBe(first.watermark);
    expect(next.allocation.channels.map((c) => c.previousTotal)).toEqual(first.allocation.channels.map((c) => c.total));
  });

  it('keeps every snapshot as written: later runs never change an earlier one', async () => {
    const before = await runtime.get(`${base}/allocations/${first.snapshotId}`);
    await reallocate();
    const after = await runtime.get(`${base}/allocations/${first.snapshotId}`);
    expect(after.body).toEqual(before.body);
  });
});

describe('scheduled runs', () => {
  it('make exactly one snapshot and one event for a window delivered three times, even at once', async () => {
    const items = await runtime.countItems(ALLOCATIONS_TABLE.id);
    const scheduledTime = new Date('2026-01-05T10:00:00Z');
    await Promise.all([runtime.fire('reallocate', scheduledTime), runtime.fire('reallocate', scheduledTime)]);
    await runtime.fire('reallocate', new Date('2026-01-05T10:20:00Z')); // the same rate(1 hour) window
    const page = await runtime.get(`${base}/allocations?limit=100`);
    const scheduled = (page.body.snapshots as Snapshot[]).filter(
      (s) => s.trigger.kind === 'schedule' && s.trigger.window.startsWith('2026-01-05'),
    );
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.trigger).toEqual({ kind: 'schedule', window: '2026-01-05T10:00:00.000Z' });
    expect(eventsFor(scheduled[0]!.snapshotId)).toHaveLength(1);
    // The snapshot, its window marker, its published marker (and the LATEST pointer, already there).
    expect(await runtime.countItems(ALLOCATIONS_TABLE.id)).toBe(items + 3);
  });

  it('make a new snapshot for the next window', async () => {
    await runtime.fire('reallocate', new Date('2026-01-05T11:00:00Z'));
    const page = await runtime.get(`${base}/allocations?limit=100`);
    const windows = (page.body.snapshots as Snapshot[]).flatMap((s) =>
      s.trigger.kind === 'schedule' && s.trigger.window.startsWith('2026-01-05') ? [s.trigger.window] : [],
    );
    expect(windows).toEqual(['2026-01-05T11:00:00.000Z', '2026-01-05T10:00:00.000Z']);
  });
});

describe('concurrent on-demand runs', () => {
  it('both succeed as two snapshots, and LATEST ends at the newer one', async () => {
    const answers = await Promise.all([reallocate(), reallocate(), reallocate()]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const ids = answers.map((a) => a.body.snapshotId);
    expect(new Set(ids).size).toBe(3);
    const latest = await runtime.get(`${base}/allocations/latest`);
    expect(latest.body.snapshotId).toBe([...ids].sort().at(-1));
  });
});

describe('finance reads', () => {
  it('lists newest first, a page at a time, with a cursor that reaches every snapshot once', async () => {
    const all = (await runtime.get(`${base}/allocations?limit=100`)).body.snapshots as Snapshot[];
    const ids = all.map((s) => s.snapshotId);
    expect(ids).toEqual([...ids].sort().reverse());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await runtime.get(`${base}/allocations?limit=2${query}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.snapshots as Snapshot[]).map((s) => s.snapshotId));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('filters by from/to dates and instants', async () => {
    const all = (await runtime.get(`${base}/allocations?limit=100`)).body.snapshots as Snapshot[];
    const today = new Date().toISOString().slice(0, 10);
    const ofToday = (await runtime.get(`${base}/allocations?limit=100&from=${today}&to=${today}`)).body.snapshots as Snapshot[];
    expect(ofToday.map((s) => s.snapshotId)).toEqual(all.filter((s) => s.createdAt.startsWith(today)).map((s) => s.snapshotId));
    const oldest = all.at(-1)!;
    const upToOldest = (await runtime.get(`${base}/allocations?to=${oldest.createdAt}`)).body.snapshots as Snapshot[];
    expect(upToOldest.map((s) => s.snapshotId)).toEqual([oldest.snapshotId]);
  });

  it('serves one snapshot as CSV: a row per channel, the finance columns, money with the currency decimals', async () => {
    const latest = (await runtime.get(`${base}/allocations/latest`)).body as Snapshot;
    const response = await fetch(`${runtime.url}${base}/allocations/${latest.snapshotId}`, {
      headers: { authorization: `Bearer ${runtime.apiToken}`, accept: 'text/csv' },
    });
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    // A row per channel, then the total, the reserve and (only when some is left) the unallocated line.
    expect(lines).toHaveLength(1 + demo.channels.length + 2 + (latest.allocation.unallocated ? 1 : 0));
    const total = lines.find((l) => l.startsWith('(total),'))!.split(',');
    expect(total[4]).toBe(latest.allocation.total.toFixed(2));
    // The total row has its previous total and change too, and every row says what it belongs to.
    const previous = latest.allocation.channels.reduce((s, c) => s + (c.previousTotal ?? 0), 0);
    expect(total.slice(5, 7)).toEqual([previous.toFixed(2), (latest.allocation.total - previous).toFixed(2)]);
    for (const line of lines.slice(1)) expect(line.split(',').slice(-3)).toEqual(['USD', latest.snapshotId, latest.allocation.asOf]);
    const reserve = lines.find((l) => l.startsWith('(reserve),'))!.split(',');
    expect(Number(reserve[4])).toBe(demo.budget.daily * demo.budget.reserveShare);
    expect(Number(total[4]) + Number(reserve[4])).toBeCloseTo(demo.budget.daily, 2);
    const search = latest.allocation.channels.find((c) => c.channelId === 'search')!;
    const row = lines.find((l) => l.startsWith('search,'))!.split(',');
    expect(row.slice(0, 6)).toEqual([
      'search',
      search.base.toFixed(2),
      search.performance.toFixed(2),
      search.exploration.toFixed(2),
      search.total.toFixed(2),
      search.previousTotal!.toFixed(2),
    ]);
    expect(Number(row[6])).toBeCloseTo(search.total - search.previousTotal!, 2);
    const viaQuery = await runtime.get(`${base}/allocations/${latest.snapshotId}?format=csv`);
    expect(viaQuery.body).toBe(`${lines.join('\r\n')}\r\n`);
  });

  it('serves the latest snapshot as the same CSV, asked by ?format=csv or Accept: text/csv', async () => {
    const latest = (await runtime.get(`${base}/allocations/latest`)).body as Snapshot;
    const byId = await fetch(`${runtime.url}${base}/allocations/${latest.snapshotId}?format=csv`, {
      headers: { authorization: `Bearer ${runtime.apiToken}` },
    });
    const csv = await byId.text();
    for (const [query, accept] of [
      ['?format=csv', 'application/json'],
      ['', 'text/csv'],
    ] as const) {
      const response = await fetch(`${runtime.url}${base}/allocations/latest${query}`, {
        headers: { authorization: `Bearer ${runtime.apiToken}`, accept },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="demo-${latest.snapshotId}.csv"`);
      expect(await response.text()).toBe(csv);
    }
    // JSON stays the default, and format=json wins over the Accept header, as for a snapshot by id.
    expect((await runtime.get(`${base}/allocations/latest`)).body.snapshotId).toBe(latest.snapshotId);
    const json = await fetch(`${runtime.url}${base}/allocations/latest?format=json`, {
      headers: { authorization: `Bearer ${runtime.apiToken}`, accept: 'text/csv' },
    });
    expect(json.headers.get('content-type')).toContain('application/json');
    // The Accept header's q-values decide: JSON preferred, or CSV refused, is JSON; CSV preferred is CSV.
    for (const [accept, type] of [
      ['application/json, text/csv;q=0.1', 'application/json'],
      ['text/csv;q=0', 'application/json'],
      ['application/json;q=0.5, text/csv', 'text/csv'],
    ] as const) {
      const negotiated = await fetch(`${runtime.url}${base}/allocations/latest`, {
        headers: { authorization: `Bearer ${runtime.apiToken}`, accept },
      });
      expect(negotiated.headers.get('content-type'), accept).toContain(type);
    }
    const bad = await runtime.get(`${base}/allocations/latest?format=xlsx`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['format']);
  });

  it('holds the reserve back on every run, and places it only on an on-demand release with a reason, which the snapshot and event record', async () => {
    const post = (body: unknown) =>
      fetch(`${runtime.url}${base}/reallocate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const held = (await runtime.get(`${base}/allocations/latest`)).body as Snapshot;
    expect(held.allocation.reserve).toBe(1500);
    expect(held.allocation.total).toBe(8500);

    const missingReason = await post({ releaseReserve: true });
    expect(missingReason.status).toBe(400);
    expect(((await missingReason.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(['reason']);
    expect((await post({ releaseReserve: 'yes' })).status).toBe(400);
    // A repeated key is refused, as a webhook's: JSON.parse would act on the last one without a word.
    const repeated = await fetch(`${runtime.url}${base}/reallocate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
      body: '{"releaseReserve":true,"reason":"x","releaseReserve":false}',
    });
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toEqual({
      error: {
        code: 'invalid-body',
        message: 'the body repeats a key',
        issues: [{ path: 'releaseReserve', message: 'this key appears more than once in its object' }],
      },
    });

    const released = (await (await post({ releaseReserve: true, reason: 'partner X dropped out; cover its volume' })).json()) as Snapshot;
    expect(released.trigger).toMatchObject({ kind: 'on-demand', releaseReserve: { reason: 'partner X dropped out; cover its volume' } });
    expect(released.allocation.reserve).toBe(0);
    expect(released.allocation.total).toBe(demo.budget.daily);
    expect(released.allocation.channels.reduce((s, c) => s + Math.round(c.total * 100), 0)).toBe(demo.budget.daily * 100);
    const [event] = eventsFor(released.snapshotId);
    expect(event?.detail).toMatchObject({ trigger: { releaseReserve: { reason: 'partner X dropped out; cover its volume' } } });

    await runtime.fire('reallocate', new Date('2026-01-04T09:00:00Z'));
    const listed = (await runtime.get(`${base}/allocations?limit=100`)).body.snapshots as Snapshot[];
    const scheduled = listed.find((s) => s.trigger.kind === 'schedule' && s.trigger.window === '2026-01-04T09:00:00.000Z')!;
    expect(scheduled.allocation.reserve).toBe(1500);
  });

  it('diffs two snapshots channel by channel, and defaults to the latest against the one before', async () => {
    const [newest, older] = (await runtime.get(`${base}/allocations?limit=2`)).body.snapshots as Snapshot[];
    const diff = (await runtime.get(`${base}/allocations/diff?from=${older!.snapshotId}&to=${newest!.snapshotId}`)).body;
    expect(diff.from.snapshotId).toBe(older!.snapshotId);
    expect(diff.to.snapshotId).toBe(newest!.snapshotId);
    for (const channel of diff.channels) {
      const a = older!.allocation.channels.find((c) => c.channelId === channel.channelId)!;
      const b = newest!.allocation.channels.find((c) => c.channelId === channel.channelId)!;
      expect(channel.change).toBeCloseTo(b.total - a.total, 6);
      expect(channel.to.exploration).toBe(b.exploration);
    }
    expect((await runtime.get(`${base}/allocations/diff`)).body).toEqual(diff);
  });

  it('answers 404 for an unknown portfolio or snapshot, 400 for a bad query, 401 without the token', async () => {
    expect((await runtime.get('/portfolios/nope/allocations/latest')).status).toBe(404);
    expect((await runtime.get(`${base}/allocations/20990101T000000000Z-000000`)).body.error.code).toBe('unknown-snapshot');
    expect((await runtime.get(`${base}/allocations/diff?from=missing`)).status).toBe(404);
    // Both unknown ids are named in one answer, not the second alone.
    const neither = await runtime.get(`${base}/allocations/diff?from=bad&to=20990101T000000000Z-000000`);
    expect(neither.status).toBe(404);
    expect(neither.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['from', 'to']);
    const bad = await runtime.get(`${base}/allocations?limit=500&cursor=garbage`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['limit']);
    expect((await runtime.get(`${base}/allocations?cursor=garbage`)).body.error.issues).toEqual([
      { path: 'cursor', message: expect.any(String) },
    ]);
    for (const path of ['/allocations/latest', '/allocations', '/allocations/diff', '/allocations/x', '/reallocate']) {
      const response = await fetch(`${runtime.url}${base}${path}`, { method: path === '/reallocate' ? 'POST' : 'GET' });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });
});

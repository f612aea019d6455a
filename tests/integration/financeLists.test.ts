import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertsRepository } from '../../functions/adapters/alertsRepository.js';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import type { Alert } from '../../functions/domain/alerts/lifecycle.js';
import type { BudgetEvent } from '../../functions/domain/events.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { ALERTS_TABLE, ALLOCATIONS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** What finance lists: the plans that were published (orphans only on request, marked), and alerts of any status. */

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;
let allocations: AllocationsRepository;
let alerts: AlertsRepository;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
  allocations = new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id));
  alerts = new AlertsRepository(client, runtime.tableName(ALERTS_TABLE.id));
});
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

const snapshotAt = (instant: string, suffix: string): Snapshot => ({
  snapshotId: `${instant.replace(/[-:.]/g, '')}-${suffix}`,
  portfolioId: 'demo',
  createdAt: instant,
  configHash: 'test',
  watermark: null,
  inputHash: suffix,
  computation: 'solved',
  trigger: { kind: 'on-demand', by: 'test' },
  allocation: {
    status: 'held',
    reason: 'test',
    asOf: instant.slice(0, 10),
    total: 100,
    channels: [],
    exploration: 0,
    reserve: 0,
    constraints: [],
    expectedConversions: 0,
    solver: { name: 'none', ms: 0 },
  },
});

const ids = (body: { snapshots: { snapshotId: string }[] }) => body.snapshots.map((s) => s.snapshotId);

describe('GET /portfolios/{id}/allocations and snapshots a run never published', () => {
  // Oldest first: published, orphan (the run died after the write), published, orphan, one being published now.
  const day = '2027-02-01';
  const written = [
    { snapshot: snapshotAt(`${day}T08:00:00.000Z`, 'aaaaa1'), state: 'published' },
    { snapshot: snapshotAt(`${day}T09:00:00.000Z`, 'aaaaa2'), state: 'orphan' },
    { snapshot: snapshotAt(`${day}T10:00:00.000Z`, 'aaaaa3'), state: 'published' },
    { snapshot: snapshotAt(`${day}T11:00:00.000Z`, 'aaaaa4'), state: 'orphan' },
    { snapshot: snapshotAt(`${day}T12:00:00.000Z`, 'aaaaa5'), state: 'publishing' },
  ] as const;
  const id = (n: number) => written[n]!.snapshot.snapshotId;

  beforeAll(async () => {
    for (const { snapshot, state } of written) {
      await allocations.create(snapshot);
      if (state === 'published') await allocations.markPublished('demo', snapshot.snapshotId, snapshot.createdAt);
      if (state === 'publishing')
        await allocations.claimPublication('demo', snapshot.snapshotId, snapshot.createdAt, '2999-01-01T00:00:00Z');
    }
  });

  it('lists published snapshots only, each marked published', async () => {
    const page = await runtime.get(`/portfolios/demo/allocations?from=${day}&to=${day}`);
    expect(page.status).toBe(200);
    expect(ids(page.body)).toEqual([id(2), id(0)]);
    expect(page.body.snapshots.map((s: { published: boolean }) => s.published)).toEqual([true, true]);
    expect(page.body.next).toBeNull();
  });

  it('pages through published snapshots without empty or short pages, and without skipping any', async () => {
    const first = await runtime.get(`/portfolios/demo/allocations?from=${day}&to=${day}&limit=1`);
    expect(ids(first.body)).toEqual([id(2)]);
    const second = await runtime.get(`/portfolios/demo/allocations?from=${day}&to=${day}&limit=1&cursor=${first.body.next}`);
    expect(ids(second.body)).toEqual([id(0)]);
    const rest = second.body.next
      ? (await runtime.get(`/portfolios/demo/allocations?from=${day}&to=${day}&limit=1&cursor=${second.body.next}`)).body
      : { snapshots: [] };
    expect(ids(rest)).toEqual([]);
  });

  it('adds the unpublished ones with include=unpublished, marked published: false', async () => {
    const page = await runtime.get(`/portfolios/demo/allocations?from=${day}&to=${day}&include=unpublished`);
    expect(page.status).toBe(200);
    expect(page.body.snapshots.map((s: { snapshotId: string; published: boolean }) => [s.snapshotId, s.published])).toEqual([
      [id(4), false],
      [id(3), false],
      [id(2), true],
      [id(1), false],
      [id(0), true],
    ]);
    const unknown = await runtime.get(`/portfolios/demo/allocations?include=everything`);
    expect(unknown.status).toBe(400);
  });

  it('diffs the latest against the published snapshot before it, never an orphan', async () => {
    await allocations.advanceLatest('demo', id(2));
    const diff = await runtime.get('/portfolios/demo/allocations/diff');
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({ from: { snapshotId: id(0) }, to: { snapshotId: id(2) } });
  });
});

describe('GET /portfolios/{id}/alerts?status=all', () => {
  const alertOf = (channelId: string, openedAt: string): Alert => ({
    alertId: `cpa-high~${channelId}~${openedAt}`,
    portfolioId: 'demo',
    ruleId: 'cpa-high',
    channelId,
    metric: 'cpa',
    op: '>',
    threshold: 45,
    window: 'day',
    consecutive: 3,
    status: 'open',
    severity: 'warning',
    observed: 50,
    windows: ['2027-01-30', '2027-01-31', '2027-02-01'],
    openedAt,
    configHash: 'test',
    history: [{ at: openedAt, kind: 'opened', severity: 'warning', observed: 50 }],
  });
  const event = { source: 'test', 'detail-type': 'ThresholdBreached', detail: {} } as unknown as BudgetEvent;

  it('returns open and resolved alerts together, newest first', async () => {
    const open = alertOf('search', '2027-02-02T09:00:00.000Z');
    const before = alertOf('social', '2027-02-01T09:00:00.000Z');
    const resolved: Alert = {
      ...before,
      status: 'resolved',
      resolvedAt: '2027-02-02T10:00:00.000Z',
      history: [...before.history, { at: '2027-02-02T10:00:00.000Z', kind: 'resolved', severity: null, observed: null }],
    };
    await alerts.apply({ kind: 'open', alert: open }, event);
    await alerts.apply({ kind: 'open', alert: before }, event);
    await alerts.apply({ kind: 'resolve', before, alert: resolved }, event);

    const all = await runtime.get('/portfolios/demo/alerts?status=all');
    expect(all.status).toBe(200);
    expect(all.body.alerts.map((a: Alert) => [a.alertId, a.status])).toEqual([
      [open.alertId, 'open'],
      [resolved.alertId, 'resolved'],
    ]);
    expect((await runtime.get('/portfolios/demo/alerts')).body.alerts).toEqual(all.body.alerts);
    expect((await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts.map((a: Alert) => a.alertId)).toEqual([open.alertId]);
  });
});

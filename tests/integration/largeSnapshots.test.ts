import { randomBytes } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { allocate } from '../../functions/domain/allocation/allocate.js';
import type { Allocation } from '../../functions/domain/allocation/schemas.js';
import { addDays } from '../../functions/domain/dates.js';
import { type Snapshot, snapshotId } from '../../functions/domain/snapshots.js';
import { ALLOCATIONS_TABLE } from '../../lib/tables.js';
import { portfolioInput } from '../support/portfolioInput.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/**
 * Snapshots of any size the config allows (5,000 channels). One DynamoDB item holds 400 KB, about 1,100
 * channels of allocation; larger allocations are stored across items and read back whole.
 */

let runtime: TestRuntime;
let client: ReturnType<typeof createDocumentClient>;
let allocations: AllocationsRepository;
let table: string;

/** A realistic allocation from the real allocator: `n` channels with two weeks of varied history each. */
const allocationOf = (n: number): Allocation => {
  const channels = Array.from({ length: n }, (_, i) => ({
    id: `campaign-${String(i).padStart(4, '0')}`,
    platform: ['google_ads', 'meta', 'tiktok'][i % 3],
    base: 1,
    max: 200 + (i % 13) * 10,
    explore: i % 4 === 0,
  }));
  const history = channels.flatMap((c, i) =>
    Array.from({ length: 14 }, (_, d) => ({
      channelId: c.id,
      date: addDays('2026-03-01', d),
      spend: 20 + (i % 17) * 3 + d,
      conversions: 1 + ((i * 7 + d) % 6),
      revenue: 40 + (i % 11) * 5 + d,
    })),
  );
  const input = portfolioInput({
    budget: { daily: n * 30, explorationShare: 0.1, maxDailyChange: 0.25 },
    channels,
    history,
    asOf: '2026-03-15',
  });
  return allocate(input);
};

const snapshotOf = (allocation: Allocation, at: string, trigger: Snapshot['trigger']): Snapshot => ({
  snapshotId: snapshotId(new Date(at), randomBytes(3).toString('hex')),
  portfolioId: 'big',
  createdAt: new Date(at).toISOString(),
  configHash: 'test',
  watermark: '2026-03-14',
  inputHash: 'input',
  computation: 'solved',
  trigger,
  allocation,
});

/** The items stored under the portfolio whose sort key starts with `prefix`. */
const storedItems = async (prefix: string) =>
  (
    await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': 'big', ':prefix': prefix },
      }),
    )
  ).Items ?? [];

let large: Allocation;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
  table = runtime.tableName(ALLOCATIONS_TABLE.id);
  allocations = new AllocationsRepository(client, table);
  large = allocationOf(5000);
}, 120_000);
afterAll(async () => {
  client.destroy();
  await runtime.close();
});

describe('a 5,000-channel snapshot on DynamoDB Local', () => {
  it('is written, and read back whole by get, latest and list', { timeout: 120_000 }, async () => {
    expect(large.channels).toHaveLength(5000);
    expect(Buffer.byteLength(JSON.stringify(large))).toBeGreaterThan(1_000_000);
    const snapshot = snapshotOf(large, '2026-03-15T10:00:00Z', { kind: 'schedule', window: '2026-03-15T10:00:00.000Z' });

    expect(await allocations.create(snapshot)).toEqual({ created: true });
    await allocations.advanceLatest('big', snapshot.snapshotId);

    expect(await allocations.get('big', snapshot.snapshotId)).toEqual(snapshot);
    expect(await allocations.latest('big')).toEqual(snapshot);
    expect(await allocations.windowSnapshotId('big', '2026-03-15T10:00:00.000Z')).toBe(snapshot.snapshotId);
    const page = await allocations.list('big', { limit: 20 });
    expect(page.snapshots).toEqual([snapshot]);
    expect(page.next).toBeNull();
  });

  it('is served whole by the snapshot route, as JSON and as CSV', { timeout: 120_000 }, async () => {
    const snapshot = snapshotOf(large, '2026-03-15T11:00:00Z', { kind: 'on-demand', by: 'test' });
    await allocations.create(snapshot);
    // The routes answer for configured portfolios only: store the same allocation under `demo` too.
    const demoSnapshot = { ...snapshot, portfolioId: 'demo' };
    await allocations.create(demoSnapshot);

    const json = await runtime.get(`/portfolios/demo/allocations/${snapshot.snapshotId}`);
    expect(json.status).toBe(200);
    expect(json.body.allocation.channels).toHaveLength(5000);
    expect(json.body.allocation.channels[4999]).toEqual(large.channels[4999]);
    const csv = await runtime.get(`/portfolios/demo/allocations/${snapshot.snapshotId}?format=csv`);
    expect(csv.status).toBe(200);
    expect(String(csv.body).trim().split('\n').length).toBeGreaterThanOrEqual(5001);
  });

  it('leaves no parts behind when a redelivered window loses to the snapshot that window already made', { timeout: 120_000 }, async () => {
    const window = '2026-03-15T12:00:00.000Z';
    const first = snapshotOf(large, '2026-03-15T12:00:01Z', { kind: 'schedule', window });
    const second = snapshotOf(large, '2026-03-15T12:00:02Z', { kind: 'schedule', window });
    expect(await allocations.create(first)).toEqual({ created: true });
    expect(await allocations.create(second)).toEqual({ created: false, existing: first.snapshotId });
    expect(await allocations.get('big', second.snapshotId)).toBeNull();
    expect(await storedItems(`PART#${second.snapshotId}#`)).toEqual([]);
    expect((await storedItems(`PART#${first.snapshotId}#`)).length).toBeGreaterThan(0);
  });
});

describe('the snapshot list route with large snapshots', () => {
  it('ends a page before its JSON outgrows a Lambda answer, and the next page carries on', { timeout: 120_000 }, async () => {
    // Four published 5,000-channel snapshots (1.6 MB each) on one day: 6.4 MB, more than a Lambda may answer.
    const made: string[] = [];
    for (const hour of ['10', '11', '12', '13']) {
      const snapshot = { ...snapshotOf(large, `2026-03-17T${hour}:00:00Z`, { kind: 'on-demand', by: 'test' }), portfolioId: 'demo' };
      await allocations.create(snapshot);
      await allocations.markPublished('demo', snapshot.snapshotId, snapshot.createdAt);
      made.unshift(snapshot.snapshotId);
    }
    const first = await runtime.get('/portfolios/demo/allocations?from=2026-03-17&to=2026-03-17');
    expect(first.status).toBe(200);
    expect(first.body.snapshots.length).toBeLessThan(4);
    expect(JSON.stringify(first.body).length).toBeLessThan(6_000_000);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await runtime.get(`/portfolios/demo/allocations?from=2026-03-17&to=2026-03-17&cursor=${first.body.next}`);
    expect(second.status).toBe(200);
    expect([...first.body.snapshots, ...second.body.snapshots].map((s: Snapshot) => s.snapshotId)).toEqual(made);
    expect(second.body.snapshots[0].allocation.channels).toHaveLength(5000);
  });
});

describe('snapshot layout', () => {
  it('keeps a small snapshot in one item, as every snapshot was stored before', async () => {
    const small = snapshotOf(allocationOf(10), '2026-03-16T09:00:00Z', { kind: 'on-demand', by: 'test' });
    await allocations.create(small);
    const [head] = await storedItems(`SNAPSHOT#${small.snapshotId}`);
    expect(head?.allocation).toEqual(small.allocation);
    expect(await storedItems(`PART#${small.snapshotId}#`)).toEqual([]);
    expect(await allocations.get('big', small.snapshotId)).toEqual(small);
  });

  it('stores a large one as a small head item and parts that the snapshot list never returns', async () => {
    const snapshot = snapshotOf(large, '2026-03-16T10:00:00Z', { kind: 'on-demand', by: 'test' });
    await allocations.create(snapshot);
    const [head] = await storedItems(`SNAPSHOT#${snapshot.snapshotId}`);
    const parts = await storedItems(`PART#${snapshot.snapshotId}#`);
    expect(head?.allocation).toBeUndefined();
    expect(head?.allocationParts).toBe(parts.length);
    expect(Buffer.byteLength(JSON.stringify(head))).toBeLessThan(2_000);
    // Pages of the list count snapshots only: a page of two is two snapshots, whatever their parts.
    const page = await allocations.list('big', { limit: 2, from: '20260315', to: '20260316~' });
    expect(page.snapshots.map((s) => s.snapshotId)).toEqual([snapshot.snapshotId, expect.any(String)]);
    expect(page.snapshots[0]).toEqual(snapshot);
    expect(page.next).not.toBeNull();
  });
});

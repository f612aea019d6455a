import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDemoFeed } from '../../bin/local/demo.js';
import { allocate } from '../../functions/domain/allocation/allocate.js';
import { AllocationInput } from '../../functions/domain/allocation/schemas.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** Replay: each snapshot keeps the exact input it was decided from, and solving it again gives the same plan. */
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await replayDemoFeed(runtime.url, demo, new Date(), 30);
}, 120_000);
afterAll(async () => {
  await runtime.close();
});

const reallocate = async (): Promise<Snapshot> =>
  (await (
    await fetch(`${runtime.url}/portfolios/demo/reallocate`, { method: 'POST', headers: { authorization: `Bearer ${runtime.apiToken}` } })
  ).json()) as Snapshot;

describe('replaying a snapshot', () => {
  it('serves the exact input a snapshot was solved from, and solving it again gives the snapshot’s channel totals', async () => {
    const snapshot = await reallocate();
    const answer = await runtime.get(`/portfolios/demo/allocations/${snapshot.snapshotId}/input`);
    expect(answer.status).toBe(200);
    const input = AllocationInput.parse(answer.body);
    expect(input.asOf).toBe(snapshot.allocation.asOf);
    const replayed = allocate(input);
    expect(replayed.channels.map((c) => [c.channelId, c.total])).toEqual(snapshot.allocation.channels.map((c) => [c.channelId, c.total]));
    expect(replayed.status).toBe(snapshot.allocation.status);
  });

  it('replays a reused snapshot from the input its source kept, and answers 404 for a snapshot it does not know', async () => {
    // Once a run starts from the plan the last run made, nothing has changed and the next run reuses it.
    await reallocate();
    const reused = await reallocate();
    expect(reused.computation).toBe('reused');
    const input = await runtime.get(`/portfolios/demo/allocations/${reused.snapshotId}/input`);
    expect(input.status).toBe(200);
    expect(allocate(AllocationInput.parse(input.body)).channels.map((c) => c.total)).toEqual(
      reused.allocation.channels.map((c) => c.total),
    );
    const unknown = await runtime.get('/portfolios/demo/allocations/20200101T000000000Z-000000/input');
    expect(unknown.status).toBe(404);
  });
});

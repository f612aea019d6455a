import { execFile } from 'node:child_process';
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
    // It takes nothing but the path: a query parameter is refused by name, not read past.
    const queried = await runtime.get(`/portfolios/demo/allocations/${reused.snapshotId}/input?format=csv`);
    expect([queried.status, (queried.body as { error: { issues: unknown[] } }).error.issues]).toEqual([
      400,
      [{ path: 'format', message: expect.stringContaining('named in the path') }],
    ]);
    // `latest` reads as GET …/allocations/latest does: the snapshot LATEST points at.
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body as Snapshot;
    expect((await runtime.get('/portfolios/demo/allocations/latest/input')).body).toEqual(
      (await runtime.get(`/portfolios/demo/allocations/${latest.reusedFrom ?? latest.snapshotId}/input`)).body,
    );
  });
});

describe('npm run allocate -- --snapshot ID', () => {
  // Asynchronously: the local server answers from this process, so a blocking spawn would wait on itself.
  const allocateCli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bin/allocate.ts', ...args],
        { encoding: 'utf8', env: { ...process.env, LOCAL_API_TOKEN: runtime.apiToken }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });

  it('solves the stored input again and prints the allocation, with every channel total exactly the snapshot’s', async () => {
    const snapshot = await reallocate();
    const replay = await allocateCli('--snapshot', snapshot.snapshotId, '--url', runtime.url);
    expect(replay.stderr).toBe(`replayed snapshot ${snapshot.snapshotId} of portfolio demo: every channel total equals the snapshot's\n`);
    expect(replay.status).toBe(0);
    const allocation = JSON.parse(replay.stdout);
    expect(allocation.channels.map((c: { channelId: string; total: number }) => [c.channelId, c.total])).toEqual(
      snapshot.allocation.channels.map((c) => [c.channelId, c.total]),
    );
    expect(allocation.total).toBe(snapshot.allocation.total);
    // What it prints is what --input prints for the same input (only the solve's own timing differs).
    const input = await allocateCli('--snapshot', snapshot.snapshotId, '--portfolio', 'demo', '--url', runtime.url, '--print-input');
    expect(input.status).toBe(0);
    expect(JSON.parse(input.stdout)).toEqual((await runtime.get(`/portfolios/demo/allocations/${snapshot.snapshotId}/input`)).body);
    const { solver: _a, ...replayed } = allocation;
    const { solver: _b, ...direct } = allocate(AllocationInput.parse(JSON.parse(input.stdout)));
    expect(replayed).toEqual(JSON.parse(JSON.stringify(direct)));
  }, 60_000);

  it('says which snapshot it cannot find (exit 2), and that no server answers (exit 1)', async () => {
    const unknown = await allocateCli('--snapshot', '20200101T000000000Z-000000', '--url', runtime.url);
    expect([unknown.status, unknown.stdout]).toEqual([2, '']);
    expect(unknown.stderr).toMatch(/^no snapshot "20200101T000000000Z-000000" in portfolio "demo"/);
    const down = await allocateCli('--snapshot', '20200101T000000000Z-000000', '--portfolio', 'demo', '--url', 'http://127.0.0.1:9');
    expect([down.status, down.stdout]).toEqual([1, '']);
    expect(down.stderr).toMatch(/^no server answered at http:\/\/127\.0\.0\.1:9/);
  }, 60_000);
});

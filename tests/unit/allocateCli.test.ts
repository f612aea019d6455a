import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { twoChannelInput } from '../support/cliInput.js';

const dir = mkdtempSync(join(tmpdir(), 'allocate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm run allocate -- --input FILE` on `text` written to a file. */
const allocate = (name: string, text: string) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, text);
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/allocate.ts', '--input', file], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const input = twoChannelInput;

/** A refusal: exit 2, the file and the problem's path and message on stderr, no stack trace, nothing on stdout. */
const expectRefusal = (result: ReturnType<typeof allocate>, line: RegExp) => {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(line);
  expect(result.stderr).not.toMatch(/\n\s+at |TypeError|Error:/);
};

describe('npm run allocate refuses what it cannot honour', () => {
  it('prints an allocation with exit 0 for the valid input the cases below start from', () => {
    const result = allocate('valid', JSON.stringify(input()));
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).total).toBe(1000);
  }, 30_000);

  it('refuses 1e308 amounts in history (which crashed the curve fit with a stack trace)', () => {
    const huge = input();
    for (const row of huge.history) row.spend = 1e308;
    expectRefusal(allocate('huge', JSON.stringify(huge)), /^ {2}- history\[0\]\.spend: Too big: expected number to be <=1000000000$/m);
  }, 30_000);

  it('refuses a 1e308 previous total (which printed a curve point as null)', () => {
    const huge = input();
    huge.previous.channels[1]!.total = 1e308;
    expectRefusal(allocate('huge-previous', JSON.stringify(huge)), /^ {2}- previous\.channels\[1\]\.total: Too big/m);
  }, 30_000);

  it('refuses a previous total of 1e999, which JSON.parse reads as Infinity', () => {
    const text = JSON.stringify(input()).replace('"total":400', '"total":1e999');
    expectRefusal(allocate('infinite-previous', text), /^ {2}- previous\.channels\[0\]\.total: .*Infinity$/m);
  }, 30_000);

  it('refuses a channel-day sent twice in history', () => {
    const twice = input();
    twice.history.push({ ...twice.history[3]! });
    expectRefusal(
      allocate('duplicate', JSON.stringify(twice)),
      /^ {2}- history\[56\]: channel "b" on 2026-10-02 is already at history\[3\]$/m,
    );
  }, 30_000);

  it('refuses a revision reported after asOf', () => {
    const early = input() as any;
    early.history[0].revisions = [{ reportedOn: '2026-11-30', conversions: 5 }];
    expectRefusal(
      allocate('future-revision', JSON.stringify(early)),
      /^ {2}- history\[0\]\.revisions\[0\]\.reportedOn: reported after asOf/m,
    );
  }, 30_000);

  it('refuses history rows dated on or after asOf, and rows for a channel the portfolio does not have, each at its path', () => {
    const odd = input();
    odd.history.push({ channelId: 'a', date: '2026-10-29', spend: 300, conversions: 10, revenue: 500 });
    odd.history.push({ channelId: 'tv', date: '2026-10-02', spend: 300, conversions: 10, revenue: 500 });
    const result = allocate('odd-history', JSON.stringify(odd));
    expectRefusal(result, /^ {2}- history\[56\]\.date: on or after asOf \(2026-10-29\)/m);
    expect(result.stderr).toMatch(/^ {2}- history\[57\]\.channelId: "tv" is not a channel of the portfolio$/m);
  }, 30_000);

  it('refuses an asOf that is no date with one line at asOf, not one more per history row', () => {
    const result = allocate('bad-as-of', JSON.stringify({ ...input(), asOf: '2026-02-30' }));
    expectRefusal(result, /^ {2}- asOf: /m);
    expect(result.stderr).not.toMatch(/on or after asOf/);
    expect(result.stderr.match(/^ {2}- /gm)).toHaveLength(1);
  }, 30_000);

  it('refuses a stop-loss on a channel the portfolio does not have', () => {
    const unknown = { ...input(), stopLoss: ['tv'] };
    expectRefusal(allocate('unknown-stop-loss', JSON.stringify(unknown)), /^ {2}- stopLoss\[0\]: "tv" is not a channel of the portfolio$/m);
  }, 30_000);
});

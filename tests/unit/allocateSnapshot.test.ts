import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { totalsDiffer } from '../../bin/allocateSnapshot.js';

describe('replaying a snapshot: npm run allocate -- --snapshot ID', () => {
  it('finds no difference when every channel total is the snapshot’s, and names each one that differs', () => {
    const stored = [
      { channelId: 'search', total: 3500.25 },
      { channelId: 'social', total: 1499.75 },
    ];
    expect(totalsDiffer(stored, [...stored].reverse())).toEqual([]);
    expect(
      totalsDiffer(stored, [
        { channelId: 'search', total: 3500.26 },
        { channelId: 'video', total: 10 },
      ]),
    ).toEqual([
      'search: 3500.25 in the snapshot, 3500.26 replayed',
      'social: 1499.75 in the snapshot, absent replayed',
      'video: absent from the snapshot, 10 replayed',
    ]);
  });

  it('refuses --portfolio, --url or --print-input without --snapshot, and --snapshot with another mode (exit 2, one line)', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bin/allocate.ts', ...args], { encoding: 'utf8' });
    for (const args of [
      ['--input', 'x.json', '--portfolio', 'demo'],
      ['--ndjson', '--print-input'],
      ['--snapshot', 'a', '--input', 'x.json'],
    ]) {
      const result = run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);
});

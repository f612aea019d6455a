import { describe, expect, it } from 'vitest';
import { chunkByKey, pullWindow } from '../../../../functions/domain/connectors/pullWindow.js';

describe('pull window', () => {
  it('re-reads the restatement window up to today once the account is caught up', () => {
    expect(pullWindow('2026-11-30', 14, '2026-11-30')).toEqual({ from: '2026-11-16', to: '2026-11-30' });
    expect(pullWindow('2026-11-30', 14, '2026-11-20')).toEqual({ from: '2026-11-16', to: '2026-11-30' });
  });

  it('reaches back to the day after the newest stored day when the poller missed more than the window', () => {
    expect(pullWindow('2026-11-30', 7, '2026-11-10')).toEqual({ from: '2026-11-11', to: '2026-11-30' });
  });

  it('backfills the 60 days before today when nothing is stored, and never reaches further', () => {
    expect(pullWindow('2026-11-30', 7, undefined)).toEqual({ from: '2026-10-01', to: '2026-11-30' });
    expect(pullWindow('2026-11-30', 7, '2025-01-01')).toEqual({ from: '2026-10-01', to: '2026-11-30' });
  });
});

describe('chunks of a pull', () => {
  it('never splits a channel-day across deliveries, and fills each up to the limit', () => {
    const rows = ['a#1', 'a#1', 'b#1', 'c#1', 'c#1', 'c#1', 'd#1'].map((key, i) => ({ key, i }));
    const chunks = chunkByKey(rows, (r) => r.key, 4);
    expect(chunks.map((c) => c.map((r) => r.key))).toEqual([
      ['a#1', 'a#1', 'b#1'],
      ['c#1', 'c#1', 'c#1', 'd#1'],
    ]);
    expect(chunks.flat()).toHaveLength(rows.length);
  });

  it('gives a group larger than the limit a chunk of its own', () => {
    const rows = ['x', 'y', 'y', 'y', 'z'].map((key) => ({ key }));
    expect(chunkByKey(rows, (r) => r.key, 2).map((c) => c.length)).toEqual([1, 3, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { whyItChanged } from '../../../functions/domain/changeDrivers.js';
import { Portfolio } from '../../../functions/domain/config.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';

const portfolio = Portfolio.parse({
  id: 'p',
  name: 'P',
  currency: 'USD',
  timezone: 'UTC',
  budget: { daily: 1000 },
  channels: [
    { id: 'search', name: 'Search', platform: 'generic', base: 100, max: 800 },
    { id: 'social', name: 'Social', platform: 'generic', base: 100, max: 800 },
  ],
});

const channel = (channelId: string, over: Record<string, unknown> = {}) => ({
  channelId,
  base: 100,
  performance: 300,
  exploration: 50,
  total: 450,
  previousTotal: null,
  expectedConversions: 10,
  marginalCpa: 40,
  reason: 'Strong margin.',
  ...over,
});

const snapshot = (over: Partial<Snapshot>, channels: ReturnType<typeof channel>[]): Snapshot =>
  ({
    snapshotId: '20261120T000000000Z-aaaaaa',
    portfolioId: 'p',
    createdAt: '2026-11-20T00:00:00.000Z',
    configHash: 'aaaaaaaaaaaa',
    watermark: '2026-11-19',
    inputHash: 'x',
    computation: 'solved',
    trigger: { kind: 'on-demand', by: 'test' },
    allocation: {
      status: 'optimal',
      asOf: '2026-11-20',
      total: channels.reduce((s, c) => s + c.total, 0),
      channels,
      exploration: 100,
      reserve: 0,
      constraints: [],
      expectedConversions: 20,
      solver: { name: 'javascript-lp-solver', ms: 1 },
    },
    ...over,
  }) as Snapshot;

describe('why it changed', () => {
  it('names each driver with its amount: exploration, the optimizer, new data moving the curve', () => {
    const from = snapshot({}, [channel('search'), channel('social')]);
    const to = snapshot({ watermark: '2026-11-20', inputHash: 'y' }, [
      channel('search', { exploration: 20, performance: 330, total: 450, marginalCpa: 50 }),
      channel('social', { exploration: 80, performance: 200, total: 380 }),
    ]);
    const [search, social] = whyItChanged(from, to, portfolio);
    expect(search!.drivers.map((d) => [d.kind, d.amount])).toEqual([
      ['exploration', -30],
      ['optimizer', 30],
      ['data', null],
    ]);
    expect(search!.summary).toBe(
      'Search is unchanged at 450.00: exploration moved 30.00 away to channels with more to learn; the optimizer moved 30.00 of performance budget here, where the next unit returns more; new data moved its curve: the next conversion costs 50.00 (was 40.00).',
    );
    expect(social!.summary).toMatch(/^Social fell by 70.00 to 380.00: exploration moved 30.00 here/);
  });

  it('tells a config change, a stop-loss, a binding cap and a released reserve', () => {
    const from = snapshot({}, [channel('search'), channel('social')]);
    const to = snapshot(
      {
        configHash: 'bbbbbbbbbbbb',
        trigger: { kind: 'on-demand', by: 'ops', releaseReserve: { reason: 'Black Friday' } },
        allocation: {
          ...from.allocation,
          channels: [
            channel('search', { base: 150, total: 800, performance: 600 }),
            channel('social', { total: 100, performance: 0, exploration: 0, reason: 'Stop-loss alert open: held at its base.' }),
          ],
          constraints: [{ id: 'max:search', binding: true, shadowPrice: 0.01, explanation: '' }],
        },
      },
      [],
    );
    const [search, social] = whyItChanged(from, to, portfolio);
    expect(search!.drivers.map((d) => d.kind)).toEqual(['config', 'reserve', 'optimizer', 'constraint']);
    expect(search!.summary).toContain('the operators changed its base from 100.00 to 150.00');
    expect(search!.summary).toContain('the reserve was released into the plan ("Black Friday")');
    expect(search!.summary).toContain('it sits at its cap of 800.00');
    expect(social!.drivers[0]).toMatchObject({ kind: 'stop-loss', sentence: 'a stop-loss alert opened, holding it at its base' });
  });
});

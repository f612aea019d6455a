import { describe, expect, it } from 'vitest';
import { allocate } from '../../../functions/domain/allocation/allocate.js';
import type { AllocationInput } from '../../../functions/domain/allocation/schemas.js';
import { dataChanges, whyItChanged } from '../../../functions/domain/changeDrivers.js';
import { Portfolio } from '../../../functions/domain/config.js';
import { addDays } from '../../../functions/domain/dates.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';
import { portfolioInput } from '../../support/portfolioInput.js';

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

describe('why it changed, from the snapshots alone (inputs not kept)', () => {
  it('names each driver: exploration, the optimizer, new data moving the curve; the biggest mover first', () => {
    const from = snapshot({}, [channel('search'), channel('social')]);
    const to = snapshot({ watermark: '2026-11-20', inputHash: 'y' }, [
      channel('search', { exploration: 20, performance: 330, total: 450, marginalCpa: 50 }),
      channel('social', { exploration: 80, performance: 200, total: 380 }),
    ]);
    const [social, search] = whyItChanged(from, to, portfolio);
    expect(search!.drivers.map((d) => [d.kind, d.amount])).toEqual([
      ['data', null],
      ['optimizer', 30],
      ['exploration', -30],
    ]);
    expect(search!.summary).toBe(
      'Search is unchanged at 450.00: new data moved its curve: the next conversion costs 50.00 (was 40.00); the optimizer moved 30.00 of performance budget here, where the next unit returns more; exploration moved 30.00 away to channels with more to learn.',
    );
    expect(social!.summary).toMatch(
      /^Social fell by 70.00 to 380.00: new data arrived \(up to 2026-11-20\); the optimizer moved 100.00 .* exploration gave it 30.00 more/,
    );
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

  it('tells the reserve held back again after a plan that released it', () => {
    const from = snapshot({ trigger: { kind: 'on-demand', by: 'ops', releaseReserve: { reason: 'Black Friday' } } }, [channel('search')]);
    const to = snapshot({ snapshotId: '20261120T010000000Z-bbbbbb' }, [channel('search', { total: 350, performance: 200 })]);
    const [search] = whyItChanged(from, to, portfolio);
    expect(search!.drivers.map((d) => d.kind)).toContain('reserve');
    expect(search!.summary).toContain('the reserve was held back again, where the earlier plan had released it ("Black Friday")');
  });
});

/** Two channels with 28 days of history each: search converts better than social. */
const inputOn = (
  asOf: string,
  over: { daily?: number; restate?: number; searchFactor?: number; stopLoss?: string[] } = {},
): AllocationInput => {
  const history = ['search', 'social'].flatMap((channelId, k) =>
    Array.from({ length: 28 }, (_, d) => {
      const date = addDays(asOf, -1 - d);
      // Values follow the date, so two inputs a day apart share the days they both hold.
      const day = Date.parse(date) / 86_400_000;
      const spend = 300 + ((day * 37 + k * 11) % 7) * 40;
      const conversions = Math.round(spend * (k === 0 ? 0.05 * (over.searchFactor ?? 1) : 0.03) * (1 - spend / 4000));
      return { channelId, date, spend, conversions };
    }),
  );
  if (over.restate !== undefined) history[2] = { ...history[2]!, conversions: over.restate };
  const input = portfolioInput({
    budget: { daily: over.daily ?? 1000, explorationShare: 0.1, maxDailyChange: 0.5 },
    channels: [
      { id: 'search', name: 'Google Search', platform: 'generic', base: 100, max: 1200 },
      { id: 'social', name: 'Meta Social', platform: 'generic', base: 100, max: 1200 },
    ],
    history,
    asOf,
  });
  return { ...input, stopLoss: over.stopLoss ?? [], seed: 7 };
};

/** A snapshot as a run writes it: the allocation the input gives. */
const solved = (input: AllocationInput, id: string): Snapshot =>
  snapshot(
    { snapshotId: id, configHash: JSON.stringify(input.portfolio.budget), allocation: allocate(input) as Snapshot['allocation'] },
    [],
  );

const causesOf = (c: ReturnType<typeof whyItChanged>[number]) => c.drivers.filter((d) => d.role === 'cause');

describe('why it changed, attributed by solving the kept inputs again one cause at a time', () => {
  it('names the restated row, and the causes add up to each change', () => {
    const before = inputOn('2026-11-22');
    const row = before.history[2]!;
    const after = inputOn('2026-11-22', { restate: row.conversions * 3 });
    const [from, to] = [solved(before, 'a'), solved(after, 'b')];
    const changes = whyItChanged(from, to, portfolio, { from: before, to: after });
    for (const c of changes) {
      const sum = causesOf(c).reduce((s, d) => s + d.amount!, 0);
      expect(sum, c.summary).toBeCloseTo(c.change, 6);
    }
    const moved = changes.find((c) => Math.abs(c.change) >= 0.01)!;
    expect(causesOf(moved).map((d) => d.kind)).toEqual(['data']);
    expect(moved.summary).toContain(`${row.date} restated: Search conversions ${row.conversions} → ${row.conversions * 3}`);
    expect(moved.summary).toContain('from restated data (');
    // The biggest mover's sentence comes first.
    expect(changes.map((c) => Math.abs(c.change))).toEqual([...changes.map((c) => Math.abs(c.change))].sort((a, b) => b - a));
  });

  it('tells a budget change from new data, each with its own amount, and names both', () => {
    const before = inputOn('2026-11-22');
    const after = inputOn('2026-11-23', { daily: 1300 });
    const [from, to] = [solved(before, 'a'), solved(after, 'b')];
    const changes = whyItChanged(from, to, portfolio, { from: before, to: after });
    const kinds = new Set(changes.flatMap((c) => causesOf(c).map((d) => d.kind)));
    expect(kinds.has('config')).toBe(true);
    expect(changes.map((c) => c.summary).join(' ')).toContain('the daily budget 1,000.00 → 1,300.00');
    expect(changes.map((c) => c.summary).join(' ')).toMatch(/new data for 1 day \(2026-11-22\)/);
    for (const c of changes) expect(causesOf(c).reduce((s, d) => s + d.amount!, 0)).toBeCloseTo(c.change, 6);
    // The budget rose by 300: the config's amounts across channels account for most of it.
    const configTotal = changes.flatMap((c) => causesOf(c).filter((d) => d.kind === 'config')).reduce((s, d) => s + d.amount!, 0);
    expect(configTotal).toBeGreaterThan(150);
  });

  it('names the reserve held back again after a run that released it, as the whole of the fall', () => {
    const base = inputOn('2026-11-22');
    const held = { ...base, portfolio: { ...base.portfolio, budget: { ...base.portfolio.budget, reserveShare: 0.2 } } };
    const before = { ...held, releaseReserve: true };
    const [from, to] = [solved(before, 'a'), solved(held, 'b')];
    expect(from.allocation.total - to.allocation.total).toBeCloseTo(200, 2);
    const changes = whyItChanged(from, to, portfolio, { from: before, to: held });
    const causes = changes.flatMap((c) => causesOf(c));
    expect(new Set(causes.map((d) => d.kind))).toEqual(new Set(['reserve']));
    expect(causes.reduce((s, d) => s + d.amount!, 0)).toBeCloseTo(to.allocation.total - from.allocation.total, 6);
    expect(changes.map((c) => c.summary).join(' ')).toContain('the reserve held back again (the earlier run had released it)');
  });

  it('attributes a channel held at its base to the stop-loss that opened', () => {
    const before = inputOn('2026-11-22');
    const after = inputOn('2026-11-22', { stopLoss: ['search'] });
    const [from, to] = [solved(before, 'a'), solved(after, 'b')];
    const search = whyItChanged(from, to, portfolio, { from: before, to: after }).find((c) => c.channelId === 'search')!;
    expect(search.change).toBeLessThan(0);
    expect(causesOf(search).map((d) => [d.kind, d.amount])).toEqual([['stop-loss', search.change]]);
    expect(search.summary).toContain('from a stop-loss opened on Search');
  });

  it('says how the money moved: the change limit that stopped a channel, after a config change', () => {
    const plan = { channels: from0(inputOn('2026-11-22')) };
    const before = { ...inputOn('2026-11-22'), previous: plan, dayStart: plan };
    const restated = inputOn('2026-11-22', { searchFactor: 0.2 });
    const after = {
      ...restated,
      previous: plan,
      dayStart: plan,
      portfolio: { ...restated.portfolio, budget: { ...restated.portfolio.budget, maxDailyChange: 0.02 } },
    };
    const [from, to] = [solved(before, 'a'), solved(after, 'b')];
    const changes = whyItChanged(from, to, portfolio, { from: before, to: after });
    // The limit, cut from 50% to 2% of the day-start plan, holds social to 2% above it: the config is the cause, the limit the how.
    const social = changes.find((c) => c.channelId === 'social')!;
    const dayStart = plan.channels.find((c) => c.channelId === 'social')!.total;
    expect(to.allocation.channels.find((c) => c.channelId === 'social')!.total).toBeCloseTo(dayStart * 1.02, 2);
    expect(social.drivers.filter((d) => d.role === 'how').map((d) => d.kind)).toContain('change-limit');
    expect(causesOf(social).map((d) => d.kind)).toContain('config');
    expect(social.summary).toContain('a config change (the daily change limit 50% → 2%)');
    for (const c of changes) expect(causesOf(c).reduce((s, d) => s + d.amount!, 0)).toBeCloseTo(c.change, 6);
  });

  it('lists the history rows that are new, restated or gone from the window', () => {
    const before = inputOn('2026-11-22');
    const after = inputOn('2026-11-23', { restate: 99 });
    const kinds = dataChanges(before.history, after.history).map((c) => `${c.kind} ${c.channelId} ${c.date}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['new search 2026-11-22', 'new social 2026-11-22', 'dropped search 2026-10-25', 'dropped social 2026-10-25']),
    );
    expect(kinds.filter((k) => k.startsWith('restated'))).toHaveLength(1);
  });
});

/** The channels' totals of the plan the input gives: a day-start plan for the change limit. */
const from0 = (input: AllocationInput) => allocate(input).channels.map((c) => ({ channelId: c.channelId, total: c.total }));

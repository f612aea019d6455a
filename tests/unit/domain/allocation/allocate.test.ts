import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../../../functions/domain/allocation/allocate.js';
import { type Allocation, AllocationInput } from '../../../../functions/domain/allocation/schemas.js';
import { BudgetConfig } from '../../../../functions/domain/config.js';
import { addDays } from '../../../../functions/domain/dates.js';
import { demoFeed } from '../../../../functions/domain/demoFeed.js';
import { portfolioInput } from '../../../support/portfolioInput.js';

/** A cent and the last bit of a double: a bound on a plan of whole cents holds to within it. */
const CENT = 0.011;

/** Minor units in a currency unit, as ISO 4217 has them: the allocator reads them from the runtime. */
const MINOR_UNITS: Record<string, number> = { USD: 100, JPY: 1, KWD: 1000 };

/** A random valid portfolio with history and a previous allocation, as fast-check values. */
const inputs = fc
  .record({
    daily: fc.integer({ min: 1000, max: 50_000 }),
    share: fc.constantFrom(0, 0.05, 0.1, 0.2),
    reserve: fc.constantFrom(0, 0, 0.15, 0.2),
    change: fc.constantFrom(0.1, 0.25, 0.5),
    channels: fc.array(
      fc.record({
        baseShare: fc.double({ min: 0, max: 1, noNaN: true }),
        maxShare: fc.double({ min: 0.2, max: 1, noNaN: true }),
        efficiency: fc.double({ min: 0.005, max: 0.1, noNaN: true }),
        explore: fc.boolean(),
        days: fc.integer({ min: 0, max: 30 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    previous: fc.boolean(),
    stopFirst: fc.boolean(),
    seed: fc.integer(),
    // Dollars in cents, yen whole, dinars in fils, with a daily budget in any number of them.
    currency: fc.constantFrom('USD', 'JPY', 'KWD'),
    fraction: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ daily: whole, share, reserve, change, channels, previous, stopFirst, seed, currency, fraction }) => {
    const daily = whole + (fraction % MINOR_UNITS[currency]!) / MINOR_UNITS[currency]!;
    const room = daily * (1 - share - reserve);
    const baseWeights = channels.reduce((s, c) => s + c.baseShare, 0) || 1;
    const portfolioChannels = channels.map((c, i) => {
      const base = Math.floor(((c.baseShare / baseWeights) * room * 0.8) / channels.length);
      return {
        id: `c${i}`,
        platform: 'generic' as const,
        base,
        max: Math.max(base + 1, Math.round(c.maxShare * daily)),
        explore: c.explore,
      };
    });
    const history = channels.flatMap((c, i) =>
      Array.from({ length: c.days }, (_, d) => {
        const spend = 100 + ((d * 37 + i * 11) % 9) * 50;
        return {
          channelId: `c${i}`,
          date: addDays('2026-11-20', -d),
          spend,
          conversions: Math.round(spend * c.efficiency * (1 - spend / 20_000)),
        };
      }),
    );
    return AllocationInput.parse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency,
        timezone: 'UTC',
        budget: { daily, explorationShare: share, maxDailyChange: change, reserveShare: reserve },
        channels: portfolioChannels,
      },
      history,
      previous: previous
        ? { channels: portfolioChannels.map((c) => ({ channelId: c.id, total: Math.min(c.max, c.base + daily / (2 * channels.length)) })) }
        : null,
      stopLoss: stopFirst ? ['c0'] : [],
      asOf: '2026-11-21',
      seed,
    });
  });

const assertInvariants = (input: AllocationInput, allocation: Allocation) => {
  const { daily, explorationShare, maxDailyChange } = input.portfolio.budget;
  // Money is in whole minor units of the currency, so every bound holds to within one of them.
  const perUnit = MINOR_UNITS[input.portfolio.currency]!;
  const slack = 1 / perUnit + 1e-9;
  const minor = (v: number) => Math.round(v * perUnit);
  for (const c of allocation.channels) {
    for (const amount of [c.total, c.base, c.performance, c.exploration]) expect(minor(amount) / perUnit, c.channelId).toBe(amount);
  }
  expect(allocation.total).toBeLessThanOrEqual(daily + 1e-9);
  // The reserve holds back at least its share: what is placed is within daily × (1 − reserveShare).
  if (!input.releaseReserve) expect(allocation.total).toBeLessThanOrEqual(daily * (1 - input.portfolio.budget.reserveShare) + 1e-9);
  if (allocation.status === 'held') return;
  const previous = new Map(input.previous?.channels.map((c) => [c.channelId, c.total]));
  const allocatable = daily - allocation.reserve;
  const lowOf = (c: (typeof input.portfolio.channels)[number]) => {
    const before = previous.get(c.id);
    return before === undefined || input.stopLoss.includes(c.id)
      ? c.base
      : Math.min(c.max, Math.max(c.base, before * (1 - maxDailyChange)));
  };
  // Only when the budget cannot cover every channel's change-limit floor may a total fall below its floor.
  const floorsFit = input.portfolio.channels.reduce((s, c) => s + lowOf(c), 0) <= allocatable + slack;
  for (const [i, channel] of input.portfolio.channels.entries()) {
    const row = allocation.channels[i]!;
    expect(row.channelId).toBe(channel.id);
    expect(row.total).toBeGreaterThanOrEqual(channel.base - 1e-9);
    expect(row.total).toBeLessThanOrEqual(channel.max + slack);
    expect(row.base + row.performance + row.exploration).toBeCloseTo(row.total, 6);
    if (input.stopLoss.includes(channel.id)) expect([row.total, row.exploration]).toEqual([channel.base, 0]);
    const before = previous.get(channel.id);
    if (before !== undefined && !input.stopLoss.includes(channel.id)) {
      expect(row.total).toBeLessThanOrEqual(Math.max(channel.base, Math.min(channel.max, before * (1 + maxDailyChange))) + slack);
      if (floorsFit) expect(row.total).toBeGreaterThanOrEqual(lowOf(channel) - slack);
    }
  }
  // Exploration fills its share whenever the explorable channels have room for it under max and the change
  // limit, and the budget has room for it above the change limit's floors or inside the explorable
  // channels' floors (money the limit keeps there anyway).
  const room = input.portfolio.channels
    .filter((c) => c.explore && !input.stopLoss.includes(c.id))
    .reduce((sum, c) => {
      const before = previous.get(c.id);
      const high = before === undefined ? c.max : Math.max(c.base, Math.min(c.max, before * (1 + maxDailyChange)));
      return sum + (high - c.base);
    }, 0);
  const share = explorationShare * daily;
  const floors = input.portfolio.channels.reduce((s, c) => s + lowOf(c), 0);
  const insideFloors = input.portfolio.channels
    .filter((c) => c.explore && !input.stopLoss.includes(c.id))
    .reduce((sum, c) => sum + Math.max(0, lowOf(c) - c.base), 0);
  if (room >= share && floorsFit && allocatable - floors + insideFloors >= share) {
    expect(Math.abs(share - allocation.exploration)).toBeLessThanOrEqual(0.5 / perUnit + 1e-9);
  }
  expect(allocation.exploration).toBeLessThanOrEqual(share + 0.5 / perUnit + 1e-9);
  // Money adds up to the minor unit: the channels make the total, and the total, the reserve and the unplaced make the budget.
  expect(allocation.channels.reduce((s, c) => s + minor(c.total), 0)).toBe(minor(allocation.total));
  expect(minor(allocation.total) + minor(allocation.reserve) + minor(allocation.unallocated?.amount ?? 0)).toBe(minor(daily));
  for (const c of allocation.constraints) expect(c.shadowPrice, c.id).toBeGreaterThanOrEqual(0);
};

const withoutTiming = (a: Allocation) => ({ ...a, solver: { ...a.solver, ms: 0 } });

/** The demo portfolio as configured, with six weeks of its simulated feed up to 2026-12-06. */
const demoWithHistory = () => {
  const demo = BudgetConfig.parse(JSON.parse(readFileSync('config/budget.config.json', 'utf8'))).portfolios[0]!;
  const history = demoFeed(demo, '2026-12-06', 42).map(({ channelId, date, spend, conversions, revenue }) => ({
    channelId,
    date,
    spend,
    conversions,
    revenue,
  }));
  return { demo, history };
};

describe('allocate', () => {
  it('keeps every contract invariant on random portfolios', () => {
    fc.assert(
      fc.property(inputs, (input) => assertInvariants(input, allocate(input))),
      { numRuns: 150 },
    );
  });

  it('gives reasons that state their numbers and never contradict them: the channel’s own marginal CPA, beside the portfolio’s', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const allocation = allocate(input);
        if (allocation.status === 'held') return;
        for (const row of allocation.channels) {
          expect(row.reason).not.toMatch(/strong/i);
          const stated = /its next conversion (?:costs|would cost) ([\d,.]+|n\/a);/.exec(row.reason)?.[1];
          if (stated === undefined) continue;
          // In the currency's decimals, as the table shows it: 77.90 dollars, 78 yen.
          const digits = Math.log10(MINOR_UNITS[input.portfolio.currency]!);
          expect(stated).toBe(
            row.marginalCpa === null
              ? 'n/a'
              : row.marginalCpa.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
          );
        }
        // A channel the change limit's ceiling holds is raised to its total, as the table shows it.
        const digits = Math.log10(MINOR_UNITS[input.portfolio.currency]!);
        for (const constraint of allocation.constraints) {
          const to = /raised by the most the daily change limit allows \(to ([\d,.]+)/.exec(constraint.explanation)?.[1];
          if (to === undefined) continue;
          const row = allocation.channels.find((c) => `change:${c.channelId}` === constraint.id)!;
          expect(to).toBe(row.total.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('places a channel the change limit holds at that limit, to the minor unit its reason names', () => {
    // 650.33 × 1.1 = 715.363 KWD; the LP's twelve segments summed to 715.3629999999962, which rounded down to 715.362.
    const allocation = allocate({
      ...portfolioInput({
        budget: { daily: 1001.32, explorationShare: 0, maxDailyChange: 0.1, reserveShare: 0 },
        channels: [
          { id: 'c0', platform: 'generic', base: 0, max: 200 },
          { id: 'c1', platform: 'generic', base: 400, max: 716 },
        ],
        history: [],
        asOf: '2026-11-21',
        portfolio: { currency: 'KWD' },
      }),
      previous: {
        channels: [
          { channelId: 'c0', total: 200 },
          { channelId: 'c1', total: 650.33 },
        ],
      },
    });
    expect(allocation.channels.find((c) => c.channelId === 'c1')!.total).toBe(715.363);
    expect(allocation.constraints.find((c) => c.id === 'change:c1')!.explanation).toContain('(to 715.363 from 650.33');
  });

  it('gives the same output for the same input and seed', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        expect(withoutTiming(allocate(input))).toEqual(withoutTiming(allocate(structuredClone(input))));
      }),
      { numRuns: 40 },
    );
  });

  it('does not depend on the order channels are listed in', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const reversed = { ...input, portfolio: { ...input.portfolio, channels: [...input.portfolio.channels].reverse() } };
        const byId = (a: Allocation) => Object.fromEntries(a.channels.map((c) => [c.channelId, c.total]));
        const forward = byId(allocate(input));
        const backward = byId(allocate(reversed));
        for (const id of Object.keys(forward)) expect(backward[id]).toBeCloseTo(forward[id]!, 1);
      }),
      { numRuns: 40 },
    );
  });

  it('never expects less as the budget grows', () => {
    fc.assert(
      fc.property(inputs, fc.integer({ min: 1, max: 20_000 }), (input, more) => {
        const greedy = {
          ...input,
          portfolio: { ...input.portfolio, budget: { ...input.portfolio.budget, explorationShare: 0 } },
          previous: null,
        };
        const richer = {
          ...greedy,
          portfolio: { ...greedy.portfolio, budget: { ...greedy.portfolio.budget, daily: greedy.portfolio.budget.daily + more } },
        };
        expect(allocate(richer).expectedConversions).toBeGreaterThanOrEqual(allocate(greedy).expectedConversions - 0.02);
      }),
      { numRuns: 60 },
    );
  });

  it("plans hardly fewer conversions for a larger budget under the demo's carbon cap, exploring where carbon is cheap", () => {
    // The demo's cap binds from about 12,500 a day. Taken of the whole budget, exploration grew with it, and
    // evenly (every channel cleared a money margin the cap left unspent), onto video and display, the dirtiest:
    // 403 conversions expected at 15,000, 395 at 17,500, 391 at 20,000. Exploration still moves with the
    // budget, so a step can lose a little (1.3% at most, from 15,250 to 16,000), never 3%.
    const { demo, history } = demoWithHistory();
    const input = AllocationInput.parse({ portfolio: demo, history, previous: null, asOf: '2026-12-07', seed: 1 });
    const at = (daily: number) => allocate({ ...input, portfolio: { ...demo, budget: { ...demo.budget, daily } } });
    const plans = Array.from({ length: 29 }, (_, k) => at(10_000 + 500 * k));
    expect(plans.filter((p) => p.constraints.some((c) => c.id === 'carbon')).length).toBeGreaterThan(20);
    const expected = plans.map((p) => p.expectedConversions);
    for (let k = 1; k < expected.length; k += 1) {
      expect(expected[k], `${10_000 + 500 * k}: ${expected}`).toBeGreaterThanOrEqual(Math.max(...expected.slice(0, k)) * 0.985);
    }
    // Video emits six times what search does a unit: under the cap it is explored less.
    const explored = (p: Allocation, id: string) => p.channels.find((c) => c.channelId === id)!.exploration;
    expect(explored(plans[20]!, 'video')).toBeLessThan(explored(plans[20]!, 'search'));
  });

  it('explores elsewhere what a group capped at a share of 0 cannot take, as a max of 0 on its channels does', () => {
    const { demo, history } = demoWithHistory();
    const paused = ['video', 'podcast'];
    const withChannels = (max: (id: string, max: number) => number) =>
      demo.channels.map((c) => ({ ...c, base: paused.includes(c.id) ? 0 : c.base, max: max(c.id, c.max) }));
    const plan = (portfolio: Record<string, unknown>) =>
      allocate(AllocationInput.parse({ portfolio: { ...demo, ...portfolio }, history, previous: null, asOf: '2026-12-07', seed: 1 }));
    const grouped = plan({ channels: withChannels((_, max) => max), groups: [{ id: 'paused', channels: paused, maxShare: 0 }] });
    const capped = plan({ channels: withChannels((id, max) => (paused.includes(id) ? 0 : max)), groups: [] });
    // The group's channels take nothing, and their would-be exploration goes to the others: the whole share.
    expect(grouped.exploration).toBe(capped.exploration);
    expect(grouped.channels.map((c) => [c.channelId, c.total, c.exploration])).toEqual(
      capped.channels.map((c) => [c.channelId, c.total, c.exploration]),
    );
  });

  it.each([
    // Each member was offered the group's whole room, and each was trimmed to half (830 of 1,000 explored).
    { members: ['video', 'podcast'], maxShare: 0.02, previous: null, maxDailyChange: 0.25 },
    // Display's change-limit floor (1,080) was counted as room any member's exploration could take (985).
    {
      members: ['display', 'video', 'podcast'],
      maxShare: 0.15,
      previous: { search: 2500, social: 2500, video: 100, display: 1200, affiliate: 900, podcast: 100 },
      maxDailyChange: 0.1,
    },
  ])(
    "explores elsewhere what a capped group's members cannot take between them, and keeps the group within its share ($members)",
    ({ members, maxShare, previous, maxDailyChange }) => {
      const { demo, history } = demoWithHistory();
      const portfolio = {
        ...demo,
        budget: { ...demo.budget, maxDailyChange },
        channels: demo.channels.map((c) => ({ ...c, base: members.includes(c.id) ? 0 : c.base })),
        groups: [{ id: 'small', channels: members, maxShare }],
      };
      const plan = previous && { channels: Object.entries(previous).map(([channelId, total]) => ({ channelId, total })) };
      const allocation = allocate(AllocationInput.parse({ portfolio, history, previous: plan, asOf: '2026-12-07', seed: 1 }));
      const allocatable = demo.budget.daily * (1 - demo.budget.reserveShare);
      const grouped = allocation.channels.filter((c) => members.includes(c.channelId));
      expect(allocation.exploration).toBe(demo.budget.daily * demo.budget.explorationShare);
      expect(grouped.reduce((s, c) => s + c.total, 0)).toBeLessThanOrEqual(maxShare * allocatable + 0.005);
      expect(grouped.filter((c) => c.exploration > 0).length).toBeGreaterThanOrEqual(2);
    },
  );

  it("states a group's missed share as the published plan misses it, to the cent", () => {
    const { demo, history } = demoWithHistory();
    const members = ['social', 'video', 'display', 'affiliate'];
    const totals = { search: 3113.63, social: 2381.4, video: 1438.83, display: 536.59, affiliate: 969.07, podcast: 1321.58 };
    const portfolio = { ...demo, budget: { ...demo.budget, daily: 9851.7 }, groups: [{ id: 'g', channels: members, maxShare: 0.461 }] };
    const previous = { channels: Object.entries(totals).map(([channelId, total]) => ({ channelId, total })) };
    const allocation = allocate(AllocationInput.parse({ portfolio, history, previous, asOf: '2026-12-07', seed: 1 }));
    const group = allocation.constraints.find((c) => c.id === 'group:g')!;
    const published = allocation.channels.filter((c) => members.includes(c.channelId)).reduce((s, c) => s + c.total, 0);
    const cap = 0.461 * (9851.7 - allocation.reserve);
    // The LP's totals made it 4,091.98 and 231.59 over, beside a table summing to 4,091.97.
    expect(group.unmet).toBe(Math.round((published - cap) * 100) / 100);
    expect(group.explanation).toContain(
      `down only to ${published.toLocaleString('en-US', { minimumFractionDigits: 2 })}, ${group.unmet} over`,
    );
  });

  it('lists the max of a channel that exploration alone filled to it, priced by the unit beyond', () => {
    // a converts four times as well as b, and its whole max (100) is inside the exploration share (200).
    const history = (['a', 'b'] as const).flatMap((channelId, i) =>
      Array.from({ length: 20 }, (_, d) => {
        const spend = 200 + (d % 5) * 40;
        return { channelId, date: addDays('2026-11-20', -d), spend, conversions: Math.round(spend * [0.2, 0.05][i]!) };
      }),
    );
    const allocation = allocate(
      portfolioInput({
        budget: { daily: 1000, explorationShare: 0.2, reserveShare: 0 },
        channels: [
          { id: 'a', platform: 'generic', base: 0, max: 100 },
          { id: 'b', platform: 'generic', base: 0, max: 5000 },
          // Switched off: its max of 0 is the operator's, not a limit any plan could be held by.
          { id: 'off', platform: 'generic', base: 0, max: 0 },
        ],
        history,
        asOf: '2026-11-21',
      }),
    );
    expect(allocation.constraints.map((c) => c.id)).not.toContain('max:off');
    const a = allocation.channels[0]!;
    expect([a.total, a.exploration]).toEqual([100, 100]);
    const max = allocation.constraints.find((c) => c.id === 'max:a');
    const budget = allocation.constraints.find((c) => c.id === 'budget')!;
    // What a's next unit buys, less the budget's price of that unit.
    expect(max?.shadowPrice).toBeCloseTo(1 / a.marginalCpa! - budget.shadowPrice, 3);
    expect(max?.explanation).toMatch(/^a is at its max of 100: raising the max by 1 USD would add 0\.\d+ more conversions a day\.$/);
  });

  it("says a stop-loss holds a group short of its minimum, and no 'other channels' when it has none", () => {
    const { demo, history } = demoWithHistory();
    const portfolio = { ...demo, groups: [{ id: 'social-only', channels: ['social'], minShare: 0.3 }] };
    const allocation = allocate(
      AllocationInput.parse({ portfolio, history, previous: null, stopLoss: ['social'], asOf: '2026-12-07', seed: 1 }),
    );
    const group = allocation.constraints.find((c) => c.id === 'group:social-only')!;
    expect(group.explanation).toMatch(/a stop-loss holds social at its base: 1,200/);
    expect(group.explanation).not.toMatch(/other channels/);
  });

  it("lists the channels the change limit holds above a group's cap the plan misses, as their reasons say", () => {
    const { demo, history } = demoWithHistory();
    const portfolio = { ...demo, groups: [{ id: 'cap', channels: ['video', 'podcast'], maxShare: 0.12 }] };
    const totals = { search: 2400, social: 2300, video: 1225.6, display: 600, affiliate: 1000, podcast: 428.85 };
    const previous = { channels: Object.entries(totals).map(([channelId, total]) => ({ channelId, total })) };
    const allocation = allocate(AllocationInput.parse({ portfolio, history, previous, asOf: '2026-12-07', seed: 1 }));
    expect(allocation.constraints.find((c) => c.id === 'group:cap')?.unmet).toBeGreaterThan(0);
    for (const id of ['video', 'podcast']) {
      expect(allocation.channels.find((c) => c.channelId === id)!.reason).toMatch(/^Cut by the most the daily change limit/);
      expect(allocation.constraints.find((c) => c.id === `change:${id}`)?.explanation).toMatch(
        /is cut by the most the daily change limit allows \(to [\d,.]+ from [\d,.]+ when the day began\), toward group cap's maximum share\.$/,
      );
    }
  });

  it('cuts the daily change limit floors in proportion, instead of holding, when only they exceed the budget', () => {
    const input = AllocationInput.parse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily: 1000, explorationShare: 0, maxDailyChange: 0.1 },
        channels: [
          { id: 'a', platform: 'generic', base: 0, max: 5000 },
          { id: 'b', platform: 'generic', base: 100, max: 5000 },
        ],
      },
      history: [],
      previous: {
        channels: [
          { channelId: 'a', total: 3000 },
          { channelId: 'b', total: 1100 },
        ],
      },
      asOf: '2026-11-21',
    });
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(allocation.total).toBe(1000);
    // Floors 2700 and 990 give way toward the bases 0 and 100 by one factor: (1000 − 100) / (3690 − 100).
    const keep = 900 / 3590;
    expect(allocation.channels[0]!.total).toBeCloseTo(2700 * keep, 1);
    expect(allocation.channels[1]!.total).toBeCloseTo(100 + 890 * keep, 1);
    expect(allocation.channels[0]!.reason).toMatch(/Cut below the daily change limit \(−10% of 3,000.00, its total when the day began\)/);
    // The constraints say the same of every channel cut, the one whose margin prices the budget included:
    // below the limit, never "by the most the limit allows".
    const cuts = allocation.constraints.filter((c) => c.id.startsWith('change:'));
    expect(cuts.map((c) => c.id).sort()).toEqual(['change:a', 'change:b']);
    for (const c of cuts) expect(c.explanation).toMatch(/cut below the daily change limit/);
    // Money in the currency's decimals, as the channel's reason and the table write it (it read "from 3,000").
    expect(cuts.find((c) => c.id === 'change:a')!.explanation).toContain('from 3,000.00 when the day began');
  });

  it('holds on stale data', () => {
    const input = AllocationInput.parse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily: 1000 },
        channels: [{ id: 'a', platform: 'generic', base: 0, max: 1000 }],
      },
      history: [{ channelId: 'a', date: '2026-10-01', spend: 100, conversions: 3 }],
      asOf: '2026-11-21',
    });
    expect(allocate(input)).toMatchObject({ status: 'held', reason: expect.stringMatching(/stale data/) });
  });

  it('honours a target CPA (Σ spend ≤ targetCpa × Σ expected conversions), or says by how much it cannot, never holding for it', () => {
    fc.assert(
      fc.property(inputs, fc.integer({ min: 20, max: 200 }), (input, targetCpa) => {
        const constrained = { ...input, portfolio: { ...input.portfolio, objective: { ...input.portfolio.objective, targetCpa } } };
        const allocation = allocate(constrained);
        const unconstrained = allocate(input);
        // A target never turns an allocation into a held one.
        expect(allocation.status).toBe(unconstrained.status);
        if (allocation.status !== 'optimal') return;
        const unmet = allocation.constraints.find((c) => c.id === 'targetCpa' && c.unmet !== undefined);
        if (unmet) expect(unmet.explanation).toMatch(/cannot be met/);
        else expect(allocation.total).toBeLessThanOrEqual(targetCpa * allocation.expectedConversions * 1.01 + 1);
      }),
      { numRuns: 60 },
    );
  });

  it("plans in whole minor units of the currency, never past a budget with a fraction of one (a what-if's)", () => {
    const history = ['search', 'video'].flatMap((channelId, i) =>
      Array.from({ length: 20 }, (_, d) => {
        const spend = 1000 + ((d * 37) % 7) * 300;
        return { channelId, date: addDays('2026-11-20', -d), spend, conversions: Math.round(spend / [20, 45][i]!) };
      }),
    );
    const channels = [
      { id: 'search', platform: 'generic', base: 500, max: 8000 },
      { id: 'video', platform: 'generic', base: 500, max: 8000 },
    ];
    const yen = portfolioInput({
      budget: { daily: 10_001, reserveShare: 0.15 },
      channels,
      history,
      asOf: '2026-11-21',
      portfolio: { currency: 'JPY' },
    });
    const whatIf = { ...yen, portfolio: { ...yen.portfolio, budget: { ...yen.portfolio.budget, daily: 7000.5 } } };
    const previous = {
      channels: [
        { channelId: 'search', total: 6000.4 },
        { channelId: 'video', total: 2500.35 },
      ],
    };
    // The last is held on stale data: yesterday's plan, cut to today's budget.
    const inputs = [yen, whatIf, { ...whatIf, previous }, { ...whatIf, previous, asOf: '2026-12-15' }];
    expect(inputs.map((input) => allocate(input).status)).toEqual(['optimal', 'optimal', 'optimal', 'held']);
    for (const input of inputs) {
      const allocation = allocate(input);
      const amounts = allocation.channels.flatMap((c) => [c.total, c.performance, c.exploration]);
      expect(
        amounts.filter((a) => !Number.isInteger(a)),
        allocation.status,
      ).toEqual([]);
      expect([allocation.reserve, allocation.total].every(Number.isInteger)).toBe(true);
      expect(allocation.total + allocation.reserve).toBeLessThanOrEqual(input.portfolio.budget.daily);
    }
    // 15% of 10,001 yen is 1,500.15: the reserve holds back 1,501, never less than its share, and 8,500 is placed.
    expect([allocate(yen).reserve, allocate(yen).total]).toEqual([1501, 8500]);
    // Half a billion dollars and a cent, where a product's last bits pass a fixed 1e-6 of a cent: solved, in cents.
    const big = { ...yen, portfolio: { ...yen.portfolio, currency: 'USD', budget: { ...yen.portfolio.budget, daily: 500_000_000.01 } } };
    const large = allocate(big);
    expect(large.status).toBe('optimal');
    expect(large.channels.map((c) => Math.round(c.total * 100) / 100)).toEqual(large.channels.map((c) => c.total));
  });

  describe('business constraints', () => {
    /** Three channels with 30 days of history: search cheap, video dear and dirty, podcast in between. */
    const portfolio = (extra: Record<string, unknown>) =>
      portfolioInput({
        budget: { daily: 10_000, explorationShare: 0 },
        channels: [
          { id: 'search', platform: 'generic', base: 500, max: 8000, carbonPerUnit: 0.02 },
          { id: 'video', platform: 'generic', base: 500, max: 8000, carbonPerUnit: 0.3 },
          { id: 'podcast', platform: 'generic', base: 500, max: 8000, carbonPerUnit: 0.05 },
        ],
        portfolio: extra,
        history: ['search', 'video', 'podcast'].flatMap((channelId, i) =>
          Array.from({ length: 30 }, (_, d) => {
            const spend = 1000 + ((d * 37) % 7) * 300;
            return { channelId, date: addDays('2026-11-20', -d), spend, conversions: Math.round(spend / [20, 60, 35][i]!) };
          }),
        ),
        asOf: '2026-11-21',
      });
    const totalOf = (a: Allocation, id: string) => a.channels.find((c) => c.channelId === id)!.total;

    it('keeps a group within its shares and prices the share that binds', () => {
      const free = allocate(portfolio({}));
      const grouped = allocate(portfolio({ groups: [{ id: 'upper', channels: ['video', 'podcast'], minShare: 0.4 }] }));
      expect(totalOf(free, 'video') + totalOf(free, 'podcast')).toBeLessThan(4000);
      expect(totalOf(grouped, 'video') + totalOf(grouped, 'podcast')).toBeGreaterThanOrEqual(4000 - CENT);
      const group = grouped.constraints.find((c) => c.id === 'group:upper')!;
      expect(group.shadowPrice).toBeGreaterThan(0);
      expect(group.explanation).toMatch(/minimum share \(40%/);
      expect(grouped.expectedConversions).toBeLessThan(free.expectedConversions);
    });

    it('keeps the plan under a carbon cap, reports kg per channel and in total, and prices the cap', () => {
      const capped = allocate(portfolio({ carbon: { maxDailyKg: 250 } }));
      expect(capped.carbonKg).toBeLessThanOrEqual(250 + 0.01);
      expect(capped.channels.map((c) => c.carbonKg)).toEqual(
        capped.channels.map((c, i) => Number((c.total * [0.02, 0.3, 0.05][i]!).toFixed(3))),
      );
      expect(capped.constraints.map((c) => c.id)).toContain('carbon');
      // The channel the cap holds back (its next conversion cheaper than the margin) says so; one its own cost
      // keeps at its base does not, nor does any without the cap.
      const reasonOf = (a: Allocation, id: string) => a.channels.find((c) => c.channelId === id)!.reason;
      expect(reasonOf(capped, 'search')).toMatch(
        /held back by the carbon cap of 250 kg CO2e a day, which binds: each 1\.00 it spends emits 0\.02 kg/,
      );
      expect(reasonOf(capped, 'video')).not.toMatch(/carbon/);
      expect(
        allocate(portfolio({}))
          .channels.map((c) => c.reason)
          .join(' '),
      ).not.toMatch(/carbon/);
    });

    it('lets exploration give way to a carbon cap the bases keep, instead of holding every day', () => {
      // The bases emit 500 × (0.02 + 0.3 + 0.05) = 185 kg, within the cap of 190; the exploration share's 1,000
      // on top would not be, and the plan was held at the bases every day.
      const capped = portfolio({ carbon: { maxDailyKg: 190 } });
      const input = { ...capped, portfolio: { ...capped.portfolio, budget: { ...capped.portfolio.budget, explorationShare: 0.1 } } };
      const allocation = allocate(input);
      expect(allocation.status).toBe('optimal');
      expect(allocation.carbonKg).toBeLessThanOrEqual(190 + 0.01);
      expect(allocation.exploration).toBeGreaterThan(0);
      expect(allocation.exploration).toBeLessThan(1000);
      expect(allocation.constraints.find((c) => c.id === 'carbon')?.explanation).toMatch(
        // 1,750 placeable of the 10,000: the plan explores a tenth of what it can spend.
        /Exploration takes 175.00 of its 1,000.00 share: scaled to the 1,750.00 of the allocatable 10,000.00 a plan can place under the cap\.$/,
      );
      // Where the change limit's floors alone emit past the cap, it holds and says by how much.
      const previous = {
        channels: ['search', 'video', 'podcast'].map((channelId) => ({ channelId, total: channelId === 'video' ? 4000 : 500 })),
      };
      const held = allocate({ ...input, previous });
      expect(held.status).toBe('held');
      expect(held.reason).toMatch(/the bases and the daily change limit's floors emit 935.00 kg a day, against a cap of 190.00 kg/);
    });

    it('says how much is left unplaced and which constraints hold it back', () => {
      const tight = allocate(portfolio({ objective: { targetCpa: 27 } }));
      expect(tight.status).toBe('optimal');
      expect(tight.unallocated?.amount).toBeGreaterThan(0);
      expect(tight.unallocated?.reasons.join(' ')).toMatch(/target CPA of 27/);
      expect(tight.total + tight.unallocated!.amount).toBeCloseTo(10_000, 2);
      const cpa = tight.constraints.find((c) => c.id === 'targetCpa')!;
      expect(cpa.shadowPrice).toBeGreaterThan(0);
      expect(tight.constraints.find((c) => c.id === 'budget')).toBeUndefined();
    });

    it("says plainly how much of a budget beyond the channels' maxes no plan can place (a what-if of 1,000,000,000)", () => {
      const huge = portfolio({});
      const input = { ...huge, portfolio: { ...huge.portfolio, budget: { ...huge.portfolio.budget, daily: 1_000_000_000 } } };
      const allocation = allocate(input);
      expect(allocation.total).toBeLessThanOrEqual(24_000 + CENT);
      expect(allocation.unallocated!.reasons[0]).toBe(
        "The channels' maxes add up to 24,000.00 a day, so at least 999,976,000.00 of the allocatable 1,000,000,000.00 cannot be placed under any plan.",
      );
      // Held (here: a carbon cap of 1 kg cannot take the bases), it says so beside why it is held.
      const held = allocate({ ...input, portfolio: { ...input.portfolio, carbon: { maxDailyKg: 1 } } });
      expect(held.status).toBe('held');
      expect(held.unallocated!.reasons).toContain(allocation.unallocated!.reasons[0]);
      // Within the maxes, no such line.
      expect(allocate(huge).unallocated?.reasons.join(' ') ?? '').not.toMatch(/maxes add up/);
    });
  });
});

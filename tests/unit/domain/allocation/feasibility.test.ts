import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../../../functions/domain/allocation/allocate.js';
import { channelBounds, feasibilityIssues, shrinkToBudget } from '../../../../functions/domain/allocation/feasibility.js';
import { type Allocation, AllocationInput, type AllocationInputRaw } from '../../../../functions/domain/allocation/schemas.js';
import { addDays } from '../../../../functions/domain/dates.js';

const ASOF = '2026-11-21';

/** Daily history ending `lastDay` days before ASOF: 28 days per channel, a plain concave response. */
const historyOf = (ids: readonly string[], lastDay = 1) =>
  ids.flatMap((id, i) =>
    Array.from({ length: 28 }, (_, d) => {
      const spend = 800 + ((d * 37 + i * 11) % 9) * 60;
      return { channelId: id, date: addDays(ASOF, -(lastDay + d)), spend, conversions: Math.round(spend * 0.03 * (1 - spend / 9000)) };
    }),
  );

/** A three-channel portfolio; yesterday's plan placed 8,500 of a 10,000 budget. */
const yesterday = {
  channels: [
    { channelId: 'search', total: 4000 },
    { channelId: 'social', total: 3000 },
    { channelId: 'video', total: 1500 },
  ],
};
const inputWith = (
  overrides: {
    budget?: Record<string, unknown>;
    channels?: Record<string, unknown>[];
    groups?: Record<string, unknown>[];
    carbon?: Record<string, unknown>;
    objective?: Record<string, unknown>;
  } & Partial<AllocationInputRaw>,
) => {
  const { budget, channels, groups, carbon, objective, ...rest } = overrides;
  return AllocationInput.parse({
    portfolio: {
      id: 'p',
      name: 'p',
      currency: 'USD',
      timezone: 'UTC',
      budget: { daily: 10_000, explorationShare: 0.1, maxDailyChange: 0.25, ...budget },
      channels: channels ?? [
        { id: 'search', platform: 'generic', base: 1000, max: 6000 },
        { id: 'social', platform: 'generic', base: 1000, max: 6000 },
        { id: 'video', platform: 'generic', base: 500, max: 3000 },
      ],
      ...(groups ? { groups } : {}),
      ...(carbon ? { carbon } : {}),
      ...(objective ? { objective } : {}),
    },
    history: historyOf(['search', 'social', 'video']),
    previous: yesterday,
    asOf: ASOF,
    ...rest,
  });
};

const stale = { history: historyOf(['search', 'social', 'video'], 10) };
const totalOf = (a: Allocation, id: string) => a.channels.find((c) => c.channelId === id)!.total;

describe('a published plan obeys the config it is published under', () => {
  it('holds a plan on stale data at no more than a cut budget, and says it scaled it', () => {
    const input = inputWith({ budget: { daily: 7000 }, ...stale });
    const allocation = allocate(input);
    expect(allocation.status).toBe('held');
    expect(allocation.total).toBeLessThanOrEqual(7000);
    expect(allocation.reason).toMatch(/held at the previous plan, scaled to today's allocatable budget of 7,000.00/);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
  });

  it('says a plan held below its bases is the bases scaled, not the previous plan', () => {
    // Bases of 2,500 against a what-if budget of 1,000 (a config could not say so): nothing of yesterday's plan
    // is left but the bases, × 0.4.
    const today = inputWith(stale);
    const input = { ...today, portfolio: { ...today.portfolio, budget: { ...today.portfolio.budget, daily: 1000 } } };
    const allocation = allocate(input);
    expect(allocation.channels.map((c) => c.total)).toEqual([400, 400, 200]);
    expect(allocation.reason).toMatch(/; held, the bases \(2,500\.00\) scaled in proportion to today's allocatable budget of 1,000\.00/);
    expect(allocation.reason).not.toMatch(/previous plan/);
  });

  it('says why cents are left when every channel is at its change limit in whole units, and quotes each limit as its total', () => {
    // Each channel may rise to 2,000.02 × 1.25 = 2,500.025: the LP fills all three, 7,500.075 of 7,500.08, and in
    // whole cents each stays at 2,500.02 under its limit. The budget row's "fully placed" sat beside 0.02 unplaced.
    const allocation = allocate(
      inputWith({
        budget: { daily: 7500.08, explorationShare: 0 },
        previous: { channels: ['search', 'social', 'video'].map((channelId) => ({ channelId, total: 2000.02 })) },
      }),
    );
    expect(allocation.channels.map((c) => c.total)).toEqual([2500.02, 2500.02, 2500.02]);
    expect(allocation.unallocated).toEqual({
      amount: 0.02,
      reasons: [
        '0.02 USD is left because every channel that could take it is at its max or its daily change limit, rounded down to the USD minor unit under it.',
      ],
    });
    const limits = (allocation.constraints ?? []).filter((c) => c.id.startsWith('change:'));
    expect(limits).toHaveLength(3);
    for (const c of limits)
      expect(c.explanation).toContain(
        `(to ${totalOf(allocation, c.id.slice('change:'.length)).toLocaleString('en-US', { minimumFractionDigits: 2 })} from`,
      );
    // With room for 7,500.085 the budget row binds: its reason says what rounding left, not 'fully placed'.
    const bound = allocate(
      inputWith({
        budget: { daily: 7500.08, explorationShare: 0 },
        previous: { channels: [2000.02, 2000.02, 2000.028].map((total, i) => ({ channelId: ['search', 'social', 'video'][i]!, total })) },
      }),
    );
    expect(bound.unallocated?.amount).toBe(0.01);
    expect(bound.constraints?.find((c) => c.id === 'budget')?.explanation).toMatch(
      /^The daily budget is placed but for 0\.01 USD, which rounding each channel down to the USD minor unit under its limit leaves: /,
    );
  });

  it('says when a target is missed only on its cautious reading, beside an expected CPA under the target', () => {
    // Today's floors give an expected CPA of 46.81: under a target of 48, over it at the 5th percentile.
    const missed = (targetCpa: number) =>
      allocate(inputWith({ objective: { maximize: 'conversions', targetCpa } })).constraints?.find((c) => c.id === 'targetCpa')
        ?.explanation;
    expect(missed(48)).toMatch(
      /^The target CPA of 48 cannot be met with the caution it is planned with: the plan's expected CPA is 46\.81, but read at the 5th percentile/,
    );
    expect(missed(40)).toMatch(/^The target CPA of 40 cannot be met within today's limits: the plan's expected CPA is 46\.81,/);
  });

  it('places the whole of the budget it says it scaled to, in whole units: floored one by one, a few were left', () => {
    for (const [daily, currency] of [
      [7001.37, 'USD'],
      [6999.99, 'USD'],
      [7001, 'JPY'],
    ] as const) {
      const input = inputWith({ budget: { daily }, ...stale });
      const allocation = allocate({ ...input, portfolio: { ...input.portfolio, currency } });
      expect(allocation.status).toBe('held');
      expect(allocation.total, `${daily} ${currency}`).toBe(daily);
      expect(allocation.unallocated).toBeUndefined();
      expect(feasibilityIssues(allocation, { ...input, portfolio: { ...input.portfolio, currency } })).toEqual([]);
    }
  });

  it('says which group shares a held plan misses, in its reason and its constraints', () => {
    // Held on stale data at yesterday's plan: video's 1,500 is 1,500 short of its group's 30% of 10,000.
    const groups = [{ id: 'upper', channels: ['video'], minShare: 0.3 }];
    const allocation = allocate(inputWith({ ...stale, groups }));
    expect(allocation.status).toBe('held');
    const group = allocation.constraints.find((c) => c.id === 'group:upper')!;
    expect(group.unmet).toBe(1500);
    expect(group.explanation).toBe(
      "Group upper's minimum share (30% of the allocatable budget, 3,000) is missed by the held plan: 1,500.00, 1,500.00 short.",
    );
    expect(allocation.reason).toContain("Group upper's minimum share");
  });

  it('flags the old behaviour: a held plan at yesterday’s 8,500 against a 7,000 budget is infeasible', () => {
    const input = inputWith({ budget: { daily: 7000 } });
    const kept = { total: 8500, channels: yesterday.channels.map((c) => ({ ...c, exploration: 0 })) };
    expect(feasibilityIssues(kept, input)).toContainEqual({
      path: 'total',
      message: "8,500.00 exceeds today's allocatable budget of 7,000.00",
    });
  });

  it('holds the reserve back again after a release, on solved and held runs alike', () => {
    const released = { channels: [...yesterday.channels.slice(0, 2), { channelId: 'video', total: 3000 }] }; // 10,000
    for (const input of [
      inputWith({ budget: { reserveShare: 0.3 }, previous: released }),
      inputWith({ budget: { reserveShare: 0.3 }, previous: released, ...stale }),
    ]) {
      const allocation = allocate(input);
      expect(allocation.total).toBeLessThanOrEqual(7000);
      expect(allocation.reserve).toBe(3000);
      expect(feasibilityIssues(allocation, input)).toEqual([]);
    }
    const release = inputWith({ budget: { reserveShare: 0.3 }, releaseReserve: true, previous: released, ...stale });
    expect(allocate(release).total).toBe(10_000);
  });

  it('caps a held channel at a lowered max and gives a new channel its base', () => {
    const input = inputWith({
      ...stale,
      channels: [
        { id: 'search', platform: 'generic', base: 1000, max: 2500 },
        { id: 'social', platform: 'generic', base: 1000, max: 6000 },
        { id: 'video', platform: 'generic', base: 500, max: 3000 },
        { id: 'audio', platform: 'generic', base: 400, max: 2000 },
      ],
    });
    const allocation = allocate(input);
    expect(allocation.status).toBe('held');
    expect(totalOf(allocation, 'search')).toBe(2500);
    expect(totalOf(allocation, 'audio')).toBe(400);
    expect(allocation.reason).toMatch(/search is capped at 2,500/);
    expect(allocation.reason).toMatch(/audio is new and starts at its base/);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
  });
});

describe('the daily change limit holds for the day', () => {
  it('holds a plan on stale data under a carbon cap lowered since, and says it lowered it', () => {
    // Yesterday's plan emits 4,000 × 0.01 + 3,000 × 0.01 + 1,500 × 0.2 = 370 kg; today's cap is 200.
    const channels = [
      { id: 'search', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.01 },
      { id: 'social', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.01 },
      { id: 'video', platform: 'generic', base: 500, max: 3000, carbonPerUnit: 0.2 },
    ];
    const input = inputWith({ channels, carbon: { maxDailyKg: 200 }, ...stale });
    const allocation = allocate(input);
    expect(allocation.status).toBe('held');
    expect(allocation.carbonKg).toBeLessThanOrEqual(200);
    expect(allocation.reason).toMatch(/lowered toward the floors to keep today's carbon cap of 200 kg/);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    // The gate itself now reads the cap: yesterday's plan, published as it was, breaks it.
    const asItWas = { total: 8500, channels: yesterday.channels.map((c) => ({ ...c, exploration: 0 })) };
    expect(feasibilityIssues(asItWas, input)).toEqual([
      { path: 'carbonKg', message: "the plan emits 370 kg a day, over today's carbon cap of 200 kg" },
    ]);
    // A cap below the bases' 120 kg (input the schema refuses; allocate() is still total) lowers the plan to them, never below.
    const below = { ...input, portfolio: { ...input.portfolio, carbon: { maxDailyKg: 100 } } };
    const atBases = allocate(below);
    expect(atBases.carbonKg).toBeCloseTo(120, 6);
    expect(atBases.reason).toMatch(/lowered to the bases, the nearest it comes to today's carbon cap of 100 kg/);
    expect(feasibilityIssues(atBases, below)).toEqual([]);
    expect(feasibilityIssues(asItWas, below)).toEqual([
      {
        path: 'carbonKg',
        message: "the plan emits 370 kg a day, over the bases' 120 kg, the nearest a plan comes to today's carbon cap of 100 kg",
      },
    ]);
  });

  it('publishes a plan that binds the carbon cap whatever cents its totals round to, instead of holding it', () => {
    // The LP places the plan at the cap; its totals in whole cents can emit a few grams more, which the gate
    // once read as a broken cap: 10 of these 68 caps were held at the bases, the demo portfolio on its first run.
    const channels = [
      { id: 'search', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.013 },
      { id: 'social', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.011 },
      { id: 'video', platform: 'generic', base: 500, max: 3000, carbonPerUnit: 0.21 },
    ];
    for (let cap = 150; cap <= 400; cap += 3.7) {
      const input = inputWith({ channels, carbon: { maxDailyKg: cap }, previous: null });
      const allocation = allocate(input);
      expect(allocation.status, `cap ${cap}`).toBe('optimal');
      expect(feasibilityIssues(allocation, input)).toEqual([]);
      expect(allocation.carbonKg).toBeLessThanOrEqual(cap + 0.01 * (0.013 + 0.011 + 0.21));
    }
  });

  it('lowers only the channels that emit when a held plan must come under a carbon cap', () => {
    // Yesterday's 4,000 of search (no emissions) and 1,500 of video (0.2 kg each, 300 kg) against a cap of 200.
    const channels = [
      { id: 'search', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0 },
      { id: 'social', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.01 },
      { id: 'video', platform: 'generic', base: 500, max: 3000, carbonPerUnit: 0.2 },
    ];
    const input = inputWith({ channels, carbon: { maxDailyKg: 200 }, ...stale });
    const allocation = allocate(input);
    expect(allocation.status).toBe('held');
    expect(totalOf(allocation, 'search')).toBe(4000);
    expect(allocation.carbonKg).toBeLessThanOrEqual(200);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    // The gate lets only an emitting channel fall below its floor (75% of yesterday's) for the cap.
    const cut = { ...allocation, channels: allocation.channels.map((c) => (c.channelId === 'search' ? { ...c, total: 2900 } : c)) };
    expect(feasibilityIssues({ ...cut, total: allocation.total - 1100 }, input)).toEqual([
      { path: 'channels.search', message: 'total 2,900.00 falls beyond the daily change limit from 4,000.00' },
    ]);
  });

  it('spends the whole exploration share after a budget cut, inside the floors the change limit keeps', () => {
    // Yesterday's 9,200 cut to 7,000: the floors (75% of yesterday's, video at its base) hold 6,950, so only 50
    // is left above them for the 700 of exploration, but they hold 4,450 above the bases of channels that
    // explore. Scaled to fit above the floors alone, exploration was 139.97 on the same totals.
    const previous = {
      channels: [
        { channelId: 'search', total: 5000 },
        { channelId: 'social', total: 3600 },
        { channelId: 'video', total: 600 },
      ],
    };
    const input = inputWith({ budget: { daily: 7000 }, previous });
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(allocation.exploration).toBeCloseTo(700, 2);
    expect(allocation.channels.reduce((s, c) => s + c.exploration, 0)).toBeCloseTo(700, 2);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    for (const c of allocation.channels) {
      expect(c.total).toBeGreaterThanOrEqual(0.75 * previous.channels.find((y) => y.channelId === c.channelId)!.total - 0.01);
    }
  });

  it('keeps any number of runs in a day within ±maxDailyChange of the plan the day began with', () => {
    const channels = [
      { id: 'search', platform: 'generic', base: 0, max: 9000 },
      { id: 'social', platform: 'generic', base: 0, max: 9000 },
    ];
    // Search returns far more per unit, so every run wants to move money to it.
    const history = Array.from({ length: 28 }, (_, d) => [
      { channelId: 'search', date: addDays(ASOF, -1 - d), spend: 500 + (d % 5) * 40, conversions: 60 + (d % 3) },
      { channelId: 'social', date: addDays(ASOF, -1 - d), spend: 4500 + (d % 4) * 90, conversions: 40 + (d % 3) },
    ]).flat();
    const dayStart = {
      channels: [
        { channelId: 'search', total: 500 },
        { channelId: 'social', total: 4500 },
      ],
    };
    let previous = dayStart;
    for (let run = 0; run < 8; run += 1) {
      const input = inputWith({ budget: { daily: 5000, explorationShare: 0 }, channels, history, previous, dayStart });
      const allocation = allocate(input);
      expect(totalOf(allocation, 'search')).toBeLessThanOrEqual(625 + 0.01);
      expect(totalOf(allocation, 'social')).toBeGreaterThanOrEqual(3375 - 0.01);
      expect(feasibilityIssues(allocation, input)).toEqual([]);
      previous = { channels: allocation.channels.map((c) => ({ channelId: c.channelId, total: c.total })) };
    }
    const last = allocate(inputWith({ budget: { daily: 5000, explorationShare: 0 }, channels, history, previous, dayStart }));
    expect(totalOf(last, 'search')).toBe(625);
    expect(last.channels[0]!.reason).toMatch(/daily change limit \(\+25% of 500.00, its total when the day began\)/);
    // Without the day's reference, each run would compound on the last: 500 → 625 → 781.25 …
    const compounding = allocate(inputWith({ budget: { daily: 5000, explorationShare: 0 }, channels, history, previous }));
    expect(totalOf(compounding, 'search')).toBeGreaterThan(625);
  });
});

describe('a base above what the daily change limit reaches', () => {
  // The operator raised video's base to 3,000; the day began with it at 1,000, which the limit lets rise to 1,250.
  const channels = [
    { id: 'search', platform: 'generic', base: 1000, max: 6000 },
    { id: 'social', platform: 'generic', base: 1000, max: 6000 },
    { id: 'video', platform: 'generic', base: 3000, max: 9000 },
  ];
  const previous = {
    channels: [
      { channelId: 'search', total: 4000 },
      { channelId: 'social', total: 3000 },
      { channelId: 'video', total: 1000 },
    ],
  };

  it('lifts the channel to its base at once, solved or held: the config commits to the base, and it wins over the limit', () => {
    const solved = inputWith({ channels, previous });
    const video = channelBounds(solved).find((b) => b.channelId === 'video')!;
    expect([video.low, video.high]).toEqual([3000, 3000]);
    const allocation = allocate(solved);
    expect(allocation.status).toBe('optimal');
    expect(totalOf(allocation, 'video')).toBe(3000);
    expect(allocation.channels.find((c) => c.channelId === 'video')!.reason).toMatch(
      /^Raised to its base of 3,000\.00, beyond the daily change limit \(\+25% of 1,000\.00, its total when the day began\): the base is the floor today's config commits to/,
    );
    expect(feasibilityIssues(allocation, solved)).toEqual([]);
    const heldInput = inputWith({ channels, previous, ...stale });
    const held = allocate(heldInput);
    expect(totalOf(held, 'video')).toBe(3000);
    expect(held.reason).toMatch(/video is raised to its base of 3,000.00/);
    expect(feasibilityIssues(held, heldInput)).toEqual([]);
  });
});

describe('a group the daily change limit cannot fill today', () => {
  const channels = [
    { id: 'search', platform: 'generic', base: 1000, max: 6000 },
    { id: 'social', platform: 'generic', base: 1000, max: 6000 },
    { id: 'video', platform: 'generic', base: 500, max: 9000 },
  ];

  it('after a budget raise, publishes the bigger plan with the group as high as the limit allows, instead of holding', () => {
    // Yesterday video had 1,500 of 8,500; today's 20,000 asks 40% (8,000) of it, and the limit lets it rise to 1,875.
    const groups = [{ id: 'upper', channels: ['video'], minShare: 0.4 }];
    const input = inputWith({ budget: { daily: 20_000, explorationShare: 0 }, channels, groups });
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(allocation.total).toBeGreaterThan(8500);
    expect(totalOf(allocation, 'video')).toBe(1875);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    const group = allocation.constraints.find((c) => c.id === 'group:upper')!;
    expect(group.unmet).toBeCloseTo(8000 - 1875, 2);
    expect(group.explanation).toBe(
      "Group upper's minimum share (40% of the allocatable budget, 8,000) is out of reach today: the daily change limit lets its channels rise only to 1,875, 6,125 short. It takes what the limit allows each day until it reaches its share.",
    );
    expect(allocation.channels.find((c) => c.channelId === 'video')!.reason).toMatch(/^Raised by the most the daily change limit/);
  });

  it('names a stop-loss beside the limit when a member under one is what else keeps the group short', () => {
    const groups = [{ id: 'upper', channels: ['video', 'social'], minShare: 0.5 }];
    const input = inputWith({ budget: { daily: 20_000, explorationShare: 0 }, channels, groups, stopLoss: ['social'] });
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(totalOf(allocation, 'social')).toBe(1000);
    expect(allocation.constraints.find((c) => c.id === 'group:upper')!.explanation).toBe(
      "Group upper's minimum share (50% of the allocatable budget, 10,000) is out of reach today: the daily change limit lets its channels rise only to 2,875 (and a stop-loss holds social at its base), 7,125 short. It takes what the limit allows each day until it reaches its share.",
    );
  });

  it('after a budget cut, keeps a group above its maximum share only as far as its channels cannot come down today', () => {
    // Yesterday search and social had 7,000 of 8,500; at most 30% of today's 8,500 (2,550), they may fall only to 5,250.
    const groups = [{ id: 'paid', channels: ['search', 'social'], maxShare: 0.3 }];
    const input = inputWith({ budget: { daily: 8500, explorationShare: 0 }, channels, groups });
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(totalOf(allocation, 'search') + totalOf(allocation, 'social')).toBeCloseTo(5250, 2);
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    const group = allocation.constraints.find((c) => c.id === 'group:paid')!;
    expect(group.unmet).toBeCloseTo(5250 - 2550, 2);
    expect(group.explanation).toMatch(/^Group paid's maximum share \(30% of the allocatable budget, 2,550\) cannot hold today: /);
  });
});

describe('exploration within groups', () => {
  // Five channels, no plan in force: nothing but the bases, exploration and the groups limits the plan.
  const ids = ['search', 'social', 'video', 'display', 'podcast'];
  const explored = (groups: Record<string, unknown>[], notExplored: readonly string[] = []) =>
    AllocationInput.parse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily: 10_000, explorationShare: 0.3, maxDailyChange: 0.25 },
        channels: ids.map((id, i) => ({ id, platform: 'generic', base: i < 3 ? 500 : 200, max: 6000, explore: !notExplored.includes(id) })),
        groups,
      },
      history: ids.flatMap((id, i) =>
        Array.from({ length: 28 }, (_, d) => {
          const spend = 800 + ((d * 37 + i * 11) % 9) * 60;
          return {
            channelId: id,
            date: addDays(ASOF, -(1 + d)),
            spend,
            conversions: Math.round(spend * (0.02 + 0.004 * i) * (1 - spend / 9000)),
          };
        }),
      ),
      previous: null,
      asOf: ASOF,
      seed: 1,
    });
  const sumOf = (allocation: Allocation, members: readonly string[]) => members.reduce((s, id) => s + totalOf(allocation, id), 0);

  it('keeps a capped group within its maxShare: exploration never lifts its channels over the cap', () => {
    const allocation = allocate(explored([{ id: 'small', channels: ['display', 'podcast'], maxShare: 0.08 }]));
    expect(allocation.status).toBe('optimal');
    expect(sumOf(allocation, ['display', 'podcast'])).toBeLessThanOrEqual(800 + 0.01);
    expect(allocation.constraints.find((c) => c.id === 'group:small')?.unmet).toBeUndefined();
  });

  it("leaves a minShare group room: the other channels' exploration gives way rather than the share", () => {
    // The whole 3,000 of exploration would go to the three channels outside the group, leaving it 5,800 of 7,500.
    const groups = [{ id: 'uf', channels: ['video', 'podcast'], minShare: 0.75 }];
    const allocation = allocate(explored(groups, ['video', 'podcast']));
    expect(allocation.status).toBe('optimal');
    expect(sumOf(allocation, ['video', 'podcast'])).toBeGreaterThanOrEqual(7500 - 0.01);
    expect(allocation.constraints.find((c) => c.id === 'group:uf')?.unmet).toBeUndefined();
  });
});

describe('prices beside a share the carbon cap puts out of reach', () => {
  // Video emits 20 times what the others do; a 450 kg cap keeps it at 2,025, far below its group's 5,000.
  const input = inputWith({
    budget: { explorationShare: 0 },
    channels: [
      { id: 'search', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.01 },
      { id: 'social', platform: 'generic', base: 1000, max: 6000, carbonPerUnit: 0.01 },
      { id: 'video', platform: 'generic', base: 500, max: 9000, carbonPerUnit: 0.2 },
    ],
    carbon: { maxDailyKg: 450 },
    groups: [{ id: 'uf', channels: ['video'], minShare: 0.5 }],
    previous: {
      channels: [
        { channelId: 'search', total: 3000 },
        { channelId: 'social', total: 3000 },
        { channelId: 'video', total: 2400 },
      ],
    },
  });

  it("prices the carbon cap and the channels' limits by what a unit buys, not by the missed share's penalty", () => {
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(allocation.constraints.find((c) => c.id === 'group:uf')?.unmet).toBeCloseTo(5000 - 2025, 1);
    // No USD anywhere buys more than about 0.03 conversions (the history's best), so a kg, which frees 100 USD
    // of the cleanest channel's spend, is worth at most about 3, and a USD given up anywhere at most about 0.03.
    // Before, the share's elastic penalty leaked in: 239,458 conversions a kg, 2,395 a USD given up.
    const carbon = allocation.constraints.find((c) => c.id === 'carbon')!;
    expect(carbon.shadowPrice).toBeGreaterThan(0);
    expect(carbon.shadowPrice).toBeLessThan(5);
    for (const c of allocation.constraints.filter((c) => c.id.startsWith('change:'))) expect(c.shadowPrice).toBeLessThan(0.05);
  });

  it('names the carbon cap as what keeps the group from its share', () => {
    const group = allocate(input).constraints.find((c) => c.id === 'group:uf')!;
    expect(group.explanation).toBe(
      "Group uf's minimum share (50% of the allocatable budget, 5,000) is out of reach today: the carbon cap of 450 kg CO2e a day leaves it 2,025, 2,975 short.",
    );
  });
});

describe('a budget cut below the floors, with groups', () => {
  // 9,000 yesterday, 6,000 today: the limit's floors (6,750) give way. In proportion they left perf at 4,087.50
  // (cap 3,000) and uf at 993.75 (floor 1,200), though moving money from perf to uf mends both.
  const ids = ['search', 'social', 'video', 'podcast', 'display'];
  const yesterdays = [4000, 3000, 900, 600, 1500];
  const input = inputWith({
    budget: { daily: 6000, explorationShare: 0, reserveShare: 0 },
    channels: ids.map((id) => ({ id, platform: 'generic', base: 300, max: 6000 })),
    groups: [
      { id: 'uf', channels: ['video', 'podcast'], minShare: 0.2, maxShare: 0.4 },
      { id: 'perf', channels: ['search', 'social'], maxShare: 0.5 },
    ],
    history: historyOf(ids),
    previous: { channels: ids.map((channelId, i) => ({ channelId, total: yesterdays[i]! })) },
  });

  it('lets the floors give way where the groups need it, and says which group a channel gave way for', () => {
    const allocation = allocate(input);
    expect(allocation.status).toBe('optimal');
    expect(feasibilityIssues(allocation, input)).toEqual([]);
    expect(totalOf(allocation, 'search') + totalOf(allocation, 'social')).toBeLessThanOrEqual(3000 + 0.01);
    expect(totalOf(allocation, 'video') + totalOf(allocation, 'podcast')).toBeGreaterThanOrEqual(1200 - 0.01);
    expect(allocation.constraints.filter((c) => c.unmet !== undefined)).toEqual([]);
    expect(allocation.channels.find((c) => c.channelId === 'search')!.reason).toMatch(
      /^Cut below the daily change limit .*floors give way in proportion, and further to keep group (uf and group )?perf within its share/,
    );
  });
});

describe('shrinkToBudget', () => {
  it('gives way toward the floors first, then the floors toward the bases, then the bases', () => {
    expect(shrinkToBudget([10, 20], [5, 10], [0, 0], 30)).toEqual([10, 20]);
    expect(shrinkToBudget([10, 20], [5, 10], [0, 0], 21)).toEqual([7, 14]);
    expect(shrinkToBudget([10, 20], [5, 10], [2, 4], 9)).toEqual([3, 6]);
    expect(shrinkToBudget([10, 20], [5, 10], [2, 4], 3)).toEqual([1, 2]);
  });
});

/**
 * Any config an operator may deploy next to any plan in force: budgets cut or raised, reserves held or
 * released, caps lowered, channels added, stop-losses, stale or fresh data, a day's earlier runs.
 */
const scenarios = fc
  .record({
    daily: fc.integer({ min: 500, max: 30_000 }),
    share: fc.constantFrom(0, 0.1, 0.2),
    reserve: fc.constantFrom(0, 0.15, 0.3),
    release: fc.boolean(),
    change: fc.constantFrom(0.1, 0.25, 1),
    channels: fc.array(
      fc.record({
        base: fc.double({ min: 0, max: 0.3, noNaN: true }),
        max: fc.double({ min: 0.05, max: 1, noNaN: true }),
        explore: fc.boolean(),
        previous: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        dayStart: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        stop: fc.boolean(),
        efficiency: fc.double({ min: 0.005, max: 0.1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    dataAge: fc.constantFrom(1, 1, 3, 12),
    hasDayStart: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ daily, share, reserve, release, change, channels, dataAge, hasDayStart, seed }) => {
    const room = daily * (1 - share - reserve);
    const weight = channels.reduce((s, c) => s + c.base, 0) || 1;
    const portfolioChannels = channels.map((c, i) => {
      const base = Math.floor((c.base / weight) * room * 0.9);
      return { id: `c${i}`, platform: 'generic' as const, base, max: Math.max(base + 1, Math.round(c.max * daily)), explore: c.explore };
    });
    const planOf = (pick: (c: (typeof channels)[number]) => number | undefined) => ({
      channels: channels.flatMap((c, i) => (pick(c) === undefined ? [] : [{ channelId: `c${i}`, total: pick(c)! }])),
    });
    return AllocationInput.parse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily, explorationShare: share, maxDailyChange: change, reserveShare: reserve },
        channels: portfolioChannels,
      },
      history: channels.flatMap((c, i) =>
        Array.from({ length: 14 }, (_, d) => {
          const spend = 100 + ((d * 37 + i * 11) % 9) * 80;
          return {
            channelId: `c${i}`,
            date: addDays(ASOF, -(dataAge + d)),
            spend,
            conversions: Math.round(spend * c.efficiency),
          };
        }),
      ),
      previous: planOf((c) => c.previous),
      ...(hasDayStart ? { dayStart: planOf((c) => c.dayStart) } : {}),
      stopLoss: channels.flatMap((c, i) => (c.stop ? [`c${i}`] : [])),
      releaseReserve: release,
      asOf: ASOF,
      seed,
    });
  });

/** Where each channel's total may sit today, written out again here, so a defect in feasibilityIssues cannot hide one in allocate. */
const boundsOf = (input: AllocationInput) => {
  const { daily, reserveShare, maxDailyChange } = input.portfolio.budget;
  const allocatable = input.releaseReserve ? daily : daily * (1 - reserveShare);
  const reference = new Map((input.dayStart === undefined ? input.previous : input.dayStart)?.channels.map((c) => [c.channelId, c.total]));
  const floorOf = (c: (typeof input.portfolio.channels)[number]) => {
    const r = reference.get(c.id);
    return input.stopLoss.includes(c.id) || r === undefined ? c.base : Math.min(c.max, Math.max(c.base, r * (1 - maxDailyChange)));
  };
  /** Exploration may lift a channel above the limit's ceiling; a stop-loss pins it at its base. */
  const ceilingOf = (c: (typeof input.portfolio.channels)[number], exploration: number) => {
    const r = reference.get(c.id);
    if (input.stopLoss.includes(c.id)) return c.base;
    return r === undefined ? c.max : Math.max(c.base + exploration, Math.min(c.max, Math.max(c.base, r * (1 + maxDailyChange))));
  };
  return { allocatable, reference, floorOf, ceilingOf };
};

const expectFeasible = (input: AllocationInput, allocation: Allocation) => {
  expect(feasibilityIssues(allocation, input)).toEqual([]);
  const { allocatable, reference, floorOf, ceilingOf } = boundsOf(input);
  const total = allocation.channels.reduce((s, c) => s + c.total, 0);
  expect(total).toBeLessThanOrEqual(allocatable + 0.01);
  const floorsFit = input.portfolio.channels.reduce((s, c) => s + floorOf(c), 0) <= allocatable;
  for (const [i, channel] of input.portfolio.channels.entries()) {
    const row = allocation.channels[i]!;
    expect(row.channelId).toBe(channel.id);
    expect(row.total).toBeGreaterThanOrEqual(channel.base - 0.01);
    expect(row.total).toBeLessThanOrEqual(channel.max + 0.01);
    if (input.stopLoss.includes(channel.id)) expect(row.total).toBeCloseTo(channel.base, 2);
    if (!reference.has(channel.id) || input.stopLoss.includes(channel.id)) continue;
    expect(row.total).toBeLessThanOrEqual(ceilingOf(channel, row.exploration) + 0.01);
    if (floorsFit) expect(row.total).toBeGreaterThanOrEqual(floorOf(channel) - 0.01);
  }
  const cents = (v: number) => Math.round(v * 100);
  expect(cents(allocation.total) + cents(allocation.reserve) + cents(allocation.unallocated?.amount ?? 0)).toBe(
    cents(input.portfolio.budget.daily),
  );
};

/**
 * A group's portfolio the day after its budget changed: yesterday's plan spent about 90% of yesterday's
 * budget, today's is 0.5 to 3 times it, and the group (some of the channels) asks for a minimum and maybe a
 * maximum share that the daily change limit may not let its channels reach today. Data is fresh, so nothing
 * but the group could hold the plan. Configs the schema refuses are left out.
 */
const groupedBudgetChanges = fc
  .record({
    yesterday: fc.integer({ min: 2000, max: 20_000 }),
    factor: fc.constantFrom(0.5, 0.8, 1, 1.5, 2, 3),
    share: fc.constantFrom(0, 0.1),
    change: fc.constantFrom(0.1, 0.25, 0.5),
    channels: fc.array(
      fc.record({
        base: fc.double({ min: 0, max: 0.15, noNaN: true }),
        max: fc.double({ min: 0.3, max: 1, noNaN: true }),
        weight: fc.double({ min: 0.05, max: 1, noNaN: true }),
        member: fc.boolean(),
        explore: fc.boolean(),
        stop: fc.constantFrom(false, false, false, false, true),
        efficiency: fc.double({ min: 0.005, max: 0.1, noNaN: true }),
      }),
      { minLength: 2, maxLength: 6 },
    ),
    minShare: fc.constantFrom(0.1, 0.3, 0.5, 0.7),
    maxShare: fc.constantFrom(1, 1, 0.9, 0.6),
    hasDayStart: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ yesterday, factor, share, change, channels, minShare, maxShare, hasDayStart, seed }) => {
    const daily = Math.round(yesterday * factor);
    const portfolioChannels = channels.map((c, i) => {
      const base = Math.floor(c.base * Math.min(daily, yesterday) * 0.8);
      return {
        id: `c${i}`,
        platform: 'generic' as const,
        base,
        max: Math.max(base + 1, Math.round(c.max * Math.max(daily, yesterday))),
        explore: c.explore,
      };
    });
    const weights = channels.reduce((s, c) => s + c.weight, 0);
    const spread = yesterday * 0.9 - portfolioChannels.reduce((s, c) => s + c.base, 0);
    const plan = {
      channels: portfolioChannels.map((c, i) => ({
        channelId: c.id,
        total: Math.min(c.max, Math.round(c.base + (Math.max(0, spread) * channels[i]!.weight) / weights)),
      })),
    };
    return AllocationInput.safeParse({
      portfolio: {
        id: 'p',
        name: 'p',
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily, explorationShare: share, maxDailyChange: change },
        channels: portfolioChannels,
        groups: [
          {
            id: 'g',
            channels: portfolioChannels.filter((_, i) => channels[i]!.member).map((c) => c.id),
            minShare,
            maxShare: Math.max(minShare, maxShare),
          },
        ],
      },
      history: channels.flatMap((c, i) =>
        Array.from({ length: 14 }, (_, d) => {
          const spend = 100 + ((d * 37 + i * 11) % 9) * 80;
          return { channelId: `c${i}`, date: addDays(ASOF, -(1 + d)), spend, conversions: Math.round(spend * c.efficiency) };
        }),
      ),
      previous: plan,
      ...(hasDayStart ? { dayStart: plan } : {}),
      stopLoss: channels.flatMap((c, i) => (c.stop ? [`c${i}`] : [])),
      asOf: ASOF,
      seed,
    });
  })
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data!);

/**
 * How far a group's `unmet` may differ from its share less the published totals by rounding alone: `unmet` is
 * measured on the solver's totals and rounded to the cent (half a cent), and each member's published total is
 * its solver total rounded to cents so the plan sums exactly (less than a cent each). Anything beyond is a real
 * disagreement. A fixed 0.05 was both too tight for six members and, before `unmet` was kept to the cent, too
 * tight for six significant digits beyond 10,000 (seed 1711006770: 10,231.9 against 10,231.85).
 */
const roundingOf = (members: number) => 0.005 + 0.01 * members + 1e-6;

describe('property: every published plan is feasible for its config', () => {
  it('holds on random configs and plans in force, held or solved', () => {
    const statuses = new Set<string>();
    fc.assert(
      fc.property(scenarios, (input) => {
        const allocation = allocate(input);
        statuses.add(allocation.status);
        expectFeasible(input, allocation);
      }),
      { numRuns: 200 },
    );
    // Both paths were exercised, so the property speaks for both.
    expect([...statuses].sort()).toEqual(['held', 'optimal']);
  });

  /** The group property, over `numRuns` inputs from `seed` (fast-check's own when absent); how many were short. */
  const groupProperty = (parameters: { numRuns: number; seed?: number }) => {
    let short = 0;
    fc.assert(
      fc.property(groupedBudgetChanges, (input) => {
        const allocation = allocate(input);
        expect(allocation.status, allocation.reason).toBe('optimal');
        expectFeasible(input, allocation);
        const group = input.portfolio.groups[0]!;
        const { allocatable, floorOf, ceilingOf } = boundsOf(input);
        const rows = allocation.channels.map((row, i) => ({ row, channel: input.portfolio.channels[i]! }));
        const members = rows.filter(({ channel }) => group.channels.includes(channel.id));
        const others = rows.filter(({ channel }) => !group.channels.includes(channel.id));
        const groupTotal = members.reduce((s, { row }) => s + row.total, 0);
        const constraint = allocation.constraints.find((c) => c.id === `group:${group.id}`);
        // Short of its minimum only as far as its channels cannot rise today, or the others cannot come down.
        const wanted = group.minShare * allocatable;
        if (groupTotal < wanted - 0.05) {
          short += 1;
          const atCeilings = members.every(({ row, channel }) => row.total >= ceilingOf(channel, row.exploration) - 0.05);
          // Exploration is no excuse: it gives way to the group as it does to a channel's cap.
          const othersAtFloors =
            allocation.total >= allocatable - 0.05 && others.every(({ row, channel }) => row.total <= floorOf(channel) + 0.05);
          expect(atCeilings || othersAtFloors).toBe(true);
          expect(Math.abs(constraint!.unmet! - (wanted - groupTotal))).toBeLessThanOrEqual(roundingOf(members.length));
        }
        // Above its maximum only as far as its channels cannot come down today.
        const cap = group.maxShare * allocatable;
        if (groupTotal > cap + 0.05) {
          expect(members.every(({ row, channel }) => row.total <= floorOf(channel) + 0.05)).toBe(true);
          expect(Math.abs(constraint!.unmet! - (groupTotal - cap))).toBeLessThanOrEqual(roundingOf(members.length));
        }
      }),
      parameters,
    );
    return short;
  };

  it('holds after budget raises and cuts with a group, and never holds the plan for the group: its share takes what today allows', () => {
    // Budget raises beyond what the limit lets the group grow by were reached, or the property says nothing.
    expect(groupProperty({ numRuns: 150 })).toBeGreaterThan(10);
  });

  it('tells rounding to cents from a missed share: the seed whose unmet of 10,231.85 read 10,231.9', () => {
    groupProperty({ numRuns: 150, seed: 1711006770 });
  });
});

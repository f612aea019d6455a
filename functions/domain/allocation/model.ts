import type { Channel, Portfolio } from '../config.js';
import { groupRangeToday } from './feasibility.js';
import type { LpProblem, LpRow } from './lp.js';
import { type Segment, segmentsOf } from './segments.js';

/** Segments per channel curve: 12 keeps the piecewise error under 1% for the curves we fit. */
export const SEGMENTS = 12;

/** What the LP needs of one channel: its curves and the range its total may take. */
export interface ModelChannel {
  readonly channel: Channel;
  /** Value per day (the objective's unit), revenue and conversions at a daily spend. */
  readonly value: (spend: number) => number;
  readonly revenue: (spend: number) => number;
  readonly conversions: (spend: number) => number;
  /** Bounds on the total: its floor (base, exploration, change limit) and its ceiling (max, change limit). */
  readonly lower: number;
  readonly upper: number;
}

/**
 * A coupling row, in the words finance reads it. `side` tells a group's cap from its floor. `soft` rows may
 * be missed, by the least, when nothing within today's limits meets them: the targets, and (`firm`, giving
 * way only after the targets) the groups' shares. Hard rows (the budget, carbon) may not: a plan that cannot
 * meet them is held.
 */
export interface RowMeaning {
  readonly id: 'budget' | 'targetCpa' | 'minRoas' | 'carbon' | `group:${string}`;
  readonly side: 'max' | 'min';
  readonly soft: boolean;
  readonly firm?: boolean;
  /** A group's share as configured, in currency (× allocatable); its row asks only what today allows of it. */
  readonly share?: number;
}

/** A column the LP does not hold: its objective coefficient and its coefficient in each row. */
export interface Column {
  readonly c: number;
  readonly a: readonly number[];
}

export interface AllocationModel {
  readonly problem: LpProblem;
  readonly segments: readonly Segment[];
  readonly meanings: readonly RowMeaning[];
  /**
   * Per channel whose floor is its ceiling (exploration filled it to its max, say), so that it has no segment
   * to price its ceiling by: the column of one unit above the ceiling, written as its segments would be.
   */
  readonly beyond: readonly (Column | undefined)[];
}

/**
 * The allocation LP over spend above each channel's floor: the budget row, and the rows the portfolio asks
 * for — target CPA (Σ spend ≤ target · Σ conversions), minimum ROAS (Σ revenue ≥ minRoas · Σ spend), the
 * carbon cap (Σ carbonPerUnit · spend ≤ maxDailyKg) and each group's min and max share of `allocatable`, as
 * far as its channels can move today ({@link groupRangeToday}). Every right-hand side folds in what the
 * floors already spend, earn and emit.
 */
export const buildModel = (portfolio: Portfolio, channels: readonly ModelChannel[], allocatable: number): AllocationModel => {
  const { targetCpa, minRoas } = portfolio.objective;
  // Only a row's own curve is read at the breakpoints: a cautious reading costs the shape's error at each.
  const segments = channels.flatMap((m, i) =>
    segmentsOf(i, m.lower, m.upper, SEGMENTS, m.value, minRoas ? m.revenue : undefined, targetCpa ? m.conversions : undefined),
  );
  const floorsOf = (pick: (m: ModelChannel, spend: number) => number, members = channels) =>
    members.reduce((sum, m) => sum + pick(m, m.lower), 0);
  const spent = floorsOf((_, s) => s);
  const rows: LpRow[] = [];
  const meanings: RowMeaning[] = [];
  const coefficients: ((segment: Segment) => number)[] = [];
  const add = (meaning: RowMeaning, coefficient: (segment: Segment) => number, rhs: number) => {
    rows.push({ id: meaning.id, a: segments.map(coefficient), rhs, soft: meaning.soft, firm: meaning.firm ?? false });
    meanings.push(meaning);
    coefficients.push(coefficient);
  };

  add({ id: 'budget', side: 'max', soft: false }, () => 1, allocatable - spent);
  if (targetCpa) {
    add(
      { id: 'targetCpa', side: 'max', soft: true },
      (s) => 1 - targetCpa * s.conversionSlope,
      targetCpa * floorsOf((m, s) => m.conversions(s)) - spent,
    );
  }
  if (minRoas) {
    add({ id: 'minRoas', side: 'max', soft: true }, (s) => minRoas - s.revenueSlope, floorsOf((m, s) => m.revenue(s)) - minRoas * spent);
  }
  if (portfolio.carbon) {
    const intensity = (i: number) => channels[i]!.channel.carbonPerUnit ?? 0;
    const emitted = channels.reduce((sum, m, i) => sum + intensity(i) * m.lower, 0);
    add({ id: 'carbon', side: 'max', soft: false }, (s) => intensity(s.channel), portfolio.carbon.maxDailyKg - emitted);
  }
  for (const group of portfolio.groups) {
    const members = new Set(group.channels);
    const inGroup = (s: Segment) => (members.has(channels[s.channel]!.channel.id) ? 1 : 0);
    const inside = channels.filter((m) => members.has(m.channel.id));
    const floors = floorsOf((_, s) => s, inside);
    const shares = { min: group.minShare * allocatable, max: group.maxShare * allocatable };
    const today = groupRangeToday(shares, inside, spent - floors, allocatable);
    // Firm rather than hard: should groups still conflict with each other or the carbon cap today, the shares
    // give way by the least (after the targets), and the plan is published saying so, never held for them.
    const row = { id: `group:${group.id}`, soft: true, firm: true } as const;
    if (group.maxShare < 1) add({ ...row, side: 'max', share: shares.max }, inGroup, today.max - floors);
    if (group.minShare > 0) add({ ...row, side: 'min', share: shares.min }, (s) => -inGroup(s), floors - today.min);
  }
  const beyond = channels.map((m, i): Column | undefined => {
    // A channel with segments prices its ceiling by its own; one whose config leaves no room above its base
    // (a max of 0, a max at its base) has no ceiling a plan could raise.
    if (m.upper > m.lower || m.upper <= m.channel.base) return undefined;
    const [unit] = segmentsOf(i, m.upper, m.upper + 1, 1, m.value, minRoas ? m.revenue : undefined, targetCpa ? m.conversions : undefined);
    return unit && { c: unit.slope, a: coefficients.map((coefficient) => coefficient(unit)) };
  });
  return { problem: { c: segments.map((s) => s.slope), upper: segments.map((s) => s.length), rows }, segments, meanings, beyond };
};

/**
 * `model` with its target rows (target CPA, minimum ROAS) read off other revenue and conversions curves of the
 * same channels, at the same breakpoints: the objective, the bounds and every other row are kept as they are.
 * Each coefficient and right-hand side is what {@link buildModel} would write for `channels` (the same
 * differences over the same spends, summed in the same order), without reading the value curve again for
 * breakpoints it already has.
 */
export const withTargetsOn = (
  portfolio: Portfolio,
  model: AllocationModel,
  channels: readonly Pick<ModelChannel, 'revenue' | 'conversions' | 'lower'>[],
): AllocationModel => {
  const { targetCpa, minRoas } = portfolio.objective;
  /** Each segment's slope on `curve`: a breakpoint shared by two segments is read once, as segmentsOf reads it. */
  const slopesOn = (curve: (m: Pick<ModelChannel, 'revenue' | 'conversions'>, spend: number) => number) => {
    let previous = { channel: -1, to: 0, value: 0 };
    return model.segments.map((s) => {
      const m = channels[s.channel]!;
      const start = previous.channel === s.channel && previous.to === s.from ? previous.value : curve(m, s.from);
      const end = curve(m, s.to);
      previous = { channel: s.channel, to: s.to, value: end };
      return (end - start) / s.length;
    });
  };
  const floorsOf = (pick: (m: Pick<ModelChannel, 'revenue' | 'conversions' | 'lower'>, spend: number) => number) =>
    channels.reduce((sum, m) => sum + pick(m, m.lower), 0);
  const spent = floorsOf((_, s) => s);
  const rows = model.problem.rows.map((row, r): LpRow => {
    const { id } = model.meanings[r]!;
    if (id === 'targetCpa' && targetCpa) {
      const slopes = slopesOn((m, s) => m.conversions(s));
      return { ...row, a: slopes.map((slope) => 1 - targetCpa * slope), rhs: targetCpa * floorsOf((m, s) => m.conversions(s)) - spent };
    }
    if (id === 'minRoas' && minRoas) {
      const slopes = slopesOn((m, s) => m.revenue(s));
      return { ...row, a: slopes.map((slope) => minRoas - slope), rhs: floorsOf((m, s) => m.revenue(s)) - minRoas * spent };
    }
    return row;
  });
  // `beyond` is left as the model wrote it: the models this makes are solved for their cost, never explained.
  return { ...model, problem: { ...model.problem, rows } };
};

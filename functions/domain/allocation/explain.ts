import { groupBy } from '../collections.js';
import type { Portfolio } from '../config.js';
import { formatAmount, minorUnitOf, roundTo } from '../money.js';
import type { LpSolution } from './lp.js';
import type { AllocationModel, Column, RowMeaning } from './model.js';
import type { BindingConstraint } from './schemas.js';

/** Prices smaller than this (objective units per unit) are rounding, not a binding constraint. */
const BINDING = 1e-9;

const number = formatAmount;
const percent = (share: number) => `${number(share * 100, 1)}%`;

/** What the plan buys, for sentences: "conversions", or revenue in the portfolio's currency. */
const outcome = (portfolio: Portfolio) =>
  portfolio.objective.maximize === 'revenue'
    ? (amount: number) => `${number(amount, 4)} ${portfolio.currency} more revenue`
    : (amount: number) => `${number(amount, 4)} more conversions`;

/** The plan a constraint's price is read against: each channel's total, conversions and revenue there. */
export interface PlannedChannel {
  readonly channelId: string;
  readonly total: number;
  /** Its total in whole minor units, as the plan publishes it: what a reason quotes. */
  readonly placed: number;
  readonly conversions: number;
  readonly revenue: number;
  readonly base: number;
  /** Its floor, and whether the daily change limit set it (rather than the base or exploration). */
  readonly floor: number;
  readonly floorFromChange: boolean;
  /** Whether that floor gave way (the budget could not cover every channel's), so the cut goes below the limit. */
  readonly floorGaveWay: boolean;
  /** The groups whose shares its floor gave way further for, beyond the proportion (none when it did not). */
  readonly gaveWayFor?: readonly string[];
  readonly max: number;
  /** Where its ceiling comes from: its own max, or the daily change limit. */
  readonly ceiling: 'max' | 'change';
  readonly upper: number;
  /** Its total when the day began, which the daily change limit is measured from; null when it had none. */
  readonly dayStart: number | null;
  /** Under a stop-loss: held at its base. */
  readonly stopLoss?: boolean;
}

/** What else binds beside a missed share, to name the cause of a group held below its minimum: the carbon cap. */
interface Beside {
  /** The carbon cap in kg a day, when it binds, and the channels it holds back (those that emit). */
  readonly carbonCap?: number;
  readonly emitting?: readonly string[];
  /** What whole minor units under the channels' limits leave of a budget the LP placed whole. */
  readonly roundedLeft?: number;
}

/** "… from 500.00 when the day began", in the currency's decimals as the table writes it, for a limit measured from the day's starting plan. */
const fromDayStart = (channel: PlannedChannel, money: (value: number) => string) =>
  channel.dayStart === null ? '' : ` from ${money(channel.dayStart)} when the day began`;

const rowConstraint = (
  portfolio: Portfolio,
  meaning: RowMeaning,
  price: number,
  plan: readonly PlannedChannel[],
  unmet: number,
  beside: Beside = {},
): BindingConstraint => {
  const gain = outcome(portfolio);
  const { currency } = portfolio;
  const spend = plan.reduce((s, c) => s + c.total, 0);
  const conversions = plan.reduce((s, c) => s + c.conversions, 0);
  // A group's unmet is money, to the cent like every amount (six significant digits lost up to 0.05 beyond 10,000).
  const missed = unmet > 0 ? { unmet: meaning.share !== undefined ? roundTo(unmet, 2) : Number(unmet.toPrecision(6)) } : {};
  switch (meaning.id) {
    case 'budget':
      return {
        id: 'budget',
        binding: true,
        shadowPrice: price,
        explanation:
          (beside.roundedLeft ?? 0) > 0
            ? `The daily budget is placed but for ${minorUnitOf(currency).format(beside.roundedLeft!)} ${currency}, which rounding each channel down to the ${currency} minor unit under its limit leaves: one more ${currency} of budget would buy ${gain(price)} a day.`
            : `The daily budget is fully placed: one more ${currency} of budget would buy ${gain(price)} a day.`,
      };
    case 'targetCpa': {
      const target = portfolio.objective.targetCpa!;
      const planned = conversions > 0 ? spend / conversions : Number.POSITIVE_INFINITY;
      const perUnit = price * conversions;
      return {
        id: 'targetCpa',
        binding: true,
        // A missed target has no price: no small relaxation makes it hold.
        shadowPrice: unmet > 0 ? 0 : perUnit,
        ...missed,
        explanation:
          unmet > 0
            ? roundTo(planned, 2) <= target
              ? // Met on the expected conversions, missed on the cautious reading the target is planned against.
                `The target CPA of ${number(target)} cannot be met with the caution it is planned with: the plan's expected CPA is ${number(planned)}, but read at the 5th percentile of its conversions (docs/allocation.md) it is above the target, even in the plan closest to it that today's floors (bases, exploration and the daily change limit) allow.`
              : `The target CPA of ${number(target)} cannot be met within today's limits: the plan's expected CPA is ${number(planned)}, the closest today's floors (bases, exploration and the daily change limit) allow.`
            : `The target CPA of ${number(target)} holds the plan back: relaxing it by 1 ${currency} would add ${gain(perUnit)} a day.`,
      };
    }
    case 'minRoas': {
      const floor = portfolio.objective.minRoas!;
      const revenue = plan.reduce((s, c) => s + c.revenue, 0);
      const perTenth = price * spend * 0.1;
      return {
        id: 'minRoas',
        binding: true,
        shadowPrice: unmet > 0 ? 0 : price * spend,
        ...missed,
        explanation:
          unmet > 0
            ? spend > 0 && roundTo(revenue / spend, 2) >= floor
              ? `The minimum ROAS of ${number(floor)} cannot be met with the caution it is planned with: the plan's expected ROAS is ${number(revenue / spend)}, but read at the 5th percentile of its revenue (docs/allocation.md) it is below the minimum, even in the plan closest to it that today's floors (bases, exploration and the daily change limit) allow.`
              : `The minimum ROAS of ${number(floor)} cannot be met within today's limits: the plan's expected ROAS is ${number(spend > 0 ? revenue / spend : 0)}, the closest today's floors (bases, exploration and the daily change limit) allow.`
            : `The minimum ROAS of ${number(floor)} holds the plan back: lowering it by 0.1 would add ${gain(perTenth)} a day.`,
      };
    }
    case 'carbon':
      return {
        id: 'carbon',
        binding: true,
        shadowPrice: price,
        explanation: `The carbon cap of ${number(portfolio.carbon!.maxDailyKg)} kg CO2e a day binds: each extra kg would allow ${gain(price)}.`,
      };
    default: {
      const group = portfolio.groups.find((g) => `group:${g.id}` === meaning.id)!;
      const share = meaning.side === 'max' ? group.maxShare : group.minShare;
      if (unmet > 0) {
        // A missed share has no price, as a missed target has none: no small relaxation makes it hold.
        return {
          id: meaning.id,
          binding: true,
          shadowPrice: 0,
          ...missed,
          explanation: missedShare(group, meaning, share, plan, unmet, beside),
        };
      }
      return {
        id: meaning.id,
        binding: true,
        shadowPrice: price,
        explanation:
          meaning.side === 'max'
            ? `Group ${group.id} is at its maximum share (${percent(share)} of the allocatable budget): each 1 ${currency} more it could take would add ${gain(price)}.`
            : `Group ${group.id} is held at its minimum share (${percent(share)} of the allocatable budget): each 1 ${currency} less it had to take would add ${gain(price)}.`,
      };
    }
  }
};

/** A share missed by less than half a cent is rounding, not a share out of reach. */
const SHARE_MISSED = 0.005;

/** A group's channels in the plan, and their total. */
const groupTotal = <C extends Pick<PlannedChannel, 'channelId' | 'total'>>(channels: readonly string[], plan: readonly C[]) => {
  const members = plan.filter((c) => channels.includes(c.channelId));
  return { members, total: members.reduce((s, c) => s + c.total, 0) };
};

/** The plan as it is published: each channel at its total in whole minor units. */
const asPlaced = (plan: readonly PlannedChannel[]) => plan.map((c) => ({ ...c, total: c.placed }));

/**
 * How far the plan misses a group's share as configured (0 within half a cent), whether today's row asked
 * less or the row gave way: missed both as the LP placed it and as it is published, by as much as the
 * published plan misses it (read on the LP's totals, the amount was a cent off the table's beside it).
 */
const shareMissed = (portfolio: Portfolio, meaning: RowMeaning, plan: readonly PlannedChannel[]): number => {
  if (meaning.share === undefined) return 0;
  const channels = portfolio.groups.find((g) => `group:${g.id}` === meaning.id)?.channels ?? [];
  const missing = (rows: readonly PlannedChannel[]) => {
    const { total } = groupTotal(channels, rows);
    return meaning.side === 'min' ? meaning.share! - total : total - meaning.share!;
  };
  const published = missing(asPlaced(plan));
  return missing(plan) > SHARE_MISSED && published > SHARE_MISSED ? published : 0;
};

/** A group's share as a sentence begins: which side, its share and what that is today. */
const shareHead = (id: string, side: RowMeaning['side'], share: number, amount: number) =>
  `Group ${id}'s ${side === 'min' ? 'minimum' : 'maximum'} share (${percent(share)} of the allocatable budget, ${number(amount)})`;

/**
 * The group shares a held plan misses (nothing is solved for them, so nothing else says so): each as a
 * constraint with `unmet`, as a solved plan reports a missed share, and a price of nothing.
 */
export const heldShareMisses = (
  portfolio: Portfolio,
  channels: readonly Pick<PlannedChannel, 'channelId' | 'total'>[],
  allocatable: number,
): BindingConstraint[] =>
  portfolio.groups.flatMap((group) => {
    const { total } = groupTotal(group.channels, channels);
    const sides = [
      { side: 'min' as const, share: group.minShare, missed: group.minShare * allocatable - total, word: 'short' },
      { side: 'max' as const, share: group.maxShare, missed: total - group.maxShare * allocatable, word: 'over' },
    ];
    return sides
      .filter((s) => s.missed > SHARE_MISSED)
      .map((s) => ({
        id: `group:${group.id}`,
        binding: true,
        shadowPrice: 0,
        unmet: roundTo(s.missed, 2),
        explanation: `${shareHead(group.id, s.side, s.share, s.share * allocatable)} is missed by the held plan: ${number(total, 2, 2)}, ${number(s.missed, 2, 2)} ${s.word}.`,
      }));
  });

/**
 * Why a group misses its share today, and by how much: its channels are as far as the daily change limit
 * lets them move from where the day began (a budget raise asks more of a group than its channels may grow by
 * in a day; a cut, less than they may shrink by), or as far as their own caps or floors go, or the rest of
 * the plan cannot give way. The limit wins for the day, and the share is reached over the days that follow.
 */
const missedShare = (
  { id, channels }: Portfolio['groups'][number],
  { side, share: amount }: RowMeaning,
  share: number,
  plan: readonly PlannedChannel[],
  unmet: number,
  beside: Beside,
): string => {
  const { members: group } = groupTotal(channels, plan);
  const { total } = groupTotal(channels, asPlaced(plan));
  const head = shareHead(id, side, share, amount ?? 0);
  if (side === 'min') {
    const atCeilings = group.every((c) => c.total >= c.upper - 0.01);
    // Each member held at its ceiling, by what holds it: the limit, a stop-loss, its max.
    const byChange = group.some((c) => !c.stopLoss && c.ceiling === 'change' && c.upper > c.base + 0.005);
    const stopped = group.filter((c) => c.stopLoss && c.base < c.max - 0.005).map((c) => c.channelId);
    const stopLoss = `a stop-loss holds ${stopped.join(' and ')} at ${stopped.length > 1 ? 'their bases' : 'its base'}`;
    const byLimit = atCeilings && byChange;
    const why = !atCeilings
      ? beside.carbonCap !== undefined && group.some((c) => beside.emitting?.includes(c.channelId))
        ? `the carbon cap of ${number(beside.carbonCap)} kg CO2e a day leaves it ${number(total)}`
        : `the other channels' floors and today's other limits leave it ${number(total)}`
      : byChange
        ? `the daily change limit lets its channels rise only to ${number(total)}${stopped.length > 0 ? ` (and ${stopLoss})` : ''}`
        : stopped.length > 0
          ? `${stopLoss}${group.some((c) => !stopped.includes(c.channelId)) ? ', and its other channels are at their maxes' : ''}: ${number(total)}`
          : `its channels' caps today (their maxes) hold it to ${number(total)}`;
    const after = byLimit ? ' It takes what the limit allows each day until it reaches its share.' : '';
    return `${head} is out of reach today: ${why}, ${number(unmet)} short.${after}`;
  }
  const atFloors = group.every((c) => c.total <= c.floor + 0.01);
  const byLimit = atFloors && group.some((c) => c.floorFromChange && !c.floorGaveWay);
  const why = !atFloors
    ? `today's other limits keep it at ${number(total)}`
    : byLimit
      ? `the daily change limit lets its channels come down only to ${number(total)}`
      : `its channels' floors (their bases and exploration) hold it at ${number(total)}`;
  const after = byLimit ? ' It gives back what the limit allows each day until it is within its share.' : '';
  return `${head} cannot hold today: ${why}, ${number(unmet)} over.${after}`;
};

/**
 * The constraints that bind at the optimum, each with its shadow price in the objective's unit and a line
 * for finance: the rows (priced by the LP's duals) and each channel's ceiling or change-limit floor (priced
 * by the reduced cost of its marginal segment). Ordered by price, dearest first.
 */
export const bindingConstraints = (
  portfolio: Portfolio,
  model: AllocationModel,
  solution: LpSolution,
  plan: readonly PlannedChannel[],
  roundedLeft = 0,
): BindingConstraint[] => {
  // A group's share is missed when today's row asked less of it, or gave way; a target when its row gave way.
  const missed = model.meanings.map((meaning, r) =>
    meaning.share !== undefined ? shareMissed(portfolio, meaning, plan) : solution.violations[r]!,
  );
  /** The groups whose maximum share the plan misses today. */
  const overCap = portfolio.groups.filter((g) =>
    model.meanings.some((m, r) => m.id === `group:${g.id}` && m.side === 'max' && m.share !== undefined && missed[r]! > 0),
  );
  const carbon = model.meanings.findIndex((m) => m.id === 'carbon');
  const beside: Beside = {
    roundedLeft,
    ...(carbon >= 0 && solution.duals[carbon]! > BINDING
      ? { carbonCap: portfolio.carbon!.maxDailyKg, emitting: portfolio.channels.filter((c) => (c.carbonPerUnit ?? 0) > 0).map((c) => c.id) }
      : {}),
  };
  const rows = model.meanings.flatMap((meaning, r) => {
    const price = solution.duals[r]!;
    return price > BINDING || (meaning.soft && missed[r]! > 0) ? [rowConstraint(portfolio, meaning, price, plan, missed[r]!, beside)] : [];
  });
  const gain = outcome(portfolio);
  // A missed row's dual is its elastic penalty (or, asked only what today allows, a price of nothing in
  // particular), not what a unit is worth: channels are priced by the rows that hold as asked.
  const priced = model.meanings.map((meaning, r) => (meaning.soft && missed[r]! > 0 ? 0 : solution.duals[r]!));
  const reduced = (k: number) => model.problem.c[k]! - model.problem.rows.reduce((s, row, r) => s + priced[r]! * row.a[k]!, 0);
  const reducedOf = (column: Column) => column.c - column.a.reduce((s, a, r) => s + priced[r]! * a, 0);
  const segmentsOf = groupBy(model.segments.keys(), (k) => model.segments[k]!.channel);
  /** What a unit more of a channel's ceiling is worth: its top segment's reduced cost when it is full, else nothing. */
  const ceilingPrice = (own: readonly number[], beyond: Column | undefined, channel: PlannedChannel) => {
    const top = own.at(-1);
    // A channel whose floor reached its ceiling (exploration filled it) has no segment: the unit beyond prices it.
    if (top === undefined) return beyond && !channel.stopLoss ? reducedOf(beyond) : 0;
    return solution.x[top]! >= model.segments[top]!.length - 1e-9 ? reduced(top) : 0;
  };
  const names = new Map(portfolio.channels.map((c) => [c.id, c.name]));
  // A limit as the plan reached it: the channel's total in whole minor units, which the table shows. The limit
  // itself is fractional: rounded to the nearest unit, a rise's ceiling of 2,034.2375 was quoted as 2,034.24
  // beside a total of 2,034.23, and rounded down, a cut's floor of 919.2075 as 919.20 beside 919.21.
  const unit = minorUnitOf(portfolio.currency);
  const reached = (channel: PlannedChannel) => unit.format(channel.placed);
  const bounds = plan.flatMap((channel, i): BindingConstraint[] => {
    // People read the channel's name (issue 23: ids only in the CSV and the API); the id stays in the constraint's id.
    const name = names.get(channel.channelId) ?? channel.channelId;
    const own = segmentsOf.get(i) ?? [];
    const price = ceilingPrice(own, model.beyond[i], channel);
    if (price > BINDING) {
      const atMax = channel.ceiling === 'max';
      return [
        {
          id: atMax ? `max:${channel.channelId}` : `change:${channel.channelId}`,
          binding: true,
          shadowPrice: price,
          explanation: atMax
            ? `${name} is at its max of ${number(channel.max)}: raising the max by 1 ${portfolio.currency} would add ${gain(price)} a day.`
            : `${name} is raised by the most the daily change limit allows (to ${reached(channel)}${fromDayStart(channel, unit.format)}): each 1 ${portfolio.currency} more would add ${gain(price)} a day.`,
        },
      ];
    }
    if (own.length === 0) return [];
    const bottom = own[0]!;
    // A floor that gave way holds its channel by the rule, not by a price: the channel whose margin sets the
    // budget's price has none, yet it was cut as the others were, so it is listed all the same. So is one the
    // limit holds above a group's cap the plan misses: the missed row's price is no unit's worth.
    const hasPrice = reduced(bottom) < -BINDING;
    const capped = overCap.filter((g) => g.channels.includes(channel.channelId)).map((g) => g.id);
    if (channel.floorFromChange && solution.x[bottom]! <= 1e-9 && (hasPrice || channel.floorGaveWay || capped.length > 0)) {
      const price = hasPrice ? -reduced(bottom) : 0;
      const toward = capped.map((g) => `, toward group ${g}'s maximum share`).join('');
      const worth = hasPrice ? `: each 1 ${portfolio.currency} it could give up would add ${gain(price)} a day elsewhere.` : `${toward}.`;
      return [
        {
          id: `change:${channel.channelId}`,
          binding: true,
          shadowPrice: price,
          explanation: channel.floorGaveWay
            ? `${name} is cut below the daily change limit (to ${reached(channel)}${fromDayStart(channel, unit.format)}), as every channel's floor gives way in proportion when today's budget cannot cover them${(channel.gaveWayFor ?? []).map((g) => `, and further for group ${g}'s share`).join('')}${worth}`
            : `${name} is cut by the most the daily change limit allows (to ${reached(channel)}${fromDayStart(channel, unit.format)})${worth}`,
        },
      ];
    }
    return [];
  });
  return [...rows, ...bounds]
    .map((c) => ({ ...c, shadowPrice: Number(c.shadowPrice.toPrecision(6)) }))
    .sort((a, b) => b.shadowPrice - a.shadowPrice);
};

/**
 * Says on the binding target what planning it with caution costs: the value a plan read on the curves'
 * means would add (`cost`, in the objective's unit a day), against the days over the target it avoids.
 */
export const withCautionCost = (
  constraints: readonly BindingConstraint[],
  portfolio: Portfolio,
  cost: number,
  percentile: number,
): BindingConstraint[] =>
  constraints.map((c) =>
    (c.id === 'targetCpa' || c.id === 'minRoas') && c.unmet === undefined
      ? {
          ...c,
          cautionCost: Number(Math.max(0, cost).toPrecision(6)),
          explanation: `${c.explanation} It is planned against the ${percentile}th percentile of what the portfolio may return, so about one day in ${Math.round(100 / percentile)} lands over it; planning on the expected values instead would add ${outcome(portfolio)(Math.max(0, cost))} a day and land over it on about half the days.`,
        }
      : c,
  );

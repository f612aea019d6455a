import type { Channel, Portfolio } from '../config.js';
import { formatAmount, type MinorUnit, minorUnitOf, roundToTotal } from '../money.js';
import type { AllocationInput, ChannelAllocation, PlanTotals } from './schemas.js';

/**
 * The one rule every published plan obeys, solved, held or reused: it is feasible for the config it is
 * published under. This file holds the rule ({@link feasibilityIssues}), the bounds it is made of
 * ({@link channelBounds}, which the allocator plans within too) and the projection that brings a plan that
 * breaks it back inside ({@link projectOntoConfig}).
 */

/**
 * Totals are whole minor units of the portfolio's currency (cents, whole yen), each up to one from the LP's, so
 * a bound holds when it holds to within one.
 */
const slackOf = (unit: MinorUnit) => unit.size + 1e-9;

/** The kg of CO2e `amounts` emit a day, one amount per channel in `channels`' order (0 where none is declared). */
export const emittedKg = (channels: readonly Pick<Channel, 'carbonPerUnit'>[], amounts: readonly number[]) =>
  channels.reduce((kg, channel, i) => kg + (channel.carbonPerUnit ?? 0) * amounts[i]!, 0);

/** Today's money: the amount held back and the amount a plan may place. */
export interface Budget {
  readonly reserve: number;
  readonly allocatable: number;
}

/** `daily × (1 − reserveShare)`, or `daily` when this run releases the reserve, in whole minor units. */
export const budgetOf = (portfolio: Pick<Portfolio, 'budget' | 'currency'>, releaseReserve: boolean): Budget => {
  const { daily, reserveShare } = portfolio.budget;
  const unit = minorUnitOf(portfolio.currency);
  // The reserve rounded up and the rest down: a reserve of 1,500.0015 rounded to 1,500.00 left 8,500.01 to
  // place of a daily 10,000.01, past daily × (1 − reserveShare); a what-if of 12,000.50 yen places 12,000.
  const reserve = releaseReserve ? 0 : unit.ceil(daily * reserveShare);
  return { reserve, allocatable: unit.floor(daily - reserve) };
};

/** Where a channel's total may sit today. */
export interface ChannelBounds {
  readonly channelId: string;
  readonly base: number;
  readonly max: number;
  /** The total in force when the day began (the change limit's reference); null for a channel new today. */
  readonly reference: number | null;
  /**
   * Base and max, narrowed by the daily change limit around the reference; both the base under a stop-loss.
   * Never narrowed past them: the base and max are what today's config commits to, so they win over the limit
   * (a channel that began the day below a raised base goes to it at once, above a lowered max comes down to it).
   */
  readonly low: number;
  readonly high: number;
  readonly stopLoss: boolean;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The plan the daily change limit is measured from: the one in force when the portfolio's local day began
 * (`dayStart`), or `previous` when the input does not say (one run a day, as in a backtest). An explicit
 * null means no plan was in force at the day's start: nothing limits the day's moves.
 */
export const referencePlan = (input: Pick<AllocationInput, 'previous' | 'dayStart'>): PlanTotals | null =>
  input.dayStart === undefined ? input.previous : input.dayStart;

/** Each channel's bounds today, in the portfolio's channel order. */
export const channelBounds = (input: Pick<AllocationInput, 'portfolio' | 'previous' | 'dayStart' | 'stopLoss'>): ChannelBounds[] => {
  const { portfolio, stopLoss } = input;
  const change = portfolio.budget.maxDailyChange;
  const references = new Map(referencePlan(input)?.channels.map((c) => [c.channelId, c.total]));
  return portfolio.channels.map((channel) => {
    const reference = references.get(channel.id) ?? null;
    const stop = stopLoss.includes(channel.id);
    const low = stop || reference === null ? channel.base : clamp(reference * (1 - change), channel.base, channel.max);
    const high = stop ? channel.base : reference === null ? channel.max : clamp(reference * (1 + change), channel.base, channel.max);
    return { channelId: channel.id, base: channel.base, max: channel.max, reference, low, high, stopLoss: stop };
  });
};

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Where a group's total may sit, in currency: its shares of the allocatable budget, or what today allows of them. */
export interface GroupRange {
  readonly min: number;
  readonly max: number;
}

/**
 * What today allows of a group's shares ({@link GroupRange} of `minShare` and `maxShare` × allocatable), given
 * where its channels' totals may sit today (`members`: each channel's floor and ceiling) and what the other
 * channels' floors take. A share is of the allocatable budget, while each channel moves within its own bounds
 * (the daily change limit from where the day began, its max, a stop-loss): after a budget raise a minShare can
 * ask more than the group's channels may grow by in a day, after a cut a maxShare less than they may shrink
 * by. The limit wins for the day, as it does for every channel: the group's floor is as far as its channels
 * can rise (and the other channels' floors leave room for), its cap as far as they can come down, and the
 * share is reached over the days that follow, instead of the whole plan being held.
 */
export const groupRangeToday = (
  shares: GroupRange,
  members: readonly { readonly lower: number; readonly upper: number }[],
  othersFloor: number,
  allocatable: number,
): GroupRange => ({
  min: Math.min(shares.min, sum(members.map((m) => m.upper)), allocatable - othersFloor),
  max: Math.max(shares.max, sum(members.map((m) => m.lower))),
});

/**
 * Lowers amounts until they fit `budget`, giving way in the order finance would: first toward each
 * channel's floor (the daily change limit), proportionally; when the floors alone do not fit, the floors
 * toward the bases; when the bases do not fit, the bases in proportion. Amounts already within the budget
 * are returned as they are. With `weights`, the budget is of Σ weight × amount (kg of CO2e for a carbon cap).
 */
export const shrinkToBudget = (
  amounts: readonly number[],
  floors: readonly number[],
  bases: readonly number[],
  budget: number,
  weights?: readonly number[],
): number[] => {
  const weighted = (xs: readonly number[]) => xs.reduce((s, x, i) => s + (weights?.[i] ?? 1) * x, 0);
  const total = weighted(amounts);
  if (total <= budget) return [...amounts];
  const floorSum = weighted(floors);
  if (floorSum <= budget) {
    const keep = (budget - floorSum) / Math.max(total - floorSum, 1e-12);
    return amounts.map((a, i) => floors[i]! + keep * (a - floors[i]!));
  }
  const baseSum = weighted(bases);
  if (baseSum <= budget) {
    const keep = (budget - baseSum) / Math.max(floorSum - baseSum, 1e-12);
    return floors.map((f, i) => bases[i]! + keep * (f - bases[i]!));
  }
  return bases.map((b) => (b * budget) / baseSum);
};

/**
 * Lowers amounts toward their floors until every group's shares still have room: within a group with a
 * `maxShare` its channels' amounts sum to no more than its cap (or to their floors, should those exceed it),
 * and outside a group with a `minShare` the other channels' amounts leave it what it needs (its share, or as
 * far as its channels can rise today, `ceilings`). Only the part above each floor gives way, in one proportion
 * per group. Lowering never takes room from another group, so a few passes settle groups that share channels.
 * The allocator uses it so that what it lays down before the LP (exploration; the change-limit floors once a
 * budget cut made them give way) never breaks a group by itself.
 */
export const roomForGroups = (
  amounts: readonly number[],
  floors: readonly number[],
  ceilings: readonly number[],
  ids: readonly string[],
  groups: Portfolio['groups'],
  allocatable: number,
  /** Told each channel (by index) that gave way for a group, and the group's id. */
  gaveWay: (channel: number, group: string) => void = () => {},
): number[] => {
  const out = [...amounts];
  const lowerTo = (picked: readonly number[], room: number, group: string) => {
    const over = sum(picked.map((i) => out[i]!));
    if (over <= room + 1e-9) return;
    const floor = sum(picked.map((i) => floors[i]!));
    const keep = Math.max(0, (room - floor) / Math.max(over - floor, 1e-12));
    for (const i of picked) {
      const lowered = Math.min(out[i]!, floors[i]! + keep * (out[i]! - floors[i]!));
      if (lowered < out[i]! - 1e-9) gaveWay(i, group);
      out[i] = lowered;
    }
  };
  for (let pass = 0; pass < 3; pass += 1) {
    for (const group of groups) {
      const inside = ids.flatMap((id, i) => (group.channels.includes(id) ? [i] : []));
      const outside = ids.flatMap((id, i) => (group.channels.includes(id) ? [] : [i]));
      if (group.maxShare < 1) lowerTo(inside, group.maxShare * allocatable, group.id);
      if (group.minShare > 0) {
        const reach = sum(inside.map((i) => Math.max(out[i]!, ceilings[i]!)));
        const needs = Math.max(Math.min(group.minShare * allocatable, reach), sum(inside.map((i) => out[i]!)));
        lowerTo(outside, allocatable - needs, group.id);
      }
    }
  }
  return out;
};

/** Amounts floored to whole minor units, so a sum within a budget stays within it. */
const floorAll = (amounts: readonly number[], unit: MinorUnit) => amounts.map(unit.floor);

/** How a projection changed a plan, for the reason finance reads. */
export interface Projection {
  readonly totals: number[];
  /** What made it differ from the plan it started from, in words; empty when nothing had to change. */
  readonly changes: string[];
}

/**
 * Today's carbon cap, if any, over amounts in the portfolio's channel order (as {@link channelBounds} lists
 * them): each channel's kg of CO2e per unit spent (0 where it declares none), the kg of a plan, and the limit a
 * plan must keep. The cap binds only as far as the bases keep it (the config refuses bases above it), so a
 * plan is never cut below them for it.
 */
const carbonCap = (portfolio: FeasibilityContext['portfolio']) => {
  if (portfolio.carbon === undefined) return null;
  const { channels } = portfolio;
  const kg = (amounts: readonly number[]) => emittedKg(channels, amounts);
  const { maxDailyKg } = portfolio.carbon;
  return {
    perUnit: channels.map((c) => c.carbonPerUnit ?? 0),
    kg,
    maxDailyKg,
    limitKg: Math.max(maxDailyKg, kg(channels.map((c) => c.base))),
  };
};

/** Whether the channels' bases alone are more than today's allocatable budget (so a plan is its bases, scaled). */
export const basesExceed = (bounds: readonly Pick<ChannelBounds, 'base'>[], budget: Pick<Budget, 'allocatable'>, unit: MinorUnit) =>
  sum(bounds.map((b) => b.base)) > budget.allocatable + slackOf(unit);

/**
 * Brings a plan onto today's feasible set: each channel into its bounds (a new channel at its base, a
 * stop-loss at its base, a lowered max as the cap), then the whole into today's allocatable budget and
 * under its carbon cap by {@link shrinkToBudget}. A plan already feasible comes back unchanged.
 */
export const projectOntoConfig = (
  plan: PlanTotals | null,
  bounds: readonly ChannelBounds[],
  budget: Budget,
  portfolio: FeasibilityContext['portfolio'],
): Projection => {
  const totals = new Map(plan?.channels.map((c) => [c.channelId, c.total]));
  const unit = minorUnitOf(portfolio.currency);
  const slack = slackOf(unit);
  const changes = new Set<string>();
  const boxed = bounds.map((b) => {
    const kept = totals.get(b.channelId);
    if (kept === undefined && plan !== null) changes.add(`${b.channelId} is new and starts at its base`);
    const before = kept ?? b.base;
    const after = clamp(before, b.low, b.high);
    if (after < before - slack)
      changes.add(
        b.stopLoss ? `${b.channelId} is under a stop-loss and held at its base` : `${b.channelId} is capped at ${unit.format(after)}`,
      );
    if (after > before + slack) {
      changes.add(
        `${b.channelId} is raised to ${after === b.base ? 'its base' : "the daily change limit's floor"} of ${unit.format(after)}`,
      );
    }
    return after;
  });
  const fitted = shrinkToBudget(
    boxed,
    bounds.map((b) => b.low),
    bounds.map((b) => b.base),
    budget.allocatable,
  );
  if (sum(boxed) > budget.allocatable + slack) {
    // Below the bases, nothing of the plan is left but the bases, each scaled by the same factor.
    changes.add(
      basesExceed(bounds, budget, unit)
        ? `the bases (${unit.format(sum(bounds.map((b) => b.base)))}) scaled in proportion to today's allocatable budget of ${unit.format(budget.allocatable)}`
        : `scaled to today's allocatable budget of ${unit.format(budget.allocatable)}`,
    );
  }
  const carbon = carbonCap(portfolio);
  if (carbon === null || carbon.kg(fitted) <= carbon.limitKg) {
    // Whole units summing to what was fitted, each within its bounds: floored one by one, a plan scaled to an
    // allocatable 5,950.00 placed 5,949.97 and left the rest unexplained.
    const totals = roundToTotal(
      fitted,
      unit.floor(sum(fitted)),
      unit,
      bounds.map((b) => b.high),
    );
    return { totals, changes: [...changes] };
  }
  const cap = `today's carbon cap of ${formatAmount(carbon.maxDailyKg, 3)} kg`;
  changes.add(
    carbon.limitKg > carbon.maxDailyKg
      ? `lowered to the bases, the nearest it comes to ${cap}`
      : `lowered toward the floors to keep ${cap}`,
  );
  // Only the channels that emit give way: one that emits nothing keeps its amount, floor or not.
  const emitting = (i: number) => carbon.perUnit[i]! > 0;
  const capped = shrinkToBudget(
    fitted,
    bounds.map((b, i) => (emitting(i) ? b.low : fitted[i]!)),
    bounds.map((b, i) => (emitting(i) ? b.base : fitted[i]!)),
    carbon.limitKg,
    carbon.perUnit,
  );
  return { totals: floorAll(capped, unit), changes: [...changes] };
};

/** What feasibility reads of a plan: its total and each channel's total and exploration. */
export interface CheckedPlan {
  readonly total: number;
  readonly channels: readonly Pick<ChannelAllocation, 'channelId' | 'total' | 'exploration'>[];
}

/** The parts of the allocator's input that say what is feasible today. */
export type FeasibilityContext = Pick<AllocationInput, 'portfolio' | 'previous' | 'dayStart' | 'stopLoss' | 'releaseReserve'>;

/** One way a plan breaks today's config, with the path of what breaks it. */
export interface FeasibilityIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Every way `allocation` breaks the config of `input` (empty when it is feasible): its channels are the
 * portfolio's; its total is the sum of theirs and within today's allocatable budget; each channel is within
 * `[0, max]`, at least its base unless the bases do not fit, exactly its base under a stop-loss; the plan
 * within the carbon cap (as far as the bases keep it); and no channel moved beyond the daily change limit
 * from the day's starting plan, except where the budget or the carbon cap cannot take the limit's floors
 * (then a cut is allowed, never a raise beyond it but for exploration).
 */
export const feasibilityIssues = (allocation: CheckedPlan, input: FeasibilityContext): FeasibilityIssue[] => {
  const issues: FeasibilityIssue[] = [];
  const { allocatable } = budgetOf(input.portfolio, input.releaseReserve);
  const bounds = channelBounds(input);
  const rows = new Map(allocation.channels.map((c) => [c.channelId, c]));
  if (rows.size !== allocation.channels.length) issues.push({ path: 'channels', message: 'a channel appears twice' });
  for (const c of allocation.channels) {
    if (!bounds.some((b) => b.channelId === c.channelId))
      issues.push({ path: `channels.${c.channelId}`, message: 'not a channel of the portfolio' });
  }
  const unit = minorUnitOf(input.portfolio.currency);
  const slack = slackOf(unit);
  // Summed in whole minor units, so the sum is exact.
  const minor = (amount: number) => Math.round(amount * unit.perUnit);
  const totalMinor = sum(allocation.channels.map((c) => minor(c.total)));
  if (!Number.isFinite(allocation.total) || minor(allocation.total) !== totalMinor) {
    issues.push({ path: 'total', message: `${allocation.total} is not the sum of the channels' totals (${totalMinor / unit.perUnit})` });
  }
  if (totalMinor > minor(allocatable)) {
    issues.push({
      path: 'total',
      message: `${unit.format(totalMinor / unit.perUnit)} exceeds today's allocatable budget of ${unit.format(allocatable)}`,
    });
  }
  const carbon = carbonCap(input.portfolio);
  const lows = bounds.map((b) => b.low);
  if (carbon !== null) {
    const kg = carbon.kg(bounds.map((b) => rows.get(b.channelId)?.total ?? 0));
    // Totals are whole minor units, each up to one from the LP's: that much of every channel's kg is rounding.
    if (kg > carbon.limitKg + carbon.kg(bounds.map(() => slack))) {
      const over =
        carbon.limitKg > carbon.maxDailyKg ? `the bases' ${formatAmount(carbon.limitKg, 2)} kg, the nearest a plan comes to ` : '';
      issues.push({
        path: 'carbonKg',
        message: `the plan emits ${formatAmount(kg, 2)} kg a day, over ${over}today's carbon cap of ${formatAmount(carbon.maxDailyKg, 3)} kg`,
      });
    }
  }
  const basesFit = sum(bounds.map((b) => b.base)) <= allocatable + slack;
  // Where the floors do not fit the budget, any channel may fall below its floor; where they do not fit the
  // carbon cap, only the channels that emit.
  const floorsFitBudget = sum(lows) <= allocatable + slack;
  const floorsFitCarbon = carbon === null || carbon.kg(lows) <= carbon.maxDailyKg;
  for (const [i, b] of bounds.entries()) {
    const row = rows.get(b.channelId);
    const path = `channels.${b.channelId}`;
    if (!row) {
      issues.push({ path, message: 'missing: every channel of the portfolio gets a total' });
      continue;
    }
    const { total } = row;
    // Not held to whole minor units: the allocator rounds to them, but a plan made before it did (a JPY plan in
    // cents) must still be approvable and reachable by a rollback, and the platforms' writers round it anyway.
    if (!Number.isFinite(total) || total < 0) issues.push({ path, message: `total ${total} is not a non-negative amount` });
    if (total > b.max + slack) issues.push({ path, message: `total ${unit.format(total)} exceeds its max of ${unit.format(b.max)}` });
    if (basesFit && total < b.base - slack)
      issues.push({ path, message: `total ${unit.format(total)} is below its base of ${unit.format(b.base)}` });
    if (b.stopLoss && total > b.base + slack)
      issues.push({ path, message: `under a stop-loss, total ${unit.format(total)} exceeds its base` });
    if (b.reference === null || b.stopLoss) continue;
    const ceiling = Math.max(b.high, b.base + row.exploration);
    if (total > ceiling + slack) {
      issues.push({ path, message: `total ${unit.format(total)} rises beyond the daily change limit from ${unit.format(b.reference)}` });
    }
    const floorHolds = floorsFitBudget && (floorsFitCarbon || carbon?.perUnit[i] === 0);
    if (floorHolds && total < b.low - slack) {
      issues.push({ path, message: `total ${unit.format(total)} falls beyond the daily change limit from ${unit.format(b.reference)}` });
    }
  }
  return issues;
};

/** Thrown when a plan about to be published breaks its config: a defect, never published. */
export class InfeasiblePlanError extends Error {
  constructor(readonly issues: readonly FeasibilityIssue[]) {
    super(`refusing to publish a plan that breaks today's config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'InfeasiblePlanError';
  }
}

/** The gate before publication: returns the allocation when feasible for `input`'s config, else throws. */
export const assertFeasible = <A extends CheckedPlan>(allocation: A, input: FeasibilityContext): A => {
  const issues = feasibilityIssues(allocation, input);
  if (issues.length > 0) throw new InfeasiblePlanError(issues);
  return allocation;
};

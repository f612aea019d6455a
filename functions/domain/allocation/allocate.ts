import type { Channel } from '../config.js';
import { daysBetween } from '../dates.js';
import { formatAmount, type MinorUnit, minorUnitOf, roundTo, roundToTotal } from '../money.js';
import { bindingConstraints, heldShareMisses, type PlannedChannel, withCautionCost } from './explain.js';
import { splitExploration } from './exploration.js';
import {
  assertFeasible,
  type Budget,
  basesExceed,
  budgetOf,
  type ChannelBounds,
  channelBounds,
  emittedKg,
  feasibilityIssues,
  projectOntoConfig,
  roomForGroups,
  shrinkToBudget,
} from './feasibility.js';
import { type LpProblem, type LpSolution, solveLp } from './lp.js';
import { type AllocationModel, buildModel, withTargetsOn } from './model.js';
import { outlook } from './outlook.js';
import {
  buildPlans,
  CAUTIOUS_PERCENTILE,
  type ChannelPlan,
  cautiousConversionsAt,
  cautiousRevenueAt,
  conversionsAt,
  incrementalAt,
  incrementalRevenueAt,
  portfolioCaution,
  revenueAt,
} from './plans.js';
import { marginalAt } from './responseModel.js';
import type { Allocation, AllocationInput, BindingConstraint, ChannelAllocation } from './schemas.js';

/** Options a caller may set; none change the decision except `exploration`. */
export interface AllocateOptions {
  /** False runs the optimizer without its exploration share (the `greedy` policy). */
  readonly exploration?: boolean;
  /** A monotonic clock in ms, to report solver time; the domain has none of its own. */
  readonly timer?: () => number;
}

/** History older than this (days before `asOf`) cannot support a decision. */
const STALE_AFTER_DAYS = 7;

const hundredths = (amount: number) => roundTo(amount, 2);

/** Value per day a plan's channel is expected to return at a spend, in the objective's unit. */
type Valuation = (plan: ChannelPlan, spend: number) => number;

/** How many standard errors below the mean a target reads the curves (conversions for a CPA, revenue for a ROAS). */
interface Caution {
  readonly conversions?: number;
  readonly revenue?: number;
}

/**
 * A solution whose row prices are real when a soft row was missed. A missed row's elastic column prices it at
 * its penalty, and the penalty leaks into the rows and bounds beside it (a carbon cap next to a group's missed
 * minimum read 352,443 conversions a kg on a plan of 300 a day). Solved again with each missed row asking only
 * what it reached, the plan is the same (it met those rows as they now stand, and nothing better met them) and
 * the prices are what a unit of each row is worth; the violations stay the first solve's, which say what was missed.
 */
const priced = (problem: LpProblem, solution: LpSolution): LpSolution => {
  const missed = problem.rows.map((row, r) =>
    row.soft && solution.violations[r]! > 1e-9 * (1 + Math.abs(row.rhs)) ? solution.violations[r]! : 0,
  );
  if (missed.every((v) => v === 0)) return solution;
  // A hair beyond what was reached, so that no rounding leaves an elastic column in use.
  const rows = problem.rows.map((row, r) =>
    missed[r]! > 0 ? { ...row, rhs: row.rhs + missed[r]! + 1e-7 * (1 + Math.abs(row.rhs)) } : row,
  );
  const again = solveLp({ ...problem, rows });
  return again.feasible ? { ...again, violations: solution.violations, feasible: solution.feasible } : solution;
};

/** A model's solution, with its prices made real ({@link priced}), and each channel's total: its floor and what it bought. */
const solveModel = (model: AllocationModel, lower: readonly number[]) => {
  const solution = priced(model.problem, solveLp(model.problem));
  const totals = [...lower];
  for (let k = 0; k < solution.x.length; k += 1) totals[model.segments[k]!.channel]! += solution.x[k]!;
  return { solution, totals };
};

/** Solves the LP with each channel's total in [lower, plan.high]: totals, row prices, and the margin. */
const solve = (
  plans: readonly ChannelPlan[],
  lower: readonly number[],
  allocatable: number,
  input: AllocationInput,
  value: Valuation,
  caution: Caution = {},
) => {
  const model = buildModel(
    input.portfolio,
    plans.map((plan, i) => ({
      channel: plan.channel,
      value: (s) => value(plan, s),
      // Targets are planned against a cautious reading of the curves, so realized days over them stay rare.
      revenue: (s) => cautiousRevenueAt(plan, s, caution.revenue),
      conversions: (s) => cautiousConversionsAt(plan, s, caution.conversions),
      lower: lower[i]!,
      upper: Math.max(lower[i]!, plan.high),
    })),
    allocatable,
  );
  const { solution, totals } = solveModel(model, lower);
  // The portfolio's margin: the slope of the last segment bought, or of the best one left when none was.
  const bought = model.segments.filter((_, k) => solution.x[k]! > 1e-9);
  const margin = bought.length > 0 ? Math.min(...bought.map((s) => s.slope)) : Math.max(0, ...model.segments.map((s) => s.slope));
  const hardMissed = model.meanings.filter(
    (m, r) => !m.soft && solution.violations[r]! > 1e-6 * (1 + Math.abs(model.problem.rows[r]!.rhs)),
  );
  return { model, solution, totals, margin, hardMissed };
};

/**
 * What reading the targets on the curves' means would add to the plan's value, a day: the final model solved
 * again with only its target rows read at the means. Its objective, bounds and other rows are the final
 * solve's, so they are not built again: the same LP as building the whole model anew at caution 0, at a third
 * of the cost.
 */
const cautionCost = (
  plans: readonly ChannelPlan[],
  final: ReturnType<typeof solve>,
  lower: readonly number[],
  input: AllocationInput,
  value: Valuation,
) => {
  const bold = solveModel(
    withTargetsOn(
      input.portfolio,
      final.model,
      plans.map((plan, i) => ({
        revenue: (s) => cautiousRevenueAt(plan, s, 0),
        conversions: (s) => cautiousConversionsAt(plan, s, 0),
        lower: lower[i]!,
      })),
    ),
    lower,
  );
  return plans.reduce((s, plan, i) => s + value(plan, bold.totals[i]!) - value(plan, final.totals[i]!), 0);
};

/** What the fit learned about a channel that changes how its numbers read, in words. */
const modelNotes = (plan: ChannelPlan): string[] => {
  const notes: string[] = [];
  const { maturity, conversions: model } = plan;
  if (maturity.known) {
    const shares = [0, 1, 2].map((age) => maturity.at(age));
    // The newest days that read more than 5% on the same side of their final count as the newest: short of
    // it, or above it where the platform restates its days down.
    const side = Math.sign(shares[0]! - 1);
    const moving = shares.findIndex((m) => Math.abs(m - 1) <= 0.05 || Math.sign(m - 1) !== side);
    const days = moving < 0 ? shares.length : moving;
    if (days > 0) {
      const mean = shares.slice(0, days).reduce((a, b) => a + b, 0) / days;
      const last = days > 1 ? `last ${days} days` : 'last day';
      notes.push(
        mean < 1
          ? `${last} still maturing: counted at ${Math.round(mean * 100)}% reported`
          : `${last} still to be restated down: counted at ${Math.round(mean * 100)}% of the final count`,
      );
    }
  }
  if (model.adstock >= 0.2) notes.push(`value arrives later than spend (${Math.round(model.adstock * 100)}% carries to the next day)`);
  if (Math.abs(plan.dayFactor - 1) >= 0.05) notes.push(`today's weekday runs at ${Math.round(plan.dayFactor * 100)}% of its average`);
  if (model.baseline > 0) notes.push(`${formatAmount(model.baseline, 1)} conversions a day would come without spend and are not credited`);
  if (plan.incrementality < 1)
    notes.push(`${Math.round(plan.incrementality * 100)}% of its reported conversions count as incremental (lift test)`);
  return notes;
};

/** Fewer effective days of data than this, and a chance read off the curve says more than the data can. */
const FEW_DAYS = 5;

/** A posterior chance, never shown as a certainty: it is the model's, and the model is not the market. */
const chancePercent = (chance: number) => `${Math.min(99, Math.max(1, Math.round(chance * 100)))}%`;

/**
 * Where the plan stopped funding a channel, in the numbers the table shows: its own next conversion's cost
 * beside the portfolio's marginal cost (what the last money placed anywhere buys at), never a word such as
 * "strong" that the numbers could contradict.
 */
const marginSentence = (row: Omit<ChannelAllocation, 'reason'>, cpa: string, { margin, objective, money }: ReasonContext) => {
  const portfolio =
    objective === 'conversions'
      ? `the portfolio's marginal cost is ${money(1 / Math.max(margin, 1e-12))} a conversion`
      : `the portfolio's last ${money(1)} placed returns ${money(margin)} in revenue`;
  return row.performance > 0.01
    ? `Funded up to where its next conversion costs ${cpa}; ${portfolio}`
    : `Not funded beyond its ${row.exploration > 0 ? 'base and exploration' : 'base'}: its next conversion would cost ${cpa}; ${portfolio}`;
};

/** What a channel's reason reads besides its plan and row: the plan's margin and limits, and how money is written. */
interface ReasonContext {
  readonly margin: number;
  /** Its posterior chance of beating the margin, where it explores. */
  readonly chance: number | undefined;
  /** The daily change limit. */
  readonly change: number;
  readonly objective: 'conversions' | 'revenue';
  /** The groups its floor gave way further for. */
  readonly groups: readonly string[];
  /** The carbon cap, where it binds. */
  readonly carbonCap: number | undefined;
  /** Whether its exploration was judged against its carbon's price as well as the money's (a binding cap). */
  readonly carbonPriced: boolean;
  /** Money in the portfolio's currency ({@link MinorUnit.format}). */
  readonly money: (amount: number) => string;
}

const reasonFor = (plan: ChannelPlan, row: Omit<ChannelAllocation, 'reason'>, context: ReasonContext): string => {
  const { chance, change, groups, carbonCap, money } = context;
  if (plan.stopLoss) return 'Stop-loss alert open: held at its base until the alert resolves.';
  const parts: string[] = [];
  const cpa = row.marginalCpa === null ? 'n/a' : money(row.marginalCpa);
  const limit = (sign: string) =>
    `the daily change limit (${sign}${Math.round(change * 100)}% of ${money(plan.reference ?? 0)}, its total when the day began)`;
  const belowBase = plan.reference !== null && plan.reference * (1 + change) < plan.channel.base - 0.01;
  if (row.total >= plan.channel.max - 0.01) parts.push(`At its max of ${money(plan.channel.max)}`);
  else if (belowBase && row.total <= plan.channel.base + 0.01) {
    parts.push(`Raised to its base of ${money(plan.channel.base)}, beyond ${limit('+')}: the base is the floor today's config commits to`);
  } else if (plan.reference !== null && row.total >= plan.high - 0.01 && plan.high < plan.channel.max) {
    parts.push(`Raised by the most ${limit('+')} allows`);
  } else if (plan.reference !== null && row.total < plan.low - 0.01) {
    const further = groups.length > 0 ? `, and further to keep ${groups.map((g) => `group ${g}`).join(' and ')} within its share` : '';
    parts.push(
      `Cut below ${limit('−')}: today's budget cannot cover every channel's floor, so the floors give way in proportion${further}`,
    );
  } else if (plan.reference !== null && row.total <= plan.low + 0.01 && plan.low > plan.channel.base) {
    parts.push(`Cut by the most ${limit('−')} allows`);
  } else {
    parts.push(marginSentence(row, cpa, context));
    // Held back by the cap: its next unit still beats the portfolio's margin, and the cap alone stops it.
    const intensity = plan.channel.carbonPerUnit ?? 0;
    const beatsMargin = context.objective === 'conversions' ? row.marginalCpa !== null && row.marginalCpa * context.margin < 0.99 : false;
    if (carbonCap !== undefined && intensity > 0 && beatsMargin) {
      parts.push(
        `held back by the carbon cap of ${formatAmount(carbonCap)} kg CO2e a day, which binds: each ${money(1)} it spends emits ${formatAmount(intensity, 4)} kg`,
      );
    }
  }
  if (plan.conversions.regimeShift) parts.push('recent results shifted, so only the last days count');
  parts.push(...modelNotes(plan));
  if (row.exploration > 0 && chance !== undefined) {
    const days = plan.conversions.evidence;
    parts.push(
      days < 1
        ? `no data yet: it is being explored with ${money(row.exploration)} to learn its curve`
        : days < FEW_DAYS
          ? `only ${Math.max(1, Math.round(days))} day${Math.round(days) > 1 ? 's' : ''} of data so far: exploring ${money(row.exploration)} to learn its curve`
          : `exploring ${money(row.exploration)}: in ${chancePercent(chance)} of the curves its data allows, the next unit beats ${context.carbonPriced ? 'what its money and its carbon would buy elsewhere in the plan' : "the portfolio's margin"}`,
    );
  }
  return `${parts.join('; ')}.`;
};

const carbonOf = (channel: Channel, total: number) =>
  channel.carbonPerUnit === undefined ? {} : { carbonKg: roundTo(channel.carbonPerUnit * total, 3) };

/**
 * Carbon of the whole plan, when any channel declares its intensity: from the exact totals, not the sum of
 * the channels' rounded kg (which could read a thousandth over a cap the plan keeps).
 */
const totalCarbon = (channels: readonly Channel[], totals: readonly number[]) =>
  channels.some((c) => c.carbonPerUnit !== undefined)
    ? {
        carbonKg: roundTo(emittedKg(channels, totals), 3),
      }
    : {};

/**
 * What no plan can place: when the channels' maxes add up to less than the allocatable budget (a what-if of
 * a far larger budget, or caps set below it), the rest is said plainly in money, before or beside whichever
 * constraints bind first. At least that much: stop-losses and the change limit may hold back more.
 */
const beyondMaxes = (plans: readonly ChannelPlan[], allocatable: number, unit: MinorUnit): string[] => {
  const capacity = plans.reduce((s, p) => s + p.channel.max, 0);
  const over = unit.round(allocatable - capacity);
  return over > 0
    ? [
        `The channels' maxes add up to ${unit.format(capacity)} a day, so at least ${unit.format(over)} of the allocatable ${unit.format(allocatable)} cannot be placed under any plan.`,
      ]
    : [];
};

/**
 * A held allocation: the plan in force kept, brought onto today's config where it would break it (a budget
 * cut, a lowered max, a new channel, a stop-loss), saying what had to change. No exploration, nothing solved.
 */
const held = (
  input: AllocationInput,
  plans: readonly ChannelPlan[],
  bounds: readonly ChannelBounds[],
  budget: Budget,
  why: string,
  ms: number,
): Allocation => {
  const { totals, changes } = projectOntoConfig(input.previous, bounds, budget, input.portfolio);
  const unit = minorUnitOf(input.portfolio.currency);
  const kept = basesExceed(bounds, budget, unit)
    ? 'held'
    : input.previous === null
      ? "held at each channel's base (there is no previous plan)"
      : 'held at the previous plan';
  const groups = heldShareMisses(
    input.portfolio,
    plans.map((plan, i) => ({ channelId: plan.channel.id, total: totals[i]! })),
    budget.allocatable,
  );
  const reason = [why, [kept, ...changes].join(', '), ...groups.map((g) => g.explanation.replace(/\.$/, ''))].join('; ');
  const channels = plans.map((plan, i) => {
    const total = totals[i]!;
    return {
      channelId: plan.channel.id,
      base: Math.min(plan.channel.base, total),
      performance: unit.round(Math.max(0, total - plan.channel.base)),
      exploration: 0,
      total,
      previousTotal: plan.previousTotal,
      expectedConversions: hundredths(conversionsAt(plan, total)),
      marginalCpa: null,
      ...carbonOf(plan.channel, total),
      reason: `Held: ${reason}`,
    };
  });
  const total = unit.round(channels.reduce((s, c) => s + c.total, 0));
  const left = unit.round(budget.allocatable - total);
  // Held plans are feasible by construction; the gate makes a defect throw rather than publish an overspend.
  return assertFeasible<Allocation>(
    {
      status: 'held',
      reason,
      asOf: input.asOf,
      total,
      channels,
      exploration: 0,
      reserve: budget.reserve,
      ...(left > 0
        ? { unallocated: { amount: left, reasons: [`The plan is held: ${reason}.`, ...beyondMaxes(plans, budget.allocatable, unit)] } }
        : {}),
      constraints: groups,
      ...totalCarbon(
        plans.map((p) => p.channel),
        channels.map((c) => c.total),
      ),
      expectedConversions: hundredths(channels.reduce((s, c) => s + c.expectedConversions, 0)),
      solver: { name: 'javascript-lp-solver', ms },
    },
    input,
  );
};

/**
 * Exploration amounts that fit beside the change limit's floors: within the allocatable budget and the carbon
 * cap (`fits`, read on the floors `max(floor, base + exploration)` they make). Placed where it was wanted,
 * exploration makes floors of its own; after a budget cut those can leave no room, and on a dirty channel
 * they can emit past a cap the bases keep (the plan was then held every day), so the amounts are scaled
 * down, all by one factor, until they fit. What that leaves short of the share is then placed inside the
 * floors of the channels that may explore, in proportion to the room their floors leave above their bases
 * and their exploration: money the change limit keeps on those channels anyway, so it raises no floor and
 * moves no total, and the share is still spent on learning channels. Only when the floors hold less than
 * that is exploration below its share.
 */
const fitExploration = (
  wanted: readonly number[],
  floors: readonly number[],
  bases: readonly number[],
  explorable: readonly boolean[],
  fits: (lower: readonly number[]) => boolean,
  unit: MinorUnit,
): number[] => {
  const lowerAt = (k: number) => floors.map((f, i) => Math.max(f, bases[i]! + k * wanted[i]!));
  if (fits(lowerAt(1))) return [...wanted];
  let fitting = 0;
  let breaks = 1;
  for (let step = 0; step < 40; step += 1) {
    const k = (fitting + breaks) / 2;
    if (fits(lowerAt(k))) fitting = k;
    else breaks = k;
  }
  const scaled = wanted.map((w) => w * fitting);
  const inside = scaled.map((e, i) => (explorable[i] ? Math.max(0, floors[i]! - bases[i]! - e) : 0));
  const room = inside.reduce((a, b) => a + b, 0);
  const share = wanted.reduce((a, b) => a + b, 0);
  const short = share - scaled.reduce((a, b) => a + b, 0);
  const take = room > 0 ? Math.min(1, short / room) : 0;
  const placed = scaled.map((e, i) => e + take * inside[i]!);
  return roundToTotal(
    placed,
    unit.floor(placed.reduce((a, b) => a + b, 0)),
    unit,
    placed.map((e, i) => Math.max(e, floors[i]! - bases[i]!)),
  );
};

/**
 * The carbon cap's constraint, saying so when exploration is below its share for it: taken of only the part of
 * the budget the cap lets a plan place (`placeable` of `allocatable`), or giving way ({@link fitExploration})
 * because placed as wanted its floors would emit past the cap. This is where a reader of the plan learns why.
 */
const withExplorationForCarbon = (
  constraints: readonly BindingConstraint[],
  share: number,
  { placeable, allocatable, money }: { placeable: number; allocatable: number; money: (amount: number) => string },
  wanted: readonly number[],
  exploration: readonly number[],
  wantedFits: boolean,
): BindingConstraint[] => {
  const asked = wanted.reduce((a, b) => a + b, 0);
  const placed = exploration.reduce((a, b) => a + b, 0);
  const gaveWay = !wantedFits && placed < asked - 0.005;
  if (placed >= share - 0.005 || (placeable >= allocatable - 0.005 && !gaveWay)) return [...constraints];
  const why = [
    ...(placeable < allocatable - 0.005
      ? [`scaled to the ${money(placeable)} of the allocatable ${money(allocatable)} a plan can place under the cap`]
      : []),
    ...(gaveWay ? ['giving way since placed as wanted its floors would emit past the cap'] : []),
  ];
  const note = `Exploration takes ${money(placed)} of its ${money(share)} share: ${why.join(', then ')}.`;
  const carbon = constraints.find((c) => c.id === 'carbon');
  return carbon
    ? constraints.map((c) => (c === carbon ? { ...c, explanation: `${c.explanation} ${note}` } : c))
    : [...constraints, { id: 'carbon', binding: true, shadowPrice: 0, explanation: `The carbon cap binds. ${note}` }];
};

/**
 * Exploration trimmed so that the floors it makes break no group by themselves, as it already stays within
 * each channel's cap: a group's channels' floors within its maxShare, and the other channels' floors leaving
 * a minShare group what it needs ({@link roomForGroups}). Without this, exploration alone put a capped group
 * over its cap, or kept a group from its minimum every day while the reason blamed today's limits.
 */
const exploreWithinGroups = (
  exploration: readonly number[],
  floors: readonly number[],
  plans: readonly ChannelPlan[],
  groups: AllocationInput['portfolio']['groups'],
  allocatable: number,
  unit: MinorUnit,
): number[] => {
  if (groups.length === 0) return [...exploration];
  const lower = plans.map((p, i) => Math.max(floors[i]!, p.channel.base + exploration[i]!));
  const fitted = roomForGroups(
    lower,
    floors,
    plans.map((p, i) => Math.max(lower[i]!, p.high)),
    plans.map((p) => p.channel.id),
    groups,
    allocatable,
  );
  return exploration.map((e, i) =>
    fitted[i]! < lower[i]! - 1e-9 ? Math.min(e, Math.max(0, unit.floor(fitted[i]! - plans[i]!.channel.base))) : e,
  );
};

/** Why the hard rows (the budget and the carbon cap; a group's share gives way instead) cannot hold, in words. */
/**
 * Why the floors make a plan impossible, with the figures an operator can act on: the budget row's, or the
 * carbon cap's kg at the floors (the bases and the daily change limit's; exploration gives way to the cap
 * before this) against the cap.
 */
const describeMissed = (missed: readonly { id: string }[], plans: readonly ChannelPlan[], lower: readonly number[], cap = 0) =>
  missed
    .map(({ id }) => {
      if (id === 'budget') return 'the floors (bases, exploration and the daily change limit) exceed the budget';
      const kg = emittedKg(
        plans.map((p) => p.channel),
        lower,
      );
      const kgText = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      return `the carbon cap cannot be met at the floors: the bases and the daily change limit's floors emit ${kgText(Math.ceil(kg * 100) / 100)} kg a day, against a cap of ${kgText(cap)} kg`;
    })
    .join('; ');

/**
 * Decides today's budget per channel (docs/allocation.md): base first, then the exploration share split by
 * Thompson sampling, then the performance track from the LP over the fitted curves and the portfolio's rows.
 * Pure and deterministic: the same input and seed give the same decision, whatever order the config lists
 * its channels in. The LP and the cent rounding read channels in one order, and where two channels are
 * alike (two new ones with the same bounds, the last unit of a budget between them) that order would break
 * the tie; so they are read in the order of their ids, and the answer lists them as the config does.
 */
export const allocate = (input: AllocationInput, options: AllocateOptions = {}): Allocation => {
  const listed = input.portfolio.channels;
  const byId = [...listed].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (byId.every((channel, i) => channel === listed[i])) return allocateInIdOrder(input, options);
  const allocation = allocateInIdOrder({ ...input, portfolio: { ...input.portfolio, channels: byId } }, options);
  const rows = new Map(allocation.channels.map((row) => [row.channelId, row]));
  return { ...allocation, channels: listed.map((channel) => rows.get(channel.id)!) };
};

const allocateInIdOrder = (input: AllocationInput, options: AllocateOptions): Allocation => {
  const timer = options.timer ?? (() => 0);
  const started = timer();
  const { portfolio, history, asOf, seed } = input;
  const { daily, explorationShare, maxDailyChange } = portfolio.budget;
  const plans = buildPlans(input);
  const bounds = channelBounds(input);
  const elapsed = () => roundTo(timer() - started, 3);
  const budget = budgetOf(portfolio, input.releaseReserve);
  const unit = minorUnitOf(portfolio.currency);
  const { reserve, allocatable } = budget;
  const hold = (why: string) => held(input, plans, bounds, budget, why, elapsed());

  const newest = history.reduce<string | null>((max, d) => (d.date <= asOf && (max === null || d.date > max) ? d.date : max), null);
  if (newest !== null && daysBetween(newest, asOf) > STALE_AFTER_DAYS) {
    return hold(`stale data: the newest metric is from ${newest}, ${daysBetween(newest, asOf)} days before ${asOf}`);
  }
  const bases = plans.map((p) => p.channel.base);
  const baseSum = bases.reduce((a, b) => a + b, 0);
  if (baseSum > allocatable + 1e-9) {
    return hold(`infeasible: the bases need ${unit.format(baseSum)}, more than the allocatable budget of ${unit.format(allocatable)}`);
  }

  const value: Valuation = portfolio.objective.maximize === 'revenue' ? incrementalRevenueAt : incrementalAt;
  const exploring = options.exploration !== false && explorationShare > 0;
  const offered = exploring ? Math.min(explorationShare * daily, allocatable - baseSum) : 0;
  const cap = portfolio.carbon?.maxDailyKg;
  const emitters = plans.map((p) => p.channel);
  const withinCarbon = (lower: readonly number[]) => cap === undefined || emittedKg(emitters, lower) <= cap + 1e-9;
  // The daily change limit's floors give way in proportion, toward the bases, only when the budget cannot cover them.
  const proportional = shrinkToBudget(
    plans.map((p) => p.low),
    bases,
    bases,
    allocatable,
  );
  // Floors that gave way bind no one to the limit any more: they give way further where a group's share needs
  // it (a capped group's channels toward their bases, or the channels outside a group short of its minimum),
  // so that the cut reaches the shares instead of keeping every channel in the old plan's proportions.
  const floorsGaveWay = plans.reduce((s, p) => s + p.low, 0) > allocatable + 1e-6;
  /** The groups each channel's floor gave way further for, by id. */
  const gaveWayFor = plans.map(() => new Set<string>());
  const floors = floorsGaveWay
    ? roomForGroups(
        proportional,
        bases,
        plans.map((p) => p.high),
        plans.map((p) => p.channel.id),
        portfolio.groups,
        allocatable,
        (i, group) => gaveWayFor[i]!.add(group),
      )
    : proportional;
  const loweredFor = (i: number) => (floors[i]! < proportional[i]! - 0.005 ? [...gaveWayFor[i]!] : []);
  const floorSum = floors.reduce((a, b) => a + b, 0);
  // Pass 1 finds the margin without exploration; it is the bar each channel's chance of upside is read against.
  const first = solve(plans, floors, Math.max(allocatable - offered, floorSum), input, value);
  // Under a carbon cap that binds, carbon runs out before money: exploration's share is scaled to the part of
  // the allocatable budget the cap lets a plan place, not taken of money no plan can spend. Taken of the whole budget, each unit
  // it placed on a dirty channel was carbon the plan lost, so a larger budget planned fewer conversions (the
  // demo expected 391 a day at 20,000 against 403 at 15,000, and 412 at both without exploration).
  const carbonBinds = cap !== undefined && emittedKg(emitters, first.totals) >= cap * (1 - 1e-6);
  const placeable = carbonBinds ? solve(plans, floors, allocatable, input, value).totals.reduce((a, b) => a + b, 0) : allocatable;
  const explorationBudget = offered * Math.min(1, placeable / Math.max(allocatable, 1e-9));
  // A channel's exploration lifts its floor, and its capped groups' floors must stay within their maxShare: what
  // a group has no room for is not asked of its channels, so exploration goes to the others instead of being
  // trimmed away after the split (a group of maxShare 0 left 420.79 of a share of 1,000). Each group's room
  // beside its members' floors is summed once, and its exploring members share it (two members each given the
  // whole room were trimmed to half, and 170 of 1,000 was lost).
  const floorOf = (j: number) => Math.max(floors[j]!, plans[j]!.channel.base);
  const capped = portfolio.groups
    .filter((g) => g.maxShare < 1)
    .map((g) => {
      const members = new Set(g.channels);
      const floorSum = plans.reduce((s, p, j) => (members.has(p.channel.id) ? s + floorOf(j) : s), 0);
      return { members, room: g.maxShare * allocatable - floorSum };
    });
  const groupRoom = (i: number) =>
    capped.reduce(
      (room, g) => (g.members.has(plans[i]!.channel.id) ? Math.min(room, Math.max(0, g.room + floorOf(i) - plans[i]!.channel.base)) : room),
      Number.POSITIVE_INFINITY,
    );
  // Where the cap binds, a unit of a channel must beat the money's price and its carbon's at the cap's price
  // (as the LP prices it; a target's or a group's price is left out). Against the money's margin alone, every
  // channel cleared a budget the cap left unspent, and exploration went evenly to the dirtiest channels.
  const priceOf = (id: string) => {
    const row = first.model.meanings.findIndex((m) => m.id === id);
    return row >= 0 ? first.solution.duals[row]! : 0;
  };
  const carbonPrice = carbonBinds ? priceOf('carbon') : 0;
  const moneyPrice = carbonPrice > 0 ? priceOf('budget') : 0;
  const hurdleOf = (plan: ChannelPlan) => (carbonPrice > 0 ? moneyPrice + carbonPrice * (plan.channel.carbonPerUnit ?? 0) : first.margin);
  const shares = exploring
    ? splitExploration(
        explorationBudget,
        plans
          .map((plan, i) => ({ plan, i }))
          .filter(({ plan }) => plan.channel.explore && !plan.stopLoss)
          .map(({ plan, i }) => ({
            channelId: plan.channel.id,
            model: plan.conversions,
            plannedSpend: first.totals[i]!,
            hurdle: hurdleOf(plan),
            room: Math.min(plan.high - plan.channel.base, groupRoom(i)),
            worth: plan.dayFactor * plan.incrementality * (portfolio.objective.maximize === 'revenue' ? plan.orderValue : 1),
            within: capped.flatMap((g, p) => (g.members.has(plan.channel.id) ? [p] : [])),
            // Up to its change-limit floor, a member's exploration lifts no floor and takes none of the group's room.
            exempt: floorOf(i) - plan.channel.base,
          })),
        first.margin,
        capped.map((g) => Math.max(0, g.room)),
      )
    : new Map<string, { amount: number; chance: number }>();
  const wanted = roundToTotal(
    plans.map((p) => shares.get(p.channel.id)?.amount ?? 0),
    // The nearest whole units: the contract's exploration equals the share, to the unit.
    unit.round([...shares.values()].reduce((s, e) => s + e.amount, 0)),
    unit,
  );
  const exploration = exploreWithinGroups(
    fitExploration(
      wanted,
      floors,
      bases,
      plans.map((p) => shares.has(p.channel.id)),
      (lower) => lower.reduce((a, b) => a + b, 0) <= allocatable + 1e-6 && withinCarbon(lower),
      unit,
    ),
    floors,
    plans,
    portfolio.groups,
    allocatable,
    unit,
  );
  const lower = plans.map((p, i) => Math.max(floors[i]!, p.channel.base + exploration[i]!));
  if (lower.reduce((a, b) => a + b, 0) > allocatable + 1e-6) {
    return hold('infeasible: the change limit floors and the exploration share exceed the allocatable budget');
  }
  // A target binds the portfolio's sum: read at the sum's 5th percentile (CAUTIOUS_PERCENTILE), not each channel's.
  const caution = {
    conversions: portfolioCaution(plans, first.totals, 'conversions'),
    revenue: portfolioCaution(plans, first.totals, 'revenue'),
  };
  const final = solve(plans, lower, allocatable, input, value, caution);
  if (final.hardMissed.length > 0) {
    return hold(`infeasible: ${describeMissed(final.hardMissed, plans, lower, cap)}`);
  }

  // Exact minor units: the whole allocatable budget when the budget row binds, else exactly what the LP placed.
  // A channel the LP fills to its ceiling is at it: its segments' lengths sum to the ceiling only to float
  // noise (715.3629999999962 for 715.363), and rounded down it sat a minor unit under the limit its reason names.
  const ceilings = plans.map((p, i) => Math.max(lower[i]!, p.high));
  const filled = final.totals.map((total, i) =>
    Math.abs(total - ceilings[i]!) <= 1e-9 * Math.max(1, ceilings[i]!) ? ceilings[i]! : total,
  );
  const placed = filled.reduce((a, b) => a + b, 0);
  // Within a unit counts: the LP's own tolerance must not leave a cent unplaced beside a binding budget row.
  const budgetBinds = placed >= allocatable - Math.max(unit.size, 1e-6 * allocatable);
  const totals = roundToTotal(filled, budgetBinds ? allocatable : unit.floor(placed), unit, ceilings);

  const planned: PlannedChannel[] = plans.map((plan, i) => ({
    channelId: plan.channel.id,
    total: final.totals[i]!,
    placed: totals[i]!,
    conversions: conversionsAt(plan, final.totals[i]!),
    revenue: revenueAt(plan, final.totals[i]!),
    base: plan.channel.base,
    floor: lower[i]!,
    floorFromChange: floors[i]! > plan.channel.base + exploration[i]! + 0.005,
    floorGaveWay: floors[i]! < plan.low - 0.005,
    gaveWayFor: loweredFor(i),
    max: plan.channel.max,
    ceiling: plan.high >= plan.channel.max - 1e-9 ? 'max' : 'change',
    upper: plan.high,
    dayStart: plan.reference,
    stopLoss: plan.stopLoss,
  }));
  // Cents the LP placed and whole minor units under the channels' limits could not: the budget row binds, and
  // its reason and the unallocated amount's say so rather than 'fully placed' beside them.
  const total = unit.round(totals.reduce((a, b) => a + b, 0));
  const left = unit.round(allocatable - total);
  const roundedLeft = allocatable - placed < unit.size ? Math.max(0, left) : 0;
  const bound = bindingConstraints(portfolio, final.model, final.solution, planned, roundedLeft);
  // A binding carbon cap holds back the channels that emit: their reasons name it.
  const carbonCap = bound.some((c) => c.id === 'carbon') ? portfolio.carbon?.maxDailyKg : undefined;
  const objective = portfolio.objective.maximize;
  const { curves, outcome } = outlook(plans, totals, objective, history, asOf, seed);
  const channels: ChannelAllocation[] = plans.map((plan, i) => {
    const explored = exploration[i]!;
    const total = totals[i]!;
    const performance = unit.round(Math.max(0, total - plan.channel.base - explored));
    const marginal = plan.dayFactor * plan.incrementality * marginalAt(plan.conversions, total);
    const row = {
      channelId: plan.channel.id,
      base: plan.channel.base,
      performance,
      exploration: explored,
      total,
      previousTotal: plan.previousTotal,
      expectedConversions: hundredths(conversionsAt(plan, total)),
      incrementalConversions: hundredths(incrementalAt(plan, total)),
      // In the currency's decimals, as its reason and the table write it.
      marginalCpa: marginal > 1e-12 ? unit.round(1 / marginal) : null,
      ...carbonOf(plan.channel, total),
      ...(curves.has(plan.channel.id) ? { curve: curves.get(plan.channel.id)!.points } : {}),
      evidenceDays: roundTo(plan.conversions.evidence, 1),
    };
    return {
      ...row,
      reason: reasonFor(plan, row, {
        margin: final.margin,
        chance: shares.get(plan.channel.id)?.chance,
        change: maxDailyChange,
        objective,
        groups: loweredFor(i),
        carbonCap,
        carbonPriced: carbonPrice > 0 && (plan.channel.carbonPerUnit ?? 0) > 0,
        money: unit.format,
      }),
    };
  });
  const priced = bound.some((c) => (c.id === 'targetCpa' || c.id === 'minRoas') && c.unmet === undefined)
    ? withCautionCost(bound, portfolio, cautionCost(plans, final, lower, input, value), CAUTIOUS_PERCENTILE)
    : bound;
  const constraints = withExplorationForCarbon(
    priced,
    offered,
    { placeable, allocatable, money: unit.format },
    wanted,
    exploration,
    withinCarbon(floors.map((f, i) => Math.max(f, bases[i]! + wanted[i]!))),
  );
  const unallocated =
    left > 0
      ? {
          unallocated: {
            amount: left,
            reasons:
              roundedLeft > 0
                ? [
                    `${unit.format(left)} ${portfolio.currency} is left because every channel that could take it is at its max or its daily change limit, rounded down to the ${portfolio.currency} minor unit under it.`,
                  ]
                : [
                    ...beyondMaxes(plans, allocatable, unit),
                    ...(constraints.length > 0
                      ? constraints.map((c) => c.explanation)
                      : ['Every channel is at its max or at the most the daily change limit allows.']),
                  ],
          },
        }
      : {};
  const expectedRevenue =
    portfolio.objective.maximize === 'revenue'
      ? { expectedRevenue: hundredths(plans.reduce((s, p, i) => s + revenueAt(p, channels[i]!.total), 0)) }
      : {};
  const solved: Allocation = {
    status: 'optimal',
    asOf,
    total,
    channels,
    exploration: unit.round(exploration.reduce((a, b) => a + b, 0)),
    reserve,
    ...unallocated,
    constraints,
    ...totalCarbon(
      plans.map((p) => p.channel),
      totals,
    ),
    expectedConversions: hundredths(channels.reduce((s, c) => s + c.expectedConversions, 0)),
    ...expectedRevenue,
    outcome,
    solver: { name: 'javascript-lp-solver', ms: elapsed(), variables: final.solution.variables },
  };
  // The gate every solved plan passes: one that breaks today's config (a defect) is never published.
  const broken = feasibilityIssues(solved, input);
  return broken.length === 0
    ? solved
    : hold(`the solved plan broke today's config (${broken.map((b) => `${b.path}: ${b.message}`).join('; ')})`);
};

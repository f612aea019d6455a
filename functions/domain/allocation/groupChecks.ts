import type { Portfolio } from '../config.js';
import type { Issue } from '../issues.js';
import { minorUnitOf } from '../money.js';
import { type LpRow, solveLp } from './lp.js';

/*
 * Whether a portfolio's channel groups can hold together, checked where the config is checked before a deploy
 * (config:check, cdk synth, npm start: functions/adapters/configFile.ts), not in every function's cold start,
 * so the solver stays out of the function bundles. The schema checks each group alone (functions/domain/config.ts);
 * groups that share channels can still contradict each other, which only solving them together shows.
 */

/** One group's share as a row over the channels' spend above their bases. */
interface ShareRow extends LpRow {
  readonly group: number;
  readonly side: 'minShare' | 'maxShare';
  /** The share's amount of the allocatable budget. */
  readonly amount: number;
}

/**
 * Channels that belong to the same groups are one variable (their spend above their bases, up to their
 * maxes summed): the only ones a group row can tell apart. Channels in no group stay at their bases.
 */
const membershipClasses = (portfolio: Portfolio) => {
  const classes = new Map<string, { groups: Set<number>; room: number }>();
  for (const channel of portfolio.channels) {
    const groups = portfolio.groups.flatMap((g, i) => (g.channels.includes(channel.id) ? [i] : []));
    if (groups.length === 0) continue;
    const key = groups.join(',');
    const entry = classes.get(key) ?? { groups: new Set(groups), room: 0 };
    entry.room += channel.max - channel.base;
    classes.set(key, entry);
  }
  return [...classes.values()];
};

/**
 * Every group's shares of the allocatable budget as rows over the classes' spend above the bases, beside the
 * budget row (Σ spend ≤ allocatable), the problem the allocator solves each day with the curves left out.
 */
const shareProblem = (portfolio: Portfolio) => {
  const allocatable = portfolio.budget.daily * (1 - portfolio.budget.reserveShare);
  const classes = membershipClasses(portfolio);
  const basesOf = (ids: readonly string[]) => portfolio.channels.reduce((s, c) => s + (ids.includes(c.id) ? c.base : 0), 0);
  const allBases = basesOf(portfolio.channels.map((c) => c.id));
  const budget: LpRow = { id: 'budget', a: classes.map(() => 1), rhs: allocatable - allBases };
  const shares: ShareRow[] = portfolio.groups.flatMap((group, g) => {
    const inGroup = classes.map((c) => (c.groups.has(g) ? 1 : 0));
    const bases = basesOf(group.channels);
    const rows: ShareRow[] = [];
    if (group.minShare > 0) {
      const amount = group.minShare * allocatable;
      rows.push({ id: `${g}:min`, a: inGroup.map((x) => -x), rhs: bases - amount, group: g, side: 'minShare', amount });
    }
    if (group.maxShare < 1) {
      const amount = group.maxShare * allocatable;
      rows.push({ id: `${g}:max`, a: inGroup, rhs: amount - bases, group: g, side: 'maxShare', amount });
    }
    return rows;
  });
  return { allocatable, upper: classes.map((c) => c.room), budget, shares };
};

/**
 * A smallest set of share rows that cannot hold together (with the budget, bases and maxes): from all of
 * them, each row is dropped for good when the rest still cannot hold (a deletion filter). Empty when all hold.
 */
const conflicting = (problem: ReturnType<typeof shareProblem>): ShareRow[] => {
  const holds = (rows: readonly ShareRow[]) =>
    solveLp({ c: problem.upper.map(() => 0), upper: problem.upper, rows: [problem.budget, ...rows] }).feasible;
  if (holds(problem.shares)) return [];
  let kept = [...problem.shares];
  for (const row of problem.shares) {
    const without = kept.filter((r) => r !== row);
    if (!holds(without)) kept = without;
  }
  return kept;
};

/**
 * Groups whose shares no plan can meet together, each share of a smallest conflicting set at its path (under
 * `at`), naming the others it conflicts with. A share that cannot hold on its own is the schema's to report.
 */
export const groupIssues = (portfolio: Portfolio, at = ''): Issue[] => {
  // One group alone is the schema's to check, and it does.
  if (portfolio.groups.length < 2) return [];
  const problem = shareProblem(portfolio);
  const rows = conflicting(problem);
  const money = minorUnitOf(portfolio.currency).format;
  const bound = (row: ShareRow) => `${row.side === 'minShare' ? 'at least' : 'at most'} ${money(row.amount)}`;
  return rows.map((row) => {
    const others = rows
      .filter((other) => other !== row)
      .map((other) => `group ${portfolio.groups[other.group]!.id}'s ${other.side} (${bound(other)})`);
    const conflict = others.length > 0 ? ` together with ${others.join(' and ')}` : '';
    return {
      path: `${at}${at ? '.' : ''}groups[${row.group}].${row.side}`,
      message: `${bound(row)} of the allocatable ${money(problem.allocatable)} cannot hold${conflict}: the channels' bases and maxes leave no plan that meets them all`,
    };
  });
};

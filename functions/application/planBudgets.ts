import { allocate } from '../domain/allocation/allocate.js';
import { assertFeasible } from '../domain/allocation/feasibility.js';
import type { Allocation, AllocationInput } from '../domain/allocation/schemas.js';
import type { Portfolio } from '../domain/config.js';
import { watermarkOf } from '../domain/snapshots.js';
import { type AllocationInputSources, currentAllocationInput } from './currentAllocationInput.js';
import type { Clock } from './ports.js';

export interface PlannerDependencies extends AllocationInputSources {
  readonly clock: Clock;
}

/** What the allocator would place for one daily budget. */
export interface BudgetPlan {
  readonly budget: number;
  readonly allocation: Allocation;
}

/** The plans for several daily budgets, all from the same input (the same data, plans in force and stop-losses). */
export interface BudgetPlans {
  readonly portfolioId: string;
  /** The portfolio's local date the plans are for. */
  readonly asOf: string;
  /** The newest date of the history the curves were fitted on; null with no history. */
  readonly watermark: string | null;
  readonly plans: BudgetPlan[];
}

/** The input with a different daily budget; everything else (bases, caps, reserve, change limits) as today. */
export const withDailyBudget = (input: AllocationInput, daily: number): AllocationInput => ({
  ...input,
  portfolio: { ...input.portfolio, budget: { ...input.portfolio.budget, daily } },
});

/**
 * What-if plans: the allocation a reallocation now would make if the daily budget were each of `budgets`.
 * It reads the input exactly as a reallocation does ({@link currentAllocationInput}, reserve held back as on
 * the schedule), changes only `budget.daily`, and solves; nothing is written and nothing is published.
 * Each plan passes the same feasibility check a published plan does, against its own budget.
 */
export const planBudgets = async (deps: PlannerDependencies, portfolio: Portfolio, budgets: readonly number[]): Promise<BudgetPlans> => {
  const { input } = await currentAllocationInput(deps, portfolio, deps.clock(), false);
  const plans = budgets.map((budget) => {
    const planned = withDailyBudget(input, budget);
    return { budget, allocation: assertFeasible(allocate(planned, { timer: () => performance.now() }), planned) };
  });
  return { portfolioId: portfolio.id, asOf: input.asOf, watermark: watermarkOf(input), plans };
};

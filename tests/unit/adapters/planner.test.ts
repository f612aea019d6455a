import { describe, expect, it } from 'vitest';
import { plannerMarkup } from '../../../functions/adapters/dashboard/planner.js';
import { allocate } from '../../../functions/domain/allocation/allocate.js';
import { addDays } from '../../../functions/domain/dates.js';
import { displayMoney, plannerBudgets } from '../../../functions/domain/financeViews.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';
import { portfolioInput } from '../../support/portfolioInput.js';

const money = displayMoney('USD');
const today = portfolioInput({
  budget: { daily: 1000, explorationShare: 0.1, maxDailyChange: 0.5 },
  channels: [
    { id: 'search', name: 'Search', platform: 'generic', base: 300, max: 900 },
    { id: 'social', name: 'Social', platform: 'generic', base: 300, max: 900 },
  ],
  history: ['search', 'social'].flatMap((channelId, k) =>
    Array.from({ length: 21 }, (_, d) => ({
      channelId,
      date: addDays('2026-11-22', -1 - d),
      spend: 300 + d * 20,
      conversions: 10 + k * 3 + (d % 4),
    })),
  ),
  asOf: '2026-11-22',
});
/** The same input with another daily budget, as the planner solves it (withDailyBudget). */
const input = (daily: number) => ({ ...today, portfolio: { ...today.portfolio, budget: { ...today.portfolio.budget, daily } } });
const latest = { portfolioId: 'p', allocation: allocate(input(1000)) } as Snapshot;
const plans = plannerBudgets(1000, 'USD').map((budget) => ({ budget, allocation: allocate(input(budget)) }));

describe('the what-if planner on the dashboard', () => {
  it('draws a point per solved budget, lists the budgets too small for the bases as held, and rings today at its budget', () => {
    const page = plannerMarkup({ plans, asOf: '2026-11-22' }, latest, 1000, 'USD', money).value;
    const held = plans.filter((p) => !p.allocation.outcome);
    // Bases of 600 do not fit budgets below 600 less exploration: the first points are held.
    expect(held.length).toBeGreaterThan(0);
    expect(page.match(/class="plan-point"/g)).toHaveLength(plans.length - held.length);
    expect(page).toContain(`Not drawn: ${held.map((p) => money(p.budget)).join(', ')} a day`);
    expect(page).toContain(`<g class="today" data-budget="1000" data-expected="${latest.allocation.outcome!.expected}"`);
    expect(page).toContain('1,000.00 (today)');
  });

  it('says how much of what a plan may place the caps leave unplaced, the reserve held back apart', () => {
    const channels = today.portfolio.channels.map((c) => ({ ...c, max: 500 }));
    const reserved = (daily: number) => ({
      ...today,
      portfolio: { ...today.portfolio, channels, budget: { ...today.portfolio.budget, daily, reserveShare: 0.2 } },
    });
    const points = plannerBudgets(1000, 'USD').map((budget) => ({ budget, allocation: allocate(reserved(budget)) }));
    const last = points.at(-1)!;
    // The two maxes place 1,000 at most: the rest of the 80% a plan may place is unplaced.
    expect(last.allocation.unallocated!.amount).toBeCloseTo(last.budget * 0.8 - 1000, 2);
    const page = plannerMarkup({ plans: points, asOf: '2026-11-22' }, latest, 1000, 'USD', money).value;
    expect(page).toContain(
      `(${money(last.allocation.unallocated!.amount)} of the ${money(last.budget * 0.8)} a plan may place at ${money(last.budget)}, the reserve held back)`,
    );
  });

  it('says why when it could not solve, in words it escapes', () => {
    const page = plannerMarkup({ error: 'no <data> yet' }, latest, 1000, 'USD', money).value;
    expect(page).toBe(`<p class="meta" id="planner">The what-if planner could not solve today's budgets: no &lt;data&gt; yet</p>`);
  });
});

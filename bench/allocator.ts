import type { Highs } from 'highs';
import { allocate } from '../functions/domain/allocation/allocate.js';
import { type LpProblem, type LpRow, solveLp } from '../functions/domain/allocation/lp.js';
import { AllocationInput } from '../functions/domain/allocation/schemas.js';
import { segmentsOf } from '../functions/domain/allocation/segments.js';
import { addDays } from '../functions/domain/dates.js';
import { seededRandom } from '../functions/domain/random.js';
import { toCplex } from '../tests/support/cplex.js';
import { median, printTable } from './stats.js';

/** The row sets the allocator writes, each measured on its own. */
const ROW_SETS = [
  { name: 'budget only', objective: 'conversions', rows: [] },
  { name: 'budget + CPA (conversions)', objective: 'conversions', rows: ['cpa'] },
  { name: 'budget + ROAS (conversions)', objective: 'conversions', rows: ['roas'] },
  { name: 'budget + CPA (revenue)', objective: 'revenue', rows: ['cpa'] },
  { name: 'budget + CPA + ROAS', objective: 'conversions', rows: ['cpa', 'roas'] },
  { name: 'budget + carbon', objective: 'conversions', rows: ['carbon'] },
  { name: 'budget + ROAS + three groups', objective: 'conversions', rows: ['roas', 'groups'] },
] as const;

type RowSet = (typeof ROW_SETS)[number];

/**
 * A random allocation LP: `n` channels × 12 concave segments with their own order values (so a ROAS row
 * and a conversions objective disagree), carbon intensities and groups, and the rows of `set`, each set to
 * bind.
 */
const model = (n: number, set: RowSet, seed: number): LpProblem => {
  const random = seededRandom(seed);
  const channels = Array.from({ length: n }, () => ({
    level: 20 + 400 * random(),
    scale: 500 + 6000 * random(),
    orderValue: 20 + 130 * random(),
    carbon: 0.05 + random(),
    group: Math.floor(3 * random()),
  }));
  const segments = channels.flatMap((c, i) => {
    const f = (s: number) => c.level * -Math.expm1(-s / c.scale);
    return segmentsOf(
      i,
      0,
      8000,
      12,
      (s) => (set.objective === 'revenue' ? c.orderValue : 1) * f(s),
      (s) => c.orderValue * f(s),
      f,
    );
  });
  const budget = n * 2500;
  const row = (id: string, coefficient: (s: (typeof segments)[number]) => number, rhs: number): LpRow => ({
    id,
    a: segments.map(coefficient),
    rhs,
  });
  const rows: LpRow[] = [row('budget', () => 1, budget)];
  const has = (name: string) => (set.rows as readonly string[]).includes(name);
  if (has('cpa')) rows.push(row('targetCpa', (s) => 1 - 40 * s.conversionSlope, 0));
  if (has('roas')) rows.push(row('minRoas', (s) => 2.2 - s.revenueSlope, 0));
  if (has('carbon')) rows.push(row('carbon', (s) => channels[s.channel]!.carbon, 0.4 * budget));
  if (has('groups')) {
    for (const [g, [min, max]] of [
      [0.2, 0.5],
      [0.3, 0.6],
      [0.1, 0.25],
    ].entries()) {
      const inGroup = (s: (typeof segments)[number]) => (channels[s.channel]!.group === g ? 1 : 0);
      rows.push(
        row(`group:${g}:max`, inGroup, max! * budget),
        row(`group:${g}:min`, (s) => -inGroup(s), -min! * budget),
      );
    }
  }
  return { c: segments.map((s) => s.slope), upper: segments.map((s) => s.length), rows };
};

const runs = (times: number, task: () => void) =>
  median(
    Array.from({ length: times }, () => {
      const t = performance.now();
      task();
      return performance.now() - t;
    }),
  );

/**
 * A portfolio with 42 days of history per channel and a minimum ROAS, through the whole allocator. Every day
 * was restated as it matured: 60% reported at first, 85% two days on, final after a week.
 */
const portfolioInput = (n: number) => {
  const random = seededRandom(n);
  const channels = Array.from({ length: n }, (_, i) => ({ id: `c${i}`, platform: 'generic', base: 100, max: 5000 }));
  const history = channels.flatMap((c) =>
    Array.from({ length: 42 }, (_, d) => {
      const date = addDays('2026-11-20', -d);
      const spend = 300 + 900 * random();
      const final = Math.round(spend / (30 + 40 * random()));
      const orderValue = 40 + 80 * random();
      // d days old: restated to 85% on day 2 and to final on day 7, each earlier value kept as a revision.
      const at = (share: number) => Math.round(final * share);
      const revisions = [
        ...(d >= 2 ? [{ reportedOn: addDays(date, 1), conversions: at(0.6), revenue: at(0.6) * orderValue }] : []),
        ...(d >= 7 ? [{ reportedOn: addDays(date, 6), conversions: at(0.85), revenue: at(0.85) * orderValue }] : []),
      ];
      const conversions = d >= 7 ? final : d >= 2 ? at(0.85) : at(0.6);
      return { channelId: c.id, date, spend, conversions, revenue: conversions * orderValue, revisions };
    }),
  );
  return AllocationInput.parse({
    portfolio: {
      id: 'p',
      name: 'p',
      currency: 'USD',
      timezone: 'UTC',
      budget: { daily: n * 1000 },
      objective: { maximize: 'conversions', minRoas: 1.8 },
      channels,
    },
    history,
    asOf: '2026-11-21',
    seed: 1,
  });
};

/** LP speed and exactness against HiGHS on the same models, per row set, and the whole allocator's growth. */
export const benchAllocator = async () => {
  const highs = await ((await import('highs')) as unknown as { default: () => Promise<Highs> }).default();
  for (const n of [1000, 5000]) {
    const rows: (string | number)[][] = [['row set', 'ours ms', 'HiGHS ms', 'ours / HiGHS', 'objective gap', 'solver saw', 'rounds']];
    for (const [i, set] of ROW_SETS.entries()) {
      const p = model(n, set, 17 * n + i);
      const text = toCplex(p);
      const times = n > 1000 ? 3 : 5;
      const ours = runs(times, () => solveLp(p));
      const reference = runs(times, () => highs.solve(text, { output_flag: false } as never));
      const best = highs.solve(text, { output_flag: false } as never).ObjectiveValue;
      const solution = solveLp(p);
      const gap = Math.abs(solution.objective - best) / Math.abs(best);
      rows.push([set.name, ours, reference, (ours / reference).toFixed(3), gap.toExponential(1), solution.variables, solution.rounds]);
    }
    printTable(
      `Allocation LP, ${n} channels × 12 segments: javascript-lp-solver on a priced frontier vs HiGHS on the whole LP, median`,
      rows,
    );
  }
  const whole: (string | number)[][] = [
    ['channels', 'allocate() ms (maturity + fit + exploration + 2 LPs), minimum ROAS row', 'µs per channel'],
  ];
  for (const n of [10, 100, 1000, 5000]) {
    const input = portfolioInput(n);
    // Warm calls, as a warm Lambda makes them: the first few run while V8 is still compiling the allocator.
    runs(n >= 5000 ? 1 : n >= 1000 ? 3 : 10, () => allocate(input));
    const ms = runs(n >= 5000 ? 2 : n >= 1000 ? 5 : 15, () => allocate(input));
    whole.push([n, ms, Math.round((1000 * ms) / n)]);
  }
  printTable('Whole allocation, 42 days of history per channel with revisions, median of warm calls', whole);
};

import type { Highs } from 'highs';
import { allocate } from '../functions/domain/allocation/allocate.js';
import { type LpProblem, solveAllocationLp } from '../functions/domain/allocation/lp.js';
import { AllocationInput } from '../functions/domain/allocation/schemas.js';
import { type Segment, segmentsOf } from '../functions/domain/allocation/segments.js';
import { addDays } from '../functions/domain/dates.js';
import { seededRandom } from '../functions/domain/random.js';
import { median, printTable } from './stats.js';

/** A random allocation LP: `n` channels × 12 concave segments, the budget row and a CPA row. */
const model = (n: number, seed: number): LpProblem => {
  const random = seededRandom(seed);
  const segments: Segment[] = Array.from({ length: n }, (_, i) => {
    const level = 20 + 400 * random();
    const scale = 500 + 6000 * random();
    const f = (s: number) => level * -Math.expm1(-s / scale);
    return segmentsOf(i, 0, 8000, 12, f, f, f);
  }).flat();
  return { segments, budget: n * 2500, cpa: { target: 40, slack: 0 } };
};

const toCplex = (p: LpProblem) =>
  [
    'Maximize',
    ` obj: ${p.segments.map((s, k) => `+ ${s.slope} x${k}`).join(' ')}`,
    'Subject To',
    ` budget: ${p.segments.map((_, k) => `+ x${k}`).join(' ')} <= ${p.budget}`,
    ` cpa: ${p.segments.map((s, k) => `${1 - p.cpa!.target * s.conversionSlope >= 0 ? '+' : '-'} ${Math.abs(1 - p.cpa!.target * s.conversionSlope)} x${k}`).join(' ')} <= 0`,
    'Bounds',
    ...p.segments.map((s, k) => ` 0 <= x${k} <= ${s.length}`),
    'End',
  ].join('\n');

const runs = (times: number, task: () => void) =>
  median(
    Array.from({ length: times }, () => {
      const t = performance.now();
      task();
      return performance.now() - t;
    }),
  );

/** A 20-channel portfolio with 30 days of history, through the whole allocator (fit, exploration, LP). */
const portfolioInput = (n: number) => {
  const random = seededRandom(n);
  const channels = Array.from({ length: n }, (_, i) => ({ id: `c${i}`, platform: 'generic', base: 100, max: 5000 }));
  const history = channels.flatMap((c) =>
    Array.from({ length: 30 }, (_, d) => {
      const spend = 300 + 900 * random();
      return { channelId: c.id, date: addDays('2026-11-20', -d), spend, conversions: Math.round(spend / (30 + 40 * random())) };
    }),
  );
  return AllocationInput.parse({
    portfolio: { id: 'p', name: 'p', currency: 'USD', timezone: 'UTC', budget: { daily: n * 1000 }, channels },
    history,
    asOf: '2026-11-21',
    seed: 1,
  });
};

/** Issue 3: LP speed against HiGHS on the same models, and the whole allocator's growth with channels. */
export const benchAllocator = async () => {
  const highs = await ((await import('highs')) as unknown as { default: () => Promise<Highs> }).default();
  const rows: (string | number)[][] = [['channels', 'segments', 'ours ms', 'HiGHS ms', 'ours / HiGHS', 'objective gap']];
  for (const n of [10, 100, 1000, 2000]) {
    const p = model(n, n);
    const text = toCplex(p);
    const ours = runs(5, () => solveAllocationLp(p));
    const reference = runs(5, () => highs.solve(text, { output_flag: false } as never));
    const best = highs.solve(text, { output_flag: false } as never).ObjectiveValue;
    const gap = Math.abs(solveAllocationLp(p).objective - best) / Math.abs(best);
    rows.push([n, p.segments.length, ours, reference, (ours / reference).toFixed(3), gap.toExponential(1)]);
  }
  printTable(
    'Allocation LP with a CPA row (12 segments per channel): javascript-lp-solver + frontier presolve vs HiGHS, median of 5',
    rows,
  );
  const whole: (string | number)[][] = [['channels', 'allocate() ms (fit + exploration + 2 LPs)']];
  for (const n of [10, 20, 100, 500, 2000]) {
    const input = portfolioInput(n);
    whole.push([n, runs(n > 500 ? 2 : 5, () => allocate(input))]);
  }
  printTable('Whole allocation, 30 days of history per channel, median', whole);
};

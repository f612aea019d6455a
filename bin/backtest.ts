import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '../functions/domain/issues.js';
import { Scenario } from '../functions/domain/simulation/scenario.js';
import { type BacktestResult, type DayTrace, POLICIES, type Policy, simulate } from '../functions/domain/simulation/simulate.js';
import { parseCli } from './cli.js';
import { progress } from './progress.js';

/**
 * `npm run backtest -- --scenario FILE [--policy NAME] [--json]` simulates one scenario;
 * `npm run backtest -- --table [DIR] [--seeds N]` prints ratioToOracle for every policy on every scenario in DIR
 * (default `scenarios/`), averaged over N seeds, with target-exceedance and held days: the table the README shows.
 */
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const load = (file: string): Scenario => {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`${file}: ${(error as Error).message}`);
  }
  const scenario = validate(Scenario, raw);
  return scenario.ok
    ? scenario.value
    : fail(`${file} is not a valid scenario:\n${scenario.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
};

const { values, positionals } = parseCli(
  `npm run backtest -- --scenario FILE [--policy optimizer|known|greedy|fixed-share|equal|oracle] [--seed N] [--json] [--trace]
npm run backtest -- --table [DIR|FILE] [--seeds N]

Simulates a scenario (docs/scenarios.md) day by day, or prints ratioToOracle for every policy on every
scenario in DIR (default scenarios/), or on the one scenario FILE, averaged over N seeds. --trace prints
each day first: spend against the oracle's, the day's ratio, the true CPA, and for the allocator how far
its expected conversions were from the truth, so a reader can see where and why value is lost. --seed
replaces the scenario's seed: the table's k-th seed (from 0) is the scenario's seed + 1000·k.`,
  {
    scenario: { type: 'string' },
    policy: { type: 'string', default: 'optimizer' },
    json: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    table: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '1' },
    seed: { type: 'string' },
  },
  true,
);

/** A scenario with its seed moved on by `k`: the same market, other noise. */
const reseeded = (scenario: Scenario, k: number): Scenario => ({ ...scenario, seed: scenario.seed + 1000 * k });

if (values.table) {
  if (values.seed !== undefined) fail('--seed runs one scenario (--scenario FILE); a --table takes --seeds N');
  const dir = positionals[0] ?? 'scenarios';
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds must be a whole number ≥ 1, not "${values.seeds}"`);
  const files = statSync(dir, { throwIfNoEntry: false })?.isDirectory()
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(dir, f))
    : [dir];
  const report = progress();
  const runs = files.length * POLICIES.length * seeds;
  let done = 0;
  const rows = files.map((f) => {
    const scenario = load(f);
    const results = POLICIES.map((p) =>
      Array.from({ length: seeds }, (_, k) => {
        const result = simulate(reseeded(scenario, k), p);
        done += 1;
        report.step(done, runs, `Backtesting (${scenario.name}, ${p})`);
        return result;
      }),
    );
    return { name: scenario.name, results };
  });
  report.end();
  const average = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const cell = (runs: readonly BacktestResult[]) => {
    const ratio = average(runs.map((r) => r.ratioToOracle)).toFixed(4);
    const exceeded =
      runs[0]!.targetExceededDays === undefined ? '' : ` · ${average(runs.map((r) => r.targetExceededDays!)).toFixed(1)} over`;
    const held = runs.some((r) => r.heldDays > 0) ? ` · ${average(runs.map((r) => r.heldDays)).toFixed(1)} held` : '';
    return `${ratio}${exceeded}${held}`;
  };
  console.log(
    `| scenario${seeds > 1 ? ` (mean of ${seeds} seeds)` : ''} | ${POLICIES.join(' | ')} |\n|---|${POLICIES.map(() => '---:').join('|')}|`,
  );
  for (const row of rows) console.log(`| ${row.name} | ${row.results.map(cell).join(' | ')} |`);
  const mean = (i: number) => average(rows.map((r) => average(r.results[i]!.map((x) => x.ratioToOracle))));
  console.log(`| **mean** | ${POLICIES.map((_, i) => `**${mean(i).toFixed(4)}**`).join(' | ')} |`);
  console.log(
    '\n"over": days the true expected CPA exceeded the scenario\'s target; "held": days the allocator kept the previous allocation.',
  );
} else {
  if (!values.scenario)
    fail('usage: npm run backtest -- --scenario FILE [--policy optimizer|known|greedy|fixed-share|equal|oracle] [--json]');
  if (!(POLICIES as readonly string[]).includes(values.policy!))
    fail(`unknown policy "${values.policy}"; use one of ${POLICIES.join(', ')}`);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  /** One line a day, tab-separated: day, date, spend, oracle spend, ratio, true CPA, predicted ÷ true. */
  const trace = (d: DayTrace) =>
    console.log(
      [
        d.day,
        d.date,
        sum(d.totals).toFixed(2),
        sum(d.oracle).toFixed(2),
        (d.expected / d.oracleExpected).toFixed(4),
        (sum(d.totals) / Math.max(d.expected, 1e-9)).toFixed(2),
        d.predicted ? (sum(d.predicted) / Math.max(d.expected, 1e-9)).toFixed(4) : '',
      ].join('\t'),
    );
  // A trace piped into `head` ends when the reader stops reading.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  if (values.trace) console.log(['day', 'date', 'spend', 'oracleSpend', 'ratio', 'trueCpa', 'predictedOverTrue'].join('\t'));
  const loaded = load(values.scenario!);
  // The simulator's random streams read a seed as 32 bits: beyond, two seeds would be the same noise.
  if (values.seed !== undefined && !(/^\d{1,10}$/.test(values.seed) && Number(values.seed) <= 2 ** 32 - 1))
    fail(`--seed must be a whole number from 0 to ${2 ** 32 - 1}, not "${values.seed}"`);
  const seed = values.seed === undefined ? loaded.seed : Number(values.seed);
  const result = simulate({ ...loaded, seed }, values.policy as Policy, values.trace ? trace : undefined);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${result.scenario} · ${result.policy} · ${result.days} days · seed ${seed}`);
    console.log(`  spend ${result.spend}, expected conversions ${result.expectedConversions} (oracle ${result.oracleExpectedConversions})`);
    console.log(`  ratio to oracle ${result.ratioToOracle}, CPA ${result.cpa}, realized conversions ${result.realizedConversions}`);
  }
}

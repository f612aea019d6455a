import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '../functions/domain/issues.js';
import { Scenario } from '../functions/domain/simulation/scenario.js';
import { type BacktestResult, POLICIES, type Policy, simulate } from '../functions/domain/simulation/simulate.js';
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
  `npm run backtest -- --scenario FILE [--policy optimizer|known|greedy|fixed-share|equal|oracle] [--json]
npm run backtest -- --table [DIR] [--seeds N]

Simulates a scenario (docs/scenarios.md) day by day, or prints ratioToOracle for every policy on every
scenario in DIR (default scenarios/), averaged over N seeds.`,
  {
    scenario: { type: 'string' },
    policy: { type: 'string', default: 'optimizer' },
    json: { type: 'boolean', default: false },
    table: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '1' },
  },
  true,
);

/** A scenario with its seed moved on by `k`: the same market, other noise. */
const reseeded = (scenario: Scenario, k: number): Scenario => ({ ...scenario, seed: scenario.seed + 1000 * k });

if (values.table) {
  const dir = positionals[0] ?? 'scenarios';
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds must be a whole number ≥ 1, not "${values.seeds}"`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const report = progress();
  const runs = files.length * POLICIES.length * seeds;
  let done = 0;
  const rows = files.map((f) => {
    const scenario = load(join(dir, f));
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
  const result = simulate(load(values.scenario!), values.policy as Policy);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${result.scenario} · ${result.policy} · ${result.days} days`);
    console.log(`  spend ${result.spend}, expected conversions ${result.expectedConversions} (oracle ${result.oracleExpectedConversions})`);
    console.log(`  ratio to oracle ${result.ratioToOracle}, CPA ${result.cpa}, realized conversions ${result.realizedConversions}`);
  }
}

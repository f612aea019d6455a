import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validate } from '../functions/domain/issues.js';
import { Scenario } from '../functions/domain/simulation/scenario.js';
import { POLICIES, type Policy, simulate } from '../functions/domain/simulation/simulate.js';

/**
 * `npm run backtest -- --scenario FILE [--policy NAME] [--json]` simulates one scenario;
 * `npm run backtest -- --table [DIR]` prints ratioToOracle for every policy on every scenario in DIR
 * (default `scenarios/`), the table the README shows.
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

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scenario: { type: 'string' },
    policy: { type: 'string', default: 'optimizer' },
    json: { type: 'boolean', default: false },
    table: { type: 'boolean', default: false },
  },
});

if (values.table) {
  const dir = positionals[0] ?? 'scenarios';
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const rows = files.map((f) => {
    const scenario = load(join(dir, f));
    return [scenario.name, ...POLICIES.map((p) => simulate(scenario, p).ratioToOracle)] as const;
  });
  const mean = (i: number) => rows.reduce((s, r) => s + (r[i + 1] as number), 0) / rows.length;
  console.log(`| scenario | ${POLICIES.join(' | ')} |\n|---|${POLICIES.map(() => '---:').join('|')}|`);
  for (const row of rows)
    console.log(
      `| ${row[0]} | ${row
        .slice(1)
        .map((v) => (v as number).toFixed(4))
        .join(' | ')} |`,
    );
  console.log(`| **mean** | ${POLICIES.map((_, i) => `**${mean(i).toFixed(4)}**`).join(' | ')} |`);
} else {
  if (!values.scenario) fail('usage: npm run backtest -- --scenario FILE [--policy optimizer|fixed-share|equal|greedy|oracle] [--json]');
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

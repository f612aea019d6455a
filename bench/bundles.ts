import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';
import { bundleBudgetBytes, FUNCTIONS } from '../lib/api.js';
import { bundleFunction, PLACEHOLDER_ENVIRONMENT } from '../lib/bundler.js';
import { median, printTable } from './stats.js';

/** Inside the repository, so a bundle resolves `@aws-sdk/*` from node_modules as Lambda resolves its own copy. */
const OUT = '.bench/bundles';
const INIT_GOAL_MS = 150;
const ROUNDS = 11;

/**
 * The deployed bundle and two alternatives measured beside it: ESM output (the format before), which loads
 * the runtime's CommonJS SDK through Node's ESM loader, and the AWS SDK bundled in (tree-shaken) instead of
 * taken from the runtime.
 */
const VARIANTS = {
  deployed: { suffix: '.cjs', overrides: {} },
  esm: {
    suffix: '.esm.mjs',
    overrides: {
      format: 'esm',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    },
  },
  sdkBundled: { suffix: '.sdk.cjs', overrides: { external: [] } },
} satisfies Record<string, { suffix: string; overrides: BuildOptions }>;
type Variant = keyof typeof VARIANTS;

/**
 * Milliseconds to load `file` (and what it imports) in a fresh Node process: what a cold start pays before
 * the handler runs. Loaded as Lambda's runtime loads a handler: `require` for CommonJS, `import` for ESM.
 */
const initMs = (file: string): number => {
  const load = file.endsWith('.mjs') ? `await import(${JSON.stringify(file)})` : `createRequire(import.meta.url)(${JSON.stringify(file)})`;
  const script = `import { createRequire } from 'node:module'; const t = performance.now(); ${load}; process.stdout.write(String(performance.now() - t));`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...PLACEHOLDER_ENVIRONMENT },
      encoding: 'utf8',
    }),
  );
};

/** Median init of each file, measured in interleaved rounds so that drift in the machine's speed hits every file alike. */
const medianInits = (files: readonly string[]): number[] => {
  const samples = files.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) for (const [i, file] of files.entries()) samples[i]!.push(initMs(file));
  return samples.map(median);
};

/** KB per package (or per source folder) in one bundle, biggest first. */
const contributors = (inputs: Record<string, { bytesInOutput: number }>): string => {
  const byPackage = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    const name = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? file.split('/').slice(0, 2).join('/');
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)}`)
    .join(', ');
};

/**
 * Issue 7: each function bundled as the stack bundles it (esbuild, minified CommonJS for node24, the AWS SDK
 * left to the Lambda runtime), its size against its budget (350 KB unless its definition in lib/api.ts says
 * why), its module init time against 150 ms, and what weighs most; beside it the two alternatives of `VARIANTS`, and the DynamoDB clients alone (the floor
 * every function pays for the runtime's SDK).
 */
export const benchBundles = async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const built = [];
  for (const definition of Object.values(FUNCTIONS)) {
    const bundles = {} as Record<Variant, { file: string; output: Metafile['outputs'][string] }>;
    for (const [variant, { suffix, overrides }] of Object.entries(VARIANTS) as [Variant, (typeof VARIANTS)[Variant]][]) {
      const file = join(OUT, `${definition.id}${suffix}`);
      bundles[variant] = { file: `./${file}`, output: bundleFunction(definition.entry, file, overrides).outputs[file]! };
    }
    built.push({ id: definition.id, budgetKb: bundleBudgetBytes(definition) / 1024, bundles });
  }
  const sdkOnly = join(OUT, 'sdk-only.cjs');
  writeFileSync(sdkOnly, "require('@aws-sdk/client-dynamodb'); require('@aws-sdk/lib-dynamodb');");

  const variants = Object.keys(VARIANTS) as Variant[];
  const inits = medianInits([...built.flatMap((b) => variants.map((v) => b.bundles[v].file)), `./${sdkOnly}`]);
  const initOf = (index: number, variant: Variant) => inits[index * variants.length + variants.indexOf(variant)]!;
  const rows: (string | number)[][] = [
    ['function', 'KB', 'budget', 'init p50 ms', 'goal', 'as ESM ms', 'ratio', 'SDK bundled KB', 'ms', 'biggest contributors (KB)'],
  ];
  built.forEach(({ id, budgetKb, bundles }, i) => {
    const kb = bundles.deployed.output.bytes / 1024;
    const [init, esm, sdkBundled] = [initOf(i, 'deployed'), initOf(i, 'esm'), initOf(i, 'sdkBundled')];
    rows.push([
      id,
      Math.round(kb),
      kb <= budgetKb ? `ok (${budgetKb})` : `OVER ${budgetKb}`,
      init,
      init <= INIT_GOAL_MS ? 'ok' : 'OVER',
      esm,
      init / esm,
      Math.round(bundles.sdkBundled.output.bytes / 1024),
      sdkBundled,
      contributors(bundles.deployed.output.inputs),
    ]);
  });
  rows.push(['(reference: DynamoDB SDK clients only)', '', '', inits.at(-1)!, '', '', '', '', '', '']);
  printTable(
    `Function bundles as deployed (lib/bundler.ts; init = load in a fresh process, median of ${ROUNDS} interleaved rounds; ratio = deployed / ESM)`,
    rows,
  );
};

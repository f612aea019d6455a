import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../lib/api.js';
import { bundleFunction } from '../lib/bundler.js';
import { TABLES } from '../lib/tables.js';
import { JOBS } from '../functions/domain/jobs.js';
import { median, printTable } from './stats.js';

/** Inside the repository, so a bundle resolves `@aws-sdk/*` from node_modules as Lambda resolves its own copy. */
const OUT = '.bench/bundles';
const BUDGET_KB = 300;
const INIT_RUNS = 7;

/** The environment a deployed function gets, with placeholder names: init must not need the network. */
const ENVIRONMENT = {
  ...Object.fromEntries(TABLES.map((t) => [t.envVar, `bench-${t.id}`])),
  ...Object.fromEntries(JOBS.map((job) => [`${job.toUpperCase()}_QUEUE_URL`, `https://sqs.eu-west-1.amazonaws.com/000000000000/${job}`])),
  EVENT_BUS_NAME: 'bench-bus',
  WEBHOOK_SECRET_ARNS: '{}',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Milliseconds to import modules in a fresh Node process (module init: what a cold start pays before the handler runs). */
const initMs = (...specifiers: string[]): number => {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
  const script = `const t = performance.now(); ${imports} process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...ENVIRONMENT }, encoding: 'utf8' }));
};

/**
 * Issue 7: each function bundled as the stack bundles it (esbuild, minified ESM for node24, the AWS SDK left
 * to the Lambda runtime), its size against the 300 KB budget, its module init time, and what weighs most.
 */
export const benchBundles = async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const rows: (string | number)[][] = [['function', 'KB', 'budget', 'init p50 ms', 'biggest contributors (KB)']];
  for (const definition of Object.values(FUNCTIONS)) {
    const outfile = join(OUT, `${definition.id}.mjs`);
    const metafile = await bundleFunction(definition.entry, outfile);
    const output = metafile.outputs[outfile]!;
    const byPackage = new Map<string, number>();
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? file.split('/').slice(0, 2).join('/');
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
    const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)}`);
    const kb = output.bytes / 1024;
    const init = median(Array.from({ length: INIT_RUNS }, () => initMs(`./${outfile}`)));
    rows.push([definition.id, Math.round(kb), kb <= BUDGET_KB ? 'ok' : 'OVER', init, top.join(', ')]);
  }
  // Reference: the AWS SDK clients alone, which every function loads from the runtime whatever we bundle.
  const sdk = median(Array.from({ length: INIT_RUNS }, () => initMs('@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb')));
  rows.push(['(reference: DynamoDB SDK clients only)', '', '', sdk, '']);
  printTable(`Function bundles as deployed (lib/bundler.ts: minified ESM, AWS SDK from the runtime; init = import in a fresh process, median of ${INIT_RUNS})`, rows);
};

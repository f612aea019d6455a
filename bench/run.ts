import '../bin/local/localEnv.js';
import { spawnSync } from 'node:child_process';
import { parseCli, usageError } from '../bin/cli.js';
import { progress } from '../bin/progress.js';

/**
 * `npm run bench [-- --only NAME]`: every benchmark, printing ratios measured side by side in this run.
 * Each part is imported only when it runs, so a part loads nothing of the others.
 */
const BENCHES: Record<string, () => Promise<void>> = {
  allocator: async () => (await import('./allocator.js')).benchAllocator(),
  ingest: async () => (await import('./ingest.js')).benchIngest(),
  pipeline: async () => (await import('./pipeline.js')).benchPipeline(),
  alerts: async () => (await import('./alerts.js')).benchAlerts(),
  bundles: async () => (await import('./bundles.js')).benchBundles(),
  polls: async () => (await import('./polls.js')).benchPolls(),
  diagnostics: async () => (await import('./diagnostics.js')).benchDiagnostics(),
  history: async () => (await import('./history.js')).benchHistory(),
};

/** Set for a part run by the whole bench: its place among the parts, for the progress line (`2/5`). */
const PART_ENV = 'BENCH_PART';

const { values } = parseCli(
  `npm run bench [-- --only ${Object.keys(BENCHES).join('|')}]

Benchmarks that print ratios measured side by side in one run (never a pass/fail timing test).
The whole bench runs each part in a process of its own, exactly as --only NAME runs it.`,
  { only: { type: 'string' } },
);
if (values.only !== undefined && !(values.only in BENCHES))
  usageError(`no bench "${values.only}"; use one of ${Object.keys(BENCHES).join(', ')}`);

const report = progress();
if (values.only !== undefined) {
  const [done = 1, total = 1] = (process.env[PART_ENV] ?? '').split('/').map(Number);
  report.step(done, total, `Running the ${values.only} bench`);
  await BENCHES[values.only]!();
  report.end();
} else {
  // A part that starts the local runtime imports the handler modules, and a handler module reads the
  // runtime's environment (DynamoDB Local's endpoint, the table names) once, at import, as Lambda does at cold
  // start. A second such part in the same process would reach the first one's DynamoDB Local, stopped by then
  // (ECONNREFUSED, issue 22). A process per part gives each part its own cold start, and keeps one part's heap
  // and JIT state out of the next one's figures.
  const names = Object.keys(BENCHES);
  const failed: string[] = [];
  for (const [i, name] of names.entries()) {
    const part = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--only', name], {
      stdio: 'inherit',
      env: { ...process.env, [PART_ENV]: `${i + 1}/${names.length}` },
    });
    if (part.status !== 0) failed.push(`${name} (${part.signal ?? `exit ${part.status}`})`);
  }
  if (failed.length > 0) {
    console.error(`\nThese benches failed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

import '../bin/local/localEnv.js';
import { parseCli, usageError } from '../bin/cli.js';
import { progress } from '../bin/progress.js';
import { benchAlerts } from './alerts.js';
import { benchAllocator } from './allocator.js';
import { benchBundles } from './bundles.js';
import { benchIngest } from './ingest.js';
import { benchPipeline } from './pipeline.js';

/** `npm run bench [-- --only NAME]`: every benchmark, printing ratios measured side by side in this run. */
const BENCHES: Record<string, () => Promise<void>> = {
  allocator: benchAllocator,
  ingest: benchIngest,
  pipeline: benchPipeline,
  alerts: benchAlerts,
  bundles: benchBundles,
};

const { values } = parseCli(
  `npm run bench [-- --only ${Object.keys(BENCHES).join('|')}]

Benchmarks that print ratios measured side by side in one run (never a pass/fail timing test).`,
  { only: { type: 'string' } },
);
if (values.only !== undefined && !(values.only in BENCHES))
  usageError(`no bench "${values.only}"; use one of ${Object.keys(BENCHES).join(', ')}`);
const chosen = Object.entries(BENCHES).filter(([name]) => !values.only || values.only === name);
const report = progress();
for (const [i, [name, bench]] of chosen.entries()) {
  report.step(i + 1, chosen.length, `Running the ${name} bench`);
  await bench();
}
report.end();

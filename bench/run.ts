import '../bin/local/localEnv.js';
import { parseArgs } from 'node:util';
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

const { values } = parseArgs({ options: { only: { type: 'string' } } });
for (const [name, bench] of Object.entries(BENCHES)) {
  if (values.only && values.only !== name) continue;
  await bench();
}

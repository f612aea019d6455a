import { join } from 'node:path';
import { bundleFunction } from '../lib/bundler.js';

/** `tsx bin/bundle-function.ts ENTRY OUTDIR`: what `cdk synth` runs per function (CDK's local bundling is synchronous). */
const [entry, outDir] = process.argv.slice(2);
if (!entry || !outDir) {
  console.error('usage: tsx bin/bundle-function.ts ENTRY OUTDIR');
  process.exit(2);
}
await bundleFunction(entry, join(outDir, 'index.js'));

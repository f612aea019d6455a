import { build, type BuildOptions, type Metafile } from 'esbuild';

/**
 * How every function is bundled, defined once for `cdk synth`, the bundle bench and the bundle test:
 * minified CommonJS for node24 with source maps; Lambda provides the AWS SDK v3. Schemas use `zod/mini`, whose
 * named functions esbuild tree-shakes (the chainable classic API would add about 190 KB to every function).
 *
 * CommonJS, not ESM, because the runtime's SDK is CommonJS: an ESM bundle makes Node run its ESM loader and
 * CommonJS export lexer over every SDK file it imports, which cost about 40 ms of each cold start (`npm run
 * bench -- --only bundles`). Our sources stay ESM; only the output format changes.
 */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
};

/**
 * Bundles one handler module to `outfile`; returns esbuild's metafile (what went in, and how big). Name it
 * `.cjs` inside this repository (its package.json says `"type": "module"`); Lambda loads `index.js` as CommonJS.
 * `overrides` exist for the bench's side-by-side comparison only.
 */
export const bundleFunction = async (entry: string, outfile: string, overrides: BuildOptions = {}): Promise<Metafile> => {
  const result = await build({ ...BUNDLE_OPTIONS, ...overrides, entryPoints: [entry], outfile, metafile: true });
  return result.metafile;
};

import { build, type BuildOptions, type Metafile } from 'esbuild';

/**
 * How every function is bundled, defined once for `cdk synth`, the bundle bench and the bundle test:
 * minified ESM for node24 with source maps; Lambda provides the AWS SDK v3. Schemas use `zod/mini`, whose
 * named functions esbuild tree-shakes (the chainable classic API would add about 190 KB to every function).
 */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  // Some dependencies still call require(); give the ESM bundle one.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
};

/** Bundles one handler module to `outfile`; returns esbuild's metafile (what went in, and how big). */
export const bundleFunction = async (entry: string, outfile: string): Promise<Metafile> => {
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile, metafile: true });
  return result.metafile;
};

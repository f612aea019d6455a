import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

/**
 * zod's namespace export keeps every one of its ~40 locales (about 250 KB minified) in any bundle that
 * imports it, though only English messages are used (and zod imports that one directly). This resolves the
 * locale index to an empty module inside zod only.
 */
const withoutZodLocales: Plugin = {
  name: 'without-zod-locales',
  setup(esbuild) {
    esbuild.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes('/node_modules/zod/') ? { path: 'zod-locales', namespace: 'empty' } : undefined));
    esbuild.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/** How every function is bundled: minified ESM for node24 with source maps; Lambda provides the AWS SDK v3. */
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
  plugins: [withoutZodLocales],
  logLevel: 'warning',
};

/** Bundles one handler module to `outfile`; returns esbuild's metafile (what went in, and how big). */
export const bundleFunction = async (entry: string, outfile: string): Promise<Metafile> => {
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile, metafile: true });
  return result.metafile;
};

import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import { JOBS, queueUrlVariable } from '../functions/domain/jobs.js';
import { TABLES } from './tables.js';

/**
 * How every function is bundled, defined once for `cdk synth`, the bundle bench and the bundle test:
 * minified CommonJS for node24 with source maps; Lambda provides the AWS SDK v3. Schemas use `zod/mini`, whose
 * named functions esbuild tree-shakes (the chainable classic API would add about 190 KB to every function).
 *
 * CommonJS, not ESM, because the runtime's SDK is CommonJS: an ESM bundle makes Node run its ESM loader and
 * CommonJS export lexer over every SDK file it imports, which made module init up to 1.7× slower (`npm run
 * bench -- --only bundles`). Our sources stay ESM; only the output format changes.
 */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  // Stack traces need only the mappings; leaving the sources out makes each map (and zip) about 75% smaller.
  sourcesContent: false,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
};

/**
 * Bundles one handler module to `outfile`, synchronously (construct code cannot wait); returns esbuild's metafile (what went in, and how big). Name it
 * `.cjs` inside this repository (its package.json says `"type": "module"`); Lambda loads `index.js` as CommonJS.
 * `overrides` exist for the bench's side-by-side comparison only.
 */
export const bundleFunction = (entry: string, outfile: string, overrides: BuildOptions = {}): Metafile =>
  buildSync({ ...BUNDLE_OPTIONS, ...overrides, entryPoints: [entry], outfile, metafile: true }).metafile;

/** Node options of every deployed function: the bundles carry source maps, so stack traces name our sources. */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/**
 * The environment a deployed function reads, with placeholder values, for loading a bundle outside AWS (the
 * bundle bench and test): module init must not need the network. Spread over the caller's environment,
 * which in the bench and the tests has `BUDGET_RUNTIME=local` (bin/local/localEnv.ts): empty here, as unset
 * in AWS, so a bundle takes its cloud wiring. Inherited, the local wiring measured something no deployed
 * function does: the session functions generating the local sign-in's RSA key at init (50 to 230 ms).
 */
export const PLACEHOLDER_ENVIRONMENT: Readonly<Record<string, string>> = {
  BUDGET_RUNTIME: '',
  ...Object.fromEntries(TABLES.map((t) => [t.envVar, `placeholder-${t.id}`])),
  ...Object.fromEntries(JOBS.map((job) => [queueUrlVariable(job), `https://sqs.eu-west-1.amazonaws.com/000000000000/${job}`])),
  EVENT_BUS_NAME: 'placeholder-bus',
  APPLY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/apply',
  WEBHOOK_SECRET_ARNS: '{}',
  FINGERPRINT_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:placeholder-fingerprint-key',
  USER_POOL_ID: 'eu-west-1_Placeholder',
  USER_POOL_CLIENT_ID: 'placeholder-client',
  SIGN_IN_DOMAIN: 'https://placeholder.auth.eu-west-1.amazoncognito.com',
  AWS_REGION: 'eu-west-1',
  NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

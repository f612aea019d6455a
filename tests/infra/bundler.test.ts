import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleBudgetBytes, FUNCTIONS, type FunctionDefinition } from '../../lib/api.js';
import { bundleFunction, PLACEHOLDER_ENVIRONMENT } from '../../lib/bundler.js';

/** Inside the repository, so the bundle resolves the AWS SDK from node_modules as Lambda's runtime provides it. */
const OUT = '.bench/test-bundles';
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** Bundles `entry` as the stack does; its size and the files that went into it. */
const bundle = (entry: string, name: string) => {
  const outfile = `${OUT}/${name}.cjs`;
  const output = bundleFunction(entry, outfile).outputs[outfile]!;
  return { outfile, bytes: output.bytes, inputs: Object.keys(output.inputs) };
};

/** Runs `script` in a fresh Node process with a deployed function's environment (plus `env`); its stdout. */
const run = (script: string, env: Record<string, string> = {}) =>
  execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...PLACEHOLDER_ENVIRONMENT, ...env }, encoding: 'utf8' });

/** A script expression: whether the process has loaded the DynamoDB SDK. */
const LOADED_DYNAMODB = 'Object.keys(require.cache).some((file) => /client-dynamodb|lib-dynamodb/.test(file))';

describe('function bundler', () => {
  it('tree-shakes zod (no other locale in the bundle) and keeps its English messages working', async () => {
    const outfile = `${OUT}/metrics.cjs`;
    bundleFunction(FUNCTIONS.metrics.entry, outfile);
    const code = readFileSync(outfile, 'utf8');
    expect(code).not.toContain('Entrada inválida');
    const script = `
      const { handler } = await import('./${outfile}');
      const event = { version: '2.0', routeKey: 'GET /portfolios/{id}/metrics', rawPath: '/', rawQueryString: '', headers: {}, pathParameters: { id: 'demo' },
        queryStringParameters: { channel: '' }, requestContext: { requestId: 'r', http: { method: 'GET', path: '/' } }, isBase64Encoded: false };
      const answer = await handler(event, { functionName: 'f', awsRequestId: 'a', getRemainingTimeInMillis: () => 1000 });
      process.stdout.write(JSON.stringify(answer));`;
    const env = { ...process.env, ...PLACEHOLDER_ENVIRONMENT };
    const answer = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).error.issues).toEqual([
      { path: 'channel', message: 'Too small: expected string to have >=1 characters' },
    ]);
  }, 60_000);

  it("leaves the EventBridge SDK out of the alert functions' cold start (they load it on their first event) but not the reallocators'", () => {
    const loadsEventBridge = (definition: FunctionDefinition): boolean => {
      const outfile = `${OUT}/${definition.id}.cjs`;
      bundleFunction(definition.entry, outfile);
      const script = `require('./${outfile}'); process.stdout.write(String(Object.keys(require.cache).some((file) => file.includes('client-eventbridge'))));`;
      return (
        execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...PLACEHOLDER_ENVIRONMENT }, encoding: 'utf8' }) === 'true'
      );
    };
    expect(loadsEventBridge(FUNCTIONS.alertsWorker)).toBe(false);
    expect(loadsEventBridge(FUNCTIONS.alerts)).toBe(false);
    // A poll announces an event only when an account's credentials are refused.
    expect(loadsEventBridge(FUNCTIONS.pollWorker)).toBe(false);
    expect(loadsEventBridge(FUNCTIONS.reallocateWorker)).toBe(true);
  }, 60_000);

  it('keeps every function within the bundle budget, and the JWT library in the two functions that check sessions', () => {
    const bundles = Object.values(FUNCTIONS).map((definition) => ({
      id: definition.id,
      budget: bundleBudgetBytes(definition),
      ...bundle(definition.entry, definition.id),
    }));
    for (const { id, bytes, budget } of bundles)
      expect(bytes, `${id}: ${(bytes / 1024).toFixed(1)} KB of ${budget / 1024} KB`).toBeLessThanOrEqual(budget);
    // The platform fakes (and the rest of the local runtime) are for tests and npm start only, never deployed.
    for (const { id, inputs } of bundles)
      expect(
        inputs.filter((file) => file.includes('bin/local/')),
        id,
      ).toEqual([]);
    expect(bundles.find((b) => b.id === FUNCTIONS.pollWorker.id)?.inputs).toEqual(
      expect.arrayContaining([
        'functions/adapters/platforms/googleAds.ts',
        'functions/adapters/platforms/meta.ts',
        'functions/adapters/platforms/tiktok.ts',
      ]),
    );
    // The operator forms, the dashboard and the API document read session cookies but verify no token: 16 KB each.
    const withJwt = bundles
      .filter(({ inputs }) => inputs.some((file) => file.includes('node_modules/aws-jwt-verify/')))
      .map(({ id }) => id);
    expect(withJwt.sort()).toEqual([FUNCTIONS.sessionAuthorizer.id, FUNCTIONS.signIn.id].sort());
  }, 120_000);

  it('reads the config as data, and bundles only the schema, not the file checks of config:check (croner, the duplicate-key scan, the group solver)', () => {
    const { inputs } = bundle('functions/wiring/config.ts', 'deployedConfig');
    expect(inputs).not.toContain('config/budget.config.json');
    expect(inputs).toContain('functions/domain/config.ts');
    for (const checkOnly of [
      'node_modules/croner/',
      'functions/domain/jsonKeys.ts',
      'functions/domain/scheduleTimes.ts',
      'functions/domain/allocation/groupChecks.ts',
      'node_modules/javascript-lp-solver/',
      'functions/adapters/configFile.ts',
    ])
      expect(inputs.filter((file) => file.includes(checkOnly))).toEqual([]);
  }, 60_000);

  it("leaves the DynamoDB SDK out of the session functions' cold start, and loads it on the first revocation lookup", () => {
    for (const definition of [FUNCTIONS.sessionAuthorizer, FUNCTIONS.signIn]) {
      const { outfile } = bundle(definition.entry, definition.id);
      expect(run(`require('./${outfile}'); process.stdout.write(String(${LOADED_DYNAMODB}));`), definition.id).toBe('false');
    }
    // The wiring alone, bundled the same way: the deferred import works in the CommonJS bundle. Nothing listens
    // on the endpoint; the lookup only has to get as far as loading the SDK.
    const { outfile } = bundle('functions/wiring/revocations.ts', 'revocations');
    const script = `
      const list = require('./${outfile}').revocationList();
      const before = ${LOADED_DYNAMODB};
      list.isRevoked('jti-1').catch(() => {});
      const started = Date.now();
      const poll = setInterval(() => {
        if (!${LOADED_DYNAMODB} && Date.now() - started < 10000) return;
        process.stdout.write(JSON.stringify({ before, after: ${LOADED_DYNAMODB} }));
        process.exit(0);
      }, 10);`;
    expect(JSON.parse(run(script, { DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }))).toEqual({ before: false, after: true });
  }, 60_000);
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, DEPLOYED_CONFIG_FILE } from '../../../functions/adapters/loadedConfig.js';
import { FUNCTIONS } from '../../../lib/api.js';
import { bundleFunction, PLACEHOLDER_ENVIRONMENT } from '../../../lib/bundler.js';

/** Inside the repository, so bundles resolve packages from node_modules as the stack's bundling does. */
const OUT = '.bench/test-config-bundle';
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('the config, read beside the code', () => {
  it('is in no function bundle: its size leaves every bundle as it is', () => {
    for (const definition of Object.values(FUNCTIONS)) {
      const outfile = `${OUT}/${definition.id}.cjs`;
      const inputs = Object.keys(bundleFunction(definition.entry, outfile).outputs[outfile]!.inputs);
      expect(
        inputs.filter((input) => input.startsWith('config/')),
        definition.id,
      ).toEqual([]);
    }
  }, 120_000);

  it('is read by a deployed function from beside its code, at a cold start', () => {
    // A task root holding the bundle and a config whose only portfolio is "elsewhere": the function must
    // answer from that file, not from the repository's (whose portfolio is "demo").
    const root = `${OUT}/task`;
    mkdirSync(root, { recursive: true });
    bundleFunction(FUNCTIONS.metrics.entry, `${root}/index.cjs`);
    const shipped = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
    writeFileSync(
      `${root}/${DEPLOYED_CONFIG_FILE}`,
      JSON.stringify({ ...shipped, portfolios: [{ ...shipped.portfolios[0], id: 'elsewhere' }] }),
    );
    const ask = (id: string) => {
      const script = `
        const { handler } = require('./${root}/index.cjs');
        const event = { version: '2.0', routeKey: 'GET /portfolios/{id}/metrics', rawPath: '/', rawQueryString: '', headers: {},
          pathParameters: { id: '${id}' }, queryStringParameters: { from: '2026-13-01' }, requestContext: { requestId: 'r', http: { method: 'GET', path: '/' } }, isBase64Encoded: false };
        handler(event, { functionName: 'f', awsRequestId: 'a', getRemainingTimeInMillis: () => 1000 }).then((a) => process.stdout.write(String(a.statusCode)));`;
      const env = { ...process.env, ...PLACEHOLDER_ENVIRONMENT, LAMBDA_TASK_ROOT: root };
      return execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    };
    // Known portfolio, bad query: 400. Unknown portfolio: 404, whatever the query.
    expect([ask('elsewhere'), ask('demo')]).toEqual(['400', '404']);
  }, 60_000);
});

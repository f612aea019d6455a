import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../lib/api.js';
import { bundleFunction, PLACEHOLDER_ENVIRONMENT } from '../../lib/bundler.js';

/** Inside the repository, so the bundle resolves the AWS SDK from node_modules as Lambda's runtime provides it. */
const OUT = '.bench/test-bundles';
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('function bundler', () => {
  it('tree-shakes zod (no other locale in the bundle) and keeps its English messages working', async () => {
    const outfile = `${OUT}/metrics.cjs`;
    bundleFunction(FUNCTIONS.metrics.entry, outfile);
    const code = readFileSync(outfile, 'utf8');
    expect(code).not.toContain('Entrada inválida');
    const script = `
      const { handler } = await import('./${outfile}');
      const event = { version: '2.0', routeKey: 'GET /portfolios/{id}/metrics', rawPath: '/', rawQueryString: '', headers: {}, pathParameters: { id: 'demo' },
        queryStringParameters: { from: '2026-13-01' }, requestContext: { requestId: 'r', http: { method: 'GET', path: '/' } }, isBase64Encoded: false };
      const answer = await handler(event, { functionName: 'f', awsRequestId: 'a', getRemainingTimeInMillis: () => 1000 });
      process.stdout.write(JSON.stringify(answer));`;
    const env = { ...process.env, ...PLACEHOLDER_ENVIRONMENT };
    const answer = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).error.issues).toEqual([{ path: 'from', message: 'Invalid ISO date' }]);
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
    expect(loadsEventBridge(FUNCTIONS.reallocateWorker)).toBe(true);
  }, 60_000);
});

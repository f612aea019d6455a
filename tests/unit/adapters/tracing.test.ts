import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Tracing is on only inside Lambda (Powertools Tracer reads the environment at start), so each check runs in
 * a fresh process with the environment Lambda sets.
 */
const middlewareIn = (env: Record<string, string>, module: string, build: string) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const m = await import('${module}'); process.stdout.write(JSON.stringify(${build}.middlewareStack.identify()));`,
      ],
      {
        env: { ...process.env, AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        encoding: 'utf8',
      },
    ),
  ) as string[];

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_LAMBDA_FUNCTION_NAME: 'budget-fn' };

describe('tracing', () => {
  it('captures every DynamoDB call as an X-Ray subsegment in Lambda, and adds nothing outside it', () => {
    const dynamo = new URL('../../../functions/adapters/dynamo.ts', import.meta.url).href;
    expect(middlewareIn(LAMBDA, dynamo, 'm.createDynamoClient()')).toContain('XRaySDKInstrumentation - build');
    expect(middlewareIn({}, dynamo, 'm.createDynamoClient()')).not.toContain('XRaySDKInstrumentation - build');
  }, 30_000);
});

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { FunctionDefinition } from './api.js';

/** The repository root, where handler entries and the lockfile live. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How long function logs are kept. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Every function of the system: nodejs22.x on arm64, bundled by esbuild (minified ESM with source maps),
 * its own log group with a retention, and X-Ray tracing. The config JSON is bundled into the code, so a
 * deploy applies exactly the config `cdk synth` validated.
 */
export class BudgetFunction extends NodejsFunction {
  constructor(scope: Construct, definition: FunctionDefinition, environment: Record<string, string>) {
    super(scope, definition.id, {
      entry: `${PROJECT_ROOT}${definition.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb ?? 512,
      timeout: Duration.seconds(definition.timeoutSeconds ?? 29),
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(scope, `${definition.id}Logs`, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY }),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'budget-optimizer',
        POWERTOOLS_METRICS_NAMESPACE: 'BudgetOptimizer',
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give the ESM bundle one.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
  }
}

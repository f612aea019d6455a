import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CONFIG_PATH, DEPLOYED_CONFIG_FILE } from '../functions/adapters/loadedConfig.js';
import type { FunctionDefinition } from './api.js';
import { bundleFunction, FUNCTION_NODE_OPTIONS } from './bundler.js';

/** The repository root, where handler entries and the lockfile live. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CloudWatch namespace of the functions' Powertools metrics (the held-allocation alarm reads it). */
export const METRICS_NAMESPACE = 'BudgetOptimizer';

/** How long function logs are kept. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * The function's code: its handler bundled by `lib/bundler.ts` (the one definition of the bundle that the
 * bundle bench and test measure too) into a folder of the cloud assembly, which CDK stages as an asset
 * hashed by its content.
 */
const bundledCode = (scope: Construct, definition: FunctionDefinition): Code => {
  const stage = Stage.of(scope);
  if (!stage) throw new Error(`${definition.id} must be built inside an App or Stage`);
  const outDir = join(stage.outdir, `bundle-${definition.id}`);
  bundleFunction(`${PROJECT_ROOT}${definition.entry}`, join(outDir, 'index.js'));
  // The config beside the code, read at a cold start (functions/wiring/config.ts): the file `cdk synth` validated.
  copyFileSync(join(PROJECT_ROOT, DEFAULT_CONFIG_PATH), join(outDir, DEPLOYED_CONFIG_FILE));
  return Code.fromAsset(outDir);
};

/**
 * Every function of the system: nodejs24.x on arm64, bundled by esbuild (minified CommonJS with source maps),
 * its own log group with a retention, its own role that may write only that log group (no AWS managed
 * policy), and X-Ray tracing. The config file ships beside the code, so a deploy applies exactly the config
 * `cdk synth` validated, and its size does not weigh on the bundle.
 */
export class BudgetFunction extends LambdaFunction {
  constructor(scope: Construct, definition: FunctionDefinition, environment: Record<string, string>) {
    const logGroup = new LogGroup(scope, `${definition.id}Logs`, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(scope, `${definition.id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${definition.id} function`,
    });
    logGroup.grantWrite(role);
    super(scope, definition.id, {
      role,
      code: bundledCode(scope, definition),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb ?? 512,
      timeout: Duration.seconds(definition.timeoutSeconds ?? 29),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: 'budget-optimizer',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...environment,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the X-Ray grant of active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource but "*".',
    });
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, DEPLOYED_CONFIG_FILE, type LoadedConfig, parseConfig } from '../adapters/loadedConfig.js';
import { withoutBom } from '../domain/text.js';

/**
 * Where the config a deploy applies is read from: beside a deployed function's code (`LAMBDA_TASK_ROOT`),
 * where `lib/budget-function.ts` puts the file `cdk synth` validated; elsewhere (the local runtime, tests)
 * the repository's file, or the one `BUDGET_CONFIG_FILE` names. Read as data, not bundled as code: a config of any size the config checks allow
 * leaves the function bundles as they are.
 */
const deployedConfigPath = (): string =>
  process.env.LAMBDA_TASK_ROOT
    ? join(process.env.LAMBDA_TASK_ROOT, DEPLOYED_CONFIG_FILE)
    : // Locally, BUDGET_CONFIG_FILE names another file (npm start on a copy with apply.mode "approve", say).
      process.env.BUDGET_CONFIG_FILE || DEFAULT_CONFIG_PATH;

/**
 * The config a deploy applies, validated once per cold start; `cdk synth` has already rejected an invalid
 * one, with the file checks of `configFile.ts`, which a function has no use for and does not bundle.
 */
export const deployedConfig: LoadedConfig = (() => {
  const path = deployedConfigPath();
  // Without a byte-order mark, as config:check reads it: stripped only by the check, a file that passed took
  // down every function at its cold start with "Unexpected token".
  return parseConfig(JSON.parse(withoutBom(readFileSync(path, 'utf8'))), path);
})();

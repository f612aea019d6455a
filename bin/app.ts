import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfigFile } from '../functions/adapters/configFile.js';
import type { BudgetConfig } from '../functions/domain/config.js';
import { buildApp } from '../lib/app.js';

/** `cdk synth` / `cdk deploy`: refuses to synthesize an invalid operator config, with the same messages as config:check. */
let config: BudgetConfig;
try {
  config = loadConfigFile();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const app = new App();
buildApp(app, config);
app.synth();

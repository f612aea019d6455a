import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../functions/adapters/configFile.js';

/**
 * `npm run config:check [-- FILE]`: validates the operator config; exit 1 listing every problem with its
 * JSON path (the same messages `cdk synth` fails with).
 */
const { positionals } = parseArgs({ allowPositionals: true });
const path = positionals[0] ?? DEFAULT_CONFIG_PATH;
try {
  const { config, hash } = loadConfigFile(path);
  const channels = config.portfolios.reduce((n, p) => n + p.channels.length, 0);
  const rules = config.portfolios.reduce((n, p) => n + p.alerts.rules.length, 0);
  console.log(`${path} is valid (hash ${hash}): ${config.portfolios.length} portfolio(s), ${channels} channel(s), ${rules} alert rule(s).`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

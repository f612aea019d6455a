import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import {
  ConfigError,
  configBytes,
  DEFAULT_CONFIG_PATH,
  formatBytes,
  type LoadedConfig,
  loadConfigFile,
  MAX_CONFIG_BYTES,
  parseConfig,
} from '../functions/adapters/configFile.js';
import { diffConfigs, formatConfigChanges } from '../functions/domain/configDiff.js';
import { parseCli, usageError } from './cli.js';

/**
 * `npm run config:check [-- FILE] [--against OTHER]`: validates the operator config (exit 1 listing every
 * problem with its JSON path, the same messages `cdk synth` fails with), then summarizes what it changes
 * compared with OTHER, by default the last committed version of FILE.
 */
const { positionals, values } = parseCli(
  `npm run config:check [-- FILE] [--against OTHER]

Validates the operator config (default config/budget.config.json) and lists every problem with its path
(exit 1), then summarizes what changes against the committed version, or against OTHER.`,
  { against: { type: 'string' } },
  true,
);
const path = positionals[0] ?? DEFAULT_CONFIG_PATH;
// A file that cannot be read is a mistake in the command (exit 2), not a problem of the config (exit 1).
for (const file of [path, values.against].filter((f) => f !== undefined)) {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The config to compare with: a file, or FILE as committed at HEAD (undefined when there is none). */
const baseline = (): { label: string; loaded: LoadedConfig } | undefined => {
  if (values.against) return { label: values.against, loaded: loadConfigFile(values.against) };
  let text: string;
  try {
    text = execFileSync('git', ['show', `HEAD:${path}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  const label = `HEAD:${path}`;
  try {
    return { label, loaded: parseConfig(JSON.parse(text), label) };
  } catch (error) {
    // The committed version no longer validates (the schema moved on): nothing to compare with.
    if (error instanceof ConfigError || error instanceof SyntaxError) return undefined;
    throw error;
  }
};

try {
  const current = loadConfigFile(path);
  const config = current;
  const { hash } = current;
  const channels = config.portfolios.reduce((n, p) => n + p.channels.length, 0);
  const rules = config.portfolios.reduce((n, p) => n + p.alerts.rules.length, 0);
  console.log(`${path} is valid (hash ${hash}): ${config.portfolios.length} portfolio(s), ${channels} channel(s), ${rules} alert rule(s).`);
  const bytes = configBytes(JSON.parse(readFileSync(path, 'utf8')));
  console.log(
    `Read by every function at a cold start: ${formatBytes(bytes)} of the ${formatBytes(MAX_CONFIG_BYTES)} a cold start reads well.`,
  );
  const before = baseline();
  if (!before) console.log('Nothing to compare with (no committed version); pass --against FILE.');
  else {
    const changes = formatConfigChanges(diffConfigs(before.loaded, config));
    console.log(
      changes.length === 0
        ? `No changes compared with ${before.label}.`
        : `Compared with ${before.label} (hash ${before.loaded.hash} → ${hash}), ${changes.length} change(s):\n${changes.map((c) => `  ${c}`).join('\n')}`,
    );
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

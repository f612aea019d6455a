import { readFileSync } from 'node:fs';
import { BudgetConfig } from '../domain/config.js';
import { configHash } from '../domain/hash.js';
import { type Issue, validate } from '../domain/issues.js';

/** The default location of the operator config, relative to the repository root. */
export const DEFAULT_CONFIG_PATH = 'config/budget.config.json';

/** A validated config with the hash every snapshot and alert records. */
export type LoadedConfig = BudgetConfig & { readonly hash: string };

/** Thrown when the operator config is unreadable or invalid; lists every problem with its JSON path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${source} is not a valid budget config:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an already-parsed config object; throws {@link ConfigError} naming `source`. */
export const parseConfig = (raw: unknown, source: string): LoadedConfig => {
  const result = validate(BudgetConfig, raw);
  if (!result.ok) throw new ConfigError(source, result.issues);
  return { ...result.value, hash: configHash(result.value) };
};

/** Reads, parses and validates a config file. */
export const loadConfigFile = (path: string = DEFAULT_CONFIG_PATH): LoadedConfig => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '$', message: `cannot read file: ${(error as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [{ path: '$', message: `not JSON: ${(error as Error).message}` }]);
  }
  return parseConfig(raw, path);
};

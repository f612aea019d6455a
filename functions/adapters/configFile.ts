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

/**
 * A path with array positions replaced by the ids operators know them by: `portfolios[0].alerts.rules[3]`
 * becomes `portfolios[demo].alerts.rules[cpa-high]` wherever the element carries a string `id`.
 */
export const pathById = (raw: unknown, path: string): string => {
  let node: unknown = raw;
  return path.replace(/([^.[\]]+)|\[(\d+)\]/g, (token, key: string | undefined, index: string | undefined) => {
    if (key !== undefined) {
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      return token;
    }
    const element = Array.isArray(node) ? node[Number(index)] : undefined;
    node = element;
    const id = element !== null && typeof element === 'object' ? (element as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id !== '' ? `[${id}]` : token;
  });
};

/** Validates an already-parsed config object; throws {@link ConfigError} naming `source`. */
export const parseConfig = (raw: unknown, source: string): LoadedConfig => {
  const result = validate(BudgetConfig, raw);
  if (!result.ok)
    throw new ConfigError(
      source,
      result.issues.map((i) => ({ ...i, path: pathById(raw, i.path) })),
    );
  return { ...result.value, hash: configHash(result.value) };
};

/** " (line L, column C)" for a JSON syntax error, from the position Node reports. */
const lineAndColumn = (text: string, error: Error): string => {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${Number(position) - before.lastIndexOf('\n')})`;
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
    throw new ConfigError(path, [{ path: '$', message: `not JSON: ${(error as Error).message}${lineAndColumn(text, error as Error)}` }]);
  }
  return parseConfig(raw, path);
};

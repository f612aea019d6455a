import { BudgetConfig } from '../domain/config.js';
import { configHash } from '../domain/hash.js';
import { type Issue, validate } from '../domain/issues.js';

/**
 * The config as a deployed function reads it: an already parsed object, validated against the schema and
 * hashed. What only a config file needs checking for (a repeated key, a schedule that never fires, its
 * size against the bundle budget) lives in `configFile.ts`, which `config:check`, `cdk synth` and `npm
 * start` run before a deploy; a function bundles this module only, and with it none of those checks' code
 * (croner, the duplicate-key scan).
 */

/** The operator config in the repository, relative to its root: what a deploy ships and local runs read. */
export const DEFAULT_CONFIG_PATH = 'config/budget.config.json';

/**
 * The config's file name beside a deployed function's code: `lib/budget-function.ts` copies the validated
 * file there, and the function reads it at a cold start, so the config is data the code reads, not code.
 */
export const DEPLOYED_CONFIG_FILE = 'budget.config.json';

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
 * becomes `portfolios[demo].alerts.rules[cpa-high]` wherever the element carries a string `id` no other
 * element of its list has.
 */
export const pathById = (raw: unknown, path: string): string => {
  let node: unknown = raw;
  return path.replace(/([^.[\]]+)|\[(\d+)\]/g, (token, key: string | undefined, index: string | undefined) => {
    if (key !== undefined) {
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      return token;
    }
    const list = Array.isArray(node) ? (node as unknown[]) : [];
    const element = list[Number(index)];
    node = element;
    const idOf = (item: unknown) => (item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined);
    const id = idOf(element);
    // An id two elements share names neither: the position does (the duplicate's own message names the other).
    const unique = list.filter((item) => idOf(item) === id).length === 1;
    return typeof id === 'string' && id !== '' && unique ? `[${id}]` : token;
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

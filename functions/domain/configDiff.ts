import type { BudgetConfig } from './config.js';

/** One difference between two configs, at a readable path such as `demo.channels.search.base`. */
export interface ConfigChange {
  readonly kind: 'added' | 'removed' | 'changed';
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasIds = (v: unknown): v is { id: string }[] => Array.isArray(v) && v.every((x) => isObject(x) && typeof x.id === 'string');

/** Arrays of things with ids (portfolios, channels, rules) are compared by id, not by position. */
const keyed = (v: unknown): unknown => (hasIds(v) ? new Map(v.map((x) => [x.id, x])) : v);

const walk = (before: unknown, after: unknown, path: string, out: ConfigChange[]): void => {
  const a = keyed(before);
  const b = keyed(after);
  if (a instanceof Map && b instanceof Map) {
    for (const [id, value] of a) if (!b.has(id)) out.push({ kind: 'removed', path: `${path}.${id}`, before: value });
    for (const [id, value] of b) {
      if (!a.has(id)) out.push({ kind: 'added', path: `${path}.${id}`, after: value });
      else walk(a.get(id), value, `${path}.${id}`, out);
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (key === 'id') continue;
      const at = path ? `${path}.${key}` : key;
      if (!(key in b)) out.push({ kind: 'removed', path: at, before: a[key] });
      else if (!(key in a)) out.push({ kind: 'added', path: at, after: b[key] });
      else walk(a[key], b[key], at, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ kind: 'changed', path, before, after });
};

/**
 * What a config change would change, field by field: budgets, bases, caps, rules, schedules. Portfolios,
 * channels and rules are matched by id, so reordering them is no change. Paths start at the portfolio id.
 */
export const diffConfigs = (before: BudgetConfig, after: BudgetConfig): ConfigChange[] => {
  const out: ConfigChange[] = [];
  walk(before.schedules, after.schedules, 'schedules', out);
  walk(before.portfolios, after.portfolios, '', out);
  return out.map((c) => ({ ...c, path: c.path.replace(/^\./, '') }));
};

const show = (v: unknown) => JSON.stringify(v);

/** The changes as lines for a terminal: `~ path: before → after`, `+ path: value`, `- path`. */
export const formatConfigChanges = (changes: readonly ConfigChange[]): string[] =>
  changes.map((c) =>
    c.kind === 'changed'
      ? `~ ${c.path}: ${show(c.before)} → ${show(c.after)}`
      : c.kind === 'added'
        ? `+ ${c.path}: ${show(c.after)}`
        : `- ${c.path}`,
  );

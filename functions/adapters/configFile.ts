import { readFileSync } from 'node:fs';
import { BudgetConfig } from '../domain/config.js';
import { isTimeZone } from '../domain/dates.js';
import { configHash } from '../domain/hash.js';
import { type Issue, validate } from '../domain/issues.js';
import { duplicateKeys } from '../domain/jsonKeys.js';
import { parseSchedule } from '../domain/schedule.js';
import { nextFiring } from '../domain/scheduleTimes.js';
import { ConfigError, type LoadedConfig, pathById } from './loadedConfig.js';

/**
 * The operator config file, checked before a deploy (`config:check`, `cdk synth`, `npm start`). A deployed
 * function bundles none of this module (tests/infra/bundler.test.ts): it reads the config its deploy
 * bundled through `loadedConfig.ts`, whose names this module passes on to the tools that load files.
 */
export { ConfigError, type LoadedConfig, parseConfig, pathById } from './loadedConfig.js';

/** The default location of the operator config, relative to the repository root. */
export const DEFAULT_CONFIG_PATH = 'config/budget.config.json';

/** " (line L, column C)" for a JSON syntax error, from the position Node reports. */
const lineAndColumn = (text: string, error: Error): string => {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${Number(position) - before.lastIndexOf('\n')})`;
};

/**
 * Every function bundle's size budget, the one figure `npm run bench -- --only bundles` (bench/bundles.ts)
 * and the config's size check hold bundles to: what module init may load before a cold start's first event.
 * 300 KB until every function carried Powertools Tracer: the X-Ray SDK under it (aws-xray-sdk-core and its
 * semver) adds about 100 KB to each bundle, measured by that bench, so the budget made room for it and no more.
 */
export const FUNCTION_BUNDLE_BUDGET_BYTES = 350 * 1024;

/**
 * What the code of the smallest function that bundles the config takes of that budget, rounded down: the
 * config has the rest. Measured with lib/bundler.ts: MetricsRead is 239.4 KB without its config, the
 * largest (ReallocateWorker) 344.2 KB; tests/unit/adapters/configBundleSize.test.ts keeps this figure at or
 * below what it measures, so a config this check accepts fits at least the smallest of them.
 */
export const SMALLEST_CODE_BYTES = 230 * 1024;

/** A size for people: `1.9 MB`, `121 KB`, `900 bytes`. */
export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;

/**
 * The config's share of a function bundle: esbuild writes it as an object literal, a little smaller than
 * its minified JSON (0.86 of it, measured on 1000 portfolios of 20 channels), which is the estimate.
 */
export const bundledConfigBytes = (raw: unknown): number => Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');

/** What the function bundle budget leaves the config. */
export const CONFIG_ROOM_BYTES = FUNCTION_BUNDLE_BUDGET_BYTES - SMALLEST_CODE_BYTES;

/** A config bigger than the function bundle budget leaves for it. */
const bundleSizeIssues = (raw: unknown): Issue[] => {
  const bytes = bundledConfigBytes(raw);
  const room = CONFIG_ROOM_BYTES;
  if (bytes <= room) return [];
  return [
    {
      path: '$',
      message:
        `the config is ${formatBytes(bytes)} bundled (its minified JSON); functions bundle it and their budget is ` +
        `${formatBytes(FUNCTION_BUNDLE_BUDGET_BYTES)}, of which their code takes at least ${formatBytes(SMALLEST_CODE_BYTES)}: ` +
        `keep it under ${formatBytes(room)}`,
    },
  ];
};

/** How far ahead a schedule must fire: a schedule silent that long is a mistake, not a plan. */
const FIRING_HORIZON_YEARS = 5;

/**
 * Schedules that never fire in the next five years (`cron(0 0 30 2 ? *)`, a year long past): EventBridge
 * accepts them and nothing ever runs. Read in `schedules.timezone`, as the Scheduler reads them; a malformed
 * expression or zone is left to the schema, which reports it.
 */
const silentScheduleIssues = (raw: unknown, now: Date): Issue[] => {
  const schedules = (raw as { schedules?: unknown } | null)?.schedules;
  if (schedules === null || typeof schedules !== 'object') return [];
  const { timezone = 'UTC' } = schedules as { timezone?: unknown };
  if (typeof timezone !== 'string' || !isTimeZone(timezone)) return [];
  const horizon = new Date(now);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + FIRING_HORIZON_YEARS);
  const issues: Issue[] = [];
  for (const name of ['reallocate', 'alerts'] as const) {
    const expression = (schedules as Record<string, unknown>)[name];
    if (typeof expression !== 'string') continue;
    let next: Date | null;
    try {
      next = nextFiring(parseSchedule(expression), now, timezone);
    } catch {
      continue;
    }
    if (next === null || next > horizon) {
      issues.push({
        path: `schedules.${name}`,
        message:
          `"${expression}" never fires in the next ${FIRING_HORIZON_YEARS} years (read in ${timezone}` +
          `${next ? `; its first run would be ${next.toISOString().slice(0, 10)}` : ''}), so nothing would run`,
      });
    }
  }
  return issues;
};

/**
 * Reads, parses and validates a config file: the schema, and what only shows once deployed (a key repeated
 * in one object, a schedule that never fires, a config too big for the function bundles). `config:check`,
 * `cdk synth` and `npm start` all load through here; `now` is when the schedules are checked from.
 */
export const loadConfigFile = (path: string = DEFAULT_CONFIG_PATH, now: Date = new Date()): LoadedConfig => {
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
  // JSON.parse keeps a repeated key's last value and drops the other without a word; which one did the operator mean?
  const repeated = duplicateKeys(text).map((at) => ({ path: at, message: 'this key appears twice in the same object: keep one' }));
  const result = validate(BudgetConfig, raw);
  const issues = [...repeated, ...(result.ok ? [] : result.issues), ...silentScheduleIssues(raw, now), ...bundleSizeIssues(raw)];
  if (issues.length > 0 || !result.ok)
    throw new ConfigError(
      path,
      issues.map((i) => ({ ...i, path: pathById(raw, i.path) })),
    );
  return { ...result.value, hash: configHash(result.value) };
};

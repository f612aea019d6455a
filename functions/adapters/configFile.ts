import { readFileSync } from 'node:fs';
import { groupIssues } from '../domain/allocation/groupChecks.js';
import { BudgetConfig, Portfolio } from '../domain/config.js';
import { accountIssues } from '../domain/connectors/accountChecks.js';
import { isTimeZone } from '../domain/dates.js';
import { configHash } from '../domain/hash.js';
import { type Issue, validate } from '../domain/issues.js';
import { duplicateKeys } from '../domain/jsonKeys.js';
import { parseSchedule } from '../domain/schedule.js';
import { nextFiring } from '../domain/scheduleTimes.js';
import { withoutBom } from '../domain/text.js';
import { ConfigError, DEFAULT_CONFIG_PATH, type LoadedConfig, pathById } from './loadedConfig.js';
import { utf8Problem } from './utf8.js';

/**
 * The operator config file, checked before a deploy (`config:check`, `cdk synth`, `npm start`). A deployed
 * function bundles none of this module (tests/infra/bundler.test.ts): it reads the config its deploy
 * bundled through `loadedConfig.ts`, whose names this module passes on to the tools that load files.
 */
export { ConfigError, DEFAULT_CONFIG_PATH, type LoadedConfig, parseConfig, pathById } from './loadedConfig.js';

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
 * and tests/infra/bundler.test.ts hold bundles to: what module init may load before a cold start's first
 * event. The config is not in it: it ships beside the code and is read as data (functions/wiring/config.ts).
 * 300 KB until every function carried Powertools Tracer: the X-Ray SDK under it (aws-xray-sdk-core and its
 * semver) adds about 100 KB to each bundle, measured by that bench, so the budget made room for it and no more.
 */
export const FUNCTION_BUNDLE_BUDGET_BYTES = 350 * 1024;

/** A size for people: `1.9 MB`, `121 KB`, `900 bytes`. */
export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;

/** The config's size as a deployed function reads it: its minified JSON. */
export const configBytes = (raw: unknown): number => Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');

/**
 * The largest config a function reads well at a cold start. Every function reads and validates the whole
 * file before its first event; measured on this 2-core machine (a fresh process, configs of 20-channel
 * portfolios): 0.12 MB in 46 ms, 0.47 MB in 93 ms, 0.93 MB in 161 ms, 2.3 MB in 299 ms, about 30 ms plus
 * 115 ms per MB. At 1 MB that doubles a cold start against the 150 ms init goal of the function bundles;
 * beyond it, every cold start of every function pays more for the config than for its own code.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** A config too big to read at every cold start. */
const sizeIssues = (raw: unknown): Issue[] => {
  const bytes = configBytes(raw);
  if (bytes <= MAX_CONFIG_BYTES) return [];
  return [
    {
      path: '$',
      message:
        `the config is ${formatBytes(bytes)} (its minified JSON); every function reads and validates it at each cold start, ` +
        `measured at about 30 ms plus 115 ms per MB: keep it under ${formatBytes(MAX_CONFIG_BYTES)}`,
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
  for (const name of ['reallocate', 'alerts', 'poll'] as const) {
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
 * What a portfolio's parts say together, for every portfolio that parses on its own, so they are listed in the
 * same pass as the schema's problems: accounts and campaigns that do not fit together
 * (functions/domain/connectors/accountChecks.ts), and channel groups no plan can satisfy together
 * (functions/domain/allocation/groupChecks.ts, which solves them). Checked here, before a deploy, rather than
 * in the schema every function validates at its cold start.
 */
const crossIssues = (raw: unknown, parsed: BudgetConfig | undefined): Issue[] => {
  const candidates = parsed?.portfolios ?? (raw as { portfolios?: unknown } | null)?.portfolios;
  if (!Array.isArray(candidates)) return [];
  return candidates.flatMap((portfolio: unknown, i) => {
    const checked = parsed ? { ok: true as const, value: portfolio as Portfolio } : validate(Portfolio, portfolio);
    return checked.ok ? [...accountIssues(checked.value, `portfolios[${i}]`), ...groupIssues(checked.value, `portfolios[${i}]`)] : [];
  });
};

/**
 * Reads, parses and validates a config file: the schema, and what only shows once deployed (a key repeated
 * in one object, a schedule that never fires, a config too big for the function bundles). `config:check`,
 * `cdk synth` and `npm start` all load through here; `now` is when the schedules are checked from.
 */
export const loadConfigFile = (path: string = DEFAULT_CONFIG_PATH, now: Date = new Date()): LoadedConfig => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError(path, [{ path: '$', message: `cannot read file: ${(error as Error).message}` }]);
  }
  // A file saved in Latin-1 read "Café" as "Caf\ufffd" and deployed it so; one saved with a byte-order mark
  // failed with an invisible "Unexpected token".
  const bad = utf8Problem(bytes);
  if (bad) {
    const line = bytes.subarray(0, bad.offset).toString('utf8').split('\n').length;
    throw new ConfigError(path, [
      {
        path: '$',
        message: `not UTF-8: byte 0x${bad.byte.toString(16)} at offset ${bad.offset} (line ${line}) ${bad.problem}; save the file as UTF-8`,
      },
    ]);
  }
  const text = withoutBom(bytes.toString('utf8'));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [{ path: '$', message: `not JSON: ${(error as Error).message}${lineAndColumn(text, error as Error)}` }]);
  }
  // JSON.parse keeps a repeated key's last value and drops the other without a word; which one did the operator mean?
  const repeated = duplicateKeys(text).map((at) => ({ path: at, message: 'this key appears twice in the same object: keep one' }));
  const result = validate(BudgetConfig, raw);
  const issues = [
    ...repeated,
    ...(result.ok ? [] : result.issues),
    ...crossIssues(raw, result.ok ? result.value : undefined),
    ...silentScheduleIssues(raw, now),
    ...sizeIssues(raw),
  ];
  if (issues.length > 0 || !result.ok)
    throw new ConfigError(
      path,
      issues.map((i) => ({ ...i, path: pathById(raw, i.path) })),
    );
  return { ...result.value, hash: configHash(result.value) };
};

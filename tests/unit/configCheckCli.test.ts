import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'config-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shippedText = readFileSync('config/budget.config.json', 'utf8');
/**
 * An invalid config: a repeated key, a schedule that never fires, more alert rules than one evaluation runs
 * in its timeout, and a negative budget.
 */
const invalid = (() => {
  const config = JSON.parse(shippedText);
  config.schedules.alerts = 'cron(0 0 30 2 ? *)';
  config.portfolios[0].budget.daily = -5;
  config.portfolios[0].alerts.rules = Array.from({ length: 70 }, (_, r) => ({ id: `r${r}`, metric: 'spend', op: '>', threshold: 1 }));
  return JSON.stringify(config, null, 2).replace('"currency": "USD"', '"currency": "USD", "currency": "EUR"');
})();

const node = (cwd: string, script: string, ...args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};
/** The problem lines of a refusal. */
const problems = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('  - '));

const EXPECTED = [
  expect.stringMatching(/^ {2}- portfolios\[demo\]\.currency: this key appears twice in the same object: keep one$/),
  expect.stringMatching(/^ {2}- portfolios\[demo\]\.budget\.daily: /),
  expect.stringMatching(
    /^ {2}- portfolios\[demo\]\.alerts\.rules: these rules judge 420 rule × channel pairs; one evaluation judges at most 400/,
  ),
  expect.stringMatching(/^ {2}- schedules\.alerts: "cron\(0 0 30 2 \? \*\)" never fires in the next 5 years/),
];

describe('config:check', () => {
  it('lists every problem of an invalid config with its path, exit 1, no stack trace', () => {
    const file = join(dir, 'invalid.json');
    writeFileSync(file, invalid);
    const result = node(process.cwd(), 'bin/config-check.ts', file);
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(`${file} is not a valid budget config:`);
    expect(problems(result.stderr)).toEqual(expect.arrayContaining(EXPECTED));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('npm start with an invalid config', () => {
  it("prints config:check's list, exit 1, no stack trace (the handlers used to throw it as they loaded)", () => {
    // A copy of the code beside an invalid config/budget.config.json: the handlers import the config relative to themselves.
    const copy = join(dir, 'repo');
    for (const part of ['bin', 'functions', 'lib', 'package.json', 'tsconfig.json']) cpSync(part, join(copy, part), { recursive: true });
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
    mkdirSync(join(copy, 'config'));
    writeFileSync(join(copy, 'config/budget.config.json'), invalid);
    const started = node(copy, 'bin/start.ts', '--in-memory');
    expect(started.status).toBe(1);
    expect(started.stdout).toBe('');
    expect(started.stderr).not.toMatch(/\n\s+at |ConfigError/);
    const checked = node(copy, 'bin/config-check.ts');
    expect(checked.status).toBe(1);
    expect(started.stderr).toBe(checked.stderr);
    expect(problems(started.stderr)).toEqual(expect.arrayContaining(EXPECTED));
  }, 90_000);
});

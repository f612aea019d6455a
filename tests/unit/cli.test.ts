import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progress } from '../../bin/progress.js';

const run = (script: string, ...args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

describe('command-line tools', () => {
  it.each([
    'bin/allocate.ts',
    'bin/backtest.ts',
    'bin/config-check.ts',
    'bin/sign.ts',
    'bin/import.ts',
    'bin/plan.ts',
    'bench/run.ts',
    'bench/load.ts',
  ])(
    '%s: --help prints usage and exits 0, --version prints the version, an unknown flag is one line and exit 2',
    (script) => {
      const help = run(script, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^npm (run|start)/);
      expect(run(script, '--version')).toMatchObject({ status: 0, stdout: '0.1.0\n' });
      const unknown = run(script, '--no-such-flag');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toBe('unknown option --no-such-flag (see --help)\n');
      // A repeated option is refused, not read as its last value.
      expect(run(script, '--help', '--help')).toEqual({
        status: 2,
        stdout: '',
        stderr: '--help is given more than once; give it once (see --help)\n',
      });
    },
    30_000,
  );

  it('traces a backtest day by day: a line a day whose spend and ratio are what the policy did', () => {
    const traced = run('bin/backtest.ts', '--scenario', 'scenarios/steady-four.json', '--policy', 'fixed-share', '--trace');
    expect(traced.status).toBe(0);
    const lines = traced.stdout.trim().split('\n');
    expect(lines[0]).toBe('day\tdate\tspend\toracleSpend\tratio\ttrueCpa\tpredictedOverTrue');
    const days = lines.slice(1, -3).map((line) => line.split('\t'));
    expect(days).toHaveLength(60);
    expect(days.map((d) => Number(d[0]))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Fixed shares spend the whole budget every day, and never beat the oracle.
    for (const d of days) {
      expect(Number(d[2])).toBeCloseTo(10_000, 2);
      expect(Number(d[4])).toBeLessThanOrEqual(1);
      expect(d[6]).toBe('');
    }
    expect(lines.at(-1)).toMatch(/ratio to oracle/);
  }, 30_000);

  it("backtests one of the table's seeds alone, names the seed it ran, and refuses one that is not a whole number", () => {
    const ran = (...seed: string[]) => run('bin/backtest.ts', '--scenario', 'scenarios/steady-four.json', '--policy', 'equal', ...seed);
    const own = ran();
    expect(own.stdout.split('\n')[0]).toBe('steady-four · equal · 60 days · seed 11');
    const second = ran('--seed', '1011');
    expect(second.stdout.split('\n')[0]).toBe('steady-four · equal · 60 days · seed 1011');
    // Another seed is other noise: the realized conversions differ.
    expect(second.stdout.split('\n')[2]).not.toBe(own.stdout.split('\n')[2]);
    for (const seed of ['1.5', '1e20', '', '0x10', '4294967296'])
      expect(ran('--seed', seed), seed).toMatchObject({
        status: 2,
        stderr: `--seed must be a whole number from 0 to 4294967295, not "${seed}"\n`,
      });
    expect(run('bin/backtest.ts', '--table', 'scenarios/steady-four.json', '--seed', '5')).toMatchObject({ status: 2 });
    // A value after a space that starts with a dash reads to parseArgs as a missing value: say how to write it.
    expect(ran('--seed', '-1')).toMatchObject({
      status: 2,
      stderr: '--seed needs a value; one that starts with "-" is written with "=", as in --seed=-1 (see --help)\n',
    });
  }, 30_000);

  it("backtest: a scenario whose portfolio a config would refuse names each problem at the scenario's path, exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    try {
      const channel = (id: string, base: number, max: number) => ({
        id,
        base,
        max,
        response: { type: 'exp', vmax: 100, scale: 500 },
        noise: { type: 'poisson' },
      });
      const file = join(dir, 'bad.json');
      writeFileSync(
        file,
        JSON.stringify({ name: 'bad', seed: 1, days: 5, dailyBudget: 1000, channels: [channel('a', 100, 50), channel('a', 0, 500)] }),
      );
      expect(run('bin/backtest.ts', '--scenario', file)).toEqual({
        status: 2,
        stdout: '',
        stderr: `${file} is not a valid scenario:\n  - channels[1].id: duplicate channel id "a" (also at index 0)\n  - channels[0].base: base 100 exceeds max 50\n`,
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  }, 30_000);

  it('config:check: a file it cannot read, checked or compared with, is one line and exit 2 (exit 1 is for a bad config)', () => {
    for (const args of [['/nonexistent.json'], ['--against', '/nonexistent.json']]) {
      expect(run('bin/config-check.ts', ...args), args.join(' ')).toMatchObject({
        status: 2,
        stderr: 'cannot read /nonexistent.json: ENOENT (see --help)\n',
      });
    }
  }, 30_000);

  it('allocate --snapshot: a --url that is not one is a usage error, exit 2', () => {
    expect(run('bin/allocate.ts', '--snapshot', 'x', '--url', 'notaurl')).toMatchObject({
      status: 2,
      stderr: '--url must be an http:// or https:// URL, not "notaurl" (see --help)\n',
    });
  }, 30_000);

  it('sign: a file it cannot read is one line and exit 2, not a stack trace', () => {
    for (const file of ['/nonexistent', 'tests']) {
      const missing = run('bin/sign.ts', file);
      expect(missing.status, file).toBe(2);
      expect(missing.stderr.trim().split('\n'), file).toEqual([expect.stringMatching(new RegExp(`^cannot read ${file}: E(NOENT|ISDIR)`))]);
      expect(missing.stdout, file).toBe('');
    }
  });

  it('sign: the command it prints passes a path and URL with spaces, quotes and $( ) to curl as one argument each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sign '));
    const file = join(dir, "it's $(touch pwned).json");
    writeFileSync(file, '{"records":[]}');
    const url = "http://localhost:1/a b'; touch pwned; '";
    const printed = run('bin/sign.ts', '--url', url, file);
    expect(printed.status).toBe(0);
    // Piped into sh as the README does, with a curl that prints its arguments one per line.
    const shell = spawnSync('sh', ['-c', `curl() { printf '%s\\n' "$@"; }; ${printed.stdout}`], { cwd: dir, encoding: 'utf8' });
    const args = shell.stdout.trim().split('\n');
    expect(args).toEqual([
      '-sS',
      '-X',
      'POST',
      `${url}/webhooks/generic`,
      '-H',
      'content-type: application/json',
      '-H',
      expect.stringMatching(/^x-signature: t=\d+,v1=[0-9a-f]{64}$/),
      '--data-binary',
      `@${file}`,
    ]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    rmSync(dir, { recursive: true });
    // A --url that is no http(s) URL would reach curl as an option (-o/tmp/x): refused like plan's.
    expect(run('bin/sign.ts', '--url=-o/tmp/x', file)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('--url must be an http://'),
    });
    expect(run('bin/sign.ts', '--source', 'bogus', file)).toMatchObject({
      status: 2,
      stderr: 'unknown source "bogus"; use one of generic, meta, google-ads, tiktok\n',
    });
  });

  it('plan: a --url that is no http(s) URL is a usage error (exit 2), not "no server answered"', () => {
    for (const url of ['notaurl', 'ftp://localhost:3000'])
      expect(run('bin/plan.ts', '--portfolio', 'demo', '--budget', '1', '--url', url)).toMatchObject({
        status: 2,
        stderr: expect.stringContaining(`--url must be an http:// or https:// URL, not "${url}"`),
      });
  });

  it('refuses a bench name it does not have, instead of silently running nothing', () => {
    const typo = run('bench/run.ts', '--only', 'alocator');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/no bench "alocator"/);
  });
});

describe('progress for long work', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream };
  };

  it('rewrites one line on a terminal and clears it at the end', () => {
    const { written, stream: tty } = stream(true);
    const report = progress(tty);
    report.step(1, 28, 'Seeding');
    report.step(2, 28, 'Seeding');
    report.end();
    expect(written).toEqual(['\r\x1b[2KSeeding: 1/28', '\r\x1b[2KSeeding: 2/28', '\r\x1b[2K']);
  });

  it('stays quiet when piped', () => {
    const { written, stream: pipe } = stream(false);
    const report = progress(pipe);
    report.step(1, 2, 'Backtesting');
    report.end();
    expect(written).toEqual([]);
  });
});

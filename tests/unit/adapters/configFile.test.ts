import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES } from '../../../functions/adapters/configFile.js';

const shippedText = readFileSync('config/budget.config.json', 'utf8');
const shipped = JSON.parse(shippedText);
const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** When the schedules are checked from in these tests. */
const NOW = new Date('2026-01-01T00:00:00Z');

let files = 0;
/** Loads `text` as a config file; the issues it is refused with (none when it loads). */
const issuesOf = (text: string | Buffer, now = NOW) => {
  files += 1;
  const file = join(dir, `config-${files}.json`);
  writeFileSync(file, text);
  try {
    loadConfigFile(file, now);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => ({ ...i }));
  }
};

/** The shipped config with its schedules replaced. */
const withSchedules = (schedules: Record<string, string>) =>
  JSON.stringify({ ...shipped, schedules: { ...shipped.schedules, ...schedules } });

describe('config file: what misbehaves once deployed', () => {
  it('loads the shipped config', () => {
    expect(issuesOf(shippedText)).toEqual([]);
  });

  it('loads a file saved with a byte-order mark, and refuses one not in UTF-8 at its byte and line', async () => {
    expect(issuesOf(`\uFEFF${shippedText}`)).toEqual([]);
    // The functions read the file the check passed: stripped only by the check, it failed every cold start.
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${shippedText}`);
    const before = process.env.BUDGET_CONFIG_FILE;
    process.env.BUDGET_CONFIG_FILE = file;
    try {
      vi.resetModules();
      const { deployedConfig } = await import('../../../functions/wiring/config.js');
      expect(deployedConfig.portfolios[0]!.id).toBe(shipped.portfolios[0].id);
    } finally {
      if (before === undefined) delete process.env.BUDGET_CONFIG_FILE;
      else process.env.BUDGET_CONFIG_FILE = before;
    }
    // "Café" saved in Latin-1: the é is one byte, 0xe9, which UTF-8 reads as the start of a three-byte sequence.
    const latin1 = Buffer.from(shippedText.replace('"name": "Demo', '"name": "Café Demo'), 'latin1');
    const line = shippedText.slice(0, shippedText.indexOf('"name": "Demo')).split('\n').length;
    expect(issuesOf(latin1)).toEqual([
      {
        path: '$',
        message: expect.stringMatching(new RegExp(`^not UTF-8: byte 0xe9 at offset \\d+ \\(line ${line}\\) .*; save the file as UTF-8$`)),
      },
    ]);
  });

  it('refuses every key repeated in one object, at its path by id, beside the schema problems', () => {
    const text = shippedText
      .replace('"daily": 10000', '"daily": 10000, "daily": 7000')
      .replace('"reallocate": "rate(1 hour)"', '"reallocate": "rate(1 hour)", "reallocate": "rate(2 hours)"')
      .replace('"currency": "USD"', '"currency": "usd"');
    expect(issuesOf(text)).toEqual([
      { path: 'schedules.reallocate', message: 'this key appears twice in the same object: keep one' },
      { path: 'portfolios[demo].budget.daily', message: 'this key appears twice in the same object: keep one' },
      { path: 'portfolios[demo].currency', message: expect.stringContaining('ISO 4217') },
    ]);
  });

  it('accepts the same key in different objects', () => {
    const twoObjects = JSON.stringify({ ...shipped, portfolios: [shipped.portfolios[0], { ...shipped.portfolios[0], id: 'other' }] });
    expect(issuesOf(twoObjects)).toEqual([]);
  });

  it.each([
    ['30 February', 'cron(0 0 30 2 ? *)'],
    ['31 April', 'cron(0 0 31 4 ? *)'],
    ['a year gone by', 'cron(0 0 1 1 ? 2020)'],
    ['a year more than five years away', 'cron(0 0 1 1 ? 2032)'],
  ])('refuses a schedule that never fires in the next five years: %s', (_, expression) => {
    expect(issuesOf(withSchedules({ alerts: expression }))).toEqual([
      {
        path: 'schedules.alerts',
        message: expect.stringMatching(/^".*" never fires in the next 5 years \(read in UTC.*\), so nothing would run$/),
      },
    ]);
  });

  it.each([
    ['every hour', 'rate(1 hour)'],
    ['29 February, every leap year', 'cron(0 0 29 2 ? *)'],
    ['the fifth Friday of a month', 'cron(0 0 ? * 6#5 *)'],
    ['once, within five years', 'cron(0 0 1 1 ? 2030)'],
  ])('accepts a schedule that fires: %s', (_, expression) => {
    expect(issuesOf(withSchedules({ reallocate: expression }))).toEqual([]);
  });

  it('reads a cron in schedules.timezone: midnight on 1 January five years on is inside the horizon in UTC, after it in New York', () => {
    const expression = 'cron(0 0 1 1 ? 2031)';
    expect(issuesOf(withSchedules({ reallocate: expression, timezone: 'UTC' }))).toEqual([]);
    expect(issuesOf(withSchedules({ reallocate: expression, timezone: 'America/New_York' }))).toEqual([
      { path: 'schedules.reallocate', message: expect.stringContaining('read in America/New_York; its first run would be 2031-01-01') },
    ]);
  });

  it('refuses a config too big to read at every cold start, with its measured size and the limit', () => {
    const demo = shipped.portfolios[0];
    const many = {
      ...shipped,
      portfolios: Array.from({ length: 1000 }, (_, p) => ({
        ...demo,
        id: `p${p}`,
        groups: [],
        alerts: { rules: [] },
        carbon: undefined,
        channels: Array.from({ length: 20 }, (_, c) => ({ id: `c${c}`, platform: 'generic', base: 10, max: 5000 })),
      })),
    };
    const text = JSON.stringify(many, null, 2);
    const megabytes = (Buffer.byteLength(JSON.stringify(many)) / 1024 / 1024).toFixed(1);
    expect(issuesOf(text)).toEqual([
      {
        path: '$',
        message: `the config is ${megabytes} MB (its minified JSON); every function reads and validates it at each cold start, measured at about 30 ms plus 115 ms per MB: keep it under 1.0 MB`,
      },
    ]);
  });

  it('accepts a config of exactly the limit, and refuses one a byte over it', () => {
    /** The shipped config padded (with a `$schema` string) to `bytes` of minified JSON. */
    const sized = (bytes: number) => {
      const base = JSON.stringify({ ...shipped, $schema: '' });
      return JSON.stringify({ ...shipped, $schema: 'x'.repeat(bytes - Buffer.byteLength(base)) });
    };
    expect(issuesOf(sized(MAX_CONFIG_BYTES))).toEqual([]);
    expect(issuesOf(sized(MAX_CONFIG_BYTES + 1)).map((i) => i.path)).toEqual(['$']);
  });

  it('accepts a portfolio of 5,000 channels, the most the schema allows, which storage holds too', () => {
    const channels = Array.from({ length: 5000 }, (_, c) => ({ id: `channel-${c}`, platform: 'generic', base: 0, max: 5000 }));
    const big = { ...shipped, portfolios: [{ ...shipped.portfolios[0], groups: [], alerts: { rules: [] }, carbon: undefined, channels }] };
    expect(issuesOf(JSON.stringify(big))).toEqual([]);
  });

  it('refuses groups no plan can satisfy together, though each holds alone, naming the shares that give way', () => {
    // Search alone must take 60% of the allocatable 8,500 (5,100), and search with social at most 50% (4,250).
    const portfolio = structuredClone(shipped.portfolios[0]);
    portfolio.channels[0].max = 9000;
    portfolio.groups = [
      { id: 'search-first', channels: ['search'], minShare: 0.6 },
      { id: 'paid', channels: ['search', 'social'], maxShare: 0.5 },
    ];
    const issues = issuesOf(JSON.stringify({ ...shipped, portfolios: [portfolio] }));
    expect(issues.map((i) => i.path)).toEqual(['portfolios[demo].groups[search-first].minShare', 'portfolios[demo].groups[paid].maxShare']);
    expect(issues[0]!.message).toBe(
      "at least 5,100.00 of the allocatable 8,500.00 cannot hold together with group paid's maxShare (at most 4,250.00): the channels' bases and maxes leave no plan that meets them all",
    );
    expect(issues[1]!.message).toMatch(/^at most 4,250\.00 .* with group search-first's minShare \(at least 5,100\.00\)/);
  });

  it('names only the groups that conflict, not a third that holds with either', () => {
    const portfolio = structuredClone(shipped.portfolios[0]);
    portfolio.channels[0].max = 9000;
    portfolio.groups = [
      { id: 'upper', channels: ['video', 'podcast'], minShare: 0.2 },
      { id: 'search-first', channels: ['search'], minShare: 0.6 },
      { id: 'paid', channels: ['search', 'social'], maxShare: 0.5 },
    ];
    const issues = issuesOf(JSON.stringify({ ...shipped, portfolios: [portfolio] }));
    expect(issues.map((i) => i.path)).toEqual(['portfolios[demo].groups[search-first].minShare', 'portfolios[demo].groups[paid].maxShare']);
  });

  it('accepts groups that hold together at the edge: one channel meeting two minimums, a maximum met exactly', () => {
    const portfolio = structuredClone(shipped.portfolios[0]);
    portfolio.channels[0].max = 9000;
    portfolio.groups = [
      { id: 'search-first', channels: ['search'], minShare: 0.5 },
      { id: 'paid', channels: ['search', 'social'], minShare: 0.7, maxShare: 0.7 },
    ];
    expect(issuesOf(JSON.stringify({ ...shipped, portfolios: [portfolio] }))).toEqual([]);
  });
});

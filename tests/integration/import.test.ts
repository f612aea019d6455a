import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../bin/local/historyCsv.js';
import { importHistory } from '../../bin/local/importHistory.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

const directory = mkdtempSync(join(tmpdir(), 'import-'));
const csvFile = (name: string, text: string) => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};

/** Sends a CSV's text as `npm run import` does, against the test runtime. */
const importText = async (text: string, portfolioId = 'demo') => {
  const history = readHistory(text);
  return importHistory(
    { baseUrl: runtime.url, secret: LOCAL_DEV_SECRET, portfolioId, fileText: text, lines: history.lines },
    history.refused,
  );
};

/** Runs the CLI in a child process (asynchronously: the server it talks to lives in this process). */
const runCli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'bin/import.ts', ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });

const day = (offset: number) => new Date(Date.UTC(2022, 0, 1 + offset)).toISOString().slice(0, 10);

/** 1,200 days of search and social in 2022–2025, two deliveries' worth, with a bad line and an unknown channel. */
const history = [
  'channelId,date,spend,conversions,revenue,clicks',
  ...Array.from({ length: 600 }, (_, d) => [
    `search,${day(d)},${100 + (d % 50)}.25,${d % 9},${(d % 9) * 80},${d}`,
    `social,${day(d)},80,${d % 4},,`,
  ]).flat(),
  'search,2022-13-01,10,1,,',
  'tv,2022-01-01,10,1,,',
].join('\r\n');

describe('npm run import: backfilling history through the generic webhook', () => {
  it('stores every good line of a first import, in chunks, and names each refused line with its reason', async () => {
    const summary = await importText(history);
    expect(summary).toMatchObject({ accepted: 1200, duplicates: 0, stale: 0 });
    expect(summary.refused).toEqual([
      { line: 1202, reason: 'date "2022-13-01" is not a calendar date YYYY-MM-DD' },
      { line: 1203, reason: expect.stringMatching(/^channelId: unknown channel "tv" in portfolio "demo"/) },
    ]);
    const stored = (await runtime.get('/portfolios/demo/metrics?channel=search&from=2022-01-01&to=2022-01-03')).body.metrics;
    expect(stored.map((m: { spend: number }) => m.spend)).toEqual([100.25, 101.25, 102.25]);
  });

  it('counts the same file imported again as duplicates, without counting anything twice', async () => {
    const summary = await importText(history);
    expect(summary).toMatchObject({ accepted: 0, duplicates: 1200, stale: 0 });
    const stored = (await runtime.get('/portfolios/demo/metrics?channel=search&from=2022-01-01&to=2022-01-01')).body.metrics;
    expect(stored).toMatchObject([{ spend: 100.25, conversions: 0 }]);
  });

  it('applies a restated row with a higher revision and counts one without it as stale', async () => {
    const restated = ['channelId,date,revision,spend,conversions', 'search,2022-01-02,1,150,12', 'social,2022-01-02,,95,7'].join('\n');
    const summary = await importText(restated);
    expect(summary).toMatchObject({ accepted: 1, duplicates: 0, stale: 1, refused: [] });
    const search = (await runtime.get('/portfolios/demo/metrics?channel=search&from=2022-01-02&to=2022-01-02')).body.metrics;
    const social = (await runtime.get('/portfolios/demo/metrics?channel=social&from=2022-01-02&to=2022-01-02')).body.metrics;
    expect(search).toMatchObject([{ spend: 150, conversions: 12 }]);
    expect(social).toMatchObject([{ spend: 80, conversions: 1 }]);
    expect(await importText(restated)).toMatchObject({ accepted: 0, duplicates: 1, stale: 1 });
  });

  it('names the line a refused one conflicts with by its line in the file, not its place in the delivery', async () => {
    const text = ['channelId,date,spend,conversions', 'search,2021-06-01,10,1', 'social,2021-06-01,10,1', 'search,2021-06-01,12,1'].join(
      '\n',
    );
    const summary = await importText(text);
    expect(summary).toMatchObject({ accepted: 2 });
    expect(summary.refused).toEqual([{ line: 4, reason: 'same channel, date, hour and revision as line 2 but different values' }]);
  });

  it('the CLI prints the summary with refused line numbers and exits 1, or exits 2 on a usage error', async () => {
    const file = csvFile('some-bad.csv', 'channelId,date,spend,conversions\nsearch,2019-06-01,10,1\nsearch,2019-06-02,-3,1\n');
    const someBad = await runCli('--portfolio', 'demo', '--url', runtime.url, file);
    expect(someBad.status).toBe(1);
    expect(someBad.stdout).toMatch(/accepted +1\n/);
    expect(someBad.stdout).toMatch(/line 3: spend "-3" is not a number ≥ 0/);
    expect(someBad.stderr).toMatch(/1 line was refused/);

    const good = csvFile('good.csv', 'channelId,date,spend,conversions\nsearch,2019-06-01,10,1\n');
    expect(await runCli('--portfolio', 'demo', '--url', runtime.url, good)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/duplicates +1\n/),
    });

    const unknownPortfolio = await runCli('--portfolio', 'nope', '--url', runtime.url, good);
    expect(unknownPortfolio).toMatchObject({ status: 2, stderr: `unknown portfolio "nope" on ${runtime.url}\n` });

    const noColumn = await runCli('--portfolio', 'demo', '--url', runtime.url, csvFile('no-column.csv', 'channelId,date,spend\n'));
    expect(noColumn.status).toBe(2);
    expect(noColumn.stderr.trim().split('\n')).toEqual([expect.stringMatching(/the header lacks conversions/)]);

    const missing = await runCli('--portfolio', 'demo', join(directory, 'absent.csv'));
    expect(missing).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot read .*absent\.csv: ENOENT/) });
  }, 60_000);
});

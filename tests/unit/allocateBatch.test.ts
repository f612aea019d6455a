import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoChannelInput } from '../support/cliInput.js';

const dir = mkdtempSync(join(tmpdir(), 'allocate-batch-'));
const CLI = ['--import', 'tsx', 'bin/allocate.ts'];

const input = twoChannelInput;

/** The inputs compared, each as the text a file, a request body or a line would hold. */
const CASES: Record<string, string> = {
  valid: JSON.stringify(input()),
  'another seed and budget': JSON.stringify({ ...input(), seed: 7, portfolio: { ...input().portfolio, budget: { daily: 1300 } } }),
  'held (stale data)': JSON.stringify({ ...input(), asOf: '2026-12-29' }),
  'duplicate channel-day': JSON.stringify({ ...input(), history: [...input().history, input().history[3]] }),
  'unknown stop-loss and a missing asOf': JSON.stringify({ ...input(), stopLoss: ['tv'], asOf: undefined }),
  'infinite previous total': JSON.stringify(input()).replace('"total":400', '"total":1e999'),
  'not JSON': '{"portfolio": ',
  'a repeated key': JSON.stringify(input()).replace('{', '{"asOf":"2026-11-01",'),
};

/** What `npm run allocate -- --input FILE` does with each case, run once per case as a script would. */
const single: Record<string, { status: number | null; stdout: string; stderr: string; file: string }> = {};

/**
 * `solver.ms` is how long the solve took, measured anew by every run (two single calls differ in it too);
 * it is the one field normalized before the byte-for-byte comparison. Exactly one is printed.
 */
const withoutTiming = (text: string) => {
  expect(text.match(/"ms":/g) ?? []).toHaveLength(1);
  return text.replace(/"ms": ?[-+.e\d]+/, '"ms": 0');
};

/** The CLI's refusal text for `source`, rebuilt from a batch answer's `{ error }`. */
const asPrinted = (error: { message: string; issues: { path: string; message: string }[] }) =>
  `${error.message}:\n${error.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}\n`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the batch server, with full control over the method, headers and body. */
const send = (
  url: string,
  { method = 'POST', body = '', headers = {} }: { method?: string; body?: string | Buffer; headers?: Record<string, string> },
) =>
  new Promise<Reply>((done, fail) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });

let server: ChildProcess;
let url = '';

beforeAll(async () => {
  for (const [name, text] of Object.entries(CASES)) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    const result = spawnSync(process.execPath, [...CLI, '--input', file], { encoding: 'utf8' });
    single[name] = { status: result.status, stdout: result.stdout, stderr: result.stderr, file };
  }
  server = spawn(process.execPath, [...CLI, '--serve', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [first] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
  url = first;
}, 120_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run allocate -- --serve answers each input exactly as a single call prints it', () => {
  it('prints the URL it listens on, on loopback, as its first line', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers every case, in turn and again, with the single call: the Allocation byte for byte, a refusal as 400 with its message and paths', async () => {
    const names = Object.keys(CASES);
    // Twice through, the second time backwards: nothing one answer leaves behind changes the next one.
    for (const name of [...names, ...[...names].reverse()]) {
      const cli = single[name]!;
      const reply = await send(url, { body: CASES[name]! });
      if (cli.status === 0) {
        expect(reply.status, name).toBe(200);
        expect(reply.headers['content-type']).toMatch(/^application\/json/);
        expect(withoutTiming(reply.body), name).toBe(withoutTiming(cli.stdout));
      } else {
        expect(cli.status, name).toBe(2);
        expect(reply.status, name).toBe(400);
        const { error } = JSON.parse(reply.body);
        expect(asPrinted(error), name).toBe(cli.stderr.replace(cli.file, 'the request body'));
      }
    }
  }, 60_000);

  it('covers a valid, a held and refused inputs (the comparison above is not vacuous)', () => {
    expect(JSON.parse(single.valid!.stdout).status).toBe('optimal');
    expect(JSON.parse(single['held (stale data)']!.stdout).status).toBe('held');
    expect(single['duplicate channel-day']!.stderr).toMatch(/^ {2}- history\[56\]: channel "b" on 2026-10-02 is already at history\[3\]$/m);
    expect(single['not JSON']!.stderr).toMatch(/ is not JSON:\n {2}- \$: /);
    expect(single['a repeated key']!.stderr).toMatch(/ repeats a key:\n {2}- asOf: this key appears more than once in its object\n$/);
  });

  it('takes POST /allocate too, with the same answer', async () => {
    const reply = await send(`${url}allocate`, { body: CASES.valid! });
    expect(withoutTiming(reply.body)).toBe(withoutTiming(single.valid!.stdout));
  }, 30_000);

  it('refuses what is not an allocation request: another method 405, another path 404, another host 403, a body over 50 MB 413', async () => {
    const get = await send(url, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(JSON.parse(get.body).error.code).toBe('method-not-allowed');
    expect((await send(`${url}plan`, { body: CASES.valid! })).status).toBe(404);
    // A web page reaching the port through a name of its own (DNS rebinding) sends that name as Host.
    const rebound = await send(url, { body: CASES.valid!, headers: { host: 'attacker.example' } });
    expect(rebound.status).toBe(403);
    // A web page posting text/plain across sites (no preflight) names itself in Origin.
    const page = await send(url, { body: CASES.valid!, headers: { origin: 'https://attacker.example', 'content-type': 'text/plain' } });
    expect([page.status, JSON.parse(page.body).error.code]).toEqual([403, 'forbidden-origin']);
    // A gzip body is named as such, not read as malformed JSON.
    const gzipped = await send(url, { body: gzipSync(CASES.valid!), headers: { 'content-encoding': 'gzip' } });
    expect([gzipped.status, JSON.parse(gzipped.body).error.issues[0].path]).toEqual([415, 'Content-Encoding']);
    const huge = await send(url, { body: Buffer.alloc(50 * 1024 * 1024 + 1, 32) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('too-large');
    // And it still answers afterwards.
    expect((await send(url, { body: CASES.valid! })).status).toBe(200);
  }, 60_000);

  it('stops on SIGTERM with exit 0', async () => {
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    expect(code).toBe(0);
  }, 30_000);

  it('refuses to listen on anything but loopback, exit 2 in one line', () => {
    const result = spawnSync(process.execPath, [...CLI, '--serve', '0.0.0.0:0'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['--serve listens on 127.0.0.1 only, not on "0.0.0.0" (see --help)']);
  }, 30_000);
});

describe('npm run allocate -- --ndjson answers each line exactly as a single call prints it', () => {
  it('writes one answer per input line, in order: the Allocation on one line, a refusal as {"error"} with its message and paths', () => {
    const names = Object.keys(CASES);
    const lines = [...names, 'valid'].map((name) => CASES[name]!);
    const result = spawnSync(process.execPath, [...CLI, '--ndjson'], { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
    expect(result.status).toBe(0);
    const answers = result.stdout.split('\n');
    expect(answers.pop()).toBe('');
    expect(answers).toHaveLength(lines.length);
    for (const [i, name] of [...names, 'valid'].entries()) {
      const cli = single[name]!;
      if (cli.status === 0) {
        expect(withoutTiming(answers[i]!), name).toBe(withoutTiming(JSON.stringify(JSON.parse(cli.stdout))));
      } else {
        const { error } = JSON.parse(answers[i]!);
        expect(asPrinted(error), name).toBe(cli.stderr.replace(cli.file, `line ${i + 1}`));
      }
    }
  }, 60_000);
});

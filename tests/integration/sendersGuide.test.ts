import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDelivery } from '../../bin/local/webhookClient.js';
import { signatureHeader } from '../../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

/** The guide's fenced blocks tagged `source=<source>` (payloads) or `sign=<language>` (signing snippets). */
const blocks = (tag: 'source' | 'sign') =>
  [...readFileSync('docs/senders-guide.md', 'utf8').matchAll(/```\w+ (source|sign)=([\w-]+)\n([\s\S]*?)```/g)]
    .filter(([, kind]) => kind === tag)
    .map(([, , name, code]) => ({ name: name!, code: code! }));

/** How each signing snippet runs: its file name and command. */
const RUNNERS: Record<string, { file: string; command: string }> = {
  node: { file: 'sign.cjs', command: 'node' },
  python: { file: 'sign.py', command: 'python3' },
  openssl: { file: 'sign.sh', command: 'bash' },
};

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

describe("the sender's guide (docs/senders-guide.md)", () => {
  it('has a payload for every source, and each one is accepted as written', async () => {
    const payloads = blocks('source');
    expect(payloads.map((p) => p.name).sort()).toEqual(['generic', 'google-ads', 'meta', 'tiktok']);
    for (const { name, code } of payloads) {
      const answer = await postDelivery(runtime.url, name, code, LOCAL_DEV_SECRET);
      expect(answer, name).toEqual({ status: 202, body: { accepted: 1, duplicates: 0, stale: 0 } });
    }
  });

  it('signs exactly as the receiver verifies, in Node, Python and openssl, and the header is accepted', async () => {
    const snippets = blocks('sign');
    expect(snippets.map((s) => s.name)).toEqual(['node', 'python', 'openssl']);
    const dir = mkdtempSync(join(tmpdir(), 'senders-guide-'));
    const body = `${JSON.stringify({ portfolioId: 'demo', deliveryId: 'guide-signing', records: [{ channelId: 'podcast', date: '2025-07-02', spend: 12.5, conversions: 1, revision: 1 }] })}\n`;
    writeFileSync(join(dir, 'body.json'), body);
    const timestamp = Math.floor(Date.now() / 1000);
    const expected = signatureHeader([LOCAL_DEV_SECRET], body, timestamp);
    for (const { name, code } of snippets) {
      const runner = RUNNERS[name]!;
      writeFileSync(join(dir, runner.file), code);
      const printed = execFileSync(runner.command, [runner.file], {
        cwd: dir,
        env: { ...process.env, WEBHOOK_SECRET: LOCAL_DEV_SECRET, TIMESTAMP: String(timestamp) },
        encoding: 'utf8',
      }).trim();
      expect(printed, name).toBe(expected);
    }
    const response = await fetch(`${runtime.url}/webhooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': expected },
      body,
    });
    expect(response.status).toBe(202);
  });
});

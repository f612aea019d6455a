import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const folder = mkdtempSync(join(tmpdir(), 'sign-'));
const file = join(folder, 'delivery.json');
writeFileSync(file, '{"portfolioId":"demo","records":[]}');
/** Where a running npm start would record itself: a file of this test's, so a developer's own server does not count. */
const serverFile = join(folder, 'server.json');

/** `npm run sign` with the environment npm start would have: PORT set, or not. */
const sign = (port: string | undefined, ...args: string[]) => {
  const { PORT: _, ...env } = process.env;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/sign.ts', ...args, file], {
    encoding: 'utf8',
    env: { ...env, LOCAL_SERVER_FILE: serverFile, ...(port === undefined ? {} : { PORT: port }) },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

describe('npm run sign', () => {
  it('targets the port npm start listens on: PORT, else 3000', () => {
    expect(sign('4123')).toMatchObject({ status: 0, stdout: expect.stringContaining("'http://localhost:4123/webhooks/generic'") });
    expect(sign(undefined).stdout).toContain("'http://localhost:3000/webhooks/generic'");
    expect(sign('4123', '--url', 'http://127.0.0.1:9000').stdout).toContain("'http://127.0.0.1:9000/webhooks/generic'");
  }, 30_000);

  it('targets the npm start that is running, from another terminal without PORT, and forgets one that stopped', () => {
    writeFileSync(serverFile, JSON.stringify({ url: 'http://localhost:4555', pid: process.pid }));
    expect(sign(undefined)).toMatchObject({
      stdout: expect.stringContaining("'http://localhost:4555/webhooks/generic'"),
      stderr: expect.stringContaining(`the npm start running as process ${process.pid}`),
    });
    expect(sign('4123').stdout).toContain("'http://localhost:4123/webhooks/generic'");
    // A process id no process has: the server that wrote it is gone.
    writeFileSync(serverFile, JSON.stringify({ url: 'http://localhost:4555', pid: 2 ** 22 + 17 }));
    expect(sign(undefined).stdout).toContain("'http://localhost:3000/webhooks/generic'");
    rmSync(serverFile);
  }, 30_000);

  it('says which server it targets and why, on stderr, so a second terminal without PORT is not a silent miss', () => {
    const unset = sign(undefined);
    expect(unset.stderr).toMatch(/http:\/\/localhost:3000.*PORT unset/);
    expect(unset.stdout.trim().split('\n')).toHaveLength(1);
    expect(sign('4123').stderr).toMatch(/http:\/\/localhost:4123, from PORT/);
    expect(sign('4123', '--url', 'http://127.0.0.1:9000').stderr).toBe('');
  }, 30_000);
});

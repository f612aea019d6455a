import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLocalApi } from '../../../bin/local/httpServer.js';

describe('local HTTP server', () => {
  it('logs one structured line per request, without the query (which can carry the local token)', async () => {
    const lines: string[] = [];
    const server = createLocalApi({
      apiToken: 'secret-token',
      localRoutes: [(url) => (url.pathname === '/ping' ? { status: 200, body: '{}' } : undefined)],
      log: (line) => lines.push(line),
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await (await fetch(`http://127.0.0.1:${port}/ping?token=secret-token`)).text();
    await (await fetch(`http://127.0.0.1:${port}/nowhere`)).text();
    await new Promise<void>((done) => server.close(() => done()));
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e.method, e.path, e.status])).toEqual([
      ['GET', '/ping', 200],
      ['GET', '/nowhere', 404],
    ]);
    expect(lines.join('\n')).not.toContain('secret-token');
  });
});

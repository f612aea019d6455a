import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Issue } from '../functions/domain/issues.js';
import { answerAllocation, printedAllocation } from './allocateAnswer.js';

/**
 * The largest body `--serve` reads. A 1000-channel input with 42 days of history and revisions is about
 * 10 MB; five times that is no allocation anyone sends, and a process asked for more should not buffer it.
 */
export const MAX_BODY_BYTES = 50 * 1024 * 1024;

const TOO_LARGE = `the request body is over the ${MAX_BODY_BYTES / 1024 / 1024} MB an allocation input may be`;

/** The names that reach this machine's loopback. The server binds 127.0.0.1 and answers requests for these only. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Whether `host` (as typed after `--serve`, or from a Host header) is this machine's loopback. */
export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host.toLowerCase());

const send = (response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(body);
};

/** An error in the shape of every HTTP error of this project (docs/http-api.md). */
const sendError = (response: ServerResponse, status: number, code: string, message: string, issues: readonly Issue[] = [], headers = {}) =>
  send(response, status, `${JSON.stringify({ error: { code, message, issues } })}\n`, headers);

/** The request's body, or null as soon as it passes `MAX_BODY_BYTES`. */
const readBody = (request: IncomingMessage): Promise<string | null> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // Answer 413 now; the rest is discarded until the connection closes after the answer.
      request.off('data', onData);
      request.resume();
      done(null);
    };
    request.on('data', onData);
    request.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    request.on('error', fail);
  });

/** The Host header without its port (`[::1]:8080` → `::1`). */
const hostOf = (request: IncomingMessage): string => (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/**
 * One request: `POST /` or `POST /allocate` with an AllocationInput as the body answers 200 with exactly what
 * `npm run allocate -- --input` prints for it; a refusal is 400 with the CLI's message and paths.
 */
const handle = async (request: IncomingMessage, response: ServerResponse) => {
  // A web page could reach a loopback port through a DNS name of its own (DNS rebinding): it names itself.
  if (!isLoopback(hostOf(request)))
    return sendError(response, 403, 'forbidden-host', `the allocate server answers requests for 127.0.0.1 or localhost only`);
  // A browser names the page that sends a cross-site POST; scripts and the CLI's callers send no Origin.
  if (request.headers.origin !== undefined)
    return sendError(response, 403, 'forbidden-origin', 'the allocate server answers scripts on this machine, not web pages');
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  if (path !== '/' && path !== '/allocate') return sendError(response, 404, 'not-found', `no route ${path}; POST an AllocationInput to /`);
  if (request.method !== 'POST')
    return sendError(response, 405, 'method-not-allowed', `${request.method} is not allowed; POST an AllocationInput`, [], {
      allow: 'POST',
    });
  // A compressed body is not the JSON it would be read as: say so, as the API does, instead of a parse error.
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    const message = `send the body uncompressed (Content-Encoding: identity), not ${encoding}`;
    return sendError(response, 415, 'unsupported-encoding', message, [{ path: 'Content-Encoding', message }], { connection: 'close' });
  }
  const body = await readBody(request);
  if (body === null) return sendError(response, 413, 'too-large', TOO_LARGE, [], { connection: 'close' });
  const answer = answerAllocation(body, 'the request body');
  if (answer.ok) return send(response, 200, printedAllocation(answer.allocation));
  const { code, message, issues } = answer.refusal;
  return sendError(response, 400, code, message, issues);
};

/** A running `--serve`: its URL, and `close()`, which stops it once the requests in flight are answered. */
export interface AllocateServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Starts the batch server on 127.0.0.1 (`port` 0 picks a free one). One process answers every request, so
 * each pays the allocator's start-up (tsx, zod, the solver) once rather than once per input.
 */
export const startAllocateServer = async (port: number): Promise<AllocateServer> => {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error(`allocate server: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
      if (!response.headersSent) sendError(response, 500, 'internal', 'the allocate server failed on this request');
      else response.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      }),
  };
};

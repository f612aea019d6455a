import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fakes read it: the method, the path, the query, the headers and the body as text. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A fake's answer; JSON unless `text` is given. */
export interface FakeResponse {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** A running fake: its base URL (`http://127.0.0.1:<port>`) and how to stop it. */
export interface RunningFake {
  readonly url: string;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    request.on('error', fail);
  });

/**
 * Serves a fake platform on the loopback interface (port 0: any free port). A handler that throws answers
 * 500 with the message, as a platform's own outage would look to a client: the fakes test clients, so
 * their own bugs must show, not hang.
 */
export const serveFake = async (handler: FakeHandler, port = 0): Promise<RunningFake> => {
  const server: Server = createServer(async (request, response) => {
    let answer: FakeResponse;
    try {
      const url = new URL(request.url ?? '/', 'http://fake');
      const body = await readBody(request);
      answer = await handler({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
      });
    } catch (error) {
      answer = { status: 500, json: { error: { message: (error as Error).message } } };
    }
    const type = answer.text === undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    response.writeHead(answer.status, { 'content-type': type, ...answer.headers });
    response.end(answer.text ?? JSON.stringify(answer.json ?? {}));
  });
  await new Promise<void>((ready) => server.listen(port, '127.0.0.1', ready));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
};

/** Parses a JSON body, or a form body (`a=1&b=2`) as Meta accepts both; empty → {}. */
export const bodyFields = (request: FakeRequest): Record<string, unknown> => {
  if (request.body.trim() === '') return {};
  const type = String(request.headers['content-type'] ?? '');
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(request.body));
  return JSON.parse(request.body) as Record<string, unknown>;
};

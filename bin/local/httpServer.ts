import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorBody, SECURITY_HEADERS } from '../../functions/adapters/http.js';
import { ROUTES, type RouteDefinition } from '../../lib/api.js';
import { matchRoute, toApiGatewayEvent } from './apiGateway.js';
import { invoke } from './handlers.js';

/** What API Gateway caps a request body at; the handlers enforce their own, smaller limits. */
const GATEWAY_BODY_LIMIT = 10 * 1024 * 1024;

/** Extra local-only routes (such as `/_local/events`), answered before the API routes. */
export type LocalRoute = (
  url: URL,
  request: IncomingMessage,
) => { status: number; type?: string; headers?: Record<string, string>; body: string } | undefined;

export interface LocalApiOptions {
  /** The bearer token that stands in for IAM auth locally. */
  readonly apiToken: string;
  readonly localRoutes?: readonly LocalRoute[];
  /** Where one structured line per request goes (`npm start`: stdout); none by default, so tests stay quiet. */
  readonly log?: (line: string) => void;
}

/** What every local answer carries unless it says otherwise, as the functions' answers do (`secured`). */
const DEFAULT_HEADERS = { 'cache-control': 'no-store', ...SECURITY_HEADERS } as const;

const send = (response: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string) => {
  response.writeHead(status, { ...DEFAULT_HEADERS, ...headers });
  response.end(body);
};

/**
 * The base URL a request's Host header names, or undefined when it names none: a Host the URL parser
 * refuses (`a b`, `[`), or one carrying a path, query, fragment or user (`h/x`, `u@h`), is the sender's
 * mistake, answered 400 as API Gateway would, never a 500.
 */
const hostBase = (host: string | undefined): URL | undefined => {
  try {
    const base = new URL(`http://${host ?? 'localhost'}`);
    return base.pathname === '/' && !base.search && !base.hash && !base.username && !base.password ? base : undefined;
  } catch {
    return undefined;
  }
};

/** An error in the API's JSON shape, naming `path` (a header, say) when one thing of the request is at fault. */
const sendError = (response: ServerResponse, status: number, code: string, message: string, path?: string) =>
  send(
    response,
    status,
    { 'content-type': 'application/json; charset=utf-8' },
    JSON.stringify(errorBody(code, message, path ? [{ path, message }] : [])),
  );

/** The name of the first header line holding a character HTTP does not allow in one (a control character). */
const badHeaderOf = (raw: Buffer | undefined): string | undefined => {
  // The head alone: a line of the body is no header.
  const [head = ''] = (raw?.toString('latin1') ?? '').split('\r\n\r\n');
  return (
    head
      .split('\r\n')
      .slice(1)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
      .find((line) => /[\x00-\x08\x0a-\x1f\x7f]/.test(line))
      ?.split(':')[0]
  );
};

const readBody = (request: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_BODY_LIMIT) chunks.push(chunk);
    });
    request.on('end', () => done(size > GATEWAY_BODY_LIMIT ? undefined : Buffer.concat(chunks)));
    request.on('error', fail);
  });

const same = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Stands in for the IAM authorizer: `Authorization: Bearer <token>`, compared in constant time. A browser
 * cannot add that header to a page load, so session routes (the dashboard) also take `?token=` locally.
 */
const authorized = (request: IncomingMessage, url: URL, auth: RouteDefinition['auth'], token: string): boolean =>
  same(request.headers.authorization ?? '', `Bearer ${token}`) || (auth === 'session' && same(url.searchParams.get('token') ?? '', token));

/** Whom the local token stands for on a session route: a person in both groups. */
const TOKEN_SESSION = { user: 'local token', groups: 'finance,operators' };

/**
 * The session authorizer, as API Gateway runs it: asked on every request (its identity source is the
 * route, always present, so a request without cookies reaches it too); a refusal → 403; else its context
 * for the handler.
 */
const sessionAuthorizer = async (request: IncomingMessage, routeKey: string): Promise<Record<string, string> | 403> => {
  const cookie = request.headers.cookie;
  const verdict = (await invoke('sessionAuthorizer', {
    version: '2.0',
    type: 'REQUEST',
    routeKey,
    identitySource: [routeKey],
    ...(cookie ? { cookies: cookie.split(';').map((c) => c.trim()), headers: { cookie } } : { headers: {} }),
  })) as { isAuthorized: boolean; context?: Record<string, string> };
  return verdict.isAuthorized ? (verdict.context ?? {}) : 403;
};

/**
 * The local HTTP API: the routes of `lib/api.ts`, each invoking its function's real `handler` with the
 * event API Gateway would send. IAM-authorized routes take the local bearer token instead.
 */
export const createLocalApi = ({ apiToken, localRoutes = [], log }: LocalApiOptions): Server =>
  // Without a Host, Node answers a bare 400 of its own; the handler below answers it in JSON, naming Host.
  createServer({ requireHostHeader: false }, async (request, response) => {
    if (log) {
      const started = performance.now();
      response.on('finish', () =>
        log(
          JSON.stringify({
            level: 'INFO',
            message: 'request',
            timestamp: new Date().toISOString(),
            method: request.method,
            // The path only: a dashboard URL carries the local token in its query.
            path: (request.url ?? '/').split('?')[0],
            status: response.statusCode,
            ms: Math.round(performance.now() - started),
          }),
        ),
      );
    }
    try {
      // HTTP/1.1 requires a Host (HTTP/1.0 had none, and is answered as localhost).
      if (request.headers.host === undefined && request.httpVersion !== '1.0') {
        return sendError(response, 400, 'bad-host', 'the Host header is missing: HTTP/1.1 requires one', 'Host');
      }
      const base = hostBase(request.headers.host);
      if (!base) return sendError(response, 400, 'bad-host', 'the Host header is not a host name', 'Host');
      let url: URL;
      try {
        url = new URL(request.url ?? '/', base);
      } catch {
        return sendError(response, 400, 'bad-path', 'the request target is not a path', 'path');
      }
      for (const local of localRoutes) {
        const answer = local(url, request);
        if (answer) {
          return send(
            response,
            answer.status,
            { 'content-type': answer.type ?? 'application/json; charset=utf-8', ...answer.headers },
            answer.body,
          );
        }
      }
      const match = matchRoute(ROUTES, request.method ?? 'GET', url.pathname);
      if (match === undefined) return sendError(response, 404, 'not-found', `no route for ${request.method} ${url.pathname}`, 'path');
      if (match === 'method-not-allowed')
        return sendError(response, 405, 'method-not-allowed', `${request.method} is not allowed on ${url.pathname}`, 'method');
      const { auth } = match.route;
      if (auth === 'iam' && !authorized(request, url, auth, apiToken)) {
        const sent = request.headers.authorization === undefined ? 'is missing' : 'is not the local token';
        return sendError(
          response,
          401,
          'unauthorized',
          `the Authorization header ${sent}: send Authorization: Bearer <LOCAL_API_TOKEN>`,
          'Authorization',
        );
      }
      let session: Record<string, string> | undefined;
      if (auth === 'session') {
        const verdict = authorized(request, url, auth, apiToken)
          ? TOKEN_SESSION
          : await sessionAuthorizer(request, `${match.route.method} ${match.route.path}`);
        // API Gateway's own answer to a refused authorizer.
        if (verdict === 403) return send(response, 403, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Forbidden' }));
        session = verdict;
      }
      // A length past the limit is refused from the header, as API Gateway does, without waiting for a body that
      // may never come (a false Content-Length held the request open until the client gave up).
      if (Number(request.headers['content-length'] ?? 0) > GATEWAY_BODY_LIMIT) {
        response.setHeader('connection', 'close');
        return sendError(response, 413, 'body-too-large', 'request body exceeds 10 MiB', 'Content-Length');
      }
      const body = await readBody(request);
      if (body === undefined) return sendError(response, 413, 'body-too-large', 'request body exceeds 10 MiB', '$');
      const event = toApiGatewayEvent(request, url, body, match, session);
      const result = (await invoke(match.route.fn, event)) as APIGatewayProxyStructuredResultV2;
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
      if (result.cookies?.length) headers['set-cookie'] = result.cookies;
      send(response, result.statusCode ?? 200, headers, result.body ?? '');
    } catch (error) {
      // A malformed percent-encoding in the path is the sender's, as API Gateway would answer it.
      if (error instanceof URIError) return sendError(response, 400, 'bad-path', 'the path has a malformed percent-encoding', 'path');
      console.error(error);
      sendError(response, 500, 'internal', 'the local runtime failed; see its console');
    }
  }).on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    // Node answers oversized headers with a bare 431; answer it as every other error, in JSON.
    const header = error.code === 'HPE_INVALID_HEADER_TOKEN' ? badHeaderOf(error.rawPacket) : undefined;
    const [status, code, message, path] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers-too-large', 'the request headers are too large']
        : error.code === 'HPE_INVALID_URL'
          ? [400, 'bad-url', 'the URL is not valid: percent-encode every character outside ASCII and every space (ö as %C3%B6)']
          : header !== undefined
            ? [400, 'bad-header', `the ${header} header holds a control character, which HTTP does not allow in a header`, header]
            : [400, 'bad-request', 'the request could not be parsed'];
    const body = JSON.stringify(errorBody(code, message, path ? [{ path, message }] : []));
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else socket.destroy();
  });

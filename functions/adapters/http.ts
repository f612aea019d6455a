import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type Issue, validate } from '../domain/issues.js';
import { repeatedKeyIssues } from '../domain/jsonKeys.js';
import type * as z from '../domain/schema.js';
import { logger, metrics, tracer } from './observability.js';
import { utf8Problem } from './utf8.js';

/** An HTTP failure as data: status, a stable code, a message for people, and the paths of each problem. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/**
 * The headers every answer carries, whatever route, status or content type: no MIME sniffing (a JSON error
 * echoing a parameter is never run as HTML), no Referer leaking a dashboard URL to another site, and no
 * copy kept by a browser or proxy, since every answer here is private unless its handler says otherwise
 * (the OpenAPI description is public and cacheable).
 */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
const PRIVATE = { 'cache-control': 'no-store' } as const;

/** A response with {@link SECURITY_HEADERS} and, unless it set its own `cache-control`, `no-store`. */
export const secured = (response: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 => {
  const own = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return { ...response, headers: { ...PRIVATE, ...own, ...SECURITY_HEADERS } };
};

/** A JSON response. */
export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 =>
  secured({
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  });

/** A redirect (302 unless `statusCode` says 303 or another), setting `cookies` if any. */
export const redirect = (location: string, cookies: readonly string[] = [], statusCode = 302): APIGatewayProxyStructuredResultV2 =>
  secured({ statusCode, headers: { location }, ...(cookies.length ? { cookies: [...cookies] } : {}), body: '' });

/**
 * Each parameter the raw query string names more than once, as an issue at its name. API Gateway (payload 2.0)
 * joins repeats with commas in `queryStringParameters` (`status=open&status=closed` arrives as "open,closed"),
 * and so does the local runtime; only `rawQueryString` still shows that there were two.
 */
const repeatedParameters = (event: APIGatewayProxyEventV2): Issue[] => {
  const counts = new Map<string, number>();
  for (const [name] of new URLSearchParams(event.rawQueryString ?? '')) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([name, count]) => ({ path: name, message: `given ${count} times; every query parameter takes one value, so give it once` }));
};

/**
 * The request's query string parsed by `schema`, or a 400 naming each problem's parameter. Every parameter
 * takes one value: one given twice is refused at its name ({@link repeatedParameters}), rather than its
 * comma-joined values read as one odd value; what the schema says of that joined value is left out, as a
 * consequence of the repeat, not a mistake of its own.
 */
export const parseQuery = <S extends z.ZodMiniType>(schema: S, event: APIGatewayProxyEventV2): z.infer<S> => {
  const repeated = repeatedParameters(event);
  const result = validate(schema, event.queryStringParameters ?? {});
  if (repeated.length === 0 && result.ok) return result.value;
  const names = new Set(repeated.map((issue) => issue.path));
  const own = result.ok ? [] : result.issues.filter((issue) => !names.has(issue.path.split(/[.[]/)[0]!));
  throw new HttpError(400, 'invalid-query', 'the query is invalid', [...repeated, ...own]);
};

/**
 * A route that takes no query parameters refuses any, each named (400 `invalid-query`): read past, they were
 * silently dropped, and `POST /reallocate?releaseReserve=true` ran a plain reallocation with the reserve held.
 * `hint` says where such a parameter belongs instead.
 */
export const noQuery = (event: APIGatewayProxyEventV2, hint: string): void => {
  const names = Object.keys(event.queryStringParameters ?? {});
  if (names.length === 0) return;
  throw new HttpError(
    400,
    'invalid-query',
    'this route takes no query parameters',
    names.slice(0, 20).map((name) => ({ path: name.slice(0, 200), message: `is not a parameter of this route: ${hint}` })),
  );
};

/** What {@link utf8Text} reads, for its refusal: the issue's path, what it names, and what to send instead. */
export interface Utf8Reading {
  readonly path: string;
  readonly what: string;
  readonly send: string;
}

const JSON_BODY: Utf8Reading = { path: '$', what: 'the body', send: 'JSON' };

/**
 * A body as the JSON text it must be (RFC 8259: UTF-8), or a 400 `invalid-utf8` naming the first byte that
 * is not and why. Never a lossy decoding: a byte read as U+FFFD would be stored as a character nobody sent.
 * `reading` words the refusal for other UTF-8 text (a form, one of its fields).
 */
export const utf8Text = (bytes: Buffer, reading: Utf8Reading = JSON_BODY): string => {
  const found = utf8Problem(bytes);
  if (!found) return bytes.toString('utf8');
  const message = `${reading.what} is not valid UTF-8: byte ${found.offset} (0x${found.byte.toString(16).padStart(2, '0')}) ${found.problem}; send ${reading.send} encoded as UTF-8`;
  throw new HttpError(400, 'invalid-utf8', message, [{ path: reading.path, message }]);
};

/**
 * Bytes a JSON body may have; more is a 413. The webhook contract's 1 MiB, the largest body any route reads
 * (1000 records), kept for every JSON route: well under API Gateway's 10 MB, and far above an operator's
 * request (`{"releaseReserve": true, "reason": "…"}`), so a 3 MB body is refused before anyone parses it.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A body sent compressed (any Content-Encoding but identity) is refused with 415: its bytes are not JSON. */
const uncompressed = (event: APIGatewayProxyEventV2): void => {
  const encoding = event.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    const message = `send the body uncompressed (Content-Encoding: identity), not ${encoding}`;
    throw new HttpError(415, 'unsupported-encoding', message, [{ path: 'Content-Encoding', message }]);
  }
};

/**
 * Only JSON, sent as is: a Content-Type other than JSON (`application/json`, `application/*+json`) and any
 * Content-Encoding but identity are refused with 415, as the webhook contract asks of a sender. No
 * Content-Type passes (a POST without a body has none); the body is then read as JSON anyway. On a webhook
 * this runs before the signature is checked, so a gzip body is told what is wrong rather than failing a
 * signature computed over bytes never decoded.
 */
export const acceptedContent = (event: APIGatewayProxyEventV2): void => {
  contentType(event, /^application\/([\w.+-]+\+)?json$/, 'application/json');
  uncompressed(event);
};

/**
 * 415 naming `Content-Type` when the request has one that `accepted` does not match, or declares a charset
 * other than UTF-8 or ASCII (the body is read as UTF-8 whatever it declares); none passes.
 */
const contentType = (event: APIGatewayProxyEventV2, accepted: RegExp, send: string): void => {
  const [type, ...parameters] = (event.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"(.*)"$/, '$1');
  const refuse = (message: string) => {
    throw new HttpError(415, 'unsupported-media-type', message, [{ path: 'Content-Type', message }]);
  };
  if (type !== undefined && type !== '' && !accepted.test(type)) refuse(`send the body as ${send}, not ${type}`);
  // ASCII is UTF-8's first 128 characters: a body that keeps to them is UTF-8 too.
  if (charset !== undefined && !['utf-8', 'utf8', 'us-ascii'].includes(charset))
    refuse(`send the body in UTF-8 (charset=utf-8), not ${charset}`);
};

/**
 * A dashboard form's body, as a browser posts it: `application/x-www-form-urlencoded` and uncompressed (else
 * 415: a JSON or multipart body was read as a form and refused for its missing CSRF token, which was there),
 * at most {@link MAX_BODY_BYTES} (else 413). Its bytes, not yet read as text.
 */
export const formBodyBytes = (event: APIGatewayProxyEventV2): Buffer => {
  contentType(event, /^application\/x-www-form-urlencoded$/, 'application/x-www-form-urlencoded');
  uncompressed(event);
  return boundedBody(event);
};

/** The raw body's bytes ({@link rawBodyBytes}), refused with 413 beyond {@link MAX_BODY_BYTES} before anything else reads them. */
export const boundedBody = (event: APIGatewayProxyEventV2): Buffer => {
  const body = rawBodyBytes(event);
  if (body.length > MAX_BODY_BYTES) {
    const message = `the body may be at most ${MAX_BODY_BYTES} bytes (1 MiB), not ${body.length}`;
    throw new HttpError(413, 'body-too-large', message, [{ path: '$', message }]);
  }
  return body;
};

/**
 * A webhook's body, checked before its signature: a JSON content type, uncompressed ({@link acceptedContent},
 * else 415), at most {@link MAX_BODY_BYTES} ({@link boundedBody}, else 413). Its bytes, not yet read as text.
 */
export const jsonBodyBytes = (event: APIGatewayProxyEventV2): Buffer => {
  acceptedContent(event);
  return boundedBody(event);
};

/**
 * An operator route's body (`/portfolios/…`, machines signed with IAM or the local token, never a browser's
 * cookie): uncompressed (else 415) and at most {@link MAX_BODY_BYTES} (else 413). Its Content-Type is not
 * asked: the body must parse as JSON whatever it says, and `curl -d` (form-encoded) or a `fetch` with a string
 * body (text/plain) are how people send one. Its bytes, not yet read as text.
 */
export const operatorBodyBytes = (event: APIGatewayProxyEventV2): Buffer => {
  uncompressed(event);
  return boundedBody(event);
};

/**
 * An operator route's JSON body parsed by `schema` (an empty body reads as `{}`), or the error naming each
 * problem's path: 415 or 413 as {@link operatorBodyBytes} says, 400 for a body that is not UTF-8 ({@link utf8Text}, as a webhook's,
 * never stored with U+FFFD in its place), not JSON, or not what `schema` accepts.
 */
export const parseBody = <S extends z.ZodMiniType>(schema: S, event: APIGatewayProxyEventV2): z.infer<S> => {
  const text = utf8Text(operatorBodyBytes(event)).trim();
  let json: unknown = {};
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, 'malformed-json', 'the body is not valid JSON', [{ path: '$', message: (error as Error).message }]);
    }
    // As a webhook's: which of a repeated key's values did the operator mean?
    const repeated = repeatedKeyIssues(text);
    if (repeated.length > 0) throw new HttpError(400, 'invalid-body', 'the body repeats a key', repeated);
  }
  const result = validate(schema, json);
  if (!result.ok) throw new HttpError(400, 'invalid-body', 'the body is invalid', result.issues);
  return result.value;
};

/** The body of an error response (docs/http-api.md). */
export const errorBody = (code: string, message: string, issues: readonly Issue[] = []) => ({ error: { code, message, issues } });

/**
 * The request body's bytes as the sender sent them: signatures are computed over these. A body that is not
 * UTF-8 comes base64-encoded (`isBase64Encoded`), so its bytes survive; decoding it as text would not.
 */
export const rawBodyBytes = (event: APIGatewayProxyEventV2): Buffer =>
  event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

/**
 * Turns every failure into a JSON error: an {@link HttpError} answers as itself; anything else is our fault,
 * so it is logged with its stack and answers a 500 that leaks nothing. With `countRejections`, each 4xx adds
 * to the `RequestsRejected` metric (a burst of them on a webhook is a misconfigured or hostile sender).
 */
const jsonErrors = <E extends APIGatewayProxyEventV2>({
  countRejections,
}: {
  countRejections: boolean;
}): MiddlewareObj<E, APIGatewayProxyStructuredResultV2> => ({
  onError: async function jsonErrorsOnError(request) {
    const { error } = request;
    if (error instanceof HttpError) {
      if (error.status >= 500) logger.error('request failed', { error });
      else if (countRejections) metrics.addMetric('RequestsRejected', MetricUnit.Count, 1);
      request.response = json(error.status, errorBody(error.code, error.message, error.issues));
      return;
    }
    logger.error('unhandled error', { error: error as Error });
    request.response = json(500, errorBody('internal', 'Something went wrong on our side; retry later.'));
  },
});

/**
 * The middy chain every HTTP handler shares: the Lambda context and the request id in every log line,
 * metrics flushed when asked for (rejected requests counted among them), every failure answered as a
 * JSON error, and every answer {@link secured}.
 */
export const httpHandler = <E extends APIGatewayProxyEventV2 = APIGatewayProxyEventV2>(
  handler: (event: E, context: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  options: { readonly metrics?: boolean } = {},
) => {
  const chain = middy<E, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
  if (options.metrics) chain.use(logMetrics(metrics));
  return chain.use(jsonErrors<E>({ countRejections: options.metrics ?? false })).handler(async (event, context) => {
    logger.setCorrelationId(event.requestContext.requestId);
    return secured(await handler(event, context));
  });
};

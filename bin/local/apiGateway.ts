import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../lib/api.js';

/**
 * The runtime's own base URL (`http://localhost:<PORT>`, what `npm start` prints): the port the request
 * reached, never its Host header, which any local process or web page can name. The sign-in returns the
 * browser here, so the sign-in cookie and the callback share one origin, and each runtime in a process has its own.
 */
export const ownBaseUrl = (request: IncomingMessage): string => localUrl(request.socket.localPort!);

/** The URL of a local runtime listening on `port`. */
export const localUrl = (port: number): string => `http://localhost:${port}`;

/** A route matched against a request path, with its path parameters. */
export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string>;
}

const parameterCount = (route: RouteDefinition) => route.path.split('/').filter((part) => part.startsWith('{')).length;

/**
 * Matches a path against API Gateway templates segment by segment, as the HTTP API does: the most specific
 * template wins, so `/allocations/latest` is not taken for `/allocations/{snapshotId}`.
 */
export const matchRoute = (
  routes: readonly RouteDefinition[],
  method: string,
  path: string,
): RouteMatch | 'method-not-allowed' | undefined => {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of [...routes].sort((a, b) => parameterCount(a) - parameterCount(b))) {
    const template = route.path.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const fits = template.every((part, i) => {
      const segment = decodeURIComponent(segments[i]!);
      if (part.startsWith('{') && part.endsWith('}')) {
        pathParameters[part.slice(1, -1)] = segment;
        return true;
      }
      return part === segment;
    });
    if (!fits) continue;
    pathMatched = true;
    if (route.method === method) return { route, pathParameters };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
};

/** The IAM caller a request with the local bearer token is taken for. */
const LOCAL_CALLER = {
  accessKey: 'local',
  accountId: '000000000000',
  callerId: 'local',
  cognitoIdentity: null,
  principalOrgId: 'local',
  userArn: 'arn:aws:iam::000000000000:user/local-bearer-token',
  userId: 'local',
};

/**
 * A request body as the event carries it: text when it is UTF-8, else base64 with `isBase64Encoded`, so
 * that a handler sees the very bytes sent (a signature covers them) rather than a lossy decoding.
 */
const eventBody = (bytes: Buffer): Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'> =>
  bytes.length === 0
    ? { isBase64Encoded: false }
    : isUtf8(bytes)
      ? { body: bytes.toString('utf8'), isBase64Encoded: false }
      : { body: bytes.toString('base64'), isBase64Encoded: true };

/** The API Gateway HTTP API (payload v2.0) event for a local request, as the cloud would deliver it. */
export const toApiGatewayEvent = (
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  match: RouteMatch,
  session?: Record<string, string>,
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // Payload 2.0 moves cookies out of the headers into `cookies`.
  const cookies = headers.cookie?.split(';').map((c) => c.trim());
  delete headers.cookie;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const routeKey = `${match.route.method} ${match.route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies ? { cookies } : {}),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      // The API's own domain, as API Gateway reports the one it answers on; never the request's Host header.
      domainName: new URL(ownBaseUrl(request)).host,
      domainPrefix: 'localhost',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      // The local bearer token stands in for SigV4; handlers see it as this caller.
      ...(match.route.auth === 'iam' ? { authorizer: { iam: LOCAL_CALLER } } : {}),
      // A session route's authorizer context, as the Lambda authorizer's simple response gives it.
      ...(session ? { authorizer: { lambda: session } } : {}),
    },
    ...eventBody(body),
  };
};

/** A Lambda context for a local invocation with the cloud's timeout. */
export const lambdaContext = (functionName: string, timeoutSeconds = 29): Context => {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

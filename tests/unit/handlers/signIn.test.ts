import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../bin/local/apiGateway.js';
import {
  idTokenClaims,
  issueLocalCode,
  LOCAL_CODE_MS,
  localProvider,
  localUserPool,
  signLocalToken,
} from '../../../functions/adapters/localSignIn.js';
import { csrfToken, type RevocationList, SESSION_COOKIE, SIGN_IN_COOKIE } from '../../../functions/adapters/session.js';
import { sessionVerifier } from '../../../functions/adapters/sessionVerifier.js';
import { createSignInHandler } from '../../../functions/handlers/signIn.js';

// The module also builds the deployed handler at import, which reads its table's name (never used here).
vi.hoisted(() => Object.assign(process.env, { REVOKED_SESSIONS_TABLE: 'unused' }));

afterEach(() => vi.useRealTimers());

/** An in-memory revocation list that remembers what it was told. */
const memoryList = () => {
  const entries = new Map<string, number>();
  const list: RevocationList = {
    isRevoked: async (id) => entries.has(id),
    revoke: async (id, expiresAt) => {
      entries.set(id, expiresAt);
    },
  };
  return { entries, list };
};

const ORIGIN = 'http://localhost:3000';
const setup = () => {
  const { entries, list } = memoryList();
  const handler = createSignInHandler({
    provider: localProvider,
    check: sessionVerifier(localUserPool()),
    origin: () => ORIGIN,
    revocations: list,
  });
  const call = async (
    routeKey: string,
    { cookie, query, body }: { cookie?: string; query?: Record<string, string>; body?: string } = {},
  ): Promise<APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> }> => {
    const event = {
      version: '2.0',
      routeKey,
      rawPath: routeKey.split(' ')[1],
      rawQueryString: new URLSearchParams(query).toString(),
      headers: {},
      ...(cookie ? { cookies: cookie.split(';').map((c) => c.trim()) } : {}),
      ...(query ? { queryStringParameters: query } : {}),
      ...(body ? { body } : {}),
      isBase64Encoded: false,
      requestContext: { requestId: 'r', domainName: 'localhost:3000', http: { method: routeKey.split(' ')[0] } },
    } as unknown as APIGatewayProxyEventV2;
    return (await handler(event, lambdaContext('SignIn'))) as APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };
  };
  return { call, entries };
};

/** The `name=value` of a Set-Cookie the answer carries. */
const cookieOf = (answer: APIGatewayProxyStructuredResultV2, name: string) =>
  answer.cookies?.find((c) => c.startsWith(`${name}=`))?.split(';')[0];

/** Starts a sign-in, picks `email` on the local page, and returns the callback's query and the attempt cookie. */
const startSignIn = async (call: ReturnType<typeof setup>['call'], email: string, returnTo?: string) => {
  const login = await call('GET /auth/login', returnTo ? { query: { returnTo } } : {});
  const at = new URL(login.headers.location!, ORIGIN);
  const code = issueLocalCode(email, at.searchParams.get('code_challenge')!, at.searchParams.get('redirect_uri')!)!;
  return { query: { code, state: at.searchParams.get('state')! }, cookie: cookieOf(login, SIGN_IN_COOKIE)! };
};

describe('sign-in handler', () => {
  it('returns the browser to the dashboard page it was going to, and never to another site', async () => {
    const { call } = setup();
    for (const [asked, landed] of [
      ['/dashboard?portfolio=demo&from=a', '/dashboard?portfolio=demo&from=a'],
      ['//evil.example/dashboard', '/dashboard'],
      ['https://evil.example/', '/dashboard'],
      [undefined, '/dashboard'],
    ] as const) {
      const attempt = await startSignIn(call, 'finance@example.com', asked);
      const back = await call('GET /auth/callback', attempt);
      expect([back.statusCode, back.headers.location], String(asked)).toEqual([302, landed]);
      expect(cookieOf(back, SESSION_COOKIE)).toBeDefined();
    }
  });

  it('answers every route with a page or a redirect, not a 500, when a cookie is malformed', async () => {
    const { call } = setup();
    const cookie = 'pref=50%; other=%E0%A4%A';
    for (const routeKey of ['GET /', 'GET /auth/login', 'GET /auth/callback', 'POST /auth/logout', 'GET /auth/signed-out']) {
      const answer = await call(routeKey, { cookie });
      expect(answer.statusCode, routeKey).toBeLessThan(500);
    }
  });

  it('signs out only on a POST with the CSRF token, and then refuses the same token though it has not expired', async () => {
    const { call, entries } = setup();
    const claims = idTokenClaims('op@example.com', ['operators']);
    const token = signLocalToken(claims);
    const cookie = `${SESSION_COOKIE}=${token}`;
    expect((await call('GET /', { cookie })).headers.location).toBe('/dashboard');
    // The page the provider returns to signs nothing out, and clears nothing.
    const signedOutPage = await call('GET /auth/signed-out', { cookie });
    expect([signedOutPage.statusCode, signedOutPage.cookies ?? []]).toEqual([200, []]);
    // A forged form (no CSRF token) is refused and revokes nothing.
    expect((await call('POST /auth/logout', { cookie, body: 'csrf=guess' })).statusCode).toBe(403);
    expect(entries.size).toBe(0);
    const out = await call('POST /auth/logout', { cookie, body: `csrf=${csrfToken(token)}` });
    expect(out.statusCode).toBe(302);
    expect(cookieOf(out, SESSION_COOKIE)).toBe(`${SESSION_COOKIE}=`);
    expect([...entries]).toEqual([[claims.jti, claims.exp]]);
    // The same cookie, kept by a copy, no longer counts as signed in.
    expect((await call('GET /', { cookie })).headers.location).toBe('/auth/login');
  });

  it('answers an unknown route 404, not the signed-out page', async () => {
    const { call } = setup();
    expect((await call('GET /auth/logout')).statusCode).toBe(404);
  });

  it('sends nosniff, no-store and no-referrer on every answer', async () => {
    const { call } = setup();
    for (const answer of [
      await call('GET /'),
      await call('GET /auth/login'),
      await call('GET /auth/callback'),
      await call('GET /auth/signed-out'),
    ]) {
      expect(answer.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
    }
  });
});

describe('local sign-in codes', () => {
  it('refuses a code used twice', async () => {
    const { call } = setup();
    const attempt = await startSignIn(call, 'finance@example.com');
    expect((await call('GET /auth/callback', attempt)).statusCode).toBe(302);
    const again = await call('GET /auth/callback', attempt);
    expect(again.statusCode).toBe(400);
    expect(cookieOf(again, SESSION_COOKIE)).toBeUndefined();
  });

  it('refuses a code older than its minute, and takes one just inside it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { call } = setup();
    const late = await startSignIn(call, 'finance@example.com');
    const onTime = await startSignIn(call, 'finance@example.com');
    vi.setSystemTime(Date.now() + LOCAL_CODE_MS - 1);
    expect((await call('GET /auth/callback', onTime)).statusCode).toBe(302);
    vi.setSystemTime(Date.now() + 2);
    const refused = await call('GET /auth/callback', late);
    expect(refused.statusCode).toBe(400);
    expect(cookieOf(refused, SESSION_COOKIE)).toBeUndefined();
  });
});

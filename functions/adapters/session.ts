import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Jwks } from 'aws-jwt-verify/jwk';

/**
 * Browser sessions for finance and operators. A person signs in at the Cognito hosted page (authorization
 * code with PKCE); the ID token it issues becomes the session cookie, and every request is checked by
 * aws-jwt-verify (`sessionVerifier.ts`: signature against the pool's keys, issuer, audience = the app client,
 * token use, expiry, group). Nothing here parses or checks a JWT by hand. Machines keep IAM.
 *
 * This module holds what every session route shares (cookies, CSRF, the signed-in person) and imports no
 * JWT library: the forms of the reallocate and alerts functions, the dashboard and the API document read
 * it, and aws-jwt-verify would add 16 KB to each of their bundles (`npm run bench -- --only bundles`).
 */

/** The groups that may hold a session: `finance` reads, `operators` also act. */
export const GROUPS = ['finance', 'operators'] as const;
export type Group = (typeof GROUPS)[number];

/** A verified session. */
export interface Session {
  readonly user: string;
  readonly groups: readonly Group[];
  /** Epoch seconds at which the token, and so the session, expires. */
  readonly expiresAt: number;
  /** The token's `jti`: what sign-out revokes, so a copied cookie dies with the session. */
  readonly tokenId: string;
}

/** The session cookie: `__Host-` binds it to this host, over HTTPS, for every path. */
export const SESSION_COOKIE = '__Host-budget-session';
/** The sign-in attempt's state and PKCE verifier, for the ten minutes a sign-in may take. */
export const SIGN_IN_COOKIE = '__Host-budget-sign-in';
const SIGN_IN_SECONDS = 600;

/** Why a session was refused, as a stable code for logs and tests. */
export type SessionRefusal = 'missing' | 'expired' | 'wrong-audience' | 'wrong-group' | 'invalid' | 'signed-out';

export class SessionError extends Error {
  constructor(
    readonly refusal: SessionRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

/** Where the session's tokens come from: a Cognito user pool and its app client. */
export interface UserPoolSettings {
  readonly userPoolId: string;
  readonly clientId: string;
  /** The pool's keys, when they are known without fetching (the local sign-in's pool). */
  readonly jwks?: Jwks;
}

/** Checks a session token: the session it opens, or a {@link SessionError} saying why not. */
export type SessionCheck = (token: string | undefined) => Promise<Session>;

/**
 * The server's list of signed-out sessions, by token id (`jti`). An ID token stays valid until it expires
 * (an hour), so signing out must be remembered until then: each entry expires with its token.
 */
export interface RevocationList {
  /** Whether the session with this token id was signed out. */
  isRevoked(tokenId: string): Promise<boolean>;
  /** Remembers a signed-out session until `expiresAt` (epoch seconds), when its token dies anyway. */
  revoke(tokenId: string, expiresAt: number): Promise<void>;
}

/** A session check that also refuses a signed-out session, however long its token has left. */
export const revocableSessionCheck =
  (check: SessionCheck, revoked: Pick<RevocationList, 'isRevoked'>): SessionCheck =>
  async (token) => {
    const session = await check(token);
    if (await revoked.isRevoked(session.tokenId)) throw new SessionError('signed-out', 'this session was signed out; sign in again');
    return session;
  };

/**
 * A revocation list connected on its first use rather than at cold start: the session authorizer and the
 * sign-in routes consult it only for a token that verifies, so a cold start need not load the DynamoDB SDK:
 * loading it there more than doubled the authorizer's module init (85 ms against 31 ms, the fastest of 21
 * interleaved loads of each bundle; `npm run bench -- --only bundles`). The first lookup pays for it instead.
 * A failed connection is tried again on the next use.
 */
export const revocationListOnFirstUse = (connect: () => Promise<RevocationList>): RevocationList => {
  let list: Promise<RevocationList> | undefined;
  const connected = () =>
    (list ??= connect().catch((error: unknown) => {
      list = undefined;
      throw error;
    }));
  return {
    isRevoked: async (tokenId) => (await connected()).isRevoked(tokenId),
    revoke: async (tokenId, expiresAt) => (await connected()).revoke(tokenId, expiresAt),
  };
};

/** A cookie value as the browser sent it, percent-decoded, or undefined when its escapes are malformed. */
const cookieValue = (raw: string): string | undefined => {
  const value = raw.trim();
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return undefined;
  }
};

/**
 * The cookies of a request, from API Gateway's `cookies` array or a `Cookie` header. The browser sends
 * every cookie of the host and its parent domains, some set by other applications, so a cookie this code
 * cannot read (`pref=50%`) is skipped on its own and never spoils the others. When a name repeats, the first
 * wins, as browsers send the most specific cookie first.
 */
export const readCookies = (cookies: readonly string[] | undefined, header?: string): Map<string, string> => {
  const pairs = Array.isArray(cookies) ? cookies : typeof header === 'string' ? header.split(';') : [];
  const jar = new Map<string, string>();
  for (const pair of pairs) {
    if (typeof pair !== 'string') continue;
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    if (at <= 0 || name === '' || jar.has(name)) continue;
    const value = cookieValue(pair.slice(at + 1));
    if (value !== undefined) jar.set(name, value);
  }
  return jar;
};

/** A `Set-Cookie` value with the attributes every cookie here carries: HttpOnly, Secure, SameSite=Lax, Path=/. */
export const cookie = (name: string, value: string, maxAgeSeconds: number): string =>
  `${name}=${encodeURIComponent(value)}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=/; HttpOnly; Secure; SameSite=Lax`;

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** A sign-in attempt: the `state` echoed back, and the PKCE verifier whose S256 challenge goes to the provider. */
export const newSignIn = () => {
  const state = base64url(randomBytes(24));
  const verifier = base64url(randomBytes(32));
  return { state, verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
};

/** Where sign-in may send a browser back to: the dashboard's pages on this site, nothing else. */
const RETURN_PAGES = /^\/dashboard(\/|$)/;
const THIS_SITE = 'https://this-site.invalid';

/**
 * A `returnTo` made safe: a path of this site's dashboard (with its query, less any local `token`), or
 * undefined. Resolved as the browser would resolve a `Location`, so `//evil.example`, `/\\evil.example`,
 * `https://…` and dot-segment tricks that end in another origin are all refused: no open redirect.
 */
export const returnPath = (value: string | null | undefined): string | undefined => {
  if (!value?.startsWith('/') || value.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(value, THIS_SITE);
  } catch {
    return undefined;
  }
  if (url.origin !== THIS_SITE || url.pathname.startsWith('//') || !RETURN_PAGES.test(url.pathname)) return undefined;
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}`;
};

/** Where a browser without a (valid) session goes for a page: sign-in, carrying the page it asked for. */
export const signInLocation = (event: { rawPath?: string; rawQueryString?: string }): string => {
  const back = returnPath(`${event.rawPath ?? ''}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`);
  return back ? `/auth/login?${new URLSearchParams({ returnTo: back })}` : '/auth/login';
};

/** The sign-in cookie holding an attempt's state, verifier, and the page to return to. */
export const signInCookie = (attempt: { state: string; verifier: string; returnTo?: string | undefined }) =>
  cookie(
    SIGN_IN_COOKIE,
    [attempt.state, attempt.verifier, Buffer.from(attempt.returnTo ?? '').toString('base64url')].join('.'),
    SIGN_IN_SECONDS,
  );

/**
 * The attempt a callback belongs to (its verifier, and where to return), or undefined when its `state` is
 * not the one this browser started.
 */
export const signInOf = (jar: Map<string, string>, state: string | undefined) => {
  const [expected, verifier, back] = (jar.get(SIGN_IN_COOKIE) ?? '').split('.');
  if (!(expected && verifier && state && same(expected, state))) return undefined;
  return { verifier, returnTo: returnPath(Buffer.from(back ?? '', 'base64url').toString('utf8')) ?? '/dashboard' };
};

/**
 * The CSRF token of a session: a hash of the session token, so only a page that was served to the cookie's
 * holder knows it (double submit without server state). Every state-changing form carries it.
 */
export const csrfToken = (sessionToken: string): string => base64url(createHash('sha256').update(`csrf#${sessionToken}`).digest());

/** Whether a submitted CSRF token is the session's. */
export const csrfMatches = (sessionToken: string | undefined, submitted: string | undefined): boolean =>
  sessionToken !== undefined && submitted !== undefined && same(csrfToken(sessionToken), submitted);

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The session routes that are pages a browser navigates to. Their authorizer lets a request without a
 * valid session through as nobody (an empty context), and the page's handler answers it with a 302 to
 * sign-in that keeps where the browser was going: API Gateway's own 401/403 would show the person a bare
 * JSON error instead, and an HTTP API has no gateway responses to change that. Every other session route
 * (the operators' forms) is refused by the authorizer itself.
 */
export const SIGN_IN_PAGES: ReadonlySet<string> = new Set(['GET /dashboard']);

/**
 * The person a session route serves, as the session authorizer passed them on (API Gateway's
 * `requestContext.authorizer.lambda`); undefined on any other route.
 */
export const signedInPerson = (event: { requestContext: unknown }): { user: string; groups: string[] } | undefined => {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, string> } }).authorizer?.lambda;
  return context?.user ? { user: context.user, groups: (context.groups ?? '').split(',').filter(Boolean) } : undefined;
};

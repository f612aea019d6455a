import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { CognitoJwtInvalidGroupError, JwtExpiredError, JwtInvalidClaimError } from 'aws-jwt-verify/error';
import type { Jwks } from 'aws-jwt-verify/jwk';

/**
 * Browser sessions for finance and operators. A person signs in at the Cognito hosted page (authorization
 * code with PKCE); the ID token it issues becomes the session cookie, and every request is checked by
 * aws-jwt-verify (signature against the pool's keys, issuer, audience = the app client, token use, expiry,
 * group). Nothing here parses or checks a JWT by hand. Machines keep IAM.
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

/** Verifies ID tokens of the pool's app client for a member of `finance` or `operators`. */
export const sessionVerifier = ({ userPoolId, clientId, jwks }: UserPoolSettings) => {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id', groups: [...GROUPS] });
  if (jwks) verifier.cacheJwks(jwks);
  return async (token: string | undefined): Promise<Session> => {
    if (!token) throw new SessionError('missing', 'not signed in');
    try {
      const payload = await verifier.verify(token);
      // Cognito puts a `jti` in every ID token; one without it could never be signed out, so it is refused.
      if (typeof payload.jti !== 'string' || payload.jti === '') throw new SessionError('invalid', 'the session token has no id');
      const groups = (payload['cognito:groups'] ?? []).filter((g): g is Group => (GROUPS as readonly string[]).includes(g));
      const user = typeof payload.email === 'string' ? payload.email : String(payload['cognito:username'] ?? payload.sub);
      return { user, groups, expiresAt: payload.exp, tokenId: payload.jti };
    } catch (error) {
      if (error instanceof SessionError) throw error;
      if (error instanceof JwtExpiredError) throw new SessionError('expired', 'the session has expired; sign in again');
      if (error instanceof CognitoJwtInvalidGroupError) throw new SessionError('wrong-group', 'not in the finance or operators group');
      if (error instanceof JwtInvalidClaimError && /audience|client/i.test(error.message)) {
        throw new SessionError('wrong-audience', 'the token was issued to another application');
      }
      throw new SessionError('invalid', 'the session token is not valid');
    }
  };
};

export type SessionCheck = ReturnType<typeof sessionVerifier>;

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

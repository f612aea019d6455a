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
}

/** The session cookie: `__Host-` binds it to this host, over HTTPS, for every path. */
export const SESSION_COOKIE = '__Host-budget-session';
/** The sign-in attempt's state and PKCE verifier, for the ten minutes a sign-in may take. */
export const SIGN_IN_COOKIE = '__Host-budget-sign-in';
const SIGN_IN_SECONDS = 600;

/** Why a session was refused, as a stable code for logs and tests. */
export type SessionRefusal = 'missing' | 'expired' | 'wrong-audience' | 'wrong-group' | 'invalid';

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
      const groups = (payload['cognito:groups'] ?? []).filter((g): g is Group => (GROUPS as readonly string[]).includes(g));
      const user = typeof payload.email === 'string' ? payload.email : String(payload['cognito:username'] ?? payload.sub);
      return { user, groups, expiresAt: payload.exp };
    } catch (error) {
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

/** The cookies of a request, from API Gateway's `cookies` array or a `Cookie` header. */
export const readCookies = (cookies: readonly string[] | undefined, header?: string): Map<string, string> => {
  const pairs = cookies ?? (header ? header.split(';') : []);
  const jar = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0) jar.set(pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim()));
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

/** The sign-in cookie holding an attempt's state and verifier. */
export const signInCookie = (attempt: { state: string; verifier: string }) =>
  cookie(SIGN_IN_COOKIE, `${attempt.state}.${attempt.verifier}`, SIGN_IN_SECONDS);

/** The attempt a callback belongs to, or undefined when its `state` is not the one this browser started. */
export const signInOf = (jar: Map<string, string>, state: string | undefined) => {
  const [expected, verifier] = (jar.get(SIGN_IN_COOKIE) ?? '').split('.');
  return expected && verifier && state && same(expected, state) ? { verifier } : undefined;
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
 * The person a session route serves, as the session authorizer passed them on (API Gateway's
 * `requestContext.authorizer.lambda`); undefined on any other route.
 */
export const signedInPerson = (event: { requestContext: unknown }): { user: string; groups: string[] } | undefined => {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, string> } }).authorizer?.lambda;
  return context?.user ? { user: context.user, groups: (context.groups ?? '').split(',').filter(Boolean) } : undefined;
};

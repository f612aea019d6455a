import { createHash, createSign, generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { ExchangeError, type IdentityProvider } from './identityProvider.js';
import type { Group, UserPoolSettings } from './session.js';

/**
 * The local runtime's stand-in for Cognito's hosted sign-in, as DynamoDB Local stands in for DynamoDB: a
 * page at `/_local/sign-in` where a developer picks a demo user, authorization codes bound to their PKCE
 * challenge, and ID tokens signed with a key made at start. The tokens have Cognito's shape and issuer, so
 * the same `sessionVerifier` (aws-jwt-verify) checks them with the same rules.
 */

/** The demo people: one per group, and one in neither (who is refused). */
export const LOCAL_USERS: readonly { readonly email: string; readonly groups: readonly Group[] }[] = [
  { email: 'finance@example.com', groups: ['finance'] },
  { email: 'operator@example.com', groups: ['operators'] },
  { email: 'outsider@example.com', groups: [] },
];

// A region-shaped id, as aws-jwt-verify expects; its keys are cached below, so nothing is ever fetched for it.
const USER_POOL_ID = 'us-east-1_LocalBudget';
const CLIENT_ID = 'local-dashboard';
export const LOCAL_SIGN_IN_PATH = '/_local/sign-in';
const TOKEN_SECONDS = 3600;
/** How long a code may wait to be redeemed: ample for the browser's redirect, too short for a leaked code to matter. */
export const LOCAL_CODE_MS = 60_000;

/** The signing key, made on first use: a deployed function imports this module but never signs. */
let key: { privateKey: KeyObject; jwks: Jwks; kid: string } | undefined;
const signingKey = () => {
  if (!key) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    key = {
      privateKey,
      kid,
      jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] } as unknown as Jwks,
    };
  }
  return key;
};

/** The local pool the verifier checks against, keys included (nothing is fetched). */
export const localUserPool = (): UserPoolSettings => ({ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, jwks: signingKey().jwks });

const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

/** Signs claims as the local pool would (RS256); tests use it to make expired, foreign or tampered tokens. */
export const signLocalToken = (claims: Record<string, unknown>): string => {
  const { privateKey, kid } = signingKey();
  const unsigned = `${encode({ alg: 'RS256', kid, typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
};

/** The claims Cognito puts in an ID token for this user, a fresh `jti` (the token's id) included. */
export const idTokenClaims = (email: string, groups: readonly string[], now = Math.floor(Date.now() / 1000)) => ({
  sub: createHash('sha256').update(email).digest('hex').slice(0, 32),
  jti: randomUUID(),
  email,
  'cognito:username': email,
  'cognito:groups': [...groups],
  aud: CLIENT_ID,
  iss: `https://cognito-idp.us-east-1.amazonaws.com/${USER_POOL_ID}`,
  token_use: 'id',
  auth_time: now,
  iat: now,
  exp: now + TOKEN_SECONDS,
});

const codes = new Map<string, { email: string; challenge: string; redirectUri: string; expires: number }>();

/** Forgets codes past their minute: each is refused once expired, and none is kept for ever. */
const forgetExpiredCodes = (now: number) => {
  for (const [code, grant] of codes) if (grant.expires <= now) codes.delete(code);
};

/**
 * Issues a one-time code for a demo user who picked themselves on the local page. It is good for
 * {@link LOCAL_CODE_MS} and one exchange: older, or already used, it is refused.
 */
export const issueLocalCode = (email: string, challenge: string, redirectUri: string): string | undefined => {
  if (!LOCAL_USERS.some((u) => u.email === email) || !challenge) return undefined;
  forgetExpiredCodes(Date.now());
  const code = randomBytes(16).toString('base64url');
  codes.set(code, { email, challenge, redirectUri, expires: Date.now() + LOCAL_CODE_MS });
  return code;
};

export const localProvider: IdentityProvider = {
  authorizeUrl: ({ state, challenge, redirectUri }) =>
    `${LOCAL_SIGN_IN_PATH}?${new URLSearchParams({ state, code_challenge: challenge, redirect_uri: redirectUri })}`,
  exchange: async ({ code, verifier, redirectUri }) => {
    const grant = codes.get(code);
    codes.delete(code);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!grant || grant.expires <= Date.now() || grant.challenge !== challenge || grant.redirectUri !== redirectUri) {
      throw new ExchangeError('the sign-in code was refused');
    }
    const user = LOCAL_USERS.find((u) => u.email === grant.email)!;
    return signLocalToken(idTokenClaims(user.email, user.groups));
  },
  logoutUrl: () => '/auth/signed-out',
};

import { describe, expect, it } from 'vitest';
import { idTokenClaims, localUserPool, signLocalToken } from '../../../functions/adapters/localSignIn.js';
import {
  csrfMatches,
  csrfToken,
  newSignIn,
  readCookies,
  SessionError,
  sessionVerifier,
  signInCookie,
  signInOf,
} from '../../../functions/adapters/session.js';

const check = sessionVerifier(localUserPool());
const refusal = (token: string | undefined) =>
  check(token).then(
    () => 'accepted',
    (error: unknown) => (error instanceof SessionError ? error.refusal : `unexpected ${String(error)}`),
  );

describe('session check (aws-jwt-verify on locally signed ID tokens)', () => {
  const now = Math.floor(Date.now() / 1000);

  it('accepts a finance or operators member, with their groups and expiry', async () => {
    const session = await check(signLocalToken(idTokenClaims('ana@example.com', ['finance'], now)));
    expect(session).toEqual({ user: 'ana@example.com', groups: ['finance'], expiresAt: now + 3600 });
    await expect(check(signLocalToken(idTokenClaims('op@example.com', ['operators', 'admins'])))).resolves.toMatchObject({
      groups: ['operators'],
    });
  });

  it.each([
    ['no cookie', () => undefined, 'missing'],
    ['an expired token', () => signLocalToken(idTokenClaims('ana@example.com', ['finance'], now - 7200)), 'expired'],
    [
      'a token for another app client',
      () => signLocalToken({ ...idTokenClaims('ana@example.com', ['finance']), aud: 'other-app' }),
      'wrong-audience',
    ],
    ['a member of neither group', () => signLocalToken(idTokenClaims('eve@example.com', ['marketing'])), 'wrong-group'],
    ['no groups at all', () => signLocalToken(idTokenClaims('eve@example.com', [])), 'wrong-group'],
    [
      'a tampered payload (groups rewritten after signing)',
      () => {
        const [header, , signature] = signLocalToken(idTokenClaims('eve@example.com', ['marketing'])).split('.');
        const forged = Buffer.from(JSON.stringify(idTokenClaims('eve@example.com', ['operators']))).toString('base64url');
        return `${header}.${forged}.${signature}`;
      },
      'invalid',
    ],
    [
      'an access token instead of an ID token',
      () => signLocalToken({ ...idTokenClaims('ana@example.com', ['finance']), token_use: 'access' }),
      'invalid',
    ],
    ['not a JWT', () => 'forged', 'invalid'],
  ])('refuses %s', async (_, token, expected) => {
    await expect(refusal(token())).resolves.toBe(expected);
  });
});

describe('sign-in attempt and CSRF', () => {
  it('binds the callback to the state this browser started, with its PKCE verifier', () => {
    const attempt = newSignIn();
    const jar = readCookies([signInCookie(attempt).split(';')[0]!]);
    expect(signInOf(jar, attempt.state)).toEqual({ verifier: attempt.verifier });
    expect(signInOf(jar, newSignIn().state)).toBeUndefined();
    expect(signInOf(new Map(), attempt.state)).toBeUndefined();
    expect(attempt.challenge).not.toBe(attempt.verifier);
  });

  it("accepts only the session's own CSRF token", () => {
    const token = signLocalToken(idTokenClaims('ana@example.com', ['finance']));
    expect(csrfMatches(token, csrfToken(token))).toBe(true);
    expect(csrfMatches(token, csrfToken(`${token}x`))).toBe(false);
    expect(csrfMatches(undefined, csrfToken(token))).toBe(false);
    expect(csrfMatches(token, undefined)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { idTokenClaims, localUserPool, signLocalToken } from '../../../functions/adapters/localSignIn.js';
import {
  csrfMatches,
  csrfToken,
  newSignIn,
  readCookies,
  returnPath,
  revocableSessionCheck,
  revocationListOnFirstUse,
  SESSION_COOKIE,
  SessionError,
  signInCookie,
  signInLocation,
  signInOf,
} from '../../../functions/adapters/session.js';
import { sessionVerifier } from '../../../functions/adapters/sessionVerifier.js';

const check = sessionVerifier(localUserPool());
const refusal = (token: string | undefined) =>
  check(token).then(
    () => 'accepted',
    (error: unknown) => (error instanceof SessionError ? error.refusal : `unexpected ${String(error)}`),
  );

describe('session check (aws-jwt-verify on locally signed ID tokens)', () => {
  const now = Math.floor(Date.now() / 1000);

  it('accepts a finance or operators member, with their groups, expiry and token id', async () => {
    const claims = idTokenClaims('ana@example.com', ['finance'], now);
    const session = await check(signLocalToken(claims));
    expect(session).toEqual({ user: 'ana@example.com', groups: ['finance'], expiresAt: now + 3600, tokenId: claims.jti });
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
    [
      'a token without a jti, which sign-out could never revoke',
      () => {
        const { jti: _, ...claims } = idTokenClaims('ana@example.com', ['finance']);
        return signLocalToken(claims);
      },
      'invalid',
    ],
  ])('refuses %s', async (_, token, expected) => {
    await expect(refusal(token())).resolves.toBe(expected);
  });
});

describe('sign-in attempt and CSRF', () => {
  it('binds the callback to the state this browser started, with its PKCE verifier', () => {
    const attempt = newSignIn();
    const jar = readCookies([signInCookie(attempt).split(';')[0]!]);
    expect(signInOf(jar, attempt.state)).toEqual({ verifier: attempt.verifier, returnTo: '/dashboard' });
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

describe('cookies as browsers send them', () => {
  it('skips a cookie with a malformed percent-escape, keeping the session beside it', () => {
    const jar = readCookies(undefined, `pref=50%; ${SESSION_COOKIE}=abc.def; theme=%E0%A4%A; lang=en%2DGB`);
    expect([...jar]).toEqual([
      [SESSION_COOKIE, 'abc.def'],
      ['lang', 'en-GB'],
    ]);
  });

  it('reads API Gateway\'s cookies array the same way, and skips what has no name or no "="', () => {
    const jar = readCookies(['pref=50%', '=orphan', 'flag', ` ${SESSION_COOKIE} = "quoted%20value" `]);
    expect([...jar]).toEqual([[SESSION_COOKIE, 'quoted value']]);
  });

  it('keeps the first of two cookies with one name, as browsers send the most specific first', () => {
    expect(readCookies(undefined, 'id=host; id=parent-domain').get('id')).toBe('host');
  });

  it('reads nothing, and never throws, from missing or odd inputs', () => {
    expect(readCookies(undefined).size).toBe(0);
    expect(readCookies(undefined, '').size).toBe(0);
    expect(readCookies([1, null] as unknown as string[]).size).toBe(0);
    expect(readCookies(undefined, 42 as unknown as string).size).toBe(0);
  });
});

describe('where sign-in returns the browser', () => {
  it.each([
    ['/dashboard', '/dashboard'],
    ['/dashboard?portfolio=demo&from=a&to=b', '/dashboard?portfolio=demo&from=a&to=b'],
    ['/dashboard?portfolio=demo&token=local-dev-token', '/dashboard?portfolio=demo'],
  ])('keeps the dashboard page %s', (given, kept) => {
    expect(returnPath(given)).toBe(kept);
  });

  it.each([
    'https://evil.example/dashboard',
    '//evil.example/dashboard',
    '/\\evil.example/dashboard',
    '/.//evil.example/dashboard',
    '/\t/evil.example/dashboard',
    'dashboard',
    '/auth/logout',
    '/dashboards',
    '/portfolios/demo/allocations/latest',
    `/dashboard?${'x'.repeat(3000)}`,
    '',
    undefined,
  ])('refuses %s: not a dashboard page of this site', (given) => {
    expect(returnPath(given)).toBeUndefined();
  });

  it('sends a page without a session to sign-in, carrying the page and its query', () => {
    expect(signInLocation({ rawPath: '/dashboard', rawQueryString: 'portfolio=demo' })).toBe(
      '/auth/login?returnTo=%2Fdashboard%3Fportfolio%3Ddemo',
    );
    expect(signInLocation({ rawPath: '//evil.example' })).toBe('/auth/login');
  });

  it('carries the return page through the sign-in cookie, and refuses one planted there that leaves the site', () => {
    const attempt = newSignIn();
    const back = (returnTo: string) =>
      signInOf(readCookies([signInCookie({ ...attempt, returnTo }).split(';')[0]!]), attempt.state)?.returnTo;
    expect(back('/dashboard?portfolio=demo')).toBe('/dashboard?portfolio=demo');
    expect(back('//evil.example')).toBe('/dashboard');
  });
});

describe('signed-out sessions', () => {
  it('refuses a signed-out session though its token has not expired, and only that one', async () => {
    const signedOut = new Set<string>();
    const revocable = revocableSessionCheck(check, { isRevoked: async (id) => signedOut.has(id) });
    const mine = idTokenClaims('ana@example.com', ['finance']);
    const other = idTokenClaims('ana@example.com', ['finance']);
    await expect(revocable(signLocalToken(mine))).resolves.toMatchObject({ tokenId: mine.jti });
    signedOut.add(mine.jti);
    await expect(revocable(signLocalToken(mine))).rejects.toMatchObject({ refusal: 'signed-out' });
    await expect(revocable(signLocalToken(other))).resolves.toMatchObject({ tokenId: other.jti });
  });

  it('connects the revocation list on its first use, once, and tries again after a failed connection', async () => {
    const signedOut = new Set<string>();
    let connections = 0;
    const list = revocationListOnFirstUse(async () => {
      connections++;
      if (connections === 1) throw new Error('DynamoDB out of reach');
      return { isRevoked: async (id) => signedOut.has(id), revoke: async (id) => void signedOut.add(id) };
    });
    expect(connections).toBe(0);
    await expect(list.isRevoked('jti-1')).rejects.toThrow('DynamoDB out of reach');
    await expect(list.isRevoked('jti-1')).resolves.toBe(false);
    await list.revoke('jti-1', 1_790_000_000);
    await expect(list.isRevoked('jti-1')).resolves.toBe(true);
    expect(connections).toBe(2);
  });

  it('gives every local token an id of its own', () => {
    const ids = new Set(Array.from({ length: 50 }, () => idTokenClaims('ana@example.com', ['finance']).jti));
    expect(ids.size).toBe(50);
  });
});

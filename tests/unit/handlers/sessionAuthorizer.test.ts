import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idTokenClaims, localUserPool, signLocalToken } from '../../../functions/adapters/localSignIn.js';
import { logger } from '../../../functions/adapters/observability.js';
import { revocableSessionCheck, SESSION_COOKIE } from '../../../functions/adapters/session.js';
import { sessionVerifier } from '../../../functions/adapters/sessionVerifier.js';
import { createSessionAuthorizer } from '../../../functions/handlers/sessionAuthorizer.js';

// The module also builds the deployed authorizer at import, which reads its table's name (never used here).
vi.hoisted(() => Object.assign(process.env, { REVOKED_SESSIONS_TABLE: 'unused' }));

afterEach(() => vi.restoreAllMocks());

const signedOut = new Set<string>();
const authorize = createSessionAuthorizer(
  revocableSessionCheck(sessionVerifier(localUserPool()), { isRevoked: async (id) => signedOut.has(id) }),
);
const event = (routeKey: string, cookie?: string) =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeKey,
    ...(cookie ? { cookies: cookie.split(';').map((c) => c.trim()), headers: { cookie } } : { headers: {} }),
  }) as unknown as APIGatewayRequestAuthorizerEventV2;
const session = (email = 'ana@example.com', groups = ['finance']) => {
  const claims = idTokenClaims(email, groups);
  return { claims, cookie: `${SESSION_COOKIE}=${signLocalToken(claims)}` };
};

describe('session authorizer', () => {
  it("lets a valid session through beside another application's malformed cookie", async () => {
    const { cookie } = session();
    for (const jar of [`pref=50%; ${cookie}`, `${cookie}; pref=50%`, `tracking=%E0%A4%A; ${cookie}; x=%%`]) {
      await expect(authorize(event('POST /dashboard/reallocate', jar)), jar).resolves.toEqual({
        isAuthorized: true,
        context: { user: 'ana@example.com', groups: 'finance' },
      });
    }
  });

  it('refuses a form without a session, and lets a page through as nobody so that it can send the browser to sign-in', async () => {
    const nobody = { user: '', groups: '' };
    await expect(authorize(event('POST /dashboard/reallocate'))).resolves.toEqual({ isAuthorized: false, context: nobody });
    await expect(authorize(event('POST /dashboard/reallocate', 'pref=50%'))).resolves.toEqual({ isAuthorized: false, context: nobody });
    await expect(authorize(event('GET /dashboard'))).resolves.toEqual({ isAuthorized: true, context: nobody });
    await expect(authorize(event('GET /dashboard', `${SESSION_COOKIE}=forged`))).resolves.toEqual({ isAuthorized: true, context: nobody });
  });

  it('refuses a signed-out session though its token has not expired', async () => {
    const { claims, cookie } = session('op@example.com', ['operators']);
    await expect(authorize(event('POST /dashboard/reallocate', cookie))).resolves.toMatchObject({ isAuthorized: true });
    signedOut.add(claims.jti);
    await expect(authorize(event('POST /dashboard/reallocate', cookie))).resolves.toMatchObject({ isAuthorized: false });
    await expect(authorize(event('GET /dashboard', cookie))).resolves.toEqual({ isAuthorized: true, context: { user: '', groups: '' } });
  });

  it('refuses, on pages too, when the check itself fails (keys or revocation list out of reach), instead of throwing', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const broken = createSessionAuthorizer(async () => {
      throw new Error('ECONNRESET');
    });
    for (const route of ['GET /dashboard', 'POST /dashboard/reallocate']) {
      await expect(broken(event(route, session().cookie))).resolves.toEqual({ isAuthorized: false, context: { user: '', groups: '' } });
    }
    expect(logged.mock.calls.map(([message]) => message)).toEqual(['session check failed', 'session check failed']);
  });

  it('never throws, whatever the event holds', async () => {
    const odd = [undefined, null, {}, { headers: null }, { cookies: 'a=b' }, { cookies: [7, null, {}] }, { headers: { cookie: 42 } }];
    for (const shape of odd) {
      const verdict = await authorize(shape as unknown as APIGatewayRequestAuthorizerEventV2);
      expect(verdict.isAuthorized, JSON.stringify(shape)).toBe(false);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.array(fc.string()),
        fc.constantFrom('GET /dashboard', 'POST /dashboard/reallocate', ''),
        async (header, cookies, routeKey) => {
          const verdict = await authorize({
            routeKey,
            cookies,
            headers: { cookie: header },
          } as unknown as APIGatewayRequestAuthorizerEventV2);
          expect(verdict.context).toEqual({ user: '', groups: '' });
        },
      ),
      { numRuns: 500 },
    );
  });
});

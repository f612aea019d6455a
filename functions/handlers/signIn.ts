import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { escapeHtml } from '../adapters/dashboard/html.js';
import { HttpError, httpHandler, redirect } from '../adapters/http.js';
import { ExchangeError } from '../adapters/identityProvider.js';
import { formFields } from '../adapters/operatorForm.js';
import {
  cookie,
  csrfMatches,
  newSignIn,
  type RevocationList,
  readCookies,
  returnPath,
  revocableSessionCheck,
  SESSION_COOKIE,
  SessionError,
  SIGN_IN_COOKIE,
  signInCookie,
  signInOf,
} from '../adapters/session.js';
import { revocationList } from '../wiring/revocations.js';
import { type SignInWiring, signInWiring } from '../wiring/signIn.js';

/** A small page for the steps a person can see: signed out, or a sign-in that went wrong and what to do. */
const page = (statusCode: number, title: string, message: string, cookies: string[] = []): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  },
  cookies,
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}a{color:#0b57d0}</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p><p><a id="sign-in" href="/auth/login">Sign in</a></p></main></body></html>`,
});

const clear = (name: string) => cookie(name, '', 0);

/** Whether the request's Host header names our own origin's host (no header: as API Gateway's own, yes). */
const isOwnHost = (host: string | undefined, own: URL): boolean => {
  if (!host) return true;
  try {
    return new URL(`${own.protocol}//${host}`).host === own.host;
  } catch {
    return false;
  }
};

/**
 * The browser's way in and out (public routes; everything they lead to is behind the session authorizer):
 * - `GET /`: to the dashboard when signed in, else to sign-in;
 * - `GET /auth/login[?returnTo=/dashboard…]`: starts a sign-in (state, PKCE verifier and the page to return
 *   to, if it is one of this site's dashboard pages, in a short-lived cookie) at the provider;
 * - `GET /auth/callback`: checks the state, redeems the code with the verifier, verifies the ID token, sets
 *   it as the session cookie (HttpOnly, Secure, SameSite=Lax, until the token expires) and returns the
 *   browser where it was going;
 * - `POST /auth/logout`: with the session's CSRF token, puts the token's id on the revocation list (so a
 *   copy of the cookie is refused too), clears the cookie and signs out at the provider. Nothing else signs
 *   out: no GET does;
 * - `GET /auth/signed-out`: where the provider returns the browser.
 */
export const createSignInHandler = ({ provider, check: verify, origin, revocations }: SignInWiring & { revocations: RevocationList }) => {
  const check = revocableSessionCheck(verify, revocations);
  return httpHandler(async (event: APIGatewayProxyEventV2) => {
    const jar = readCookies(event.cookies, event.headers.cookie);
    const callback = `${origin(event)}/auth/callback`;
    switch (event.routeKey) {
      case 'GET /': {
        const signedIn = await check(jar.get(SESSION_COOKIE)).then(
          () => true,
          () => false,
        );
        return redirect(signedIn ? '/dashboard' : '/auth/login');
      }
      case 'GET /auth/login': {
        // The sign-in cookie is set for the host the browser asked; the provider returns to our own origin.
        // Asked on another name (http://127.0.0.1:3000 locally), go there first, so the two are one origin.
        const own = new URL(origin(event));
        if (!isOwnHost(event.headers.host, own)) {
          return redirect(`${own.origin}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`);
        }
        const attempt = newSignIn();
        const returnTo = returnPath(event.queryStringParameters?.returnTo);
        return redirect(provider.authorizeUrl({ state: attempt.state, challenge: attempt.challenge, redirectUri: callback }), [
          signInCookie({ ...attempt, returnTo }),
        ]);
      }
      case 'GET /auth/callback': {
        const query = event.queryStringParameters ?? {};
        const attempt = signInOf(jar, query.state);
        if (query.error)
          return page(400, 'Sign-in did not finish', `The sign-in page answered: ${query.error_description ?? query.error}.`);
        if (!attempt || !query.code) {
          return page(400, 'This sign-in link has expired', 'It belongs to another or an older sign-in. Start again.', [
            clear(SIGN_IN_COOKIE),
          ]);
        }
        try {
          const token = await provider.exchange({ code: query.code, verifier: attempt.verifier, redirectUri: callback });
          const session = await check(token);
          const seconds = session.expiresAt - Math.floor(Date.now() / 1000);
          return redirect(attempt.returnTo, [cookie(SESSION_COOKIE, token, seconds), clear(SIGN_IN_COOKIE)]);
        } catch (error) {
          if (error instanceof ExchangeError) return page(400, 'This sign-in link has expired', 'Start again.', [clear(SIGN_IN_COOKIE)]);
          if (error instanceof SessionError && error.refusal === 'wrong-group') {
            return page(
              403,
              'No access yet',
              'You are signed in, but not in the finance or operators group. Ask an administrator to add you.',
              [clear(SIGN_IN_COOKIE)],
            );
          }
          throw error;
        }
      }
      case 'POST /auth/logout': {
        const form = formFields(event, ['csrf']);
        const token = jar.get(SESSION_COOKIE);
        if (!csrfMatches(token, form.get('csrf') ?? undefined)) {
          return page(403, 'Sign-out refused', 'The form did not come from your dashboard page. Reload the dashboard and sign out there.');
        }
        // A token that no longer verifies (expired, say) opens nothing already: clearing the cookie is enough.
        const session = await verify(token).catch((error: unknown) => {
          if (error instanceof SessionError) return undefined;
          throw error;
        });
        if (session) await revocations.revoke(session.tokenId, session.expiresAt);
        return redirect(provider.logoutUrl(`${origin(event)}/auth/signed-out`), [clear(SESSION_COOKIE)]);
      }
      case 'GET /auth/signed-out':
        return page(200, 'Signed out', 'You are signed out of the budget dashboard.');
      default:
        throw new HttpError(404, 'not-found', `no route ${event.routeKey}`);
    }
  });
};

export const handler = createSignInHandler({ ...signInWiring(), revocations: revocationList() });

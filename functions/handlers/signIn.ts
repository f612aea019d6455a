import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { escapeHtml } from '../adapters/dashboard/html.js';
import { httpHandler, rawBody } from '../adapters/http.js';
import { ExchangeError } from '../adapters/identityProvider.js';
import {
  cookie,
  csrfMatches,
  newSignIn,
  readCookies,
  SESSION_COOKIE,
  SessionError,
  SIGN_IN_COOKIE,
  signInCookie,
  signInOf,
} from '../adapters/session.js';
import { type SignInWiring, signInWiring } from '../wiring/signIn.js';

const redirect = (location: string, cookies: string[] = []): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 302,
  headers: { location, 'cache-control': 'no-store' },
  cookies,
});

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

/**
 * The browser's way in and out (public routes; everything they lead to is behind the session authorizer):
 * - `GET /`: to the dashboard when signed in, else to sign-in;
 * - `GET /auth/login`: starts a sign-in (state + PKCE verifier in a short-lived cookie) at the provider;
 * - `GET /auth/callback`: checks the state, redeems the code with the verifier, verifies the ID token and
 *   sets it as the session cookie (HttpOnly, Secure, SameSite=Lax, until the token expires);
 * - `POST /auth/logout`: with the session's CSRF token, clears the cookie and signs out at the provider;
 * - `GET /auth/signed-out`: where the provider returns the browser.
 */
export const createSignInHandler = ({ provider, check, origin }: SignInWiring) =>
  httpHandler(async (event: APIGatewayProxyEventV2) => {
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
        const attempt = newSignIn();
        return redirect(provider.authorizeUrl({ state: attempt.state, challenge: attempt.challenge, redirectUri: callback }), [
          signInCookie(attempt),
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
          return redirect('/dashboard', [cookie(SESSION_COOKIE, token, seconds), clear(SIGN_IN_COOKIE)]);
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
        const form = new URLSearchParams(rawBody(event));
        if (!csrfMatches(jar.get(SESSION_COOKIE), form.get('csrf') ?? undefined)) {
          return page(403, 'Sign-out refused', 'The form did not come from your dashboard page. Reload the dashboard and sign out there.');
        }
        return redirect(provider.logoutUrl(`${origin(event)}/auth/signed-out`), [clear(SESSION_COOKIE)]);
      }
      default:
        return page(200, 'Signed out', 'You are signed out of the budget dashboard.', [clear(SESSION_COOKIE)]);
    }
  });

export const handler = createSignInHandler(signInWiring());

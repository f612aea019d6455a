import { escapeHtml } from '../../functions/adapters/dashboard/html.js';
import { issueLocalCode, LOCAL_SIGN_IN_PATH, LOCAL_USERS } from '../../functions/adapters/localSignIn.js';
import { ownBaseUrl } from './apiGateway.js';
import type { LocalRoute } from './httpServer.js';

/**
 * The page's headers, as a hosted sign-in page sends them: no script, style or frame from anywhere (the
 * page has none of its own but an inline style), no Referer carrying its state and challenge elsewhere,
 * and no copy kept.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** Only this runtime's own callback may receive a code: not another port on this machine, whatever Host a request named. */
const isLocalCallback = (uri: string, request: Parameters<LocalRoute>[1]) => uri === `${ownBaseUrl(request)}/auth/callback`;

/**
 * The local stand-in for Cognito's hosted sign-in page: pick a demo person; the browser returns to the
 * callback with a one-time code bound to the PKCE challenge, exactly as it would from Cognito.
 */
export const signInPage: LocalRoute = (url, request) => {
  if (request.method !== 'GET' || url.pathname !== LOCAL_SIGN_IN_PATH) return undefined;
  const state = url.searchParams.get('state') ?? '';
  const challenge = url.searchParams.get('code_challenge') ?? '';
  const redirectUri = url.searchParams.get('redirect_uri') ?? '';
  if (!isLocalCallback(redirectUri, request))
    return {
      status: 400,
      body: JSON.stringify({ error: { code: 'bad-redirect', message: 'redirect_uri must be this runtime’s /auth/callback', issues: [] } }),
    };
  const user = url.searchParams.get('user');
  if (user) {
    const code = issueLocalCode(user, challenge, redirectUri);
    if (!code)
      return { status: 400, body: JSON.stringify({ error: { code: 'unknown-user', message: `no demo user ${user}`, issues: [] } }) };
    return { status: 302, headers: { ...PAGE_HEADERS, location: `${redirectUri}?${new URLSearchParams({ code, state })}` }, body: '' };
  }
  const choices = LOCAL_USERS.map(({ email, groups }) => {
    const href = `${LOCAL_SIGN_IN_PATH}?${new URLSearchParams({ state, code_challenge: challenge, redirect_uri: redirectUri, user: email })}`;
    return `<li><a class="user" href="${escapeHtml(href)}">${escapeHtml(email)}</a> <span>(${groups.length ? escapeHtml(groups.join(', ')) : 'no group'})</span></li>`;
  }).join('');
  return {
    status: 200,
    type: 'text/html; charset=utf-8',
    headers: PAGE_HEADERS,
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}a{color:#0b57d0}</style></head>
<body><main><h1>Local sign-in</h1><p>Stands in for the Cognito hosted sign-in of a deployment. Sign in as:</p><ul>${choices}</ul></main></body></html>`,
  };
};

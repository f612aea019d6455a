/**
 * The sign-in provider's three endpoints, as the browser flow uses them (OAuth 2.0 authorization code with
 * PKCE; no implicit flow): in AWS the Cognito hosted sign-in of the user pool, locally a stand-in page
 * (`localSignIn.ts`) that issues tokens the same verifier accepts.
 */
export interface IdentityProvider {
  /** Where the browser signs in, carrying the attempt's `state` and its PKCE S256 challenge. */
  authorizeUrl(request: { readonly state: string; readonly challenge: string; readonly redirectUri: string }): string;
  /** Redeems an authorization code, with the attempt's PKCE verifier, for the ID token. */
  exchange(request: { readonly code: string; readonly verifier: string; readonly redirectUri: string }): Promise<string>;
  /** Where the browser goes to end its provider session too, returning to `returnTo`. */
  logoutUrl(returnTo: string): string;
}

/** A refused code exchange: the code was used, expired, or its verifier does not match. */
export class ExchangeError extends Error {
  override readonly name = 'ExchangeError';
}

/** Cognito's hosted sign-in (`https://<prefix>.auth.<region>.amazoncognito.com`) for a public app client. */
export const cognitoProvider = ({ domain, clientId }: { domain: string; clientId: string }): IdentityProvider => ({
  authorizeUrl: ({ state, challenge, redirectUri }) =>
    `${domain}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state,
      code_challenge_method: 'S256',
      code_challenge: challenge,
    })}`,
  exchange: async ({ code, verifier, redirectUri }) => {
    const response = await fetch(`${domain}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
      signal: AbortSignal.timeout(5000),
    });
    // 400 is Cognito's answer to a bad, used or expired code: the browser's to retry by signing in again.
    if (response.status === 400) throw new ExchangeError('the sign-in code was refused');
    if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
    const tokens = (await response.json()) as { id_token?: string };
    if (!tokens.id_token) throw new Error('the token endpoint returned no ID token');
    return tokens.id_token;
  },
  logoutUrl: (returnTo) => `${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: returnTo })}`,
});

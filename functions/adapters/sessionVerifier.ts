import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { CognitoJwtInvalidGroupError, JwtExpiredError, JwtInvalidClaimError } from 'aws-jwt-verify/error';
import { GROUPS, type Group, type SessionCheck, SessionError, type UserPoolSettings } from './session.js';

/**
 * Verifies ID tokens of the pool's app client for a member of `finance` or `operators`, with aws-jwt-verify.
 * Apart from `session.ts` so that only the functions that check sessions (the session authorizer and the
 * sign-in routes) bundle the JWT library.
 */
export const sessionVerifier = ({ userPoolId, clientId, jwks }: UserPoolSettings): SessionCheck => {
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id', groups: [...GROUPS] });
  if (jwks) verifier.cacheJwks(jwks);
  return async (token) => {
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

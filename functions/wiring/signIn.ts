import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { cognitoProvider, type IdentityProvider } from '../adapters/identityProvider.js';
import { localProvider, localUserPool } from '../adapters/localSignIn.js';
import type { SessionCheck } from '../adapters/session.js';
import { sessionVerifier } from '../adapters/sessionVerifier.js';
import { isLocalRuntime, required } from './environment.js';

/** How this environment signs people in: its provider, its session check, and its public origin. */
export interface SignInWiring {
  readonly provider: IdentityProvider;
  readonly check: SessionCheck;
  /** The origin the browser sees, for callback and sign-out URLs: HTTPS in AWS, plain HTTP locally. */
  readonly origin: (event: Pick<APIGatewayProxyEventV2, 'requestContext'>) => string;
}

/**
 * The Cognito user pool the stack made (`USER_POOL_ID`, `USER_POOL_CLIENT_ID`, `SIGN_IN_DOMAIN`), or locally
 * the stand-in sign-in page and its keys. The origin is the API's own domain as API Gateway reports it (it
 * answers only for its domains); the local runtime reports its own `localhost:<PORT>` there, never the
 * request's Host header, which any local process or web page can name (a code sent to
 * `http://localhost:9999/auth/callback` would reach whatever listens there).
 */
export const signInWiring = (): SignInWiring =>
  isLocalRuntime()
    ? { provider: localProvider, check: sessionVerifier(localUserPool()), origin: (event) => `http://${event.requestContext.domainName}` }
    : {
        provider: cognitoProvider({ domain: required('SIGN_IN_DOMAIN'), clientId: required('USER_POOL_CLIENT_ID') }),
        check: sessionVerifier({ userPoolId: required('USER_POOL_ID'), clientId: required('USER_POOL_CLIENT_ID') }),
        origin: (event) => `https://${event.requestContext.domainName}`,
      };

/** The session check alone (the authorizer's whole job). */
export const sessionCheck = (): SessionCheck => signInWiring().check;

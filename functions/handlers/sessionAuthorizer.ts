import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { logger, tracer } from '../adapters/observability.js';
import { readCookies, revocableSessionCheck, SESSION_COOKIE, type SessionCheck, SessionError, SIGN_IN_PAGES } from '../adapters/session.js';
import { revocationList } from '../wiring/revocations.js';
import { sessionCheck } from '../wiring/signIn.js';

/** What the dashboard learns of the person: who, and in which groups (comma-separated). */
export interface SessionContext {
  readonly user: string;
  readonly groups: string;
  [key: string]: string;
}

type Verdict = APIGatewaySimpleAuthorizerWithContextResult<SessionContext>;

const NOBODY: SessionContext = { user: '', groups: '' };

/**
 * The HTTP API's Lambda authorizer for browser routes (simple responses): the session cookie must hold a
 * valid, not signed-out ID token of a `finance` or `operators` member. A refusal is answered 403 by API
 * Gateway, except on a page ({@link SIGN_IN_PAGES}), which is let through as nobody so that its handler can
 * send the browser to sign-in. It never throws, whatever the request: a failure of ours (the user pool's
 * keys or the revocation list out of reach) is logged and refused, on pages too.
 */
export const createSessionAuthorizer =
  (check: SessionCheck) =>
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<Verdict> => {
    const route = typeof event?.routeKey === 'string' ? event.routeKey : '';
    try {
      const session = await check(readCookies(event?.cookies, event?.headers?.cookie).get(SESSION_COOKIE));
      return { isAuthorized: true, context: { user: session.user, groups: session.groups.join(',') } };
    } catch (error) {
      if (error instanceof SessionError) {
        logger.info('session refused', { refusal: error.refusal, route });
        return { isAuthorized: SIGN_IN_PAGES.has(route), context: NOBODY };
      }
      logger.error('session check failed', { error: error as Error, route });
      return { isAuthorized: false, context: NOBODY };
    }
  };

export const handler = middy<APIGatewayRequestAuthorizerEventV2, Verdict>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .handler(createSessionAuthorizer(revocableSessionCheck(sessionCheck(), revocationList())));

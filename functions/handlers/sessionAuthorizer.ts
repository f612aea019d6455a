import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { logger, tracer } from '../adapters/observability.js';
import { readCookies, SESSION_COOKIE, type SessionCheck, SessionError } from '../adapters/session.js';
import { sessionCheck } from '../wiring/signIn.js';

/** What the dashboard learns of the person: who, and in which groups (comma-separated). */
export interface SessionContext {
  readonly user: string;
  readonly groups: string;
  [key: string]: string;
}

/**
 * The HTTP API's Lambda authorizer for browser routes (simple responses): the session cookie must hold a
 * valid ID token of a `finance` or `operators` member. Refusals are answered 403 by API Gateway.
 */
export const createSessionAuthorizer =
  (check: SessionCheck) =>
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<SessionContext>> => {
    try {
      const session = await check(readCookies(event.cookies, event.headers?.cookie).get(SESSION_COOKIE));
      return { isAuthorized: true, context: { user: session.user, groups: session.groups.join(',') } };
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      logger.info('session refused', { refusal: error.refusal, route: event.routeKey });
      return { isAuthorized: false, context: { user: '', groups: '' } };
    }
  };

export const handler = middy<APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult<SessionContext>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .handler(createSessionAuthorizer(sessionCheck()));

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError, rawBody, redirect } from './http.js';
import { csrfMatches, readCookies, SESSION_COOKIE, signedInPerson } from './session.js';

/**
 * A form an operator posted from the dashboard (a browser session behind the session authorizer): the
 * signed-in person and the form's fields, once the two checks every state-changing form needs have passed:
 * the person is in `operators`, and the form carries the session's CSRF token. Otherwise a 403.
 */
export const operatorForm = (event: APIGatewayProxyEventV2): { user: string; form: URLSearchParams } => {
  const person = signedInPerson(event);
  if (!person?.groups.includes('operators')) throw new HttpError(403, 'forbidden', 'only operators may do this');
  const form = new URLSearchParams(rawBody(event));
  const token = readCookies(event.cookies, event.headers.cookie).get(SESSION_COOKIE);
  if (!csrfMatches(token, form.get('csrf') ?? undefined)) {
    throw new HttpError(403, 'csrf', 'the form did not come from your dashboard page; reload it and try again');
  }
  return { user: person.user, form };
};

/**
 * Where a form returns the browser: the dashboard of the portfolio it acted on, with the code of a notice to
 * show there when the form could not do what it asked (never its text: the page words each code itself).
 */
export const backToDashboard = (portfolioId: string, notice?: string) =>
  redirect(`/dashboard?portfolio=${encodeURIComponent(portfolioId)}${notice ? `&notice=${encodeURIComponent(notice)}` : ''}`, [], 303);

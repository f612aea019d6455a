import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { formBodyBytes, HttpError, noQuery, redirect, utf8Text } from './http.js';
import { csrfMatches, readCookies, SESSION_COOKIE, signedInPerson } from './session.js';

const FORM = { what: 'the form', send: 'the form' } as const;

/**
 * A form field's bytes as `application/x-www-form-urlencoded` means them (WHATWG URL, urlencoded parsing):
 * `+` a space, `%XX` the byte XX, a `%` not followed by two hex digits itself. URLSearchParams decodes these
 * bytes as UTF-8 leniently (U+FFFD for a bad one), so they are checked first.
 */
const escapedBytes = (text: string): Buffer => {
  const bytes = Buffer.from(text.replaceAll('+', ' '));
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += 1) {
    const hex = bytes[at] === 0x25 ? bytes.subarray(at + 1, at + 3).toString('latin1') : '';
    if (/^[0-9a-f]{2}$/i.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      at += 2;
    } else out.push(bytes[at]!);
  }
  return Buffer.from(out);
};

/**
 * A dashboard form's fields, read one way: the body and each field's %-escaped name and value as UTF-8, with
 * the JSON routes' strict reader ({@link utf8Text}: 400 `invalid-utf8`, never a U+FFFD stored in place of
 * what was sent), each field at most once, since every field of these forms holds one value (400
 * `invalid-body` naming each repeated field: `budget=1&budget=2` would otherwise act on the first and
 * ignore the second), and only the fields the form has, in its body (400 naming each other one, or a query
 * parameter, as the JSON routes name an unknown key: a misspelt field was dropped without a word).
 */
export const formFields = (event: APIGatewayProxyEventV2, fields: readonly string[]): URLSearchParams => {
  // A field in the query was dropped without a word: `?releaseReserve=on` ran a plain reallocation.
  noQuery(event, `a form sends its fields (${fields.join(', ')}) in its body`);
  const text = utf8Text(formBodyBytes(event), { ...FORM, path: '$' });
  for (const pair of text.split('&')) {
    const [name = '', ...value] = pair.split('=');
    utf8Text(escapedBytes(name), { ...FORM, path: name, what: `the name of the field ${name}` });
    utf8Text(escapedBytes(value.join('=')), { ...FORM, path: name, what: `the field ${name}` });
  }
  const form = new URLSearchParams(text);
  const counts = new Map<string, number>();
  for (const name of form.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const issues = [...counts]
    .filter(([, count]) => count > 1)
    .map(([name, count]) => ({ path: name, message: `this field appears ${count} times; send it once` }));
  if (issues.length > 0) throw new HttpError(400, 'invalid-body', 'the form repeats a field', issues);
  const unknown = [...counts.keys()]
    .filter((name) => !fields.includes(name))
    .map((name) => ({ path: name, message: `not a field of this form, which takes ${fields.join(', ')}` }));
  if (unknown.length > 0) throw new HttpError(400, 'invalid-body', 'the form has a field it does not take', unknown);
  return form;
};

/**
 * A form an operator posted from the dashboard (a browser session behind the session authorizer): the
 * signed-in person and the form's fields ({@link formFields}), once the two checks every state-changing form
 * needs have passed: the person is in `operators`, and the form carries the session's CSRF token. Otherwise a 403.
 */
export const operatorForm = (event: APIGatewayProxyEventV2, fields: readonly string[]): { user: string; form: URLSearchParams } => {
  const person = signedInPerson(event);
  if (!person?.groups.includes('operators')) throw new HttpError(403, 'forbidden', 'only operators may do this');
  const form = formFields(event, fields);
  checkCsrf(event, form);
  return { user: person.user, form };
};

/** A 403 naming `csrf` unless the form carries the session's CSRF token: every state-changing form checks it. */
export const checkCsrf = (event: APIGatewayProxyEventV2, form: URLSearchParams): void => {
  const token = readCookies(event.cookies, event.headers.cookie).get(SESSION_COOKIE);
  if (csrfMatches(token, form.get('csrf') ?? undefined)) return;
  const message = 'the form did not come from your dashboard page; reload it and try again';
  throw new HttpError(403, 'csrf', message, [{ path: 'csrf', message: `does not match your session: ${message}` }]);
};

/**
 * Where a form returns the browser: the dashboard of the portfolio it acted on, with the code of a notice to
 * show there when the form could not do what it asked (never its text: the page words each code itself).
 */
export const backToDashboard = (portfolioId: string, notice?: string) =>
  redirect(`/dashboard?portfolio=${encodeURIComponent(portfolioId)}${notice ? `&notice=${encodeURIComponent(notice)}` : ''}`, [], 303);

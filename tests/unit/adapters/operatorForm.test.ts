import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/adapters/http.js';
import { formFields, operatorForm } from '../../../functions/adapters/operatorForm.js';
import { formPortfolio } from '../../../functions/adapters/portfolios.js';
import { csrfToken, SESSION_COOKIE } from '../../../functions/adapters/session.js';
import type { BudgetConfig } from '../../../functions/domain/config.js';

const SESSION = 'session-token';
const csrf = csrfToken(SESSION);
/** The fields of the dashboard's reallocate form. */
const FIELDS = ['csrf', 'portfolio', 'releaseReserve', 'reason'];

/** An operator's form post through the session authorizer, its body sent as these bytes. */
const posted = (body: string | Buffer) =>
  ({
    routeKey: 'POST /dashboard/reallocate',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    cookies: [`${SESSION_COOKIE}=${SESSION}`],
    requestContext: { authorizer: { lambda: { user: 'operator@example.com', groups: 'operators' } } },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  }) as unknown as APIGatewayProxyEventV2;

/** The HttpError `act` throws: status, code, the paths it names and its message. */
const refusal = (act: () => unknown) => {
  try {
    act();
  } catch (error) {
    if (error instanceof HttpError) {
      return { status: error.status, code: error.code, paths: error.issues.map((i) => i.path), message: error.message };
    }
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('an operator form', () => {
  it('reads one value per field, with + as a space and UTF-8 %-escapes decoded', () => {
    const { user, form } = operatorForm(posted(`portfolio=demo&releaseReserve=on&reason=caf%C3%A9+d%27or&csrf=${csrf}`), FIELDS);
    expect([user, form.get('portfolio'), form.get('releaseReserve'), form.get('reason')]).toEqual([
      'operator@example.com',
      'demo',
      'on',
      "café d'or",
    ]);
  });

  it('refuses a body over 1 MiB with 413 before reading a byte of it, as the JSON routes do', () => {
    expect(refusal(() => formFields(posted(`portfolio=demo&reason=${'x'.repeat(2 * 1024 * 1024)}`), FIELDS))).toMatchObject({
      status: 413,
      code: 'body-too-large',
    });
  });

  it("refuses a form without the session's CSRF token with a 403 naming csrf", () => {
    for (const form of ['portfolio=demo', 'portfolio=demo&csrf=forged']) {
      expect(refusal(() => operatorForm(posted(form), FIELDS))).toMatchObject({ status: 403, code: 'csrf', paths: ['csrf'] });
    }
  });

  it('refuses a form naming a portfolio that is not configured with a 404 naming portfolio', () => {
    const config = { portfolios: [{ id: 'demo' }] } as unknown as BudgetConfig;
    expect(refusal(() => formPortfolio(config, new URLSearchParams('portfolio=nosuch')))).toMatchObject({
      status: 404,
      code: 'unknown-portfolio',
      paths: ['portfolio'],
    });
  });

  it('refuses a body that is not a browser form with 415 naming the header, not with a CSRF error', () => {
    const as = (headers: Record<string, string>) => ({ ...posted(`portfolio=demo&csrf=${csrf}`), headers }) as APIGatewayProxyEventV2;
    expect(refusal(() => operatorForm(as({ 'content-type': 'application/json' }), FIELDS))).toMatchObject({
      status: 415,
      paths: ['Content-Type'],
    });
    expect(
      refusal(() => operatorForm(as({ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }), FIELDS)),
    ).toMatchObject({ status: 415, paths: ['Content-Encoding'] });
  });

  it('refuses a repeated field with a 400 naming it, rather than acting on the first value', () => {
    expect(refusal(() => operatorForm(posted(`portfolio=demo&budget=1&budget=2&csrf=${csrf}`), FIELDS))).toMatchObject({
      status: 400,
      code: 'invalid-body',
      paths: ['budget'],
    });
    expect(refusal(() => operatorForm(posted(`portfolio=demo&portfolio=other&csrf=${csrf}&csrf=${csrf}`), FIELDS)).paths).toEqual([
      'portfolio',
      'csrf',
    ]);
  });

  it('refuses a field the form does not have with a 400 naming it and the fields it takes, rather than dropping it', () => {
    expect(refusal(() => operatorForm(posted(`portfolio=demo&releasereserve=on&extra=1&csrf=${csrf}`), FIELDS))).toEqual({
      status: 400,
      code: 'invalid-body',
      paths: ['releasereserve', 'extra'],
      message: 'the form has a field it does not take',
    });
  });

  it('refuses a field sent in the query with a 400 naming it, rather than acting without it', () => {
    const event = { ...posted(`portfolio=demo&csrf=${csrf}`), queryStringParameters: { releaseReserve: 'on' } } as APIGatewayProxyEventV2;
    expect(refusal(() => operatorForm(event, FIELDS))).toMatchObject({ status: 400, code: 'invalid-query', paths: ['releaseReserve'] });
  });

  it('refuses a body that is not UTF-8 with the JSON routes’ 400 invalid-utf8, naming the first bad byte', () => {
    const text = 'portfolio=demo&releaseReserve=on&reason=caf';
    const body = Buffer.concat([Buffer.from(text), Buffer.from([0xe9]), Buffer.from(`&csrf=${csrf}`)]);
    expect(refusal(() => operatorForm(posted(body), FIELDS))).toEqual({
      status: 400,
      code: 'invalid-utf8',
      paths: ['$'],
      message: expect.stringContaining(`byte ${text.length} (0xe9) starts a 3-byte sequence that is cut short`),
    });
  });

  it('refuses a %-escape that decodes to bytes that are not UTF-8, naming its field, instead of storing U+FFFD', () => {
    expect(refusal(() => operatorForm(posted(`portfolio=demo&releaseReserve=on&reason=caf%E9&csrf=${csrf}`), FIELDS))).toMatchObject({
      status: 400,
      code: 'invalid-utf8',
      paths: ['reason'],
    });
    expect(refusal(() => formFields(posted('na%FFme=1'), FIELDS)).paths).toEqual(['na%FFme']);
    // A % that starts no escape is itself, as a browser means it.
    expect(formFields(posted('reason=50%&x=%zz'), ['reason', 'x']).get('reason')).toBe('50%');
  });
});

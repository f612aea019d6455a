import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { HttpError, parseBody, parseQuery } from '../../../functions/adapters/http.js';
import { AlertsQuery } from '../../../functions/domain/alerts/alertsQuery.js';
import { ListQuery } from '../../../functions/domain/allocationsQuery.js';
import { AppliesQuery } from '../../../functions/domain/apply/records.js';
import { MetricsQuery } from '../../../functions/domain/metricsQuery.js';
import { PlanQuery } from '../../../functions/domain/planQuery.js';
import { ReallocateRequest } from '../../../functions/domain/snapshots.js';

/** A query as API Gateway's payload 2.0 (and the local runtime) delivers it: repeats joined by commas, the raw string kept. */
const event = (raw: string): APIGatewayProxyEventV2 => {
  const joined: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(raw)) joined[name] = name in joined ? `${joined[name]},${value}` : value;
  return { rawQueryString: raw, queryStringParameters: joined } as unknown as APIGatewayProxyEventV2;
};

const refusal = (run: () => unknown): HttpError => {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('parseQuery: every query parameter takes one value', () => {
  it.each([
    ['status=open&status=closed', AlertsQuery, ['status']],
    ['channel=search&channel=social', MetricsQuery, ['channel']],
    ['limit=1&limit=2', ListQuery, ['limit']],
    // Both values valid on their own: still refused, not read as one.
    ['status=open&status=open', AlertsQuery, ['status']],
    ['budgets=5000&budgets=6000', PlanQuery, ['budgets']],
    ['limit=1&from=2026-01-01&limit=2&from=2026-01-02', ListQuery, ['limit', 'from']],
  ] as const)('refuses %s with 400 invalid-query naming only the repeated parameters', (raw, schema, paths) => {
    const error = refusal(() => parseQuery(schema, event(raw)));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid-query');
    expect(error.issues.map((i) => i.path)).toEqual(paths);
    expect(error.issues[0]!.message).toMatch(/given 2 times/);
  });

  it("keeps another parameter's own mistake beside a repeat", () => {
    const error = refusal(() => parseQuery(ListQuery, event('limit=1&limit=2&include=everything')));
    expect(error.issues.map((i) => i.path)).toEqual(['limit', 'include']);
  });

  it.each(['0x10', '1e1', '%205', '0', '101', '5.0', ''])('refuses a list limit of %s, as every list does', (limit) => {
    for (const schema of [ListQuery, AppliesQuery]) {
      const error = refusal(() => parseQuery(schema, event(`limit=${limit}`)));
      expect(error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['limit: a whole number from 1 to 100']);
    }
  });

  it('reads single parameters, and a comma inside one value, as before', () => {
    expect(parseQuery(AlertsQuery, event('status=open'))).toEqual({ status: 'open' });
    expect(parseQuery(PlanQuery, event('budgets=5000,6000'))).toEqual({ budgets: [5000, 6000] });
    expect(parseQuery(ListQuery, { queryStringParameters: { limit: '5' } } as unknown as APIGatewayProxyEventV2).limit).toBe(5);
  });
});

describe('parseBody: a repeated key', () => {
  const body = (text: string) => ({ body: text, headers: {}, isBase64Encoded: false }) as unknown as APIGatewayProxyEventV2;

  it.each([
    // JSON's \ud800 decodes to a lone surrogate: stored, it made the dashboard answer 500 until the next plan.
    ['{"releaseReserve":true,"reason":"\\ud800"}', 'must be well-formed Unicode (no lone surrogate such as \\ud800)'],
    // Spaces released the reserve with no reason at all.
    ['{"releaseReserve":true,"reason":"   "}', 'must show something, not only spaces or invisible characters'],
    ['{"releaseReserve":true,"reason":"\\u200b\\u3164"}', 'must show something, not only spaces or invisible characters'],
    ['{"releaseReserve":true,"reason":"\\u2800"}', 'must show something, not only spaces or invisible characters'],
    // A NUL or a bell reached the CSV's (reserve) row as it was.
    ...['\\u0000', '\\u0007\\u0008', 'launch\\tweek', 'launch\\u2028week'].map((reason) => [
      `{"releaseReserve":true,"reason":"${reason}"}`,
      'must not hold control characters (such as \\u0000, a tab or a line break): it is one line of text',
    ]),
  ])('refuses a release whose reason is %s, naming it', (text, message) => {
    const { issues } = refusal(() => parseBody(ReallocateRequest, body(text)));
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toContain(`reason: ${message}`);
    expect(parseBody(ReallocateRequest, body('{"releaseReserve":true,"reason":"quarter close 😀"}'))).toEqual({
      releaseReserve: { reason: 'quarter close 😀' },
    });
  });

  it('refuses a reason without a release, naming it: it was dropped without a word', () => {
    for (const text of ['{"reason":"quarter close"}', '{"releaseReserve":false,"reason":"quarter close"}']) {
      const { issues } = refusal(() => parseBody(ReallocateRequest, body(text)));
      expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
        'reason: a reason goes with releasing the reserve: send "releaseReserve": true with it, or leave it out',
      ]);
    }
    expect(parseBody(ReallocateRequest, body('{"releaseReserve":false}'))).toEqual({});
  });

  it('names the first 20 repeats only, each path at most 200 characters, however many a body holds', () => {
    const repeats = `{${Array.from({ length: 5000 }, () => '"reason":"x"').join(',')}}`;
    expect(refusal(() => parseBody(ReallocateRequest, body(repeats))).issues).toHaveLength(20);
    const deep = `${'{"a":'.repeat(5000)}{"x":1,"x":2}${'}'.repeat(5000)}`;
    const [issue] = refusal(() => parseBody(ReallocateRequest, body(deep))).issues;
    expect(issue!.path).toHaveLength(201);
    expect(issue!.path).toMatch(/^….*\.a\.x$/);
  });
});

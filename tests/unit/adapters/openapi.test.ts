import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../functions/adapters/openapi.js';
import { ROUTES } from '../../../lib/api.js';

const document = openApiDocument();
type Operation = {
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security: unknown[];
  parameters: unknown[];
};
const operation = (method: string, path: string) => (document.paths[path] as Record<string, Operation>)[method.toLowerCase()]!;
const ERROR = { $ref: '#/components/schemas/Error' };
const GATEWAY_REFUSAL = { $ref: '#/components/schemas/GatewayRefusal' };

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (checked by a real validator, references resolved)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table, and nothing else', () => {
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('gives every JSON route its statuses, and every JSON 4xx the one error shape', () => {
    for (const route of ROUTES) {
      const responses = operation(route.method, route.path).responses;
      expect(Object.keys(responses).length, `${route.method} ${route.path}`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        // Only a session route's 403 may be API Gateway's own refusal, which the service does not shape.
        const shapes =
          route.auth === 'session' && status === '403' ? [ERROR, GATEWAY_REFUSAL, { anyOf: [ERROR, GATEWAY_REFUSAL] }] : [ERROR];
        if (status.startsWith('4') && json) expect(shapes, `${route.method} ${route.path} ${status}`).toContainEqual(json.schema);
      }
    }
    expect(Object.keys(operation('POST', '/webhooks/{source}').responses)).toEqual([
      '202',
      '400',
      '401',
      '404',
      '409',
      '413',
      '415',
      '422',
    ]);
    expect(operation('POST', '/webhooks/{source}').security).toEqual([{ webhookSignature: [] }]);
    expect(operation('GET', '/dashboard').security).toEqual([{ session: [] }]);
  });

  it('sends a browser without a session on the dashboard to sign-in and back, and refuses the forms with a 403', () => {
    const dashboard = operation('GET', '/dashboard').responses;
    expect(Object.keys(dashboard)).toEqual(['200', '302', '400', '403', '404']);
    expect(dashboard['302']!.description).toContain('/auth/login?returnTo=');
    for (const route of ROUTES.filter((r) => r.auth === 'session'))
      expect(Object.keys(operation(route.method, route.path).responses), `${route.method} ${route.path}`).not.toContain('401');
    for (const path of ['/dashboard/reallocate', '/dashboard/alerts/evaluate'])
      expect(operation('POST', path).responses['403']!.content?.['application/json']?.schema).toEqual({ anyOf: [ERROR, GATEWAY_REFUSAL] });
    expect(operation('GET', '/auth/login').parameters).toEqual([
      expect.objectContaining({ name: 'returnTo', in: 'query', required: false, schema: { type: 'string' } }),
    ]);
    expect(operation('GET', '/auth/callback').responses['302']!.description).toContain('returnTo');
  });

  it('is the document kept in docs/ (run npm run openapi after changing a route or schema)', () => {
    expect(JSON.parse(readFileSync('docs/openapi.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(document)));
  });
});

import { ROUTES, type RouteDefinition } from '../../lib/api.js';
import { AlertsQuery } from '../domain/alerts/alertsQuery.js';
import { Alert } from '../domain/alerts/lifecycle.js';
import { Allocation } from '../domain/allocation/schemas.js';
import { DiffQuery, ListQuery, SnapshotQuery } from '../domain/allocationsQuery.js';
import { AppliesQuery, ApplyRecord, ApprovalForm } from '../domain/apply/records.js';
import { Delivery } from '../domain/delivery.js';
import { Diagnostics } from '../domain/diagnostics/schemas.js';
import { MetricsQuery } from '../domain/metricsQuery.js';
import { MAX_PLAN_BUDGETS, PlanQuery } from '../domain/planQuery.js';
import * as z from '../domain/schema.js';
import { ReallocateRequest, Snapshot } from '../domain/snapshots.js';
import { SESSION_COOKIE } from './session.js';

/**
 * The HTTP API's OpenAPI 3.1 document, generated from the route table (`lib/api.ts`) and the zod schemas
 * the handlers validate with (zod 4's JSON Schema output), so it cannot drift from what the code accepts.
 * Served at `GET /openapi.json`; `npm run openapi` writes the same document to `docs/openapi.json`.
 */

/** Every error body: a stable code, a message for people, and each problem's path. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  }),
});

/**
 * API Gateway's own answer when the session authorizer refuses a request (a form route without a valid
 * session, or a session check that could not run): not an error of the service, so not its error shape.
 */
export const GatewayRefusal = z.strictObject({ message: z.literal('Forbidden') });

/** The shared shapes, each written once under `components.schemas` and referenced everywhere else. */
const NAMED = z.registry<{ id: string }>();
NAMED.add(ErrorBody, { id: 'Error' });
NAMED.add(GatewayRefusal, { id: 'GatewayRefusal' });
NAMED.add(Snapshot, { id: 'Snapshot' });
NAMED.add(Allocation, { id: 'Allocation' });
NAMED.add(Alert, { id: 'Alert' });
NAMED.add(ApplyRecord, { id: 'ApplyRecord' });

/** Named shapes met while generating one document, for its `components.schemas`. */
type Components = Record<string, unknown>;

/** A zod schema's JSON Schema, its named parts moved to `components` and referenced from there. */
const schema = (s: z.ZodMiniType, components: Components, io: 'input' | 'output' = 'output'): Record<string, unknown> => {
  const generated = z.toJSONSchema(s, { io, unrepresentable: 'any', metadata: NAMED }) as Record<string, unknown>;
  const text = JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $schema: _, $defs, id, ...rest } = JSON.parse(text) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  for (const [name, definition] of Object.entries($defs ?? {})) components[name] ??= definition;
  // A named schema at the top comes back whole; refer to it instead.
  if (typeof id === 'string') {
    components[id] ??= rest;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rest;
};

const WebhookAnswer = z.strictObject({ accepted: z.int(), duplicates: z.int(), stale: z.int() });
const DailyTotal = z.strictObject({
  channelId: z.string(),
  date: z.string(),
  spend: z.number(),
  impressions: z.number(),
  clicks: z.number(),
  conversions: z.number(),
  revenue: z.number(),
  rows: z.int(),
});

/** What a what-if plan answers: when it is for, the data it saw, and the allocation for one budget or each of several. */
const PlanAbout = { portfolioId: z.string(), asOf: z.string(), watermark: z.nullable(z.string()) };
const BudgetPlan = { budget: z.number(), allocation: Allocation };
const PlanAnswer = z.union([
  z.strictObject({ ...PlanAbout, ...BudgetPlan }),
  z.strictObject({ ...PlanAbout, plans: z.array(z.strictObject(BudgetPlan)) }),
]);

type Answer = { readonly description: string; readonly body?: z.ZodMiniType; readonly type?: string };
interface Operation {
  readonly summary: string;
  readonly query?: z.ZodMiniType;
  /** What a query parameter means, where its schema cannot say it. */
  readonly queryNotes?: Readonly<Record<string, string>>;
  readonly request?: { readonly body: z.ZodMiniType; readonly type?: string };
  readonly answers: Readonly<Record<number, Answer>>;
}

const json = (description: string, body?: z.ZodMiniType): Answer => (body ? { description, body } : { description });
const error = (description: string): Answer => ({ description, body: ErrorBody });
const html = (description: string): Answer => ({ description, type: 'text/html' });
const redirect = (description: string): Answer => ({ description });
const unknownPortfolio = { 404: error('unknown portfolio (`unknown-portfolio`)') };
/** An operator form's 403: the authorizer's refusal (no valid session) or the form's own checks. */
const formRefused: Answer = {
  description:
    'no valid session (API Gateway\'s refusal, `{"message":"Forbidden"}`), not an operator (`forbidden`), or no or a wrong CSRF token (`csrf`)',
  body: z.union([ErrorBody, GatewayRefusal]),
};
/** What every operator route answers a body it will not read (functions/adapters/http.ts `operatorBodyBytes`). */
const jsonBodyRefused = { 413: error('a body over 1 MiB'), 415: error('a compressed body (any Content-Encoding but identity)') };
const badQuery = { 400: error('a bad query (`invalid-query`), naming each parameter') };

/** What each route takes and answers, keyed `METHOD path` as in the route table. */
const OPERATIONS: Record<string, Operation> = {
  'POST /webhooks/{source}': {
    summary: 'Deliver metrics from an ad platform (signed; see docs/senders-guide.md)',
    request: { body: Delivery },
    answers: {
      202: json('stored: counts of rows accepted, duplicate and stale', WebhookAnswer),
      400: error('malformed JSON or an invalid delivery, naming each problem'),
      401: error('missing, malformed or wrong signature, or a timestamp outside ±300 s'),
      404: error('unknown source'),
      409: error('the delivery id was reused with another body, or the same delivery is still being stored'),
      413: error('more than 1000 records or a body over 1 MiB'),
      415: error('not application/json'),
      422: error('an unknown portfolio or channel'),
    },
  },
  'GET /portfolios/{id}/metrics': {
    summary: 'Daily totals per channel and date',
    query: MetricsQuery,
    answers: {
      200: json(
        'the totals',
        z.strictObject({ portfolioId: z.string(), currency: z.string(), from: z.string(), to: z.string(), metrics: z.array(DailyTotal) }),
      ),
      ...badQuery,
      404: error('unknown portfolio or channel'),
    },
  },
  'POST /portfolios/{id}/reallocate': {
    summary: 'Reallocate now (optionally releasing the reserve, with a reason)',
    request: { body: ReallocateRequest },
    answers: {
      201: json('the new snapshot', Snapshot),
      400: error('an invalid body, naming each problem'),
      ...unknownPortfolio,
      ...jsonBodyRefused,
    },
  },
  'GET /portfolios/{id}/allocations/latest': {
    summary: 'The snapshot in force, as JSON or CSV',
    query: SnapshotQuery,
    answers: {
      200: { description: 'the snapshot (CSV with Accept: text/csv or ?format=csv)', body: Snapshot },
      ...badQuery,
      404: error('unknown portfolio, or no snapshot yet'),
    },
  },
  'GET /portfolios/{id}/allocations/diff': {
    summary: 'Per-channel change between two snapshots',
    query: DiffQuery,
    answers: { 200: json('the diff'), ...badQuery, 404: error('unknown portfolio or snapshot') },
  },
  'GET /portfolios/{id}/allocations': {
    summary: 'Snapshots, newest first, a page at a time',
    query: ListQuery,
    answers: {
      200: json(
        'a page',
        z.strictObject({
          portfolioId: z.string(),
          // false only with include=unpublished: a run wrote the snapshot and never published it.
          snapshots: z.array(z.extend(Snapshot, { published: z.boolean() })),
          next: z.nullable(z.string()),
        }),
      ),
      ...badQuery,
      ...unknownPortfolio,
    },
  },
  'GET /portfolios/{id}/allocations/{snapshotId}': {
    summary: 'One snapshot, as JSON or CSV',
    query: SnapshotQuery,
    answers: {
      200: { description: 'the snapshot (CSV with Accept: text/csv or ?format=csv)', body: Snapshot },
      ...badQuery,
      404: error('unknown portfolio or snapshot'),
    },
  },
  'GET /portfolios/{id}/allocations/{snapshotId}/input': {
    summary:
      'Replay: the exact AllocationInput the snapshot (or `latest`, the one LATEST points at) was decided from; `npm run allocate -- --input` of it gives its channel totals',
    answers: {
      200: json('the input, as the allocate command reads it'),
      404: error('unknown portfolio or snapshot, or a snapshot made before inputs were kept'),
    },
  },
  'GET /portfolios/{id}/plan': {
    summary: 'What-if: the allocation the latest data gives for another daily budget; writes and publishes nothing',
    query: PlanQuery,
    queryNotes: {
      budget: 'a daily budget: a plain decimal, positive, at most 6 decimals; a budget below the bases answers a held plan',
      budgets: `comma-separated daily budgets (at most ${MAX_PLAN_BUDGETS}), one plan each; give budget or budgets, not both`,
    },
    answers: {
      200: json(
        '`{ portfolioId, asOf, watermark, budget, allocation }`, or with budgets= `{ portfolioId, asOf, watermark, plans }`',
        PlanAnswer,
      ),
      ...badQuery,
      ...unknownPortfolio,
    },
  },
  'GET /portfolios/{id}/diagnostics': {
    summary:
      'Fit diagnostics: per channel, fitted against reported over the fit window, the one-day-ahead error (wMAPE) and the 80% band’s coverage over the last 14 days, flags, and a verdict in words',
    answers: {
      200: json('the diagnostics (docs/diagnostics.md)', Diagnostics),
      ...unknownPortfolio,
    },
  },
  'GET /portfolios/{id}/alerts': {
    summary: 'Alerts, newest first',
    query: AlertsQuery,
    answers: {
      200: json('the alerts', z.strictObject({ portfolioId: z.string(), alerts: z.array(Alert) })),
      ...badQuery,
      ...unknownPortfolio,
    },
  },
  'POST /portfolios/{id}/alerts/evaluate': {
    summary: 'Evaluate the alert rules now',
    answers: {
      200: json(
        'what changed',
        z.strictObject({ portfolioId: z.string(), opened: z.array(Alert), escalated: z.array(Alert), resolved: z.array(Alert) }),
      ),
      ...unknownPortfolio,
      ...jsonBodyRefused,
    },
  },
  'GET /dashboard': {
    summary: 'The finance dashboard',
    answers: {
      200: html('the page'),
      302: redirect(
        'no valid session (none, or one expired, forged, signed out, of another app, or of neither group): to `/auth/login?returnTo=<this page>`, which returns here once signed in',
      ),
      400: error('a bad query'),
      403: {
        description: "the session could not be checked (the user pool's keys or the revocation list out of reach): API Gateway's refusal",
        body: GatewayRefusal,
      },
      404: error('unknown portfolio'),
    },
  },
  'POST /dashboard/reallocate': {
    summary: "Reallocate from the dashboard (operators; form with the session's CSRF token)",
    request: {
      body: z.strictObject({
        csrf: z.string(),
        portfolio: z.string(),
        releaseReserve: z.optional(z.literal('on')),
        reason: z.optional(z.string()),
      }),
      type: 'application/x-www-form-urlencoded',
    },
    answers: {
      303: redirect(
        'done, or nothing run: a release without a reason (1 to 500 characters), notice=reserve-needs-reason; a reason without the release ticked, notice=reason-needs-release. Back to the dashboard',
      ),
      400: error('a field repeated, or not UTF-8'),
      403: formRefused,
      404: error('unknown portfolio'),
    },
  },
  'GET /portfolios/{id}/applies': {
    summary:
      "Applies of plans to the ad platforms, newest first (a plan's by when it was made, a rollback by when it was asked), each with its own applyId, the plan it puts on the platforms and the one it replaced: mode, status, each budget before and after, who approved and when, and why not (docs/connectors.md)",
    query: AppliesQuery,
    queryNotes: { limit: 'how many applies, 1 to 100 (default 20)' },
    answers: {
      200: json(
        '`{ portfolioId, mode, applies }`',
        z.strictObject({ portfolioId: z.string(), mode: z.string(), applies: z.array(ApplyRecord) }),
      ),
      ...badQuery,
      ...unknownPortfolio,
    },
  },
  'POST /dashboard/applies/approve': {
    summary:
      "Approve the pending plan (approve mode; finance or operators), or re-apply an earlier one (`action=rollback`; operators); a form with the session's CSRF token. The apply worker applies it",
    request: { body: ApprovalForm, type: 'application/x-www-form-urlencoded' },
    answers: {
      303: redirect(
        'back to the dashboard: approved and queued, or with `notice=` the reason nothing was approved, which the page words: the plan is not awaiting approval (`not-pending`), the portfolio does not take that approval in its apply mode (`not-approve-mode`), the portfolio has no such snapshot (`unknown-snapshot`), or a guardrail refuses it, named: `refused-held`, `refused-breaks-config`, `refused-reserve-released`, `refused-stopped`, `refused-superseded`, `refused-older-than-applied`, `refused-stale`',
      ),
      400: error('an invalid form (`invalid-body`), naming each field'),
      403: {
        description:
          'no valid session (API Gateway\'s refusal, `{"message":"Forbidden"}`), in neither group or not an operator for a rollback (`forbidden`), or no or a wrong CSRF token (`csrf`)',
        body: z.union([ErrorBody, GatewayRefusal]),
      },
      404: error('unknown portfolio'),
    },
  },
  'POST /dashboard/alerts/evaluate': {
    summary: "Evaluate the alert rules from the dashboard (operators; form with the session's CSRF token)",
    request: { body: z.strictObject({ csrf: z.string(), portfolio: z.string() }), type: 'application/x-www-form-urlencoded' },
    answers: {
      303: redirect('done: back to the dashboard'),
      400: error('no portfolio named, or a field the form does not have or sends twice (`invalid-body`, naming it)'),
      403: formRefused,
      404: error('unknown portfolio'),
    },
  },
  'GET /': { summary: 'Where a person starts', answers: { 302: redirect('to /dashboard when signed in, else to /auth/login') } },
  'GET /auth/login': {
    summary: 'Start signing in (code flow with PKCE)',
    query: z.strictObject({ returnTo: z.optional(z.string()) }),
    queryNotes: {
      returnTo:
        'the page to return to once signed in: a path of this site under /dashboard (a local `token` is dropped); anything else is ignored and sign-in returns to /dashboard',
    },
    answers: { 302: redirect('to the hosted sign-in, with the attempt (and the page to return to) in a 10-minute cookie') },
  },
  'GET /auth/callback': {
    summary: 'Finish signing in',
    answers: {
      302: redirect('signed in: with the session cookie, to the `returnTo` page sign-in started with (else /dashboard)'),
      400: html('a stale or foreign sign-in link'),
      403: html('signed in, but in neither group'),
    },
  },
  'POST /auth/logout': {
    summary: 'Sign out (form with the CSRF token)',
    request: { body: z.strictObject({ csrf: z.string() }), type: 'application/x-www-form-urlencoded' },
    answers: {
      302: redirect('signed out (the session is revoked on the server and its cookie cleared): to the hosted sign-out'),
      400: error('a field the form does not have or sends twice (`invalid-body`, naming it)'),
      403: html('no or a wrong CSRF token; the session stays'),
    },
  },
  'GET /auth/signed-out': {
    summary: 'Where the hosted sign-out returns the browser',
    answers: { 200: html('the page; it changes nothing (sign-out is POST /auth/logout)') },
  },
  'GET /openapi.json': { summary: 'This document', answers: { 200: json('the OpenAPI 3.1 document') } },
};

const SECURITY: Record<RouteDefinition['auth'], Record<string, string[]>[]> = {
  iam: [{ sigv4: [] }],
  session: [{ session: [] }],
  signature: [{ webhookSignature: [] }],
  public: [],
};

const parametersOf = (route: RouteDefinition, { query, queryNotes = {} }: Operation, components: Components) => {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const shape = query ? schema(query, components, 'input') : {};
  const properties = (shape.properties ?? {}) as Record<string, unknown>;
  const required = new Set((shape.required ?? []) as string[]);
  return [
    ...path,
    ...Object.entries(properties).map(([name, s]) => ({
      name,
      in: 'query',
      ...(queryNotes[name] ? { description: queryNotes[name] } : {}),
      required: required.has(name),
      schema: s,
    })),
  ];
};

const operationOf = (route: RouteDefinition, components: Components) => {
  const key = `${route.method} ${route.path}`;
  const operation = OPERATIONS[key];
  if (!operation) throw new Error(`no OpenAPI description for ${key}`);
  const responses = Object.fromEntries(
    Object.entries(operation.answers).map(([status, answer]) => [
      status,
      {
        description: answer.description,
        ...(answer.body
          ? { content: { 'application/json': { schema: schema(answer.body, components) } } }
          : answer.type
            ? { content: { [answer.type]: { schema: { type: 'string' } } } }
            : {}),
      },
    ]),
  );
  return {
    operationId: key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    summary: operation.summary,
    security: SECURITY[route.auth],
    parameters: parametersOf(route, operation, components),
    ...(operation.request
      ? {
          requestBody: {
            required: true,
            content: { [operation.request.type ?? 'application/json']: { schema: schema(operation.request.body, components, 'input') } },
          },
        }
      : {}),
    responses,
  };
};

/** The document for these routes (default: every route of the table). */
export const openApiDocument = (routes: readonly RouteDefinition[] = ROUTES) => {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operationOf(route, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Budget optimizer',
      version: '1',
      description:
        'Signed metric webhooks, allocation snapshots, alerts and the finance dashboard. Money is in the portfolio currency. ' +
        'Every answer carries `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`, and `Cache-Control: no-store` ' +
        'except GET /openapi.json (public, cacheable); pages also carry a Content-Security-Policy.',
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS IAM SigV4 (locally: Bearer <LOCAL_API_TOKEN>)' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'A Cognito ID token from the hosted sign-in, of a finance or operators member, not signed out',
        },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">',
        },
      },
    },
  };
};

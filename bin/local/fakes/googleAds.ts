import { randomUUID } from 'node:crypto';
import { bodyFields, type FakeRequest, type FakeResponse, type RunningFake, serveFake } from './server.js';
import { type FakeCampaign, type FakePlatformState, type FakeSeed, type InjectedFailure, FakePlatformState as State } from './state.js';

/**
 * A fake Google Ads API (REST, v22) and its OAuth token endpoint, from the documented shapes:
 * - `POST /token` (grant_type=refresh_token) → `{ access_token, expires_in, token_type }`, `invalid_grant` when revoked;
 * - `POST /v22/customers/{id}/googleAds:searchStream` → an array of batches `{ results, fieldMask, requestId }`;
 * - `POST /v22/customers/{id}/googleAds:search` → `{ results, nextPageToken, totalResultsCount }`;
 * - `POST /v22/customers/{id}/campaignBudgets:mutate` and `googleAds:mutate` (campaign budget operations,
 *   `partialFailure`, `validateOnly`);
 * - GAQL over `campaign` (with `segments.date` for metrics, or with `campaign_budget.*` fields) and `campaign_budget`.
 * Errors are `{ error: { code, message, status, details: [GoogleAdsFailure] } }`: RESOURCE_EXHAUSTED (429) with
 * `quotaErrorDetails.retryDelay`, UNAUTHENTICATED (401) for an expired or revoked token.
 */
export const GOOGLE_ADS_VERSION = 'v22';

/** Rows per searchStream batch and per search page (the real API: 10,000; small here so paging shows). */
const DEFAULT_PAGE_SIZE = 100;
/** The smallest budget unit: Google wants amounts in multiples of the currency's minimum unit (0.01 → 10,000 micros). */
const MINIMUM_UNIT_MICROS = 10_000;
/** The least daily budget the fake accepts, in currency units. */
export const GOOGLE_MIN_DAILY_BUDGET = 1;

const FAILURE_TYPE = `type.googleapis.com/google.ads.googleads.${GOOGLE_ADS_VERSION}.errors.GoogleAdsFailure`;

const failure = (status: number, grpc: string, message: string, errors: readonly unknown[]): FakeResponse => ({
  status,
  json: { error: { code: status, message, status: grpc, details: [{ '@type': FAILURE_TYPE, errors, requestId: randomUUID() }] } },
});

const injected = (f: InjectedFailure): FakeResponse => {
  switch (f.kind) {
    case 'rate-limit':
      return failure(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
        {
          errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
          message: `Too many requests. Retry in ${f.retryAfterSeconds ?? 30} seconds.`,
          details: {
            quotaErrorDetails: { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: `${f.retryAfterSeconds ?? 30}s` },
          },
        },
      ]);
    case 'expired-token':
      return unauthenticated('OAUTH_TOKEN_EXPIRED');
    case 'revoked-token':
      return unauthenticated('OAUTH_TOKEN_REVOKED');
    case 'below-minimum':
      return failure(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
        { errorCode: { campaignBudgetError: 'MONEY_AMOUNT_LESS_THAN_CURRENCY_MINIMUM_CPC' }, message: 'The budget is below the minimum.' },
      ]);
    default:
      return failure(503, 'UNAVAILABLE', 'The service is currently unavailable.', [
        { errorCode: { internalError: 'TRANSIENT_ERROR' }, message: 'Try again later.' },
      ]);
  }
};

const unauthenticated = (code: string): FakeResponse =>
  failure(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential.', [
    { errorCode: { authenticationError: code }, message: 'The OAuth token in the request header is not valid.' },
  ]);

/** A GAQL query reduced to what the fake answers: resource, selected fields, date range and id filters. */
interface Gaql {
  readonly from: string;
  readonly fields: readonly string[];
  readonly dates?: readonly [string, string];
  readonly campaignIds?: ReadonlySet<string>;
  readonly budgetIds?: ReadonlySet<string>;
}

const idList = (text: string | undefined) =>
  text === undefined
    ? undefined
    : new Set(
        text
          .split(',')
          .map((s) => s.trim().replace(/^'|'$/g, ''))
          .filter(Boolean),
      );

/** Parses the GAQL the clients send; anything else is a 400 the way the API refuses a bad query. */
export const parseGaql = (query: string): Gaql | string => {
  const shape = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?\s*(?:ORDER BY.*)?$/is.exec(query);
  if (!shape) return 'Error in query: expected SELECT … FROM … [WHERE …]';
  const where = shape[3] ?? '';
  const dates = /segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'/i.exec(where);
  const campaigns = /campaign\.id\s+(?:IN\s*\(([^)]*)\)|=\s*(\d+))/i.exec(where);
  const budgets = /campaign_budget\.id\s+(?:IN\s*\(([^)]*)\)|=\s*(\d+))/i.exec(where);
  return {
    from: shape[2]!,
    fields: shape[1]!.split(',').map((f) => f.trim()),
    ...(dates ? { dates: [dates[1]!, dates[2]!] as const } : {}),
    ...(campaigns ? { campaignIds: idList(campaigns[1] ?? campaigns[2]) } : {}),
    ...(budgets ? { budgetIds: idList(budgets[1] ?? budgets[2]) } : {}),
  };
};

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Sets `a.b_c` as `{ a: { bC } }`, the REST JSON form of a GAQL field. */
const project = (values: Record<string, unknown>, fields: readonly string[]) => {
  const row: Record<string, Record<string, unknown>> = {};
  for (const field of fields) {
    if (!(field in values)) continue;
    const [resource, ...rest] = field.split('.');
    const key = camel(resource!);
    row[key] ??= {};
    row[key]![camel(rest.join('.'))] = values[field];
  }
  return row;
};

const micros = (units: number) => String(Math.round(units * 1_000_000));

/** The fake Google Ads platform: state plus the HTTP handler. */
export class FakeGoogleAds {
  readonly state: FakePlatformState;
  /** Access tokens issued by `/token`, each with the refresh token it came from. */
  private readonly accessTokens = new Map<string, string>();

  constructor(
    seed: FakeSeed,
    readonly pageSize = DEFAULT_PAGE_SIZE,
  ) {
    this.state = new State('google-ads', seed);
  }

  /** Invalidates every access token issued so far: the next call gets OAUTH_TOKEN_EXPIRED and must refresh. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.state.expire(token);
  }

  readonly handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const control = this.state.control(request.path, request.method, request.body ? bodyFields(request) : {});
    if (control) return control;
    const answer = await this.route(request);
    this.state.served.push({ method: request.method, path: request.path, status: answer.status });
    return answer;
  };

  private async route(request: FakeRequest): Promise<FakeResponse> {
    const injectedFailure = this.state.takeFailure(request.path);
    if (request.path === '/token') return this.token(request, injectedFailure);
    if (injectedFailure) return { ...injected(injectedFailure) };
    const match = new RegExp(
      `^/${GOOGLE_ADS_VERSION}/customers/(\\d{10})/(googleAds:searchStream|googleAds:search|googleAds:mutate|campaignBudgets:mutate)$`,
    ).exec(request.path);
    if (!match || request.method !== 'POST') return failure(404, 'NOT_FOUND', `no route ${request.method} ${request.path}`, []);
    const [, customerId, method] = match as unknown as [string, string, string];
    if (!request.headers['developer-token']) {
      return failure(401, 'UNAUTHENTICATED', 'developer-token header missing', [
        { errorCode: { authenticationError: 'DEVELOPER_TOKEN_NOT_APPROVED' }, message: 'missing developer token' },
      ]);
    }
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const refresh = bearer === undefined ? undefined : this.accessTokens.get(bearer);
    if (bearer === undefined || refresh === undefined) return unauthenticated('NOT_ADS_USER');
    if (this.state.expiredTokens.has(bearer)) return unauthenticated('OAUTH_TOKEN_EXPIRED');
    const login = request.headers['login-customer-id'];
    const access = this.state.tokenState(refresh, String(login ?? customerId));
    if (access === 'expired') return unauthenticated('OAUTH_TOKEN_REVOKED');
    if (access !== 'ok' || !this.state.accounts.has(customerId)) {
      return failure(403, 'PERMISSION_DENIED', 'The caller does not have permission', [
        { errorCode: { authorizationError: 'USER_PERMISSION_DENIED' }, message: `no access to customer ${customerId}` },
      ]);
    }
    const body = bodyFields(request);
    if (method === 'campaignBudgets:mutate') return this.mutateBudgets(customerId, body.operations, body);
    if (method === 'googleAds:mutate') {
      const operations = ((body.mutateOperations as { campaignBudgetOperation?: unknown }[] | undefined) ?? []).map(
        (o) => o.campaignBudgetOperation,
      );
      const answer = this.mutateBudgets(customerId, operations, body);
      if (answer.status !== 200) return answer;
      const { results, partialFailureError } = answer.json as { results: unknown[]; partialFailureError?: unknown };
      return {
        status: 200,
        json: {
          mutateOperationResponses: results.map((r) => ({ campaignBudgetResult: r })),
          ...(partialFailureError ? { partialFailureError } : {}),
        },
      };
    }
    const query = parseGaql(String(body.query ?? ''));
    if (typeof query === 'string') {
      return failure(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
        { errorCode: { queryError: 'UNEXPECTED_INPUT' }, message: query },
      ]);
    }
    const rows = this.rows(customerId, query);
    const fieldMask = query.fields.map(camel).join(',');
    if (method === 'googleAds:search') {
      const start = Number(body.pageToken ?? 0);
      const next = start + (this.state.pageSize ?? this.pageSize);
      return {
        status: 200,
        json: {
          results: rows.slice(start, next),
          ...(next < rows.length ? { nextPageToken: String(next) } : {}),
          totalResultsCount: String(rows.length),
          fieldMask,
        },
      };
    }
    const batches = [];
    const size = this.state.pageSize ?? this.pageSize;
    for (let i = 0; i < rows.length || i === 0; i += size) {
      batches.push({ results: rows.slice(i, i + size), fieldMask, requestId: randomUUID() });
    }
    return { status: 200, json: batches };
  }

  private token(request: FakeRequest, injectedFailure: InjectedFailure | undefined): FakeResponse {
    const form = Object.fromEntries(new URLSearchParams(request.body));
    const refresh = String(form.refresh_token ?? '');
    if (form.grant_type !== 'refresh_token') return { status: 400, json: { error: 'unsupported_grant_type' } };
    if (injectedFailure?.kind === 'rate-limit' || injectedFailure?.kind === 'server-error') {
      return { status: 503, json: { error: 'temporarily_unavailable' } };
    }
    const known = this.state.tokens.has(refresh);
    if (!known || injectedFailure || this.state.expiredTokens.has(refresh)) {
      return { status: 400, json: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
    }
    const access = `ya29.fake-${randomUUID()}`;
    this.accessTokens.set(access, refresh);
    return {
      status: 200,
      json: { access_token: access, expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/adwords' },
    };
  }

  private campaigns(customerId: string, query: Gaql): FakeCampaign[] {
    const account = this.state.accounts.get(customerId)!;
    return [...account.campaigns.values()].filter(
      (c) =>
        (query.campaignIds === undefined || query.campaignIds.has(c.id)) &&
        (query.budgetIds === undefined || query.budgetIds.has(c.budgetId)),
    );
  }

  private rows(customerId: string, query: Gaql) {
    const account = this.state.accounts.get(customerId)!;
    const budgetValues = (c: FakeCampaign) => ({
      'campaign_budget.resource_name': `customers/${customerId}/campaignBudgets/${c.budgetId}`,
      'campaign_budget.id': c.budgetId,
      'campaign_budget.amount_micros': c.dailyBudget === null ? undefined : micros(c.dailyBudget),
      'campaign_budget.explicitly_shared': c.shared,
      'campaign_budget.period': 'DAILY',
      'customer.currency_code': account.currency,
      'customer.id': customerId,
    });
    const campaignValues = (c: FakeCampaign) => ({
      'campaign.resource_name': `customers/${customerId}/campaigns/${c.id}`,
      'campaign.id': c.id,
      'campaign.name': c.name,
      'campaign.status': 'ENABLED',
      'campaign.campaign_budget': `customers/${customerId}/campaignBudgets/${c.budgetId}`,
    });
    if (query.from === 'campaign_budget') return this.campaigns(customerId, query).map((c) => project(budgetValues(c), query.fields));
    if (query.from !== 'campaign') return [];
    if (!query.dates)
      return this.campaigns(customerId, query).map((c) => project({ ...campaignValues(c), ...budgetValues(c) }, query.fields));
    const [from, to] = query.dates;
    return this.campaigns(customerId, query).flatMap((c) =>
      this.state.daysBetween(account, c, from, to).map(([date, day]) =>
        project(
          {
            ...campaignValues(c),
            'customer.currency_code': account.currency,
            'segments.date': date,
            'metrics.cost_micros': micros(day.spend),
            'metrics.conversions': day.conversions,
            'metrics.conversions_value': day.revenue,
            'metrics.clicks': String(day.clicks),
            'metrics.impressions': String(day.impressions),
          },
          query.fields,
        ),
      ),
    );
  }

  private mutateBudgets(customerId: string, operations: unknown, body: Record<string, unknown>): FakeResponse {
    const ops = (Array.isArray(operations) ? operations : []) as { update?: { resourceName?: string; amountMicros?: string | number } }[];
    const account = this.state.accounts.get(customerId)!;
    const errors: unknown[] = [];
    const planned: { campaigns: FakeCampaign[]; amount: number; resourceName: string }[] = [];
    ops.forEach((op, index) => {
      const location = { fieldPathElements: [{ fieldName: 'operations', index }] };
      const resourceName = op.update?.resourceName ?? '';
      const budgetId = new RegExp(`^customers/${customerId}/campaignBudgets/(\\d+)$`).exec(resourceName)?.[1];
      const campaigns = [...account.campaigns.values()].filter((c) => c.budgetId === budgetId);
      const amountMicros = Number(op.update?.amountMicros);
      if (campaigns.length === 0) {
        errors.push({ errorCode: { mutateError: 'RESOURCE_NOT_FOUND' }, message: `no budget ${resourceName}`, location });
      } else if (!Number.isInteger(amountMicros) || amountMicros % MINIMUM_UNIT_MICROS !== 0) {
        errors.push({
          errorCode: { campaignBudgetError: 'NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT' },
          message: 'amount_micros must be a multiple of the minimum unit',
          location,
        });
      } else if (amountMicros < GOOGLE_MIN_DAILY_BUDGET * 1_000_000) {
        errors.push({
          errorCode: { campaignBudgetError: 'MONEY_AMOUNT_LESS_THAN_CURRENCY_MINIMUM_CPC' },
          message: 'The budget is below the minimum.',
          location,
        });
      } else planned.push({ campaigns, amount: amountMicros / 1_000_000, resourceName });
    });
    const failureOf = (list: unknown[]) => ({
      code: 3,
      message: 'Multiple errors in ‘details’.',
      details: [{ '@type': FAILURE_TYPE, errors: list, requestId: randomUUID() }],
    });
    if (errors.length > 0 && !body.partialFailure)
      return { status: 400, json: { error: { ...failureOf(errors), code: 400, status: 'INVALID_ARGUMENT' } } };
    if (!body.validateOnly) for (const p of planned) for (const c of p.campaigns) this.state.setBudget(account, c, c, p.amount);
    const done = new Set(planned.map((p) => p.resourceName));
    return {
      status: 200,
      json: {
        results: ops.map((op) => (done.has(op.update?.resourceName ?? '') ? { resourceName: op.update!.resourceName } : {})),
        ...(errors.length > 0 ? { partialFailureError: failureOf(errors) } : {}),
      },
    };
  }
}

/** Starts a fake Google Ads API on the loopback interface. */
export const startFakeGoogleAds = async (seed: FakeSeed, port = 0): Promise<{ fake: FakeGoogleAds } & RunningFake> => {
  const fake = new FakeGoogleAds(seed);
  const running = await serveFake(fake.handle, port);
  return { fake, ...running };
};

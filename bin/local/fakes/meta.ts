import { randomUUID } from 'node:crypto';
import { bodyFields, type FakeRequest, type FakeResponse, type RunningFake, serveFake } from './server.js';
import {
  type FakeAccount,
  type FakeCampaign,
  type FakePlatformState,
  type FakeSeed,
  type InjectedFailure,
  minorUnits,
  FakePlatformState as State,
} from './state.js';

/**
 * A fake Meta Marketing API (Graph API v24.0), from the documented shapes:
 * - `GET /act_{id}/insights?level=campaign&time_increment=1&time_range=…&fields=…&filtering=…&limit=&after=`
 *   → `{ data: [rows], paging: { cursors: { before, after }, next } }`, numbers as strings, conversions in
 *   `actions` / `action_values` (a purchase repeated under several action types, as Meta does);
 * - asynchronous jobs: `POST /act_{id}/insights` → `{ report_run_id }`, `GET /{report_run_id}` →
 *   `{ async_status, async_percent_completion }`, `GET /{report_run_id}/insights` (paged);
 * - `GET /act_{id}` (currency), `GET /{campaign-id}` (daily_budget in minor units under campaign budget
 *   optimization), `GET /{campaign-id}/adsets`, `POST /{campaign-or-adset-id}` with `daily_budget`.
 * Errors are `{ error: { message, type, code, error_subcode, fbtrace_id } }`: throttling codes 4, 17, 613 and
 * 80004 with the `X-Business-Use-Case-Usage` header's `estimated_time_to_regain_access` (minutes), 190 for an
 * expired (subcode 463) or invalid token.
 */
export const META_VERSION = 'v24.0';

const DEFAULT_LIMIT = 25;
/** Percent of an account's quota one call uses in the fake's usage header. */
const USAGE_PER_CALL = 2;
/** The least daily budget the fake accepts, in currency units (Meta's minimum depends on currency and bidding). */
export const META_MIN_DAILY_BUDGET = 1;
/** Throttling error subcodes per code, as Meta documents them. */
const THROTTLE_SUBCODES: Readonly<Record<number, number>> = { 4: 1504022, 17: 2446079, 613: 1487742, 80004: 2446079 };

const graphError = (
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): FakeResponse => ({
  status,
  json: {
    error: {
      message,
      type: code === 190 ? 'OAuthException' : 'GraphMethodException',
      code,
      ...extra,
      fbtrace_id: randomUUID().slice(0, 11),
    },
  },
  ...(headers ? { headers } : {}),
});

const decimal = (n: number) => String(Math.round(n * 100) / 100);

interface ReportJob {
  readonly accountId: string;
  readonly params: URLSearchParams;
  polls: number;
}

/** The fake Meta platform: state plus the HTTP handler. */
export class FakeMeta {
  readonly state: FakePlatformState;
  private readonly jobs = new Map<string, ReportJob>();
  /** Each ad account's recent call instants (ms), for the usage header's sliding window. */
  private readonly calls = new Map<string, number[]>();

  constructor(
    seed: FakeSeed,
    /** The action types a purchase is repeated under; the first is the pixel purchase channels count by default. */
    readonly purchaseTypes: readonly string[] = ['offsite_conversion.fb_pixel_purchase', 'omni_purchase', 'purchase'],
    /** Status polls before an async job completes. */
    readonly pollsToComplete = 1,
  ) {
    this.state = new State('meta', seed);
  }

  readonly handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const control = this.state.control(request.path, request.method, request.body ? bodyFields(request) : {});
    if (control) return control;
    const answer = this.route(request);
    this.state.served.push({ method: request.method, path: request.path, status: answer.status });
    return answer;
  };

  /**
   * The `X-Business-Use-Case-Usage` header: per ad account, the share of its insights quota used, here
   * {@link USAGE_PER_CALL}% a call over the last minute (Meta's window is an hour; a minute keeps the fake quick).
   */
  private usage(accountId: string, throttledMinutes = 0): Record<string, string> {
    const now = Date.now();
    const recent = (this.calls.get(accountId) ?? []).filter((at) => at > now - 60_000);
    this.calls.set(accountId, recent);
    const percent = throttledMinutes > 0 ? 100 : Math.min(99, recent.length * USAGE_PER_CALL);
    const entry = {
      type: 'ads_insights',
      call_count: percent,
      total_cputime: Math.floor(percent / 2),
      total_time: Math.floor(percent / 2),
      estimated_time_to_regain_access: throttledMinutes,
    };
    return { 'x-business-use-case-usage': JSON.stringify({ [accountId]: [entry] }) };
  }

  private injected(f: InjectedFailure, accountId: string): FakeResponse {
    switch (f.kind) {
      case 'rate-limit': {
        const code = f.code ?? 17;
        const minutes = Math.max(1, Math.ceil((f.retryAfterSeconds ?? 60) / 60));
        const message = code === 613 ? 'Calls to this api have exceeded the rate limit.' : 'User request limit reached';
        return graphError(
          400,
          code,
          message,
          { error_subcode: THROTTLE_SUBCODES[code] ?? 2446079, is_transient: true },
          this.usage(accountId, minutes),
        );
      }
      case 'expired-token':
        return graphError(400, 190, 'Error validating access token: Session has expired.', { error_subcode: 463 });
      case 'revoked-token':
        return graphError(400, 190, 'Error validating access token: The user has not authorized application.', { error_subcode: 458 });
      case 'below-minimum':
        return graphError(400, 100, 'Invalid parameter', { error_subcode: 1885272, error_user_title: 'Budget Too Low' });
      default:
        return graphError(500, 2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true });
    }
  }

  private route(request: FakeRequest): FakeResponse {
    const prefix = `/${META_VERSION}/`;
    if (!request.path.startsWith(prefix)) return graphError(400, 2500, `Unknown path components: ${request.path}`);
    const parts = request.path.slice(prefix.length).split('/');
    const fields = { ...Object.fromEntries(request.query), ...(request.method === 'POST' ? bodyFields(request) : {}) } as Record<
      string,
      string
    >;
    const token = fields.access_token ?? /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    const accountId = this.accountOf(parts[0]!);
    const injectedFailure = this.state.takeFailure(request.path);
    if (injectedFailure) return this.injected(injectedFailure, accountId ?? '');
    const access = this.state.tokenState(token, accountId);
    if (access === 'expired') return graphError(400, 190, 'Error validating access token: Session has expired.', { error_subcode: 463 });
    if (access === 'invalid') return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (access === 'forbidden' || accountId === undefined)
      return graphError(400, 100, `Unsupported request - object ${parts[0]} does not exist or cannot be loaded`, { error_subcode: 33 });
    this.calls.set(accountId, [...(this.calls.get(accountId) ?? []), Date.now()]);
    const account = this.state.accounts.get(accountId)!;
    const head = parts[0]!;
    if (head.startsWith('act_')) {
      if (parts[1] === 'insights' && request.method === 'GET') return this.insights(account, new URLSearchParams(fields), fields);
      if (parts[1] === 'insights' && request.method === 'POST') {
        const id = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
        this.jobs.set(id, { accountId, params: new URLSearchParams(fields), polls: 0 });
        return { status: 200, json: { report_run_id: id }, headers: this.usage(accountId) };
      }
      if (parts.length === 1)
        return { status: 200, json: { id: head, account_id: accountId, currency: account.currency, timezone_name: 'Etc/UTC' } };
    }
    const job = this.jobs.get(head);
    if (job) {
      if (parts[1] === 'insights') return this.insights(this.state.accounts.get(job.accountId)!, job.params, fields);
      job.polls += 1;
      const done = job.polls > this.pollsToComplete - 1;
      return {
        status: 200,
        json: {
          id: head,
          account_id: job.accountId,
          async_status: done ? 'Job Completed' : 'Job Running',
          async_percent_completion: done ? 100 : 50,
        },
      };
    }
    const campaign = this.state.findCampaign(head);
    const adSet = campaign ? undefined : this.state.findAdGroup(head);
    if (campaign && parts[1] === 'adsets') {
      const scale = minorUnits(campaign.account.currency);
      return {
        status: 200,
        json: {
          data: campaign.campaign.adGroups.map((g) => ({
            id: g.id,
            campaign_id: head,
            ...(g.dailyBudget === null ? {} : { daily_budget: String(Math.round(g.dailyBudget * scale)) }),
          })),
          paging: { cursors: { before: 'MAZDZD', after: 'MAZDZD' } },
        },
      };
    }
    if ((campaign || adSet) && parts.length === 1) {
      const owner = campaign ?? adSet!;
      const scale = minorUnits(owner.account.currency);
      const budget = campaign ? campaign.campaign.dailyBudget : adSet!.adGroup.dailyBudget;
      if (request.method === 'POST') return this.setBudget(owner.campaign, campaign?.campaign ?? adSet!.adGroup, owner.account, fields);
      return {
        status: 200,
        json: {
          id: head,
          ...(campaign ? { name: campaign.campaign.name, status: 'ACTIVE' } : { campaign_id: adSet!.campaign.id }),
          ...(budget === null ? {} : { daily_budget: String(Math.round(budget * scale)) }),
          ...(campaign ? { budget_remaining: '0' } : {}),
        },
      };
    }
    return graphError(400, 100, `Unsupported get request. Object with ID '${head}' does not exist`, { error_subcode: 33 });
  }

  /** The ad account an id belongs to: `act_<id>`, a report run, a campaign or an ad set. */
  private accountOf(head: string): string | undefined {
    if (head.startsWith('act_')) return this.state.accounts.has(head.slice(4)) ? head.slice(4) : undefined;
    const job = this.jobs.get(head);
    if (job) return job.accountId;
    return this.state.findCampaign(head)?.account.id ?? this.state.findAdGroup(head)?.account.id;
  }

  /** `POST /{campaign-or-adset-id}` with `daily_budget`: `target` is the campaign, or one of its ad sets. */
  private setBudget(
    campaign: FakeCampaign,
    target: { dailyBudget: number | null },
    account: FakeAccount,
    fields: Record<string, string>,
  ): FakeResponse {
    if (fields.daily_budget === undefined) return { status: 200, json: { success: true } };
    const minor = Number(fields.daily_budget);
    if (!Number.isInteger(minor) || minor <= 0)
      return graphError(400, 100, 'Invalid parameter: daily_budget must be a whole number of minor units');
    if (target.dailyBudget === null) {
      return graphError(400, 100, 'Invalid parameter', {
        error_subcode: 1885621,
        error_user_msg: 'Budget is set at the other level (campaign budget optimization decides where the budget sits).',
      });
    }
    const units = minor / minorUnits(account.currency);
    if (units < META_MIN_DAILY_BUDGET) {
      return graphError(400, 100, 'Invalid parameter', {
        error_subcode: 1885272,
        error_user_title: 'Budget Too Low',
        error_user_msg: `The minimum daily budget is ${META_MIN_DAILY_BUDGET} ${account.currency}.`,
      });
    }
    this.state.setBudget(account, campaign, target, units);
    return { status: 200, json: { success: true } };
  }

  private insights(account: FakeAccount, params: URLSearchParams, page: Record<string, string>): FakeResponse {
    if (params.get('level') !== 'campaign' || params.get('time_increment') !== '1') {
      return graphError(400, 100, 'the fake answers level=campaign with time_increment=1 only');
    }
    let range: { since: string; until: string };
    try {
      range = JSON.parse(params.get('time_range') ?? '') as { since: string; until: string };
    } catch {
      return graphError(400, 100, 'Invalid parameter: time_range');
    }
    const filter = JSON.parse(params.get('filtering') ?? '[]') as { field: string; operator: string; value: string[] }[];
    const ids = filter.find((f) => f.field === 'campaign.id' && f.operator === 'IN')?.value;
    const rows = [...account.campaigns.values()]
      .filter((c) => ids === undefined || ids.includes(c.id))
      .flatMap((c) =>
        this.state.daysBetween(account, c, range.since, range.until).map(([date, day]) => {
          const purchases = this.purchaseTypes.map((type) => ({ action_type: type, value: decimal(day.conversions) }));
          const values = this.purchaseTypes.map((type) => ({ action_type: type, value: decimal(day.revenue) }));
          return {
            account_id: account.id,
            campaign_id: c.id,
            campaign_name: c.name,
            account_currency: account.currency,
            date_start: date,
            date_stop: date,
            spend: decimal(day.spend),
            impressions: String(day.impressions),
            clicks: String(day.clicks),
            // Meta leaves out an action type with no events on the day.
            ...(day.conversions > 0 ? { actions: [{ action_type: 'link_click', value: String(day.clicks) }, ...purchases] } : {}),
            ...(day.revenue > 0 ? { action_values: values } : {}),
          };
        }),
      );
    const limit = Math.min(Number(page.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT, this.state.pageSize ?? 500);
    const start = page.after ? Number(Buffer.from(page.after, 'base64url').toString()) : 0;
    const slice = rows.slice(start, start + limit);
    const after = Buffer.from(String(start + limit)).toString('base64url');
    return {
      status: 200,
      json: {
        data: slice,
        paging: {
          cursors: { before: Buffer.from(String(start)).toString('base64url'), after },
          ...(start + limit < rows.length
            ? { next: `https://graph.facebook.com/${META_VERSION}/act_${account.id}/insights?after=${after}&limit=${limit}` }
            : {}),
        },
      },
      headers: this.usage(account.id),
    };
  }
}

/** Starts a fake Meta Marketing API on the loopback interface. */
export const startFakeMeta = async (seed: FakeSeed, port = 0): Promise<{ fake: FakeMeta } & RunningFake> => {
  const fake = new FakeMeta(seed);
  const running = await serveFake(fake.handle, port);
  return { fake, ...running };
};

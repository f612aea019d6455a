import { randomUUID } from 'node:crypto';
import { bodyFields, type FakeRequest, type FakeResponse, type RunningFake, serveFake } from './server.js';
import { type FakeAccount, type FakePlatformState, type FakeSeed, type InjectedFailure, FakePlatformState as State } from './state.js';

/**
 * A fake TikTok API for Business (v1.3), from the documented shapes. Every answer is HTTP 200 with
 * `{ code, message, request_id, data }`; `code` 0 is success:
 * - `GET /open_api/v1.3/report/integrated/get/` (BASIC, AUCTION_CAMPAIGN, dimensions `campaign_id` and
 *   `stat_time_day`, at most 30 days) → `data: { list: [{ dimensions, metrics }], page_info }`, metrics as strings;
 * - `GET /campaign/get/`, `GET /adgroup/get/` (budgets and `budget_mode`), `POST /campaign/update/`,
 *   `POST /adgroup/update/` (`budget`, with minimum daily budgets).
 * Errors: 40100 when the app's QPS limit is passed, 40102 an expired access token, 40105 an invalid or
 * revoked one, 40002 an invalid parameter (a budget below the minimum), 50000 a system error.
 */
export const TIKTOK_PATH = '/open_api/v1.3';

/** TikTok's documented minimum daily budgets (USD): 50 for a campaign, 20 for an ad group. */
export const TIKTOK_MIN_DAILY_BUDGET = { campaign: 50, adgroup: 20 } as const;
const MAX_PAGE_SIZE = 1000;
const MAX_DAYS = 30;

const answer = (code: number, message: string, data: unknown = {}): FakeResponse => ({
  status: 200,
  json: { code, message, request_id: randomUUID().replaceAll('-', ''), data },
});

const injected = (f: InjectedFailure): FakeResponse => {
  switch (f.kind) {
    case 'rate-limit':
      return answer(40100, 'Too many requests. Please retry in some time.');
    case 'expired-token':
      return answer(40102, 'Access token has expired.');
    case 'revoked-token':
      return answer(40105, 'Access token is invalid or has been revoked.');
    case 'below-minimum':
      return answer(40002, `Budget must be at least ${TIKTOK_MIN_DAILY_BUDGET.campaign}.00.`);
    default:
      return answer(50000, 'System error, please try again later.');
  }
};

const json = <T>(text: string | null, fallback: T): T => {
  if (text === null || text === '') return fallback;
  return JSON.parse(text) as T;
};

const money = (n: number) => (Math.round(n * 100) / 100).toFixed(2);

const daysBetween = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;

/** The fake TikTok platform: state plus the HTTP handler. */
export class FakeTikTok {
  readonly state: FakePlatformState;

  constructor(
    seed: FakeSeed,
    /** Rows per page unless the client asks for fewer (the API's default is 10, its most 1000). */
    readonly maxPageSize = MAX_PAGE_SIZE,
  ) {
    this.state = new State('tiktok', seed);
  }

  readonly handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const control = this.state.control(request.path, request.method, request.body ? bodyFields(request) : {});
    if (control) return control;
    const result = this.route(request);
    const code = (result.json as { code?: number }).code;
    this.state.served.push({ method: request.method, path: request.path, status: code === 0 ? 200 : (code ?? result.status) });
    return result;
  };

  private route(request: FakeRequest): FakeResponse {
    if (!request.path.startsWith(`${TIKTOK_PATH}/`)) return { status: 404, json: { code: 40400, message: 'Not found' } };
    const endpoint = request.path.slice(TIKTOK_PATH.length);
    const fields: Record<string, unknown> = request.method === 'POST' ? bodyFields(request) : Object.fromEntries(request.query);
    const advertiserId = String(fields.advertiser_id ?? '');
    const injectedFailure = this.state.takeFailure(`${request.path}?advertiser_id=${advertiserId}`);
    if (injectedFailure) return injected(injectedFailure);
    const token = request.headers['access-token'];
    const access = this.state.tokenState(typeof token === 'string' ? token : undefined, advertiserId);
    if (access === 'expired') return answer(40102, 'Access token has expired.');
    if (access === 'invalid') return answer(40105, 'Access token is invalid or has been revoked.');
    const account = this.state.accounts.get(advertiserId);
    if (access === 'forbidden' || !account) return answer(40001, `No permission to operate advertiser ${advertiserId}.`);
    switch (`${request.method} ${endpoint}`) {
      case 'GET /report/integrated/get/':
        return this.report(account, request.query);
      case 'GET /campaign/get/':
        return this.campaigns(account, request.query);
      case 'GET /adgroup/get/':
        return this.adGroups(account, request.query);
      case 'POST /campaign/update/':
        return this.update(account, 'campaign', fields);
      case 'POST /adgroup/update/':
        return this.update(account, 'adgroup', fields);
      default:
        return answer(40400, `Unknown endpoint ${request.method} ${endpoint}`);
    }
  }

  private page<T>(rows: readonly T[], query: URLSearchParams) {
    const pageSize = Math.min(Number(query.get('page_size') ?? 10) || 10, this.state.pageSize ?? this.maxPageSize);
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    return {
      list: rows.slice((page - 1) * pageSize, page * pageSize),
      page_info: { page, page_size: pageSize, total_number: rows.length, total_page: Math.max(1, Math.ceil(rows.length / pageSize)) },
    };
  }

  private report(account: FakeAccount, query: URLSearchParams): FakeResponse {
    const dimensions = json<string[]>(query.get('dimensions'), []);
    if (query.get('report_type') !== 'BASIC' || query.get('data_level') !== 'AUCTION_CAMPAIGN' || !dimensions.includes('stat_time_day')) {
      return answer(40002, 'the fake answers BASIC reports at AUCTION_CAMPAIGN level by campaign_id and stat_time_day');
    }
    const from = query.get('start_date') ?? '';
    const to = query.get('end_date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || to < from)
      return answer(40002, 'start_date and end_date: YYYY-MM-DD, start first');
    if (daysBetween(from, to) > MAX_DAYS) return answer(40002, `With stat_time_day the time span can be at most ${MAX_DAYS} days.`);
    const filtering = json<{ field_name: string; filter_value: string }[]>(query.get('filtering'), []);
    const ids = filtering.find((f) => f.field_name === 'campaign_ids');
    const wanted = ids ? new Set(json<string[]>(ids.filter_value, [])) : undefined;
    const rows = [...account.campaigns.values()]
      .filter((c) => wanted === undefined || wanted.has(c.id))
      .flatMap((c) =>
        this.state.daysBetween(account, c, from, to).map(([date, day]) => ({
          dimensions: { campaign_id: c.id, stat_time_day: `${date} 00:00:00` },
          metrics: {
            spend: money(day.spend),
            conversion: String(day.conversions),
            clicks: String(day.clicks),
            impressions: String(day.impressions),
            currency: account.currency,
          },
        })),
      );
    return answer(0, 'OK', this.page(rows, query));
  }

  private campaigns(account: FakeAccount, query: URLSearchParams): FakeResponse {
    const ids = json<{ campaign_ids?: string[] }>(query.get('filtering'), {}).campaign_ids;
    const rows = [...account.campaigns.values()]
      .filter((c) => ids === undefined || ids.includes(c.id))
      .map((c) => ({
        advertiser_id: account.id,
        campaign_id: c.id,
        campaign_name: c.name,
        budget_mode: c.dailyBudget === null ? 'BUDGET_MODE_INFINITE' : 'BUDGET_MODE_DAY',
        budget: c.dailyBudget === null ? 0 : c.dailyBudget,
        operation_status: 'ENABLE',
      }));
    return answer(0, 'OK', this.page(rows, query));
  }

  private adGroups(account: FakeAccount, query: URLSearchParams): FakeResponse {
    const ids = json<{ campaign_ids?: string[] }>(query.get('filtering'), {}).campaign_ids;
    const rows = [...account.campaigns.values()]
      .filter((c) => ids === undefined || ids.includes(c.id))
      .flatMap((c) =>
        c.adGroups.map((g) => ({
          advertiser_id: account.id,
          campaign_id: c.id,
          adgroup_id: g.id,
          budget_mode: g.dailyBudget === null ? 'BUDGET_MODE_INFINITE' : 'BUDGET_MODE_DAY',
          budget: g.dailyBudget ?? 0,
        })),
      );
    return answer(0, 'OK', this.page(rows, query));
  }

  private update(account: FakeAccount, level: 'campaign' | 'adgroup', fields: Record<string, unknown>): FakeResponse {
    const id = String(fields[`${level}_id`] ?? '');
    const budget = Number(fields.budget);
    const group = level === 'adgroup' ? this.state.findAdGroup(id) : undefined;
    const campaign = level === 'campaign' ? account.campaigns.get(id) : group?.campaign;
    const target = level === 'campaign' ? campaign : group?.adGroup;
    if (!campaign || !target) return answer(40002, `${level}_id ${id} does not exist under advertiser ${account.id}.`);
    if (fields.budget === undefined) return answer(0, 'OK', { [`${level}_id`]: id });
    // A decimal such as 75.01 is 7501.000000000001 hundredths in binary: compare within a rounding error.
    if (!Number.isFinite(budget) || Math.abs(Math.round(budget * 100) - budget * 100) > 1e-6)
      return answer(40002, 'budget: at most two decimals.');
    if (target.dailyBudget === null)
      return answer(40002, `The ${level}'s budget mode is BUDGET_MODE_INFINITE: set the budget at the other level.`);
    if (budget < TIKTOK_MIN_DAILY_BUDGET[level]) return answer(40002, `Budget must be at least ${money(TIKTOK_MIN_DAILY_BUDGET[level])}.`);
    this.state.setBudget(account, campaign, target, budget);
    return answer(0, 'OK', { [`${level}_id`]: id, budget });
  }
}

/** Starts a fake TikTok API for Business on the loopback interface. */
export const startFakeTikTok = async (seed: FakeSeed, port = 0): Promise<{ fake: FakeTikTok } & RunningFake> => {
  const fake = new FakeTikTok(seed);
  const running = await serveFake(fake.handle, port);
  return { fake, ...running };
};

import { type BudgetPlatform, type BudgetTarget, PlatformCallError } from '../../application/applyPorts.js';
import type { BudgetEntity, CampaignBudgets } from '../../domain/apply/budgets.js';
import type { Account } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import { currencyDigits } from '../../domain/money.js';
import * as z from '../../domain/schema.js';
import { type CallOptions, type Classify, callPlatform, credentialsOf } from './budgetHttp.js';
import type { CredentialsSource } from './credentials.js';

/**
 * TikTok API for Business budgets (v1.3): a campaign with `budget_mode: BUDGET_MODE_DAY` holds the daily
 * budget; under `BUDGET_MODE_INFINITE` its ad groups do. Budgets are decimals in the account's currency units.
 * Read: `GET /campaign/get/`, `GET /adgroup/get/`, spend and currency from `GET /report/integrated/get/`;
 * write: `POST /campaign/update/` or `POST /adgroup/update/` with `budget`. Every answer is HTTP 200 with a
 * `code` (0 is success).
 */
export const TIKTOK_API_PATH = '/open_api/v1.3';

/** TikTok's documented minimum daily budgets (USD; other currencies' equivalents are the platform's to refuse). */
export const TIKTOK_MINIMUM_DAILY_BUDGET = { campaign: 50, adgroup: 20 } as const;

const SPEND_DAYS = 7;

const Envelope = z.object({ code: z.number(), message: z.optional(z.string()), data: z.optional(z.unknown()) });
const ListPage = <T extends z.ZodMiniType>(row: T) =>
  z.object({ list: z._default(z.array(row), []), page_info: z.optional(z.object({ page: z.number(), total_page: z.number() })) });
const Budgeted = z.object({
  campaign_id: z.coerce.string(),
  adgroup_id: z.optional(z.coerce.string()),
  budget_mode: z.optional(z.string()),
  budget: z.optional(z.coerce.number()),
});
const ReportRow = z.object({
  dimensions: z.object({ campaign_id: z.coerce.string() }),
  metrics: z.object({ spend: z.optional(z.coerce.number()), currency: z.optional(z.string()) }),
});

export interface TikTokBudgetsOptions extends CallOptions {
  /** `https://business-api.tiktok.com`, or a fake's URL. */
  readonly apiUrl: string;
  readonly credentials: CredentialsSource;
  readonly now: () => Date;
}

/** TikTok's codes: 40100 QPS limit; 40102 expired, 40104/40105 missing or invalid token; 5xxxx system errors. */
const classify: Classify = ({ status, json }) => {
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) return { failure: 'unavailable', message: `HTTP ${status}: not a TikTok API answer` };
  const { code, message = '' } = envelope.data;
  if (code === 0) return undefined;
  const text = `code ${code}: ${message}`;
  if (code === 40100 || code === 40133) return { failure: 'rate-limit', message: text };
  if (code === 40102 || code === 40104 || code === 40105) return { failure: 'auth', message: text };
  if (code >= 50000) return { failure: 'unavailable', message: text };
  return { failure: 'rejected', message: text };
};

export class TikTokBudgets implements BudgetPlatform {
  constructor(private readonly options: TikTokBudgetsOptions) {}

  async read(account: Account, campaignIds: readonly string[]): Promise<CampaignBudgets[]> {
    const ids = campaignIds.filter((id) => /^\d+$/.test(id));
    if (ids.length === 0) return [];
    const filtering = JSON.stringify({ campaign_ids: ids });
    const campaigns = await this.list(account, '/campaign/get/', { filtering }, Budgeted);
    const groups = await this.list(account, '/adgroup/get/', { filtering }, Budgeted);
    const { spend, currency: reported } = await this.recentSpend(account, ids);
    const currency = (await this.currency(account)) ?? reported;
    const decimals = currencyDigits(currency);
    const minor = (units: number) => Math.round(units * 10 ** decimals);
    return campaigns.map((campaign): CampaignBudgets => {
      const campaignId = campaign.campaign_id;
      const common = {
        platform: 'tiktok' as const,
        accountId: account.accountId,
        campaignId,
        currency,
        decimals,
        recentSpendMinor: minor(spend.get(campaignId) ?? 0),
      };
      if (campaign.budget_mode === 'BUDGET_MODE_DAY') {
        const entity: BudgetEntity = {
          level: 'campaign',
          entityId: campaignId,
          amountMinor: minor(campaign.budget ?? 0),
          minimumMinor: minor(TIKTOK_MINIMUM_DAILY_BUDGET.campaign),
        };
        return { ...common, entities: [entity] };
      }
      if (campaign.budget_mode === 'BUDGET_MODE_TOTAL') {
        return { ...common, entities: [], refusal: `TikTok campaign ${campaignId} has a lifetime budget, not a daily one` };
      }
      const entities = groups
        .filter((g) => g.campaign_id === campaignId && g.adgroup_id && g.budget_mode === 'BUDGET_MODE_DAY')
        .map(
          (g): BudgetEntity => ({
            level: 'adgroup',
            entityId: g.adgroup_id!,
            amountMinor: minor(g.budget ?? 0),
            minimumMinor: minor(TIKTOK_MINIMUM_DAILY_BUDGET.adgroup),
          }),
        );
      return entities.length > 0
        ? { ...common, entities }
        : { ...common, entities: [], refusal: `TikTok campaign ${campaignId} has no daily budget on it or on its ad groups` };
    });
  }

  async write(account: Account, target: BudgetTarget, amountMinor: number): Promise<void> {
    const level = target.level === 'adgroup' ? 'adgroup' : 'campaign';
    const budget = Number((amountMinor / 10 ** target.decimals).toFixed(target.decimals));
    await callPlatform(
      `${this.options.apiUrl}${TIKTOK_API_PATH}/${level}/update/`,
      {
        method: 'POST',
        headers: { 'access-token': await this.token(account), 'content-type': 'application/json' },
        body: JSON.stringify({ advertiser_id: account.accountId, [`${level}_id`]: target.entityId, budget }),
      },
      classify,
      this.options,
    );
  }

  /**
   * The advertiser's currency from `GET /advertiser/info/`; undefined when the endpoint refuses (an app without
   * that scope, or the local fake), and the report's `currency` metric stands in.
   */
  private async currency(account: Account): Promise<string | undefined> {
    try {
      const data = (await this.get(account, '/advertiser/info/', {
        advertiser_ids: JSON.stringify([account.accountId]),
        fields: JSON.stringify(['currency']),
      })) as { list?: { currency?: string }[] } | undefined;
      return data?.list?.[0]?.currency;
    } catch (error) {
      if (error instanceof PlatformCallError && error.failure === 'rejected') return undefined;
      throw error;
    }
  }

  /** Every page of a list endpoint. */
  private async list<T extends z.ZodMiniType>(
    account: Account,
    path: string,
    query: Record<string, string>,
    row: T,
  ): Promise<z.infer<T>[]> {
    const rows: z.infer<T>[] = [];
    for (let page = 1; page <= 100; page++) {
      const data = await this.get(account, path, { ...query, page: String(page), page_size: '1000' });
      const parsed = ListPage(row).safeParse(data);
      if (!parsed.success) throw new PlatformCallError('unavailable', `TikTok answered ${path} in an undocumented shape`);
      rows.push(...parsed.data.list);
      if (!parsed.data.page_info || parsed.data.page_info.page >= parsed.data.page_info.total_page) break;
    }
    return rows;
  }

  /** Recent spend per campaign (currency units) and the account's currency, from the BASIC report. */
  private async recentSpend(account: Account, ids: readonly string[]): Promise<{ spend: Map<string, number>; currency: string }> {
    const today = this.options.now().toISOString().slice(0, 10);
    const rows = await this.list(
      account,
      '/report/integrated/get/',
      {
        report_type: 'BASIC',
        data_level: 'AUCTION_CAMPAIGN',
        dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
        metrics: JSON.stringify(['spend', 'currency']),
        start_date: addDays(today, -SPEND_DAYS),
        end_date: addDays(today, -1),
        filtering: JSON.stringify([{ field_name: 'campaign_ids', filter_type: 'IN', filter_value: JSON.stringify(ids) }]),
      },
      ReportRow,
    );
    const spend = new Map<string, number>();
    for (const row of rows) spend.set(row.dimensions.campaign_id, (spend.get(row.dimensions.campaign_id) ?? 0) + (row.metrics.spend ?? 0));
    // With neither the advertiser's info nor a day of spend, USD, TikTok's usual billing currency; a portfolio
    // in another currency then refuses the account rather than guess.
    return { spend, currency: rows.find((r) => r.metrics.currency)?.metrics.currency ?? 'USD' };
  }

  private async get(account: Account, path: string, query: Record<string, string>): Promise<unknown> {
    const json = await callPlatform(
      `${this.options.apiUrl}${TIKTOK_API_PATH}${path}?${new URLSearchParams({ advertiser_id: account.accountId, ...query }).toString()}`,
      { method: 'GET', headers: { 'access-token': await this.token(account) } },
      classify,
      this.options,
    );
    return (json as { data?: unknown }).data;
  }

  private async token(account: Account): Promise<string> {
    return (await credentialsOf(this.options.credentials, account as Account & { platform: 'tiktok' })).accessToken;
  }
}

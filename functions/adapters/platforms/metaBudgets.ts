import { type BudgetPlatform, type BudgetTarget, PlatformCallError } from '../../application/applyPorts.js';
import type { BudgetEntity, CampaignBudgets } from '../../domain/apply/budgets.js';
import type { Account } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import { currencyDigits } from '../../domain/money.js';
import * as z from '../../domain/schema.js';
import { type CallOptions, type Classify, callPlatform, credentialsOf } from './budgetHttp.js';
import type { CredentialsSource } from './credentials.js';
import { isThrottling } from './meta.js';

/**
 * Meta Marketing API budgets (Graph API): under campaign budget optimization the campaign holds the
 * `daily_budget`; otherwise each ad set holds its own. Amounts are the account currency's minor units
 * (as strings). Read: `GET /{campaign-id}?fields=daily_budget,lifetime_budget`, `GET /{campaign-id}/adsets`,
 * `GET /act_{id}?fields=currency`, spend from `GET /act_{id}/insights`; write: `POST /{id}` with `daily_budget`.
 */
export const META_API_VERSION = 'v24.0';

/**
 * The smallest daily budget the actuator gives a Meta campaign or ad set, in currency units. Meta's own
 * floor depends on the currency and the bid strategy (`GET /act_{id}/minimum_budgets`); a budget below it is
 * refused with error subcode 1885272 ("Budget Too Low"), which the apply records.
 */
export const META_MINIMUM_DAILY_BUDGET = 1;

const SPEND_DAYS = 7;

const Budgeted = z.object({ id: z.string(), daily_budget: z.optional(z.string()), lifetime_budget: z.optional(z.string()) });
const Page = <T extends z.ZodMiniType>(row: T) =>
  z.object({ data: z._default(z.array(row), []), paging: z.optional(z.object({ next: z.optional(z.string()) })) });
const AdSets = Page(Budgeted);
const Insights = Page(z.object({ campaign_id: z.optional(z.string()), spend: z.optional(z.string()) }));

export interface MetaBudgetsOptions extends CallOptions {
  /** `https://graph.facebook.com`, or a fake's URL. */
  readonly graphUrl: string;
  readonly credentials: CredentialsSource;
  readonly now: () => Date;
}

/** Graph errors: `{ error: { code, error_subcode, message, error_user_msg, is_transient } }`. */
const classify: Classify = ({ status, json }) => {
  const error = (
    json as { error?: { code?: number; error_subcode?: number; message?: string; error_user_msg?: string; is_transient?: boolean } } | null
  )?.error;
  if (!error && status >= 200 && status < 300) return undefined;
  const code = error?.code ?? status;
  const message = `code ${code}${error?.error_subcode ? `/${error.error_subcode}` : ''}: ${error?.error_user_msg ?? error?.message ?? `HTTP ${status}`}`;
  if (code === 190 || code === 102) return { failure: 'auth', message };
  if (isThrottling(code)) return { failure: 'rate-limit', message };
  if (status >= 500 || error?.is_transient || code === 1 || code === 2) return { failure: 'unavailable', message };
  return { failure: 'rejected', message };
};

const integerOf = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));

export class MetaBudgets implements BudgetPlatform {
  constructor(private readonly options: MetaBudgetsOptions) {}

  async read(account: Account, campaignIds: readonly string[]): Promise<CampaignBudgets[]> {
    const ids = campaignIds.filter((id) => /^\d+$/.test(id));
    if (ids.length === 0) return [];
    const { currency } = (await this.get(account, `act_${account.accountId}`, { fields: 'currency' })) as { currency?: string };
    const decimals = currencyDigits(currency ?? 'USD');
    const minimumMinor = META_MINIMUM_DAILY_BUDGET * 10 ** decimals;
    const spend = await this.recentSpend(account, ids, decimals);
    const found: CampaignBudgets[] = [];
    for (const campaignId of ids) {
      let campaign: z.infer<typeof Budgeted>;
      try {
        campaign = Budgeted.parse(await this.get(account, campaignId, { fields: 'id,daily_budget,lifetime_budget' }));
      } catch (error) {
        if (error instanceof PlatformCallError && error.failure === 'rejected') continue; // not found: the mapping says so
        throw error;
      }
      const common = {
        platform: 'meta' as const,
        accountId: account.accountId,
        campaignId,
        currency: currency ?? 'USD',
        decimals,
        recentSpendMinor: spend.get(campaignId) ?? 0,
      };
      const daily = integerOf(campaign.daily_budget);
      if (daily !== undefined && daily > 0) {
        found.push({ ...common, entities: [{ level: 'campaign', entityId: campaignId, amountMinor: daily, minimumMinor }] });
        continue;
      }
      if ((integerOf(campaign.lifetime_budget) ?? 0) > 0) {
        found.push({ ...common, entities: [], refusal: `Meta campaign ${campaignId} has a lifetime budget, not a daily one` });
        continue;
      }
      const adSets = await this.adSets(account, campaignId);
      const entities: BudgetEntity[] = adSets.flatMap((set) => {
        const amount = integerOf(set.daily_budget);
        return amount !== undefined && amount > 0 ? [{ level: 'adset' as const, entityId: set.id, amountMinor: amount, minimumMinor }] : [];
      });
      found.push(
        entities.length > 0
          ? { ...common, entities }
          : { ...common, entities: [], refusal: `Meta campaign ${campaignId} has no daily budget on it or on its ad sets` },
      );
    }
    return found;
  }

  async write(account: Account, target: BudgetTarget, amountMinor: number): Promise<void> {
    const token = await this.token(account);
    await callPlatform(
      `${this.options.graphUrl}/${META_API_VERSION}/${encodeURIComponent(target.entityId)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ daily_budget: String(amountMinor) }).toString(),
      },
      classify,
      this.options,
    );
  }

  private async adSets(account: Account, campaignId: string): Promise<z.infer<typeof Budgeted>[]> {
    const sets: z.infer<typeof Budgeted>[] = [];
    let after: string | undefined;
    for (let page = 0; page < 50; page++) {
      const json = await this.get(account, `${campaignId}/adsets`, {
        fields: 'id,daily_budget,lifetime_budget',
        limit: '100',
        ...(after ? { after } : {}),
      });
      const parsed = AdSets.parse(json);
      sets.push(...parsed.data);
      after = parsed.paging?.next ? (new URL(parsed.paging.next).searchParams.get('after') ?? undefined) : undefined;
      if (!after) break;
    }
    return sets;
  }

  /** Each campaign's spend over the last days, in minor units, from the account's campaign-level insights. */
  private async recentSpend(account: Account, ids: readonly string[], decimals: number): Promise<Map<string, number>> {
    const today = this.options.now().toISOString().slice(0, 10);
    const spend = new Map<string, number>();
    let after: string | undefined;
    for (let page = 0; page < 50; page++) {
      const json = await this.get(account, `act_${account.accountId}/insights`, {
        level: 'campaign',
        time_increment: '1',
        time_range: JSON.stringify({ since: addDays(today, -SPEND_DAYS), until: addDays(today, -1) }),
        fields: 'campaign_id,spend',
        filtering: JSON.stringify([{ field: 'campaign.id', operator: 'IN', value: ids }]),
        limit: '500',
        ...(after ? { after } : {}),
      });
      const parsed = Insights.parse(json);
      for (const row of parsed.data) {
        if (!row.campaign_id) continue;
        spend.set(row.campaign_id, (spend.get(row.campaign_id) ?? 0) + Math.round(Number(row.spend ?? 0) * 10 ** decimals));
      }
      after = parsed.paging?.next ? (new URL(parsed.paging.next).searchParams.get('after') ?? undefined) : undefined;
      if (!after) break;
    }
    return spend;
  }

  private async get(account: Account, path: string, query: Record<string, string>): Promise<unknown> {
    const token = await this.token(account);
    return callPlatform(
      `${this.options.graphUrl}/${META_API_VERSION}/${path}?${new URLSearchParams(query).toString()}`,
      { method: 'GET', headers: { authorization: `Bearer ${token}` } },
      classify,
      this.options,
    );
  }

  private async token(account: Account): Promise<string> {
    return (await credentialsOf(this.options.credentials, account as Account & { platform: 'meta' })).accessToken;
  }
}

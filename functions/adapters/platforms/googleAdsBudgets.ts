import { type BudgetPlatform, type BudgetTarget, PlatformCallError } from '../../application/applyPorts.js';
import type { CampaignBudgets } from '../../domain/apply/budgets.js';
import type { Account } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import { currencyDigits } from '../../domain/money.js';
import * as z from '../../domain/schema.js';
import { type CallOptions, type Classify, callPlatform, credentialsOf } from './budgetHttp.js';
import type { CredentialsSource, GoogleAdsCredentials } from './credentials.js';

/**
 * Google Ads budgets over the REST interface: a campaign's `CampaignBudget` is read with GAQL through
 * `googleAds:search` and set with `campaignBudgets:mutate` (`update` + `updateMask: "amount_micros"`).
 * An explicitly shared budget is refused: setting it would move every campaign sharing it.
 */
export const GOOGLE_ADS_API_VERSION = 'v22';

/**
 * The smallest daily budget the actuator gives a Google Ads campaign, in currency units. Google's real floor
 * depends on the campaign (it answers `BudgetPerDayMinimumErrorDetails` when a budget is below it); one
 * currency unit keeps every budget above the minimum CPC of the common currencies.
 */
export const GOOGLE_MINIMUM_DAILY_BUDGET = 1;

/** Days of spend that weigh a channel's campaigns against each other. */
const SPEND_DAYS = 7;

const Row = z.object({
  campaign: z.optional(z.object({ id: z.optional(z.string()) })),
  campaignBudget: z.optional(
    z.object({
      resourceName: z.optional(z.string()),
      amountMicros: z.optional(z.string()),
      explicitlyShared: z.optional(z.boolean()),
      period: z.optional(z.string()),
    }),
  ),
  customer: z.optional(z.object({ currencyCode: z.optional(z.string()) })),
  metrics: z.optional(z.object({ costMicros: z.optional(z.string()) })),
});
const SearchPage = z.object({ results: z._default(z.array(Row), []), nextPageToken: z.optional(z.string()) });

export interface GoogleAdsBudgetsOptions extends CallOptions {
  /** `https://googleads.googleapis.com`, or a fake's URL. */
  readonly apiUrl: string;
  /** `https://oauth2.googleapis.com/token`, or a fake's. */
  readonly tokenUrl: string;
  readonly credentials: CredentialsSource;
  readonly now: () => Date;
}

/** Google's error body: `{ error: { code, status, message, details: [{ errors: [{ errorCode, details }] }] } }`. */
const classify: Classify = ({ status, json }) => {
  if (status >= 200 && status < 300) {
    const partial = (json as { partialFailureError?: { message?: string } } | null)?.partialFailureError;
    return partial ? { failure: 'rejected', message: partial.message ?? 'partial failure' } : undefined;
  }
  const error = (
    json as {
      error?: {
        status?: string;
        message?: string;
        details?: { errors?: { errorCode?: object; message?: string; details?: { quotaErrorDetails?: { retryDelay?: string } } }[] }[];
      };
    } | null
  )?.error;
  const first = error?.details?.[0]?.errors?.[0];
  const code = first?.errorCode ? Object.values(first.errorCode).join(',') : (error?.status ?? String(status));
  const message = `${code}: ${first?.message ?? error?.message ?? `HTTP ${status}`}`;
  if (status === 401 || error?.status === 'UNAUTHENTICATED') return { failure: 'auth', message };
  if (status === 429 || error?.status === 'RESOURCE_EXHAUSTED') {
    const delay = /^(\d+(?:\.\d+)?)s$/.exec(first?.details?.quotaErrorDetails?.retryDelay ?? '')?.[1];
    return { failure: 'rate-limit', message, ...(delay ? { retryAfterMs: Number(delay) * 1000 } : {}) };
  }
  if (status >= 500) return { failure: 'unavailable', message };
  return { failure: 'rejected', message };
};

/** The OAuth token endpoint's refusal (`invalid_grant`: the refresh token is expired or revoked). */
const classifyToken: Classify = ({ status, json }) => {
  if (status === 200) return undefined;
  const error = (json as { error?: string; error_description?: string } | null) ?? {};
  const message = `${error.error ?? `HTTP ${status}`}: ${error.error_description ?? 'the token endpoint refused the refresh token'}`;
  if (status >= 500) return { failure: 'unavailable', message };
  return { failure: 'auth', message };
};

export class GoogleAdsBudgets implements BudgetPlatform {
  /** Access tokens by refresh token, until a minute before they expire. */
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(private readonly options: GoogleAdsBudgetsOptions) {}

  async read(account: Account, campaignIds: readonly string[]): Promise<CampaignBudgets[]> {
    const ids = campaignIds.filter((id) => /^\d+$/.test(id));
    if (ids.length === 0) return [];
    const budgets = await this.search(
      account,
      `SELECT campaign.id, campaign_budget.resource_name, campaign_budget.amount_micros, campaign_budget.explicitly_shared, campaign_budget.period, customer.currency_code FROM campaign WHERE campaign.id IN (${ids.join(', ')})`,
    );
    const today = this.options.now().toISOString().slice(0, 10);
    const spendRows = await this.search(
      account,
      `SELECT campaign.id, metrics.cost_micros, segments.date FROM campaign WHERE segments.date BETWEEN '${addDays(today, -SPEND_DAYS)}' AND '${addDays(today, -1)}' AND campaign.id IN (${ids.join(', ')})`,
    );
    const spend = new Map<string, number>();
    for (const row of spendRows) {
      const id = row.campaign?.id ?? '';
      spend.set(id, (spend.get(id) ?? 0) + Number(row.metrics?.costMicros ?? 0));
    }
    return budgets.flatMap((row): CampaignBudgets[] => {
      const campaignId = row.campaign?.id;
      const budget = row.campaignBudget;
      if (!campaignId || !budget?.resourceName) return [];
      const currency = row.customer?.currencyCode ?? 'USD';
      const decimals = currencyDigits(currency);
      const toMinor = (micros: number) => Math.round(micros / 10 ** (6 - decimals));
      const common = {
        platform: 'google-ads' as const,
        accountId: account.accountId,
        campaignId,
        currency,
        decimals,
        recentSpendMinor: toMinor(spend.get(campaignId) ?? 0),
      };
      if (budget.explicitlyShared) {
        return [
          {
            ...common,
            entities: [],
            refusal: `Google Ads campaign ${campaignId} uses the shared budget ${budget.resourceName}: setting it would move every campaign that shares it; give the campaign a budget of its own`,
          },
        ];
      }
      if (budget.period && budget.period !== 'DAILY') {
        return [{ ...common, entities: [], refusal: `Google Ads campaign ${campaignId}'s budget is not a daily one (${budget.period})` }];
      }
      const entity = {
        level: 'campaign-budget' as const,
        entityId: budget.resourceName,
        amountMinor: toMinor(Number(budget.amountMicros ?? 0)),
        minimumMinor: GOOGLE_MINIMUM_DAILY_BUDGET * 10 ** decimals,
      };
      return [{ ...common, entities: [entity] }];
    });
  }

  async write(account: Account, target: BudgetTarget, amountMinor: number): Promise<void> {
    const amountMicros = String(amountMinor * 10 ** (6 - target.decimals));
    const body = JSON.stringify({ operations: [{ update: { resourceName: target.entityId, amountMicros }, updateMask: 'amount_micros' }] });
    await this.authorized(account, (headers) =>
      callPlatform(this.url(account, 'campaignBudgets:mutate'), { method: 'POST', headers, body }, classify, this.options),
    );
  }

  private url(account: Account, method: string) {
    return `${this.options.apiUrl}/${GOOGLE_ADS_API_VERSION}/customers/${account.accountId}/${method}`;
  }

  private async search(account: Account, query: string): Promise<z.infer<typeof Row>[]> {
    const rows: z.infer<typeof Row>[] = [];
    let pageToken: string | undefined;
    do {
      const body = JSON.stringify({ query, ...(pageToken ? { pageToken } : {}) });
      const json = await this.authorized(account, (headers) =>
        callPlatform(this.url(account, 'googleAds:search'), { method: 'POST', headers, body }, classify, this.options),
      );
      const page = SearchPage.safeParse(json);
      if (!page.success) throw new PlatformCallError('unavailable', 'Google Ads answered a search in an undocumented shape');
      rows.push(...page.data.results);
      pageToken = page.data.nextPageToken;
    } while (pageToken);
    return rows;
  }

  /**
   * A call with a fresh access token: an access token expires within the hour, so a refusal with a cached
   * one refreshes it and tries once more; a refusal of the refresh itself is the account's credentials failing.
   */
  private async authorized<T>(account: Account, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    const credentials = await credentialsOf(this.options.credentials, account as Account & { platform: 'google-ads' });
    const cached = this.tokens.has(credentials.refreshToken);
    try {
      return await call(await this.headers(account, credentials));
    } catch (error) {
      if (!(cached && error instanceof PlatformCallError && error.failure === 'auth')) throw error;
      this.tokens.delete(credentials.refreshToken);
      return call(await this.headers(account, credentials));
    }
  }

  private async headers(account: Account, credentials: GoogleAdsCredentials): Promise<Record<string, string>> {
    return {
      'content-type': 'application/json',
      authorization: `Bearer ${await this.accessToken(credentials)}`,
      'developer-token': credentials.developerToken,
      ...(account.loginCustomerId ? { 'login-customer-id': account.loginCustomerId } : {}),
    };
  }

  private async accessToken(credentials: GoogleAdsCredentials): Promise<string> {
    const cached = this.tokens.get(credentials.refreshToken);
    const now = this.options.now().getTime();
    if (cached && cached.until > now) return cached.token;
    const json = (await callPlatform(
      this.options.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          refresh_token: credentials.refreshToken,
        }).toString(),
      },
      classifyToken,
      this.options,
    )) as { access_token?: string; expires_in?: number };
    if (!json.access_token) throw new PlatformCallError('auth', 'the token endpoint answered no access token');
    this.tokens.set(credentials.refreshToken, { token: json.access_token, until: now + ((json.expires_in ?? 3600) - 60) * 1000 });
    return json.access_token;
  }
}

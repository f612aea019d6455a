import type { ConnectedPlatform } from '../../../functions/domain/config.js';

/** One day of one campaign, in the account's currency units (the fakes convert to each platform's form). */
export interface FakeDay {
  spend: number;
  conversions: number;
  revenue: number;
  impressions: number;
  clicks: number;
}

/** An ad set (Meta) or ad group (TikTok) under a campaign, with its own daily budget when the campaign has none. */
export interface FakeAdGroup {
  readonly id: string;
  /** Daily budget in account currency units; null when the campaign's budget governs (Meta CBO, TikTok campaign budget). */
  dailyBudget: number | null;
}

/** A campaign: its budget as the platform holds it, and its daily metrics by date. */
export interface FakeCampaign {
  readonly id: string;
  readonly name: string;
  /** Daily budget in account currency units; null when the ad groups carry the budgets. */
  dailyBudget: number | null;
  /** Google: the CampaignBudget's id, and whether other campaigns share it. */
  readonly budgetId: string;
  shared: boolean;
  readonly adGroups: FakeAdGroup[];
  readonly days: Map<string, FakeDay>;
}

/** An ad account (Google customer, Meta ad account, TikTok advertiser). */
export interface FakeAccount {
  readonly id: string;
  readonly currency: string;
  readonly campaigns: Map<string, FakeCampaign>;
}

/** What a test or `npm start` seeds a fake with. */
export interface FakeSeed {
  readonly accounts: readonly {
    readonly id: string;
    readonly currency?: string;
    readonly campaigns: readonly {
      readonly id: string;
      readonly name?: string;
      readonly dailyBudget?: number | null;
      readonly shared?: boolean;
      readonly adGroups?: readonly { readonly id: string; readonly dailyBudget: number | null }[];
      readonly days?: readonly ({ readonly date: string } & Partial<FakeDay>)[];
    }[];
  }[];
  /** Tokens (access tokens, or Google refresh tokens) the fake accepts; each names its account ids ('*' for all). */
  readonly tokens?: Readonly<Record<string, readonly string[]>>;
}

/** A failure a test injects: the next `times` requests whose path matches answer as this kind of error. */
export interface InjectedFailure {
  readonly kind: 'rate-limit' | 'expired-token' | 'revoked-token' | 'server-error' | 'below-minimum';
  /** A substring of the request path (an account id, `insights`, `mutate`…); absent: any request. */
  readonly match?: string;
  times: number;
  /** Seconds the platform asks the client to wait, where it says (Google's retryDelay, Meta's regain estimate). */
  readonly retryAfterSeconds?: number;
  /** The platform's own error code to answer with, where it has several (Meta throttling: 4, 17, 613, 80004). */
  readonly code?: number;
}

/** Every request a fake served, for assertions (paths and outcome, never tokens). */
export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly failure?: InjectedFailure['kind'];
}

/**
 * The state every platform fake shares: accounts, campaigns with budgets and daily metrics, the tokens it
 * accepts, failures waiting to be served, and the requests served so far. Platform fakes translate it to
 * and from their documented shapes.
 */
export class FakePlatformState {
  readonly accounts = new Map<string, FakeAccount>();
  readonly tokens = new Map<string, Set<string>>();
  readonly expiredTokens = new Set<string>();
  readonly failures: InjectedFailure[] = [];
  readonly served: ServedRequest[] = [];
  /** The most rows a report page (or searchStream batch) carries, whatever the client asks: set it low to show paging. */
  pageSize: number | undefined;

  constructor(
    readonly platform: ConnectedPlatform,
    seed: FakeSeed,
  ) {
    this.seed(seed);
  }

  /** Adds accounts, campaigns, days and tokens; a day already there is replaced (a restatement). */
  seed(seed: FakeSeed): void {
    for (const a of seed.accounts) {
      const account = this.accounts.get(a.id) ?? { id: a.id, currency: a.currency ?? 'USD', campaigns: new Map() };
      this.accounts.set(a.id, account);
      for (const c of a.campaigns) {
        const campaign = account.campaigns.get(c.id) ?? {
          id: c.id,
          name: c.name ?? `Campaign ${c.id}`,
          dailyBudget: c.dailyBudget === undefined ? 100 : c.dailyBudget,
          budgetId: `9${c.id.slice(-9)}`,
          shared: c.shared ?? false,
          adGroups: (c.adGroups ?? []).map((g) => ({ ...g })),
          days: new Map(),
        };
        account.campaigns.set(c.id, campaign);
        for (const { date, ...values } of c.days ?? []) this.restate(a.id, c.id, date, values);
      }
    }
    for (const [token, ids] of Object.entries(seed.tokens ?? {})) this.tokens.set(token, new Set(ids));
  }

  /** Sets a campaign's day (only the values given change): what a platform's attribution does to a recent day. */
  restate(accountId: string, campaignId: string, date: string, values: Partial<FakeDay>): void {
    const campaign = this.campaign(accountId, campaignId);
    const day = campaign.days.get(date) ?? { spend: 0, conversions: 0, revenue: 0, impressions: 0, clicks: 0 };
    campaign.days.set(date, { ...day, ...values });
  }

  campaign(accountId: string, campaignId: string): FakeCampaign {
    const campaign = this.accounts.get(accountId)?.campaigns.get(campaignId);
    if (!campaign) throw new Error(`no campaign ${campaignId} in account ${accountId}`);
    return campaign;
  }

  /** The campaign with this id in any account, with its account. */
  findCampaign(campaignId: string): { account: FakeAccount; campaign: FakeCampaign } | undefined {
    for (const account of this.accounts.values()) {
      const campaign = account.campaigns.get(campaignId);
      if (campaign) return { account, campaign };
    }
    return undefined;
  }

  /** The ad group (ad set) with this id, with its campaign and account. */
  findAdGroup(id: string): { account: FakeAccount; campaign: FakeCampaign; adGroup: FakeAdGroup } | undefined {
    for (const account of this.accounts.values()) {
      for (const campaign of account.campaigns.values()) {
        const adGroup = campaign.adGroups.find((g) => g.id === id);
        if (adGroup) return { account, campaign, adGroup };
      }
    }
    return undefined;
  }

  /** Queues a failure for the next matching requests. */
  fail(failure: InjectedFailure): void {
    this.failures.push({ ...failure });
  }

  /** Takes the next failure that matches this path, if any. */
  takeFailure(path: string): InjectedFailure | undefined {
    const index = this.failures.findIndex((f) => f.times > 0 && (f.match === undefined || path.includes(f.match)));
    if (index < 0) return undefined;
    const failure = this.failures[index]!;
    failure.times -= 1;
    if (failure.times === 0) this.failures.splice(index, 1);
    return failure;
  }

  /** Whether a token may act on an account: known, not expired, and granted that account (or all). */
  tokenState(token: string | undefined, accountId: string | undefined): 'ok' | 'expired' | 'invalid' | 'forbidden' {
    if (!token) return 'invalid';
    if (this.expiredTokens.has(token)) return 'expired';
    const accounts = this.tokens.get(token);
    if (!accounts) return 'invalid';
    return accountId === undefined || accounts.has('*') || accounts.has(accountId) ? 'ok' : 'forbidden';
  }

  /** Marks a token expired (or revoked): every later request with it is refused as the platform would. */
  expire(token: string): void {
    this.expiredTokens.add(token);
  }

  /** Days of a campaign within [from, to], in date order, skipping days without any activity (as reports do). */
  daysBetween(campaign: FakeCampaign, from: string, to: string): [string, FakeDay][] {
    return [...campaign.days.entries()]
      .filter(([date, day]) => date >= from && date <= to && (day.spend > 0 || day.impressions > 0 || day.conversions > 0))
      .sort(([a], [b]) => a.localeCompare(b));
  }

  /** The test-control API every fake serves under `/_control/`: inject failures, restate days, expire tokens, read state. */
  control(path: string, method: string, body: Record<string, unknown>): { status: number; json: unknown } | undefined {
    if (!path.startsWith('/_control/')) return undefined;
    const action = path.slice('/_control/'.length);
    if (method === 'GET' && action === 'state') return { status: 200, json: this.snapshot() };
    if (method === 'GET' && action === 'requests') return { status: 200, json: this.served };
    if (method !== 'POST') return { status: 405, json: { error: 'use POST' } };
    if (action === 'fail') this.fail(body as unknown as InjectedFailure);
    else if (action === 'restate') {
      const { accountId, campaignId, date, ...values } = body as { accountId: string; campaignId: string; date: string } & Partial<FakeDay>;
      this.restate(accountId, campaignId, date, values);
    } else if (action === 'expire') this.expire(String(body.token));
    else if (action === 'seed') this.seed(body as unknown as FakeSeed);
    else return { status: 404, json: { error: `unknown control ${action}` } };
    return { status: 200, json: { ok: true } };
  }

  /** Accounts, campaigns and budgets as plain JSON (days left out: they are read through the reports). */
  snapshot() {
    return {
      platform: this.platform,
      accounts: [...this.accounts.values()].map((a) => ({
        id: a.id,
        currency: a.currency,
        campaigns: [...a.campaigns.values()].map((c) => ({
          id: c.id,
          name: c.name,
          dailyBudget: c.dailyBudget,
          budgetId: c.budgetId,
          shared: c.shared,
          adGroups: c.adGroups,
        })),
      })),
    };
  }
}

/** Minor units per currency unit (ISO 4217 exponent): 100 for USD and EUR, 1 for JPY and KRW. */
export const minorUnits = (currency: string): number =>
  10 ** (new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2);

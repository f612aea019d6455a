import type { ConnectedPlatform } from '../../../functions/domain/config.js';
import { addDays, dateInZone, startOfDayInZone } from '../../../functions/domain/dates.js';
import { DEFAULT_TRUTH, type DemoChannelTruth, dayResults, pacedSpend } from '../../../functions/domain/demoFeed.js';
import { roundTo } from '../../../functions/domain/money.js';
import { substream } from '../../../functions/domain/random.js';

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

/** A daily budget set through the platform's API, in force from `date` (the account's day it was set on). */
export interface FakeBudgetChange {
  readonly date: string;
  /** What the campaign may spend a day from then: its own budget, or its ad groups' together. */
  readonly amount: number;
}

/**
 * How a campaign's spend turns into results on the days the fake delivers a budget itself: the market's truth
 * for the campaign's channel (the demo's curves), and the campaign's share of that channel.
 */
export interface FakeDelivery {
  readonly truth: DemoChannelTruth;
  readonly share: number;
}

/**
 * A campaign: its budget as the platform holds it, and its daily metrics by date: the days it holds (seeded or
 * restated) and, from the day a budget was first set through the API, the days it spends that budget.
 */
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
  /** The budgets set through the API, oldest first; a day's spend follows the last set on or before it. */
  applied: FakeBudgetChange[];
  readonly delivery: FakeDelivery;
}

/** An ad account (Google customer, Meta ad account, TikTok advertiser). */
export interface FakeAccount {
  readonly id: string;
  readonly currency: string;
  /** The account's time zone: its reports' days and the day a budget change takes effect. */
  readonly timezone: string;
  readonly campaigns: Map<string, FakeCampaign>;
}

/** What a test or `npm start` seeds a fake with. */
export interface FakeSeed {
  readonly accounts: readonly {
    readonly id: string;
    readonly currency?: string;
    /** IANA time zone; UTC when absent. */
    readonly timezone?: string;
    readonly campaigns: readonly {
      readonly id: string;
      readonly name?: string;
      readonly dailyBudget?: number | null;
      readonly shared?: boolean;
      readonly adGroups?: readonly { readonly id: string; readonly dailyBudget: number | null }[];
      readonly days?: readonly ({ readonly date: string } & Partial<FakeDay>)[];
      /** How its spend converts on the days it delivers an applied budget; the demo's middling channel when absent. */
      readonly delivery?: FakeDelivery;
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
  /** Now: the day a budget set through the API takes effect on, and how much of today a report covers. Tests fix it. */
  clock: () => Date = () => new Date();

  constructor(
    readonly platform: ConnectedPlatform,
    seed: FakeSeed,
  ) {
    this.seed(seed);
  }

  /** Adds accounts, campaigns, days and tokens; a day already there is replaced (a restatement). */
  seed(seed: FakeSeed): void {
    for (const a of seed.accounts) {
      const account = this.accounts.get(a.id) ?? {
        id: a.id,
        currency: a.currency ?? 'USD',
        timezone: a.timezone ?? 'UTC',
        campaigns: new Map(),
      };
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
          applied: [],
          delivery: c.delivery ?? { truth: DEFAULT_TRUTH, share: 1 },
        };
        account.campaigns.set(c.id, campaign);
        for (const { date, ...values } of c.days ?? []) this.restate(a.id, c.id, date, values);
      }
    }
    for (const [token, ids] of Object.entries(seed.tokens ?? {})) this.tokens.set(token, new Set(ids));
  }

  /**
   * Sets a campaign's day (only the values given change): what a platform's attribution does to a recent day.
   * The day is then held as restated, a day the campaign delivered an applied budget included.
   */
  restate(accountId: string, campaignId: string, date: string, values: Partial<FakeDay>): void {
    const campaign = this.campaign(accountId, campaignId);
    const day = campaign.days.get(date) ??
      this.delivered(this.accounts.get(accountId)!, campaign, date) ?? { spend: 0, conversions: 0, revenue: 0, impressions: 0, clicks: 0 };
    campaign.days.set(date, { ...day, ...values });
  }

  /**
   * Sets a budget as the platform's API does (`target` is the campaign or one of its ad groups), and from that day
   * on (the account's) the campaign spends what its budget now comes to: a real platform paces a new daily budget
   * from the day it is set. A second change on the same day replaces the first for that day.
   */
  setBudget(account: FakeAccount, campaign: FakeCampaign, target: { dailyBudget: number | null }, amount: number): void {
    target.dailyBudget = amount;
    const date = dateInZone(this.clock(), account.timezone);
    campaign.applied = [...campaign.applied.filter((c) => c.date < date), { date, amount: this.dailyAmount(account, campaign) }];
  }

  /** What a campaign may spend a day: its own budget or its ad groups' together; a shared budget split evenly among its campaigns. */
  private dailyAmount(account: FakeAccount, campaign: FakeCampaign): number {
    const own = campaign.dailyBudget ?? campaign.adGroups.reduce((sum, g) => sum + (g.dailyBudget ?? 0), 0);
    const sharing = campaign.shared ? [...account.campaigns.values()].filter((c) => c.budgetId === campaign.budgetId).length : 1;
    return own / sharing;
  }

  /**
   * The day a campaign delivered of the budget in force on `date` (the last set through the API on or before
   * it): roughly that budget with the demo's day-to-day pacing noise, at most twice it (the most Google Ads
   * lets one day spend of a daily budget), and the results the channel's curve gives for that spend. Today's
   * row is the part of the day gone by, as a platform's report fills in through the day. None before the first
   * budget set through the API, and none after today. The same day always reads the same (seeded by campaign and date).
   */
  delivered(account: FakeAccount, campaign: FakeCampaign, date: string): FakeDay | undefined {
    const budget = campaign.applied.findLast((c) => c.date <= date)?.amount;
    const now = this.clock();
    const today = dateInZone(now, account.timezone);
    if (budget === undefined || date > today) return undefined;
    const random = substream(FAKE_SEED, `${this.platform}:${account.id}:${campaign.id}:${date}`);
    const spend = roundTo(Math.min(2 * budget, pacedSpend(budget, random)), 2);
    const day = { spend, ...dayResults(campaign.delivery.truth, spend, random, campaign.delivery.share) };
    return date < today ? day : soFar(day, dayGoneBy(now, today, account.timezone));
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

  /**
   * Days of a campaign within [from, to], in date order, skipping days without any activity (as reports do):
   * the days it holds, and the days it delivered the budgets set through the API.
   */
  daysBetween(account: FakeAccount, campaign: FakeCampaign, from: string, to: string): [string, FakeDay][] {
    const days = [...campaign.days.entries()].filter(([date]) => date >= from && date <= to);
    const first = campaign.applied[0]?.date;
    if (first !== undefined) {
      for (let date = first > from ? first : from; date <= to; date = addDays(date, 1)) {
        if (campaign.days.has(date)) continue;
        const day = this.delivered(account, campaign, date);
        if (!day) break; // after today
        days.push([date, day]);
      }
    }
    return days.filter(([, day]) => day.spend > 0 || day.impressions > 0 || day.conversions > 0).sort(([a], [b]) => a.localeCompare(b));
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
          applied: c.applied,
        })),
      })),
    };
  }
}

/** The seed of the days the fakes deliver themselves. */
const FAKE_SEED = 2026;

/** The part of `date` (today) gone by at `now`, in the account's zone (a day of 23 or 25 hours included). */
const dayGoneBy = (now: Date, date: string, timezone: string): number => {
  const start = startOfDayInZone(date, timezone).getTime();
  const end = startOfDayInZone(addDays(date, 1), timezone).getTime();
  return Math.min(1, Math.max(0, (now.getTime() - start) / (end - start)));
};

/** A day's row as it stands when `part` of it has gone by: every figure that part of the day's, never more than the day's. */
const soFar = (day: FakeDay, part: number): FakeDay => {
  const conversions = Math.floor(day.conversions * part);
  return {
    spend: roundTo(day.spend * part, 2),
    conversions,
    revenue: day.conversions > 0 ? roundTo((day.revenue * conversions) / day.conversions, 2) : 0,
    impressions: Math.floor(day.impressions * part),
    clicks: Math.floor(day.clicks * part),
  };
};

/** Minor units per currency unit (ISO 4217 exponent): 100 for USD and EUR, 1 for JPY and KRW. */
export const minorUnits = (currency: string): number =>
  10 ** (new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2);

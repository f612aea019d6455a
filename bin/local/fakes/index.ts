import { LOCAL_DEV_CREDENTIALS } from '../../../functions/adapters/platforms/credentials.js';
import { accountCampaigns, type ConnectedPlatform, type Portfolio } from '../../../functions/domain/config.js';
import type { MetricRecord } from '../../../functions/domain/delivery.js';
import { demoTruth } from '../../../functions/domain/demoFeed.js';
import { type FakeGoogleAds, startFakeGoogleAds } from './googleAds.js';
import { type FakeMeta, startFakeMeta } from './meta.js';
import type { FakeSeed } from './state.js';
import { type FakeTikTok, startFakeTikTok } from './tiktok.js';

export { FakeGoogleAds, GOOGLE_ADS_VERSION } from './googleAds.js';
export { FakeMeta, META_VERSION } from './meta.js';
export type { FakeBudgetChange, FakeDay, FakeDelivery, FakeSeed, InjectedFailure } from './state.js';
export { FakeTikTok } from './tiktok.js';

/** The three fakes running, with the environment that points the platform clients at them. */
export interface FakePlatforms {
  readonly googleAds: FakeGoogleAds;
  readonly meta: FakeMeta;
  readonly tiktok: FakeTikTok;
  /** `GOOGLE_ADS_API_URL`, `GOOGLE_OAUTH_TOKEN_URL`, `META_GRAPH_URL`, `TIKTOK_API_URL`. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** The tokens the local fakes accept for every account: the local runtime's default credentials. */
export const LOCAL_DEV_TOKENS: Readonly<Record<ConnectedPlatform, Record<string, readonly string[]>>> = {
  'google-ads': { [LOCAL_DEV_CREDENTIALS['google-ads'].refreshToken]: ['*'] },
  meta: { [LOCAL_DEV_CREDENTIALS.meta.accessToken]: ['*'] },
  tiktok: { [LOCAL_DEV_CREDENTIALS.tiktok.accessToken]: ['*'] },
};

/** Starts the three fakes on free loopback ports, seeded per platform. */
export const startFakePlatforms = async (seeds: Readonly<Record<ConnectedPlatform, FakeSeed>>): Promise<FakePlatforms> => {
  const [google, meta, tiktok] = await Promise.all([
    startFakeGoogleAds(seeds['google-ads']),
    startFakeMeta(seeds.meta),
    startFakeTikTok(seeds.tiktok),
  ]);
  return {
    googleAds: google.fake,
    meta: meta.fake,
    tiktok: tiktok.fake,
    environment: {
      GOOGLE_ADS_API_URL: google.url,
      GOOGLE_OAUTH_TOKEN_URL: `${google.url}/token`,
      META_GRAPH_URL: meta.url,
      TIKTOK_API_URL: tiktok.url,
    },
    close: async () => {
      await Promise.all([google.close(), meta.close(), tiktok.close()]);
    },
  };
};

/**
 * Seeds for a portfolio's accounts from daily channel records (the demo feed): each channel's days go to its
 * campaigns, split evenly when it has several; budgets start at the channel's base (Google and TikTok on the
 * campaign; Meta under campaign budget optimization), in each account's currency and the portfolio's time
 * zone. A budget set through a fake's API is then spent from that day with the channel's demo curve (its share of it).
 */
export const seedsFromRecords = (portfolio: Portfolio, records: readonly MetricRecord[]): Record<ConnectedPlatform, FakeSeed> => {
  const campaigns = accountCampaigns(portfolio);
  const seeds = {} as Record<ConnectedPlatform, FakeSeed>;
  for (const platform of ['google-ads', 'meta', 'tiktok'] as const) {
    const accounts = portfolio.accounts
      .filter((a) => a.platform === platform)
      .map((account) => ({
        id: account.accountId,
        currency: portfolio.currency,
        timezone: portfolio.timezone,
        campaigns: campaigns
          .filter((c) => c.platform === platform && c.accountId === account.accountId)
          .map((c) => {
            const channel = portfolio.channels.find((ch) => ch.id === c.channelId)!;
            const share = 1 / campaigns.filter((x) => x.channelId === c.channelId).length;
            const split = (n: number | undefined, whole = false) =>
              whole ? Math.round((n ?? 0) * share) : Math.round((n ?? 0) * share * 100) / 100;
            return {
              id: c.campaignId,
              name: channel.name ?? channel.id,
              dailyBudget: Math.max(platform === 'tiktok' ? 50 : 1, Math.round(channel.base * share * 100) / 100),
              delivery: { truth: demoTruth(channel.id), share },
              days: records
                .filter((r) => r.channelId === c.channelId && r.hour === undefined)
                .map((r) => ({
                  date: r.date,
                  spend: split(r.spend),
                  conversions: split(r.conversions, true),
                  revenue: split(r.revenue),
                  impressions: split(r.impressions, true),
                  clicks: split(r.clicks, true),
                })),
            };
          }),
      }));
    seeds[platform] = { accounts, tokens: LOCAL_DEV_TOKENS[platform] };
  }
  return seeds;
};

import { accountCampaigns, type Portfolio } from '../../functions/domain/config.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import type { MetricRecord } from '../../functions/domain/delivery.js';
import { demoFeed } from '../../functions/domain/demoFeed.js';
import { type FakePlatforms, seedsFromRecords, startFakePlatforms } from './fakes/index.js';
import { getJson } from './webhookClient.js';

/** The channels whose metrics arrive by pull: those naming a campaign of one of the portfolio's accounts. */
export const pulledChannels = (portfolio: Portfolio): ReadonlySet<string> => new Set(accountCampaigns(portfolio).map((c) => c.channelId));

/** Days of history the fakes hold: the demo feed's 60 days, ending yesterday. */
const DEMO_DAYS = 60;

/**
 * Starts the local fakes of Google Ads, Meta and TikTok with the demo's history for the portfolio's pulled
 * channels (the same generated feed the demo always loaded, ending yesterday), and points the pollers at
 * them. Days already stored (an earlier `npm start` on `.data/`) are seeded as stored, so a restart does
 * not look like a restatement of every day.
 */
export const startDemoPlatforms = async (url: string, token: string, portfolio: Portfolio, now: Date): Promise<FakePlatforms> => {
  const yesterday = addDays(dateInZone(now, portfolio.timezone), -1);
  const pulled = pulledChannels(portfolio);
  const from = addDays(yesterday, -(DEMO_DAYS - 1));
  const answer = await getJson(url, `/portfolios/${portfolio.id}/metrics?from=${from}&to=${yesterday}`, token);
  const stored = new Map(
    answer.status === 200
      ? (answer.body as { metrics: (MetricRecord & { channelId: string })[] }).metrics.map((m) => [`${m.channelId}#${m.date}`, m] as const)
      : [],
  );
  const records = demoFeed(portfolio, yesterday, DEMO_DAYS)
    .filter((r) => pulled.has(r.channelId))
    .map((r) => {
      const kept = stored.get(`${r.channelId}#${r.date}`);
      return kept
        ? {
            ...r,
            spend: kept.spend,
            conversions: kept.conversions,
            revenue: kept.revenue ?? 0,
            impressions: kept.impressions ?? 0,
            clicks: kept.clicks ?? 0,
          }
        : r;
    });
  const fakes = await startFakePlatforms(seedsFromRecords(portfolio, records));
  Object.assign(process.env, fakes.environment);
  return fakes;
};

/** Requests each fake served, for the start-up summary ("Pulled … from the local fakes"). */
export const servedCounts = (fakes: FakePlatforms): string =>
  [
    ['Google Ads', fakes.googleAds],
    ['Meta', fakes.meta],
    ['TikTok', fakes.tiktok],
  ]
    .map(([name, fake]) => `${name as string} ${(fake as FakePlatforms['meta']).state.served.length}`)
    .join(', ');

import { accountCampaigns, type Portfolio } from '../../functions/domain/config.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import type { FakePlatforms } from './fakes/index.js';
import { getJson } from './webhookClient.js';

/**
 * Sets the fake platforms' budgets to the plan that was in force when the portfolio's day began (the newest
 * snapshot made before today), as if yesterday's plan had been applied: today's plans move at most the daily
 * change limit from it, so applying one (dry run, approval) sets every budget to the plan itself, which is
 * what the demo shows. Returns the snapshot it used, if any.
 */
export const alignDemoBudgets = async (
  platforms: FakePlatforms,
  url: string,
  token: string,
  portfolio: Portfolio,
  now: Date,
): Promise<string | undefined> => {
  const yesterday = addDays(dateInZone(now, portfolio.timezone), -1);
  const answer = await getJson(url, `/portfolios/${portfolio.id}/allocations?to=${yesterday}&limit=1`, token);
  const dayStart = answer.status === 200 ? (answer.body as { snapshots: Snapshot[] }).snapshots[0] : undefined;
  if (!dayStart) return undefined;
  const campaigns = accountCampaigns(portfolio);
  for (const channel of dayStart.allocation.channels) {
    const owned = campaigns.filter((c) => c.channelId === channel.channelId);
    for (const c of owned) {
      const fake = c.platform === 'google-ads' ? platforms.googleAds : c.platform === 'meta' ? platforms.meta : platforms.tiktok;
      fake.state.campaign(c.accountId, c.campaignId).dailyBudget = Math.round((channel.total / owned.length) * 100) / 100;
    }
  }
  return dayStart.snapshotId;
};

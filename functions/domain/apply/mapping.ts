import type { AccountCampaign } from '../config.js';
import { formatAmount } from '../money.js';
import { type BudgetLevel, type CampaignBudgets, entityKey, fromMinor, toMinor } from './budgets.js';
import { splitByWeight, splitWithMinimums } from './split.js';

/** One platform budget a plan sets: where it is, what it holds now, and what the plan gives it. */
export interface EntityChange {
  readonly key: string;
  readonly channelId: string;
  readonly platform: AccountCampaign['platform'];
  readonly accountId: string;
  readonly campaignId: string;
  readonly level: BudgetLevel;
  readonly entityId: string;
  readonly currency: string;
  readonly decimals: number;
  /** The platform's budget when it was read, in minor units. */
  readonly beforeMinor: number;
  /** What the plan gives it, in minor units (before the daily change limit). */
  readonly targetMinor: number;
  readonly minimumMinor: number;
}

/** How one channel's planned total reaches its platform budgets, or why it does not. */
export interface ChannelMapping {
  readonly channelId: string;
  /** The plan's total for the channel, in the portfolio's currency. */
  readonly planned: number;
  /** `mapped`: its budgets are set; `refused`: none of them is, `reason` says why; `unconnected`: no platform campaign to set. */
  readonly status: 'mapped' | 'refused' | 'unconnected';
  readonly reason?: string;
  readonly changes: readonly EntityChange[];
}

export interface MappingInput {
  /** The portfolio's currency: plans are in it, and an account in another is refused (no exchange rates here). */
  readonly currency: string;
  readonly channels: readonly { readonly channelId: string; readonly total: number }[];
  /** The campaigns each channel owns (config's `sourceIds`, with their accounts). */
  readonly owned: readonly AccountCampaign[];
  /** What the platforms said about those campaigns. */
  readonly campaigns: readonly CampaignBudgets[];
}

const campaignKey = (c: { platform: string; accountId: string; campaignId: string }) => `${c.platform}:${c.accountId}:${c.campaignId}`;

/**
 * Maps each channel's planned total onto the platform budgets it owns. Several campaigns share the total in
 * proportion to their recent spend (evenly when none spent); a campaign with several budgets (Meta ad sets
 * without campaign budget optimization, TikTok ad groups) shares its part in proportion to their current
 * budgets. Amounts are the account currency's minor units, sum exactly to the channel's total, and give each
 * budget at least its platform minimum, the others paying for it; a channel whose total cannot cover those
 * minimums, or one of whose campaigns cannot be set, is refused whole (setting only some of its campaigns
 * would leave the others spending what the plan took from them).
 */
export const mapPlan = ({ currency, channels, owned, campaigns }: MappingInput): ChannelMapping[] => {
  const read = new Map(campaigns.map((c) => [campaignKey(c), c]));
  return channels.map(({ channelId, total }) => {
    const refs = owned.filter((o) => o.channelId === channelId);
    const refused = (reason: string): ChannelMapping => ({ channelId, planned: total, status: 'refused', reason, changes: [] });
    if (refs.length === 0) return { channelId, planned: total, status: 'unconnected', changes: [] };
    const found: CampaignBudgets[] = [];
    for (const ref of refs) {
      const campaign = read.get(campaignKey(ref));
      if (!campaign) return refused(`${ref.platform} campaign ${ref.campaignId} was not found in account ${ref.accountId}`);
      if (campaign.refusal) return refused(campaign.refusal);
      if (campaign.currency !== currency) {
        return refused(
          `${ref.platform} account ${ref.accountId} bills in ${campaign.currency} and the plan is in ${currency}: no exchange rate is applied`,
        );
      }
      if (campaign.entities.length === 0) return refused(`${ref.platform} campaign ${ref.campaignId} has no daily budget to set`);
      found.push(campaign);
    }
    const decimals = found[0]!.decimals;
    if (found.some((c) => c.decimals !== decimals)) return refused(`the channel's accounts disagree on ${currency}'s minor units`);
    const budgets = found.flatMap((campaign) => campaign.entities.map((entity) => ({ campaign, entity })));
    // Each budget's weight: its campaign's share of recent spend, then its share of its campaign's budgets.
    const campaignShares = splitByWeight(
      1_000_000_000,
      found.map((c) => c.recentSpendMinor),
    );
    const weights = budgets.map(({ campaign, entity }) => {
      const share = campaignShares[found.indexOf(campaign)]!;
      const siblings = campaign.entities.reduce((s, e) => s + e.amountMinor, 0);
      return siblings > 0 ? (share * entity.amountMinor) / siblings : share / campaign.entities.length;
    });
    const totalMinor = toMinor(total, decimals);
    const minimums = budgets.map(({ entity }) => entity.minimumMinor);
    const amounts = splitWithMinimums(totalMinor, weights, minimums);
    if (!amounts) {
      const needed = fromMinor(
        minimums.reduce((s, m) => s + m, 0),
        decimals,
      );
      return refused(
        `the plan's ${formatAmount(total, decimals, decimals)} ${currency} is below the platform minimum of ${formatAmount(needed, decimals, decimals)} ${currency} for the channel's ${budgets.length} budget(s)`,
      );
    }
    const changes = budgets.map(
      ({ campaign, entity }, i): EntityChange => ({
        key: entityKey(campaign.platform, campaign.accountId, entity.level, entity.entityId),
        channelId,
        platform: campaign.platform,
        accountId: campaign.accountId,
        campaignId: campaign.campaignId,
        level: entity.level,
        entityId: entity.entityId,
        currency,
        decimals,
        beforeMinor: entity.amountMinor,
        targetMinor: amounts[i]!,
        minimumMinor: entity.minimumMinor,
      }),
    );
    return { channelId, planned: total, status: 'mapped', changes };
  });
};

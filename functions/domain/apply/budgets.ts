import type { ConnectedPlatform } from '../config.js';

/**
 * What the actuator reads from a platform and sets on it, in the platform's neutral form: the budget clients
 * (functions/adapters/platforms/*Budgets.ts) translate each API's shapes and units into these, so nothing
 * platform-specific reaches the mapping or the guardrails.
 */

/** Where a budget sits: a Google Ads CampaignBudget, a Meta campaign (CBO) or ad set, a TikTok campaign or ad group. */
export type BudgetLevel = 'campaign-budget' | 'campaign' | 'adset' | 'adgroup';

/** One daily budget the actuator may set. Amounts are integers in the account currency's minor units. */
export interface BudgetEntity {
  readonly level: BudgetLevel;
  /** The id the platform's write takes: a CampaignBudget resource name, a campaign, ad set or ad group id. */
  readonly entityId: string;
  readonly amountMinor: number;
  /** The platform's smallest daily budget for it, in minor units. */
  readonly minimumMinor: number;
}

/** A campaign as its platform's budget read describes it. */
export interface CampaignBudgets {
  readonly platform: ConnectedPlatform;
  readonly accountId: string;
  readonly campaignId: string;
  /** The account's ISO 4217 currency and its minor unit's decimals as `currencyDigits` reads them (USD 2, JPY 0). */
  readonly currency: string;
  readonly decimals: number;
  /** What it spent over the recent days, in minor units: how a channel's total is split between its campaigns. */
  readonly recentSpendMinor: number;
  /** The budgets that govern its delivery: one (Google, Meta CBO, TikTok campaign) or its ad sets / ad groups. */
  readonly entities: readonly BudgetEntity[];
  /** Why its budget cannot be set by the actuator (a shared Google budget, a lifetime budget, not found). */
  readonly refusal?: string;
}

/** The key of one entity in the Applies table and in records: `<platform>:<accountId>:<level>:<entityId>`. */
export const entityKey = (platform: string, accountId: string, level: BudgetLevel, entityId: string): string =>
  `${platform}:${accountId}:${level}:${entityId}`;

/** Minor units per currency unit for `decimals` (100 for 2). */
export const minorPerUnit = (decimals: number): number => 10 ** decimals;

/** A decimal amount in currency units as integer minor units (rounded to the nearest). */
export const toMinor = (amount: number, decimals: number): number => Math.round(amount * minorPerUnit(decimals));

/** Integer minor units as a decimal amount in currency units. */
export const fromMinor = (minor: number, decimals: number): number => minor / minorPerUnit(decimals);

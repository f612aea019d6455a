import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CampaignBudgets } from '../../../../functions/domain/apply/budgets.js';
import { mapPlan } from '../../../../functions/domain/apply/mapping.js';
import { splitByWeight, splitWithMinimums } from '../../../../functions/domain/apply/split.js';
import type { AccountCampaign } from '../../../../functions/domain/config.js';

const campaign = (id: string, overrides: Partial<CampaignBudgets> = {}): CampaignBudgets => ({
  platform: 'google-ads',
  accountId: '1234567890',
  campaignId: id,
  currency: 'USD',
  decimals: 2,
  recentSpendMinor: 0,
  entities: [{ level: 'campaign-budget', entityId: `customers/1234567890/campaignBudgets/9${id}`, amountMinor: 10_000, minimumMinor: 100 }],
  ...overrides,
});
const owns = (channelId: string, ...ids: string[]): AccountCampaign[] =>
  ids.map((campaignId) => ({ platform: 'google-ads', accountId: '1234567890', campaignId, channelId }));

describe('splitting an amount in minor units', () => {
  it('always sums to the amount exactly, and gives each part at least its minimum when it can', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.record({ weight: fc.integer({ min: 0, max: 1_000_000 }), minimum: fc.integer({ min: 0, max: 50_000 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        (amount, parts) => {
          const plain = splitByWeight(
            amount,
            parts.map((p) => p.weight),
          );
          expect(plain.reduce((s, v) => s + v, 0)).toBe(amount);
          expect(plain.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
          const bounded = splitWithMinimums(
            amount,
            parts.map((p) => p.weight),
            parts.map((p) => p.minimum),
          );
          const needed = parts.reduce((s, p) => s + p.minimum, 0);
          if (needed > amount) expect(bounded).toBeNull();
          else {
            expect(bounded!.reduce((s, v) => s + v, 0)).toBe(amount);
            for (const [i, v] of bounded!.entries()) expect(v).toBeGreaterThanOrEqual(parts[i]!.minimum);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('splits in proportion to the weights, each share within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (amount, weights) => {
          const shares = splitByWeight(amount, weights);
          const sum = weights.reduce((s, w) => s + w, 0);
          for (const [i, share] of shares.entries()) expect(Math.abs(share - (amount * weights[i]!) / sum)).toBeLessThan(1);
        },
      ),
    );
  });
});

describe('mapping a plan onto platform budgets', () => {
  it("shares a channel's total between its campaigns in proportion to their recent spend, to the cent", () => {
    const [mapping] = mapPlan({
      currency: 'USD',
      channels: [{ channelId: 'search', total: 1000 }],
      owned: owns('search', '1', '2'),
      campaigns: [campaign('1', { recentSpendMinor: 30_000 }), campaign('2', { recentSpendMinor: 10_000 })],
    });
    expect(mapping!.status).toBe('mapped');
    expect(mapping!.changes.map((c) => c.targetMinor)).toEqual([75_000, 25_000]);
  });

  it('refuses a channel whose campaign uses a shared Google budget, with the reason', () => {
    const refusal = 'Google Ads campaign 1 uses the shared budget customers/1234567890/campaignBudgets/91';
    const [mapping] = mapPlan({
      currency: 'USD',
      channels: [{ channelId: 'search', total: 1000 }],
      owned: owns('search', '1', '2'),
      campaigns: [campaign('1', { entities: [], refusal }), campaign('2')],
    });
    expect(mapping).toMatchObject({ status: 'refused', reason: refusal, changes: [] });
  });

  it("refuses a channel whose total is below its budgets' platform minimums, and raises a small share to its minimum otherwise", () => {
    const tiktok = (id: string, spend: number): CampaignBudgets => ({
      ...campaign(id, { platform: 'tiktok', recentSpendMinor: spend }),
      entities: [{ level: 'campaign', entityId: id, amountMinor: 10_000, minimumMinor: 5_000 }],
    });
    const owned = owns('video', '1', '2').map((o) => ({ ...o, platform: 'tiktok' as const }));
    const [below] = mapPlan({
      currency: 'USD',
      channels: [{ channelId: 'video', total: 99.99 }],
      owned,
      campaigns: [tiktok('1', 1), tiktok('2', 1)],
    });
    expect(below).toMatchObject({ status: 'refused', reason: expect.stringContaining('below the platform minimum of 100.00 USD') });
    const [raised] = mapPlan({
      currency: 'USD',
      channels: [{ channelId: 'video', total: 200 }],
      owned,
      campaigns: [tiktok('1', 99), tiktok('2', 1)],
    });
    expect(raised!.changes.map((c) => c.targetMinor)).toEqual([15_000, 5_000]);
  });

  it('converts to the account currency minor units (JPY has none) and refuses an account in another currency', () => {
    const yen = campaign('1', {
      currency: 'JPY',
      decimals: 0,
      entities: [{ level: 'campaign-budget', entityId: 'b', amountMinor: 5000, minimumMinor: 1 }],
    });
    const [mapped] = mapPlan({
      currency: 'JPY',
      channels: [{ channelId: 'search', total: 12345 }],
      owned: owns('search', '1'),
      campaigns: [yen],
    });
    expect(mapped!.changes[0]!.targetMinor).toBe(12345);
    const [refused] = mapPlan({
      currency: 'USD',
      channels: [{ channelId: 'search', total: 100 }],
      owned: owns('search', '1'),
      campaigns: [yen],
    });
    expect(refused).toMatchObject({ status: 'refused', reason: expect.stringContaining('bills in JPY') });
  });

  it('splits a Meta campaign without CBO across its ad sets in proportion to their budgets; a channel without campaigns is unconnected', () => {
    const meta: CampaignBudgets = {
      ...campaign('7', { platform: 'meta' }),
      entities: [
        { level: 'adset', entityId: 'a', amountMinor: 3000, minimumMinor: 100 },
        { level: 'adset', entityId: 'b', amountMinor: 1000, minimumMinor: 100 },
      ],
    };
    const owned = owns('social', '7').map((o) => ({ ...o, platform: 'meta' as const }));
    const [social, podcast] = mapPlan({
      currency: 'USD',
      channels: [
        { channelId: 'social', total: 80 },
        { channelId: 'podcast', total: 50 },
      ],
      owned,
      campaigns: [meta],
    });
    expect(social!.changes.map((c) => [c.entityId, c.targetMinor])).toEqual([
      ['a', 6000],
      ['b', 2000],
    ]);
    expect(podcast).toMatchObject({ status: 'unconnected', changes: [] });
  });

  it('for any plan and campaigns, a mapped channel sums to its total in minor units and respects every minimum', () => {
    const arbitraryCampaign = fc.record({
      spend: fc.integer({ min: 0, max: 1_000_000 }),
      budgets: fc.array(fc.record({ amount: fc.integer({ min: 0, max: 500_000 }), minimum: fc.integer({ min: 0, max: 10_000 }) }), {
        minLength: 1,
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.array(arbitraryCampaign, { minLength: 1, maxLength: 5 }), (cents, list) => {
        const campaigns = list.map(
          (c, i): CampaignBudgets =>
            campaign(String(i + 1), {
              platform: 'meta',
              recentSpendMinor: c.spend,
              entities: c.budgets.map((b, j) => ({
                level: 'adset',
                entityId: `${i}-${j}`,
                amountMinor: b.amount,
                minimumMinor: b.minimum,
              })),
            }),
        );
        const owned = campaigns.map((c) => ({
          platform: 'meta' as const,
          accountId: c.accountId,
          campaignId: c.campaignId,
          channelId: 'x',
        }));
        const [mapping] = mapPlan({ currency: 'USD', channels: [{ channelId: 'x', total: cents / 100 }], owned, campaigns });
        const minimums = list.flatMap((c) => c.budgets.map((b) => b.minimum));
        if (minimums.reduce((s, m) => s + m, 0) > cents) expect(mapping!.status).toBe('refused');
        else {
          expect(mapping!.status).toBe('mapped');
          expect(mapping!.changes.reduce((s, c) => s + c.targetMinor, 0)).toBe(cents);
          for (const change of mapping!.changes) expect(change.targetMinor).toBeGreaterThanOrEqual(change.minimumMinor);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

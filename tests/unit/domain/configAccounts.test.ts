import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../../functions/adapters/configFile.js';
import { accountCampaigns, BudgetConfig, campaignRef, restatementDays } from '../../../functions/domain/config.js';
import { validate } from '../../../functions/domain/issues.js';

const shipped = JSON.parse(readFileSync('config/budget.config.json', 'utf8'));

/** The shipped config with one change applied to its demo portfolio. */
const withDemo = (change: (portfolio: any) => void) => {
  const copy = structuredClone(shipped);
  change(copy.portfolios[0]);
  return copy;
};

/** Every problem config:check lists for this config, with its path by id (`portfolios[demo].channels[video]…`). */
const issuesOf = (input: unknown) => {
  const file = `${mkdtempSync(join(tmpdir(), 'accounts-'))}/budget.config.json`;
  writeFileSync(file, JSON.stringify(input));
  try {
    loadConfigFile(file);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
};

describe('connected accounts in the operator config', () => {
  it('gives the demo one account per platform, applies nothing unless asked, and polls hourly by default', () => {
    const result = validate(BudgetConfig, shipped);
    expect(result.ok).toBe(true);
    const demo = result.ok ? result.value.portfolios[0]! : undefined;
    expect(demo?.accounts.map((a) => a.platform)).toEqual(['google-ads', 'meta', 'tiktok']);
    const bare = validate(
      BudgetConfig,
      withDemo((p) => delete p.apply),
    );
    expect(bare.ok && bare.value.portfolios[0]!.apply.mode).toBe('off');
    const noPoll = structuredClone(shipped);
    delete noPoll.schedules.poll;
    const parsed = validate(BudgetConfig, noPoll);
    expect(parsed.ok && parsed.value.schedules.poll).toBe('rate(1 hour)');
  });

  it('maps every platform campaign of the demo to its one account, and reads restatement windows per platform', () => {
    const result = validate(BudgetConfig, shipped);
    const demo = result.ok ? result.value.portfolios[0]! : undefined;
    expect(accountCampaigns(demo!)).toEqual([
      { platform: 'google-ads', accountId: '1112223333', campaignId: '1234567890', channelId: 'search' },
      { platform: 'meta', accountId: '100200300400500', campaignId: '23850000000000001', channelId: 'social' },
      { platform: 'tiktok', accountId: '7000000000000000001', campaignId: '1790000000000001', channelId: 'video' },
      { platform: 'google-ads', accountId: '1112223333', campaignId: '1234567891', channelId: 'display' },
    ]);
    expect(restatementDays({ platform: 'google-ads' })).toBe(14);
    expect(restatementDays({ platform: 'meta', restatementDays: 28 })).toBe(28);
    expect(campaignRef('1112223333/55')).toEqual({ accountId: '1112223333', campaignId: '55' });
  });

  it('names a campaign by account when a platform has several accounts', () => {
    const config = withDemo((p) => {
      p.accounts.push({ platform: 'google-ads', accountId: '4445556666', secret: 'demo/google-2' });
      p.channels[0].sourceIds['google-ads'] = ['1112223333/1234567890'];
      p.channels[3].sourceIds['google-ads'] = ['4445556666/1234567891'];
    });
    const result = validate(BudgetConfig, config);
    expect(result.ok).toBe(true);
    const campaigns = result.ok ? accountCampaigns(result.value.portfolios[0]!) : [];
    expect(campaigns.filter((c) => c.platform === 'google-ads').map((c) => `${c.accountId}:${c.campaignId}`)).toEqual([
      '1112223333:1234567890',
      '4445556666:1234567891',
    ]);
  });

  it.each([
    [
      'a platform campaign with no account for its platform',
      (p: any) => (p.accounts = p.accounts.filter((a: any) => a.platform !== 'tiktok')),
      'portfolios[demo].channels[video].sourceIds.tiktok[0]',
      /no tiktok account/,
    ],
    [
      'an apply mode with no accounts at all',
      (p: any) => {
        p.accounts = [];
        p.apply = { mode: 'auto' };
      },
      'portfolios[demo].channels[search].sourceIds.google-ads[0]',
      /apply.mode "auto" needs a google-ads account/,
    ],
    [
      'a bare campaign id when the platform has two accounts',
      (p: any) => p.accounts.push({ platform: 'google-ads', accountId: '4445556666', secret: 'demo/google-2' }),
      'portfolios[demo].channels[search].sourceIds.google-ads[0]',
      /name the campaign's as "accountId\/1234567890"/,
    ],
    [
      'a campaign naming an account the portfolio lacks',
      (p: any) => (p.channels[1].sourceIds.meta = ['999/23850000000000001']),
      'portfolios[demo].channels[social].sourceIds.meta[0]',
      /no meta account "999"/,
    ],
    [
      'one campaign claimed bare and through its account',
      (p: any) => (p.channels[3].sourceIds['google-ads'] = ['1112223333/1234567890']),
      'portfolios[demo].channels[display].sourceIds.google-ads[0]',
      /already belongs to channel "search"/,
    ],
    [
      'a campaign id that is not digits, which would go into every poll query',
      (p: any) => (p.channels[0].sourceIds['google-ads'] = ["1' OR 1=1"]),
      'portfolios[demo].channels[search].sourceIds.google-ads[0]',
      /a google-ads campaign id is digits/,
    ],
    [
      'a Google customer id with dashes',
      (p: any) => (p.accounts[0].accountId = '111-222-3333'),
      'portfolios[demo].accounts[0].accountId',
      /10 digits, without dashes/,
    ],
    [
      'a Meta account id with act_',
      (p: any) => (p.accounts[1].accountId = 'act_100200300400500'),
      'portfolios[demo].accounts[1].accountId',
      /act_/,
    ],
    [
      'the same account twice',
      (p: any) => p.accounts.push({ ...p.accounts[1] }),
      'portfolios[demo].accounts[3].accountId',
      /duplicate meta account/,
    ],
    [
      'a login customer id on a Meta account',
      (p: any) => (p.accounts[1].loginCustomerId = '1112223333'),
      'portfolios[demo].accounts[1].loginCustomerId',
      /manager account/,
    ],
    [
      'a restatement window beyond 28 days',
      (p: any) => (p.accounts[0].restatementDays = 90),
      'portfolios[demo].accounts[0].restatementDays',
      /28/,
    ],
    ['a secret name with spaces', (p: any) => (p.accounts[0].secret = 'my secret'), 'portfolios[demo].accounts[0].secret', /secret name/],
    [
      'a pulled channel with campaigns on two platforms',
      (p: any) => (p.channels[0].sourceIds.meta = ['23850000000000009']),
      'portfolios[demo].channels[search].sourceIds',
      /one platform, not google-ads and meta/,
    ],
    ['an unknown apply mode', (p: any) => (p.apply = { mode: 'yolo' }), 'portfolios[demo].apply.mode', /./],
    ['a generic account', (p: any) => (p.accounts[0].platform = 'generic'), 'portfolios[demo].accounts[0].platform', /./],
  ])('refuses %s, naming its path', (_what, change, path, message) => {
    const issues = issuesOf(withDemo(change));
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)?.message).toMatch(message);
  });

  it('refuses a poll schedule that is not an expression', () => {
    const config = structuredClone(shipped);
    config.schedules.poll = 'every hour';
    expect(issuesOf(config).map((i) => i.path)).toEqual(['schedules.poll']);
  });

  it('keeps a webhook-only portfolio valid: sourceIds without accounts while nothing is pulled or applied', () => {
    const config = withDemo((p) => {
      p.accounts = [];
      p.apply = { mode: 'off' };
    });
    expect(issuesOf(config)).toEqual([]);
  });
});

import { CONNECTED_PLATFORMS, type ConnectedPlatform, campaignRef, type Portfolio } from '../config.js';
import type { Issue } from '../issues.js';

/*
 * Cross-checks of a portfolio's ad platform accounts and the campaigns its channels name. They run where the
 * config is checked before a deploy (config:check, cdk synth, npm start: functions/adapters/configFile.ts),
 * not in every function's cold start, so their code stays out of the function bundles (tests/infra/bundler.test.ts).
 */

/** Each platform's account id as its APIs spell it: Google's customer id without dashes, Meta's without `act_`. */
const ACCOUNT_ID_FORMS: Readonly<Record<ConnectedPlatform, { pattern: RegExp; message: string }>> = {
  'google-ads': { pattern: /^\d{10}$/, message: 'a Google Ads customer id is 10 digits, without dashes' },
  meta: { pattern: /^\d{1,20}$/, message: 'a Meta ad account id is digits, without "act_"' },
  tiktok: { pattern: /^\d{1,20}$/, message: 'a TikTok advertiser_id is digits' },
};

/** `portfolios[0]` + `['channels', 2, 'sourceIds', 'meta', 0]` → `portfolios[0].channels[2].sourceIds.meta[0]`, as zod's issues read. */
const joinPath = (at: string, path: readonly (string | number)[]): string =>
  path.reduce<string>((joined, part) => (typeof part === 'number' ? `${joined}[${part}]` : joined ? `${joined}.${part}` : part), at);

/**
 * The accounts and the campaigns that name them fit together, each problem at its path (under `at`): each account once, in its platform's id form;
 * every campaign of a connected platform has an account (`accountId/campaignId` when the platform has
 * several) once the portfolio pulls or applies at all.
 */
export const accountIssues = (portfolio: Portfolio, at = ''): Issue[] => {
  const issues: Issue[] = [];
  const issue = (path: (string | number)[], message: string) => issues.push({ path: joinPath(at, path), message });
  const seen = new Map<string, number>();
  portfolio.accounts.forEach((account, a) => {
    const form = ACCOUNT_ID_FORMS[account.platform];
    if (!form.pattern.test(account.accountId)) issue(['accounts', a, 'accountId'], form.message);
    if (account.loginCustomerId !== undefined && account.platform !== 'google-ads') {
      issue(['accounts', a, 'loginCustomerId'], 'only Google Ads accounts sign in through a manager account');
    }
    const key = `${account.platform}:${account.accountId}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, a);
    else issue(['accounts', a, 'accountId'], `duplicate ${account.platform} account "${account.accountId}" (also at index ${first})`);
  });
  const connected = portfolio.accounts.length > 0 || portfolio.apply.mode !== 'off';
  portfolio.channels.forEach((channel, c) => {
    // A pull's rows carry its instant as their revision: two platforms' pulls of one channel-day would replace each other.
    const platforms = CONNECTED_PLATFORMS.filter((p) => (channel.sourceIds[p] ?? []).length > 0);
    if (portfolio.accounts.length > 0 && platforms.length > 1) {
      issue(['channels', c, 'sourceIds'], `a pulled channel takes its campaigns from one platform, not ${platforms.join(' and ')}`);
    }
    for (const platform of CONNECTED_PLATFORMS) {
      const accounts = portfolio.accounts.filter((a) => a.platform === platform);
      (channel.sourceIds[platform] ?? []).forEach((sourceId, i) => {
        const path = ['channels', c, 'sourceIds', platform, i];
        const ref = campaignRef(sourceId);
        // Pulled or applied, a campaign id goes into the platform's query or URL: each platform's are digits.
        if (connected && ref.campaignId !== '' && !/^\d{1,20}$/.test(ref.campaignId)) {
          issue(path, `a ${platform} campaign id is digits, not "${ref.campaignId}"`);
        }
        if (ref.accountId !== undefined) {
          if (ref.campaignId === '' || ref.campaignId.includes('/')) issue(path, 'expected "accountId/campaignId" or a bare campaign id');
          else if (!accounts.some((a) => a.accountId === ref.accountId)) {
            issue(path, `no ${platform} account "${ref.accountId}" in this portfolio's accounts`);
          }
        } else if (accounts.length > 1) {
          issue(path, `this portfolio has ${accounts.length} ${platform} accounts: name the campaign's as "accountId/${sourceId}"`);
        } else if (accounts.length === 0 && connected) {
          issue(
            path,
            portfolio.accounts.length > 0
              ? `no ${platform} account in this portfolio's accounts: add one, or its campaigns are never pulled`
              : `apply.mode "${portfolio.apply.mode}" needs a ${platform} account in accounts to apply to`,
          );
        }
      });
    }
  });
  return issues;
};

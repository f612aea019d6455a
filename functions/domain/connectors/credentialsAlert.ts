import type { Alert } from '../alerts/lifecycle.js';
import type { Account } from '../config.js';

/**
 * An account whose credentials a platform refused (expired, revoked, no access) opens an alert that names
 * it, stored and announced like a rule's (`ThresholdBreached`, `AlertResolved`), under the reserved rule id
 * `credentials`. Its channel id names the account (`google-ads:1112223333`); its window holds a fingerprint
 * of the refused credentials, so the account is tried again only once someone renews them.
 */
export const CREDENTIALS_RULE = 'credentials';

/** The alert's "channel": the account, `<platform>:<accountId>`. */
export const accountAlertId = (account: Pick<Account, 'platform' | 'accountId'>): string => `${account.platform}:${account.accountId}`;

const FINGERPRINT_PREFIX = 'credentials ';

/** The fingerprint of the credentials an open alert was raised for. */
export const refusedFingerprint = (alert: Alert): string | undefined =>
  alert.windows.find((w) => w.startsWith(FINGERPRINT_PREFIX))?.slice(FINGERPRINT_PREFIX.length);

/** The open credentials alert of an account among a portfolio's open alerts. */
export const openCredentialsAlert = (open: readonly Alert[], account: Pick<Account, 'platform' | 'accountId'>): Alert | undefined =>
  open.find((a) => a.ruleId === CREDENTIALS_RULE && a.channelId === accountAlertId(account) && a.status === 'open');

/** A new critical alert for an account whose credentials were refused. */
export const credentialsAlert = (portfolioId: string, account: Account, fingerprint: string, at: string, configHash: string): Alert => ({
  alertId: `${CREDENTIALS_RULE}~${accountAlertId(account)}~${at}`,
  portfolioId,
  ruleId: CREDENTIALS_RULE,
  channelId: accountAlertId(account),
  metric: CREDENTIALS_RULE,
  op: '=',
  threshold: 0,
  window: 'now',
  consecutive: 1,
  status: 'open',
  severity: 'critical',
  observed: 1,
  windows: [`${FINGERPRINT_PREFIX}${fingerprint}`],
  openedAt: at,
  configHash,
  history: [{ at, kind: 'opened', severity: 'critical', observed: 1 }],
});

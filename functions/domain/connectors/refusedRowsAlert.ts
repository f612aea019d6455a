import type { Alert } from '../alerts/lifecycle.js';
import { accountCampaigns, type ConnectedPlatform, type Portfolio } from '../config.js';

/**
 * Rows a platform's pull returns that the webhook's rules refuse (a count below zero, a cost whose two fields
 * disagree) are left out with their channel-day, and the rest of the pull is stored. So that such a gap is
 * not only in a log line, the poller opens a warning alert for the channel naming each refused day, stored
 * and announced like a rule's under the reserved rule id `refused-rows` (an issue that names no row goes under
 * `platform:<platform>`, which no channel id can be).
 *
 * A refused day stays named until a pull reads it again without refusing it. A day older than the pulls'
 * restatement window is not read again: it stays named (a person imports it corrected, [import.md]) until it is
 * older than the sixty days a first poll backfills, and the alert resolves once no day is left.
 */
export const REFUSED_RULE = 'refused-rows';

/**
 * Refusals an alert names, each at most {@link MAX_TEXT} characters (30 KB of the store's 400 KB item): a
 * platform that refuses every row of a backfill names the first hundred days, and says how many more.
 */
const MAX_NAMED = 100;

/** Characters of one refusal kept: its campaign id and day are the platform's, of any length. */
const MAX_TEXT = 300;

/** The alert key of a refusal that names no row: not a channel id, which has no colon. */
export const platformKey = (platform: ConnectedPlatform) => `platform:${platform}`;

/**
 * One refused row as the alert names it: its day first, then the platform, campaign, field and rule, without
 * the row's index in the pull (`results[24]`), which moves as the pull's window slides and would make the same
 * refusal news every day.
 */
export const refusalText = (
  platform: ConnectedPlatform,
  row: { campaign: string; date: string } | undefined,
  path: string,
  message: string,
) => {
  const field = path.replace(/^(?:results|data(?:\.list)?)\[\d+\]\.?/, '');
  const text = row
    ? `${row.date}: ${platform} campaign ${row.campaign}: ${field}: ${message}`
    : `${platform}: ${field ? `${field}: ` : ''}${message}`;
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
};

/** The day a refusal names, if it names one. */
const dayOf = (text: string) => (/^\d{4}-\d{2}-\d{2}:/.test(text) ? text.slice(0, 10) : undefined);

/**
 * The refusals an alert names after a pull that read the channel's days from `readFrom` on: this pull's, and
 * the earlier ones of days it did not read again (older than `readFrom`) that are not yet older than `oldest`.
 */
export const standingRefusals = (named: readonly string[], fresh: readonly string[], readFrom: string, oldest: string): string[] => {
  const unread = named.filter((text) => {
    const day = dayOf(text);
    return day !== undefined && day < readFrom && day >= oldest;
  });
  return [...new Set([...fresh, ...unread])].sort();
};

/** The refusals as an alert keeps them: the first {@link MAX_NAMED}, then how many more. */
const named = (refusals: readonly string[]): string[] =>
  refusals.length > MAX_NAMED ? [...refusals.slice(0, MAX_NAMED), `and ${refusals.length - MAX_NAMED} more`] : [...refusals];

/** A new warning for a channel (or platform) some of whose pulled rows were refused. */
export const refusedRowsAlert = (
  portfolioId: string,
  channelId: string,
  refusals: readonly string[],
  at: string,
  configHash: string,
): Alert => ({
  alertId: `${REFUSED_RULE}~${channelId}~${at}`,
  portfolioId,
  ruleId: REFUSED_RULE,
  channelId,
  metric: REFUSED_RULE,
  op: '>',
  threshold: 0,
  window: 'now',
  consecutive: 1,
  status: 'open',
  severity: 'warning',
  observed: refusals.length,
  windows: named(refusals),
  openedAt: at,
  configHash,
  history: [{ at, kind: 'opened', severity: 'warning', observed: refusals.length }],
});

/** The open alert naming `refusals`, or undefined when it already names them. */
export const withRefusals = (alert: Alert, refusals: readonly string[], at: string): Alert | undefined => {
  const windows = named(refusals);
  if (windows.length === alert.windows.length && windows.every((w, i) => w === alert.windows[i])) return undefined;
  return {
    ...alert,
    observed: refusals.length,
    windows,
    history: [...alert.history, { at, kind: 'escalated', severity: alert.severity, observed: refusals.length }],
  };
};

/**
 * Whether an open refused-rows alert is still the poller's to resolve: its channel (or platform) is still
 * pulled from an account in the config. Once it is not, no pull will ever clear it, and the alert evaluation
 * resolves it as it does an alert whose rule is gone.
 */
export const pulledFor = (alert: Pick<Alert, 'channelId'>, portfolio: Pick<Portfolio, 'channels' | 'accounts'>): boolean =>
  accountCampaigns(portfolio).some((c) => c.channelId === alert.channelId || platformKey(c.platform) === alert.channelId);

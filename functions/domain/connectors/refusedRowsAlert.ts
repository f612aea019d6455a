import type { Alert } from '../alerts/lifecycle.js';
import { accountCampaigns, type Portfolio } from '../config.js';

/**
 * Rows a platform's pull returns that the webhook's rules refuse (a count below zero, a cost whose two fields
 * disagree) are left out with their channel-day, and the rest of the pull is stored. So that such a gap is
 * not only in a log line, the poller opens a warning alert for the channel, naming each refused row, stored
 * and announced like a rule's under the reserved rule id `refused-rows` (an issue that names no row goes
 * under the platform's name). The alert takes the new list when the refusals change, and is resolved once a
 * pull returns the channel's rows with none refused. A refused day older than the account's restatement window
 * is not read again: the alert's history keeps its name, for a person to import the day corrected.
 */
export const REFUSED_RULE = 'refused-rows';

/** Refusals an alert names: a platform that refuses every row of a backfill would otherwise fill the store's item. */
const MAX_NAMED = 20;

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

/** The open alert with the latest pull's refusals, or undefined when they are the ones it already names. */
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
  accountCampaigns(portfolio).some((c) => c.channelId === alert.channelId || c.platform === alert.channelId);

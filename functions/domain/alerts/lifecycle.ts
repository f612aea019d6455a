import type { AlertRule, Portfolio } from '../config.js';
import { accountAlertId, CREDENTIALS_RULE } from '../connectors/credentialsAlert.js';
import { pulledFor, REFUSED_RULE } from '../connectors/refusedRowsAlert.js';
import * as z from '../schema.js';
import type { Evaluation } from './evaluate.js';
import { Observed, SEVERITIES, Severity, toObserved } from './severity.js';

export const Transition = z.object({
  at: z.iso.datetime(),
  kind: z.enum(['opened', 'escalated', 'resolved']),
  severity: z.nullable(Severity),
  observed: z.nullable(Observed),
});

/** An alert: one per (portfolio, rule, channel) while open; resolved ones are kept with their history. */
export const Alert = z.object({
  alertId: z.string(),
  portfolioId: z.string(),
  ruleId: z.string(),
  channelId: z.string(),
  metric: z.string(),
  op: z.string(),
  threshold: z.number(),
  window: z.string(),
  consecutive: z.number(),
  action: z.optional(z.literal('stop-loss')),
  status: z.enum(['open', 'resolved']),
  severity: Severity,
  /**
   * The metric's value at the latest evaluation that found the breach still there, with its `severity` and
   * `windows` (see {@link alertReadings}); each transition's own are in `history`.
   */
  observed: Observed,
  /** When `observed` was read; absent on alerts stored before it was kept, whose value is their last transition's. */
  observedAt: z.optional(z.iso.datetime()),
  /** The windows that breached at the latest reading. */
  windows: z.array(z.string()),
  openedAt: z.iso.datetime(),
  resolvedAt: z.optional(z.iso.datetime()),
  /** The config in force when it opened. */
  configHash: z.string(),
  history: z.array(Transition),
});

export type Alert = z.infer<typeof Alert>;
export type Transition = z.infer<typeof Transition>;

/**
 * The ids of the portfolio's stop-loss rules in the config in force. An open alert holds its channel at its
 * base while its rule is one of them: the action an alert was opened with is the config of that day, and a
 * deploy since may have added a stop-loss to its rule or taken it away.
 */
export const stopLossRuleIds = (portfolio: Pick<Portfolio, 'alerts'>): ReadonlySet<string> =>
  new Set(portfolio.alerts.rules.filter((r) => r.action === 'stop-loss').map((r) => r.id));

/** Open alerts with the action their rule has in the config in force (see {@link stopLossRuleIds}). */
export const withActionsInForce = (alerts: readonly Alert[], portfolio: Pick<Portfolio, 'alerts'>): Alert[] => {
  const stopLoss = stopLossRuleIds(portfolio);
  return alerts.map(({ action: _, ...alert }) => (stopLoss.has(alert.ruleId) ? { ...alert, action: 'stop-loss' as const } : alert));
};

/** The channels under an open stop-loss alert, each once: the allocator gives them their base and nothing more. */
export const stopLossChannels = (alerts: readonly Alert[], portfolio: Pick<Portfolio, 'alerts'>): string[] => {
  const stopLoss = stopLossRuleIds(portfolio);
  return [...new Set(alerts.filter((a) => a.status === 'open' && stopLoss.has(a.ruleId)).map((a) => a.channelId))];
};

/** What an evaluation changes: an alert to open, raise or resolve. Nothing for an unchanged situation. */
export type AlertChange =
  | { readonly kind: 'open'; readonly alert: Alert }
  | { readonly kind: 'escalate'; readonly before: Alert; readonly alert: Alert }
  | { readonly kind: 'resolve'; readonly before: Alert; readonly alert: Alert };

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The id of an alert opened at `at`: rule, channel and instant, so ids sort by time within a pair. */
export const alertId = (ruleId: string, channelId: string, at: string) => `${ruleId}~${channelId}~${at}`;

/**
 * The changes that bring the open alerts in line with the evaluations. A breach opens an alert when the
 * pair has none and escalates it when the severity rose; a clear resolves it; anything else changes nothing.
 */
export const alertChanges = (
  portfolio: Portfolio,
  open: readonly Alert[],
  evaluations: readonly Evaluation[],
  now: Date,
  configHash: string,
): AlertChange[] => {
  const at = now.toISOString();
  const rules = new Map<string, AlertRule>(portfolio.alerts.rules.map((r) => [r.id, r]));
  const openByPair = new Map(open.map((a) => [`${a.ruleId}\u0000${a.channelId}`, a]));
  const changes: AlertChange[] = [];
  for (const e of evaluations) {
    const current = openByPair.get(`${e.ruleId}\u0000${e.channelId}`);
    const rule = rules.get(e.ruleId)!;
    if (e.verdict === 'breach' && e.severity !== null && e.observed !== null) {
      const observed = toObserved(e.observed);
      if (!current) {
        const alert: Alert = {
          alertId: alertId(e.ruleId, e.channelId, at),
          portfolioId: portfolio.id,
          ruleId: rule.id,
          channelId: e.channelId,
          metric: rule.metric,
          op: rule.op,
          threshold: rule.threshold,
          window: rule.metric === 'hoursSinceData' ? 'now' : rule.window,
          consecutive: rule.consecutive,
          ...(rule.action ? { action: rule.action } : {}),
          status: 'open',
          severity: e.severity,
          observed,
          observedAt: at,
          windows: [...e.windows],
          openedAt: at,
          configHash,
          history: [{ at, kind: 'opened', severity: e.severity, observed }],
        };
        changes.push({ kind: 'open', alert });
      } else if (rank(e.severity) > rank(current.severity)) {
        const alert: Alert = {
          ...current,
          severity: e.severity,
          observed,
          observedAt: at,
          windows: [...e.windows],
          history: [...current.history, { at, kind: 'escalated', severity: e.severity, observed }],
        };
        changes.push({ kind: 'escalate', before: current, alert });
      }
    } else if (e.verdict === 'clear' && current) {
      changes.push({ kind: 'resolve', before: current, alert: resolved(current, at, e.observed === null ? null : toObserved(e.observed)) });
    }
  }
  // An alert whose rule (or channel) the config no longer has can never clear by itself: resolve it. An
  // account's credentials alert and a channel's refused rows are no rule's: the poller resolves them once a
  // pull works, so they stay open here while the config still has the account, or pulls the channel.
  const judged = new Set(evaluations.map((e) => `${e.ruleId}\u0000${e.channelId}`));
  const accounts = new Set(portfolio.accounts.map(accountAlertId));
  for (const [pair, alert] of openByPair) {
    const polled =
      (alert.ruleId === CREDENTIALS_RULE && accounts.has(alert.channelId)) ||
      (alert.ruleId === REFUSED_RULE && pulledFor(alert, portfolio));
    if (!judged.has(pair) && !polled) changes.push({ kind: 'resolve', before: alert, alert: resolved(alert, at, null) });
  }
  return changes;
};

/**
 * The open alerts whose breach an evaluation found still there, at no higher severity, with a value other
 * than the one they hold: each with that value, its windows and its severity (which may have eased), and when
 * it was read. Not a transition (no event, nothing in the history): an alert kept the value it opened with, so
 * a stale-data alert said "no data for 5 hours" a day later, and a CPA alert the CPA of its first breach
 * however far it had since moved. The badge, the value and the windows an operator reads are one reading's;
 * should the breach worsen again, that is an escalation, announced as any is.
 */
export const alertReadings = (open: readonly Alert[], evaluations: readonly Evaluation[], now: Date): Alert[] => {
  const at = now.toISOString();
  const byPair = new Map(evaluations.map((e) => [`${e.ruleId}\u0000${e.channelId}`, e]));
  return open.flatMap((alert) => {
    const e = byPair.get(`${alert.ruleId}\u0000${alert.channelId}`);
    if (e?.verdict !== 'breach' || e.severity === null || e.observed === null || rank(e.severity) > rank(alert.severity)) return [];
    const observed = toObserved(e.observed);
    if (observed === alert.observed && e.severity === alert.severity && e.windows.join() === alert.windows.join()) return [];
    return [{ ...alert, severity: e.severity, observed, observedAt: at, windows: [...e.windows] }];
  });
};

/** The alert resolved at `at`, with the value that cleared it (null where nothing was measured). */
export const resolved = (alert: Alert, at: string, observed: Alert['observed'] | null): Alert => ({
  ...alert,
  status: 'resolved',
  resolvedAt: at,
  history: [...alert.history, { at, kind: 'resolved', severity: null, observed }],
});

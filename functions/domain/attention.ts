import type { Alert } from './alerts/lifecycle.js';
import { SEVERITIES, type Severity } from './alerts/severity.js';
import { ALERT_METRICS } from './config.js';
import { REFUSED_RULE } from './connectors/refusedRowsAlert.js';
import { addDays, daysBetween } from './dates.js';
import type { Diagnostics } from './diagnostics/schemas.js';
import { displayInstant } from './financeViews.js';
import type { DailyTotal } from './metrics.js';
import { formatAmount } from './money.js';
import type { Snapshot } from './snapshots.js';

/** One thing that needs a person, most severe first, with where on the page its detail is. */
export interface AttentionItem {
  readonly severity: Severity;
  readonly text: string;
  /** The id of the page section that holds its detail. */
  readonly detail: 'h-alerts' | 'h-pacing' | 'h-constraints' | 'h-model-health' | 'h-applied' | 'meta' | 'empty';
}

/** Spend this far from a day's plan, either way, needs a look. */
const PACING_TOLERANCE = 0.2;

/** Metrics this many days older than yesterday are stale. */
const STALE_AFTER_DAYS = 2;

/** Money and ratios as finance reads them: two decimals, always ("45.00"). */
const amount = (value: number) => formatAmount(value, 2, 2);
const percent = (share: number) => `${formatAmount(share * 100, 0)}%`;

/**
 * The periods a rule's alert breached over ("2026-11-20, 2026-11-21"), empty for a connector's own alert
 * (refused credentials, refused rows), whose windows hold what its value already says.
 */
export const breachedWindows = (alert: Pick<Alert, 'metric' | 'windows'>): string =>
  (ALERT_METRICS as readonly string[]).includes(alert.metric) ? ` over ${alert.windows.join(', ')}` : '';

/** How many refused rows an alert's value names before "and N more". */
const REFUSALS_SHOWN = 3;

/**
 * An alert's observed value against its threshold, in the units people read: "CPA 123.50 against 45.00", a
 * CPA with `money`'s decimals (the portfolio's currency; two when absent).
 */
export const alertValue = (alert: Pick<Alert, 'metric' | 'observed' | 'threshold' | 'windows'>, money = amount): string => {
  const observed = alert.observed === 'Infinity' ? Number.POSITIVE_INFINITY : alert.observed;
  const shown = (v: number) => (Number.isFinite(v) ? amount(v) : 'infinite (spend, no conversions)');
  switch (alert.metric) {
    case 'pacing':
      return `spend at ${percent(1 + observed)} of plan (the rule allows ${percent(1 + alert.threshold)})`;
    case 'hoursSinceData':
      return `${Number.isFinite(observed) ? `no data for ${formatAmount(observed, observed < 10 ? 1 : 0)} hours` : 'no data yet'} (the rule allows ${formatAmount(alert.threshold, 2)} hours)`;
    case 'cvr':
    case 'ctr':
      return `${alert.metric.toUpperCase()} ${percent(observed)} against ${percent(alert.threshold)}`;
    case 'cpa':
      return `CPA ${Number.isFinite(observed) ? money(observed) : shown(observed)} against ${money(alert.threshold)}`;
    case 'roas':
      return `ROAS ${shown(observed)} against ${amount(alert.threshold)}`;
    // An account whose credentials a platform refused (functions/domain/connectors/credentialsAlert.ts).
    case 'credentials':
      return 'the platform refused its credentials (expired, revoked or without access): renew its secret; its campaigns are not pulled until then';
    // Pulled rows the webhook's rules refused (functions/domain/connectors/refusedRowsAlert.ts).
    case REFUSED_RULE: {
      const shown = alert.windows.slice(0, REFUSALS_SHOWN).join('; ');
      const more = observed > REFUSALS_SHOWN ? `; and ${formatAmount(observed - REFUSALS_SHOWN, 0)} more` : '';
      return `the platform sent ${formatAmount(observed, 0)} row${observed === 1 ? '' : 's'} its checks refuse, left out of the data (${shown}${more}): correct them at the platform, or import the days corrected`;
    }
    default:
      return `${alert.metric} ${shown(observed)} against ${amount(alert.threshold)}`;
  }
};

const rank = (severity: Severity) => SEVERITIES.indexOf(severity);

/**
 * What needs a person on a portfolio now, most severe first: a held plan, open alerts (a stop-loss holding a
 * channel at its base is at least a warning), targets the plan cannot meet, yesterday's spend beyond ±20% of
 * its plan, stale data, a channel whose one-day-ahead error is far above its usual (or a model not to trust at
 * all), applies to the platforms stopped after repeated failures, and a plan made under an earlier config.
 */
export const attentionItems = ({
  latest,
  alerts,
  daily,
  allocated,
  today,
  configHash,
  diagnostics,
  names,
  appliesStopped,
  money = amount,
}: {
  readonly latest: Snapshot | undefined;
  readonly alerts: readonly Alert[];
  readonly daily: readonly DailyTotal[];
  readonly allocated: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly today: string;
  readonly configHash: string;
  /** Fit diagnostics: a channel whose one-day-ahead error is far above its usual, or a model not to trust. */
  readonly diagnostics?: Diagnostics | undefined;
  /** Channel names by id, so the list reads as people name channels (ids are for the CSV and the API). */
  readonly names?: ReadonlyMap<string, string> | undefined;
  /** When applies to the platforms stopped, after how many failures in a row; absent while they run or nothing is applied. */
  readonly appliesStopped?: { readonly at: string; readonly failures: number } | undefined;
  /** Money in the portfolio's currency (its decimals: 8,500.00 dollars, 8,500 yen); two decimals when absent. */
  readonly money?: ((value: number) => string) | undefined;
}): AttentionItem[] => {
  const items: AttentionItem[] = [];
  if (latest?.allocation.status === 'held') {
    items.push({ severity: 'critical', text: `The plan is held: ${latest.allocation.reason ?? 'see the snapshot'}.`, detail: 'meta' });
  }
  for (const alert of alerts) {
    const severity = alert.action === 'stop-loss' && rank(alert.severity) < rank('warning') ? 'warning' : alert.severity;
    const held = alert.action === 'stop-loss' ? '; a stop-loss holds it at its base' : '';
    items.push({
      severity,
      text: `${names?.get(alert.channelId) ?? alert.channelId}: ${alertValue(alert, money)} (rule ${alert.ruleId})${held}.`,
      detail: 'h-alerts',
    });
  }
  for (const constraint of latest?.allocation.constraints ?? []) {
    if (constraint.unmet !== undefined) items.push({ severity: 'warning', text: constraint.explanation, detail: 'h-constraints' });
  }
  const yesterday = addDays(today, -1);
  const plan = allocated.get(yesterday);
  // A pacing alert already says it, in its rule's terms.
  const alerted = new Set(alerts.filter((a) => a.metric === 'pacing').map((a) => a.channelId));
  for (const row of daily.filter((d) => d.date === yesterday && !alerted.has(d.channelId))) {
    const planned = plan?.get(row.channelId);
    if (planned === undefined || planned <= 0) continue;
    const pace = row.spend / planned - 1;
    if (Math.abs(pace) > PACING_TOLERANCE) {
      items.push({
        severity: 'warning',
        text: `${names?.get(row.channelId) ?? row.channelId} spent ${percent(1 + pace)} of plan on ${yesterday} (${money(row.spend)} against ${money(planned)}).`,
        detail: 'h-pacing',
      });
    }
  }
  // Without a plan, the newest metrics stored say how fresh the data is; "nothing needs attention" read as all
  // well on a portfolio never allocated.
  if (!latest) {
    items.push({
      severity: 'warning',
      text: 'No plan yet: the portfolio has not been allocated. The next scheduled run allocates it, or reallocate now.',
      // The page shows the empty portfolio's section there, where the plan's facts would be.
      detail: 'empty',
    });
  }
  const stored = daily.reduce<string | null>((newest, d) => (newest === null || d.date > newest ? d.date : newest), null);
  const watermark = latest ? latest.watermark : stored;
  if (watermark === null || daysBetween(watermark, yesterday) >= STALE_AFTER_DAYS) {
    items.push({
      severity: 'warning',
      text:
        watermark === null
          ? latest
            ? 'No metrics have arrived for this portfolio.'
            : 'No metrics from the last 14 days have arrived.'
          : `The newest metrics are from ${watermark}, ${daysBetween(watermark, today)} days ago.`,
      detail: latest ? 'meta' : 'empty',
    });
  }
  if (diagnostics?.summary.verdict === 'not-trustworthy')
    items.push({ severity: 'warning', text: `Model health: ${diagnostics.summary.text}`, detail: 'h-model-health' });
  for (const channel of diagnostics?.channels ?? []) {
    const flag = channel.flags.find((f) => f.code === 'error-above-usual');
    if (flag)
      items.push({
        severity: 'warning',
        text: `${channel.name}: ${flag.text} Its plan rests on a curve that no longer predicts it well.`,
        detail: 'h-model-health',
      });
  }
  if (appliesStopped) {
    const failures = appliesStopped.failures === 1 ? '1 failure' : `${appliesStopped.failures} failures in a row`;
    items.push({
      severity: 'critical',
      text: `Applies to the ad platforms stopped at ${displayInstant(appliesStopped.at)} after ${failures}: plans are not sent until an operator applies one.`,
      detail: 'h-applied',
    });
  }
  if (latest && latest.configHash !== configHash) {
    items.push({
      severity: 'info',
      text: 'The plan shown was made under an earlier config; the next run applies the current one.',
      detail: 'meta',
    });
  }
  // Most severe first; within a severity, in the order above (Array.prototype.sort is stable).
  return items.sort((a, b) => rank(b.severity) - rank(a.severity));
};

import { connectEventBridge } from '../../functions/adapters/eventBridgePublisher.js';
import { envSecrets } from '../../functions/adapters/webhookSecrets.js';
import { Reallocator } from '../../functions/application/reallocatePortfolio.js';
import type { Portfolio } from '../../functions/domain/config.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { demoFeed } from '../../functions/domain/demoFeed.js';
import { allocationCells, displayMoney } from '../../functions/domain/financeViews.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { deployedRepositories } from '../../functions/wiring/dynamo.js';
import { eventPublisher } from '../../functions/wiring/events.js';
import { type Progress, progress } from '../progress.js';
import { getJson, postDelivery } from './webhookClient.js';

/** True when the portfolio has no stored metrics in the last 400 days. */
export const hasNoMetrics = async (url: string, token: string, portfolio: Portfolio, now: Date): Promise<boolean> => {
  const today = dateInZone(now, portfolio.timezone);
  const answer = await getJson(url, `/portfolios/${portfolio.id}/metrics?from=${addDays(today, -399)}&to=${today}`, token);
  if (answer.status !== 200) throw new Error(`could not read demo metrics: ${JSON.stringify(answer.body)}`);
  return (answer.body as { metrics: unknown[] }).metrics.length === 0;
};

/**
 * Replays the demo feed through the signed webhook path, one delivery per day as a daily sender would:
 * 60 days × every channel (but those in `except`, whose metrics arrive by pull), ending yesterday in the
 * portfolio's time zone. Returns the records accepted.
 */
export const replayDemoFeed = async (
  url: string,
  portfolio: Portfolio,
  now: Date,
  days = 60,
  report: Progress = progress(),
  except: ReadonlySet<string> = new Set(),
): Promise<number> => {
  const yesterday = addDays(dateInZone(now, portfolio.timezone), -1);
  const records = demoFeed(portfolio, yesterday, days).filter((r) => !except.has(r.channelId));
  const [secret] = await envSecrets((name) => process.env[name])('generic');
  let accepted = 0;
  for (let d = days - 1; d >= 0; d -= 1) {
    const date = addDays(yesterday, -d);
    const answer = await postDelivery(
      url,
      'generic',
      {
        portfolioId: portfolio.id,
        deliveryId: `demo-${date}`,
        records: records.filter((r) => r.date === date),
      },
      secret!,
    );
    if (answer.status !== 202) throw new Error(`demo delivery for ${date} was refused: ${JSON.stringify(answer.body)}`);
    accepted += (answer.body as { accepted: number }).accepted;
    report.step(days - d, days, 'Loading the demo feed (one signed delivery per day)');
  }
  report.end();
  return accepted;
};

/**
 * Gives the demo four weeks of history: one reallocation for each past day, each reading only the data up
 * to that day (its clock is set to the day's noon, UTC), as the daily schedule would have run them. Every
 * chart of the dashboard then has a history on first start.
 */
export const seedHistory = async (portfolio: Portfolio, now: Date, days = 28, report: Progress = progress()): Promise<number> => {
  const { metrics, allocations, alerts } = deployedRepositories();
  const today = dateInZone(now, portfolio.timezone);
  let made = 0;
  for (let d = days; d >= 1; d -= 1) {
    const at = new Date(`${addDays(today, -d)}T12:00:00Z`);
    const reallocator = new Reallocator({
      metrics,
      allocations,
      stopLosses: alerts,
      events: eventPublisher(connectEventBridge),
      clock: () => at,
      configHash: deployedConfig.hash,
    });
    if ((await reallocator.run(portfolio, { kind: 'on-demand', by: 'demo history' })).created) made += 1;
    report.step(days - d + 1, days, 'Seeding the demo history (one reallocation per past day)');
  }
  report.end();
  return made;
};

/** What start shows: the latest snapshot, or a new one and why it was made. */
export interface StartAllocation {
  readonly snapshot: Snapshot;
  /** Why a reallocation ran at start; absent when the latest snapshot is shown as it is. */
  readonly why?: string;
}

/** The portfolio's day a snapshot was made on. */
const madeOn = (snapshot: Snapshot, portfolio: Portfolio) => dateInZone(new Date(snapshot.createdAt), portfolio.timezone);

/**
 * The latest snapshot, or a new one from an on-demand reallocation when the portfolio has none, when the
 * latest was made under another config than the one in force (a config edited since), when it was made on
 * an earlier day than `now` (the data stopped with it, and the schedule would have decided since), or when
 * `fresh` says the history was just seeded (its newest snapshot is yesterday's).
 */
export const latestOrReallocate = async (
  url: string,
  token: string,
  portfolio: Portfolio,
  configHash: string,
  fresh = false,
  now = new Date(),
): Promise<StartAllocation> => {
  const latest = await getJson(url, `/portfolios/${portfolio.id}/allocations/latest`, token);
  const found = latest.status === 200 ? (latest.body as Snapshot) : null;
  const why =
    found === null
      ? 'the portfolio had no allocation yet'
      : fresh
        ? 'the demo history was just seeded'
        : found.configHash !== configHash
          ? `the latest allocation was made under config ${found.configHash}, and config ${configHash} is in force now`
          : madeOn(found, portfolio) < dateInZone(now, portfolio.timezone)
            ? `the latest allocation was made on ${madeOn(found, portfolio)}, before today`
            : undefined;
  if (found && why === undefined) return { snapshot: found };
  const made = await getJson(url, `/portfolios/${portfolio.id}/reallocate`, token, 'POST');
  if (made.status !== 201) throw new Error(`the demo reallocation failed: ${JSON.stringify(made.body)}`);
  return { snapshot: made.body as Snapshot, ...(why ? { why } : {}) };
};

/** What an alert evaluation changed, as `POST /portfolios/{id}/alerts/evaluate` answers it. */
interface Evaluation {
  readonly opened: readonly { readonly ruleId: string; readonly channelId: string; readonly severity: string }[];
  readonly escalated: readonly unknown[];
  readonly resolved: readonly unknown[];
}

/**
 * Evaluates the portfolio's alert rules once, as start reallocates once: without it the dashboard says "no
 * open alerts" until the schedule's first window, whatever the data shows. Returns the lines to print.
 */
export const evaluateAlertsAtStart = async (url: string, token: string, portfolio: Portfolio): Promise<string[]> => {
  const answer = await getJson(url, `/portfolios/${portfolio.id}/alerts/evaluate`, token, 'POST');
  if (answer.status !== 200) throw new Error(`the alert evaluation at start failed: ${JSON.stringify(answer.body)}`);
  const { opened, escalated, resolved } = answer.body as Evaluation;
  // A restart opens none of the alerts a previous run left open: "0 opened" read as none open.
  const open = await getJson(url, `/portfolios/${portfolio.id}/alerts?status=open`, token);
  const count = (open.body as { alerts?: readonly unknown[] }).alerts?.length ?? 0;
  return [
    `Evaluated the alert rules of "${portfolio.id}": ${opened.length} opened, ${escalated.length} escalated, ${resolved.length} resolved; ${count} open.`,
    ...opened.map((a) => `  · ${a.severity} ${a.ruleId} on ${a.channelId}`),
  ];
};

/** A snapshot as a fixed-width table for the console. */
export const allocationTable = (snapshot: Snapshot, currency: string): string => {
  const money = displayMoney(currency);
  const { allocation } = snapshot;
  const header = ['channel', 'base', 'performance', 'exploration', 'total', 'previous', 'exp. conv.', 'marginal CPA'];
  const rows = allocation.channels.map((c) => [...allocationCells(c, money), c.expectedConversions.toFixed(1), money(c.marginalCpa)]);
  rows.push(['total', '', '', money(allocation.exploration), money(allocation.total), '', allocation.expectedConversions.toFixed(1), '']);
  if (allocation.reserve > 0) rows.push(['reserve', '', '', '', money(allocation.reserve), '', '', '']);
  if (allocation.unallocated) rows.push(['unallocated', '', '', '', money(allocation.unallocated.amount), '', '', '']);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const status = allocation.status === 'held' ? `HELD: ${allocation.reason}` : `optimal, solved in ${allocation.solver.ms} ms`;
  return [
    `Snapshot ${snapshot.snapshotId} (${status}; metrics up to ${snapshot.watermark ?? 'none'}; config ${snapshot.configHash})`,
    line(header),
    ...rows.map(line),
    ...allocation.constraints.slice(0, 3).map((c) => `  · ${c.explanation}`),
  ].join('\n');
};

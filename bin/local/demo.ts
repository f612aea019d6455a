import { envSecrets } from '../../functions/adapters/webhookSecrets.js';
import type { Portfolio } from '../../functions/domain/config.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import { demoFeed } from '../../functions/domain/demoFeed.js';
import { allocationCells, displayMoney } from '../../functions/domain/financeViews.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { getJson, postDelivery } from './webhookClient.js';

/** True when the portfolio has no stored metrics in the last 400 days. */
export const hasNoMetrics = async (url: string, token: string, portfolio: Portfolio, now: Date): Promise<boolean> => {
  const today = dateInZone(now, portfolio.timezone);
  const answer = await getJson(url, `/portfolios/${portfolio.id}/metrics?from=${addDays(today, -399)}&to=${today}`, token);
  if (answer.status !== 200) throw new Error(`could not read demo metrics: ${JSON.stringify(answer.body)}`);
  return (answer.body as { metrics: unknown[] }).metrics.length === 0;
};

/**
 * Replays the demo feed through the signed webhook path, one delivery per day as a daily poller would:
 * 60 days × every channel, ending yesterday in the portfolio's time zone. Returns the records accepted.
 */
export const replayDemoFeed = async (url: string, portfolio: Portfolio, now: Date, days = 60): Promise<number> => {
  const yesterday = addDays(dateInZone(now, portfolio.timezone), -1);
  const records = demoFeed(portfolio, yesterday, days);
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
  }
  return accepted;
};

/** The latest snapshot, or a new one from an on-demand reallocation when the portfolio has none. */
export const latestOrReallocate = async (
  url: string,
  token: string,
  portfolio: Portfolio,
): Promise<{ snapshot: Snapshot; created: boolean }> => {
  const latest = await getJson(url, `/portfolios/${portfolio.id}/allocations/latest`, token);
  if (latest.status === 200) return { snapshot: latest.body as Snapshot, created: false };
  const made = await getJson(url, `/portfolios/${portfolio.id}/reallocate`, token, 'POST');
  if (made.status !== 201) throw new Error(`the demo reallocation failed: ${JSON.stringify(made.body)}`);
  return { snapshot: made.body as Snapshot, created: true };
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

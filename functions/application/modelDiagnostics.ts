import type { Portfolio } from '../domain/config.js';
import { dateInZone } from '../domain/dates.js';
import { diagnose, diagnosticsRange } from '../domain/diagnostics/diagnose.js';
import type { Diagnostics } from '../domain/diagnostics/schemas.js';
import { rollupDaily } from '../domain/metrics.js';
import { allocationSeed, historyDays } from '../domain/snapshots.js';
import type { Clock, MetricsReader } from './ports.js';

export interface DiagnosticsDependencies {
  readonly metrics: MetricsReader;
  readonly clock: Clock;
}

/**
 * Fit diagnostics of a portfolio now (`GET /portfolios/{id}/diagnostics` and the dashboard's model health):
 * the stored daily totals with their revisions, read as a reallocation reads them but reaching back far
 * enough to refit the model for each held-out day, and the allocator's seed for today. Reads only.
 */
export const modelDiagnostics = async ({ metrics, clock }: DiagnosticsDependencies, portfolio: Portfolio): Promise<Diagnostics> => {
  const asOf = dateInZone(clock(), portfolio.timezone);
  const { from, revisionsFrom, to } = diagnosticsRange(asOf);
  const channelIds = portfolio.channels.map((c) => c.id);
  const [rows, versions] = await Promise.all([
    metrics.portfolioRows(portfolio.id, channelIds, from, to),
    metrics.portfolioVersions(portfolio.id, channelIds, revisionsFrom, to),
  ]);
  const history = historyDays(portfolio, rollupDaily(rows), versions, asOf);
  return diagnose({ portfolio, history, asOf, seed: allocationSeed(portfolio.id, asOf) }, { timer: () => performance.now() });
};

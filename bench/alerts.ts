import { evaluatePortfolio } from '../functions/domain/alerts/evaluate.js';
import { Portfolio } from '../functions/domain/config.js';
import { addDays } from '../functions/domain/dates.js';
import type { MetricRow } from '../functions/domain/metrics.js';
import { printTable, timed } from './stats.js';

const PORTFOLIOS = 1000;
const CHANNELS = 20;
const NOW = new Date('2026-11-22T10:00:00Z');

/** A portfolio with five rules: CPA by day, ROAS by week (stop-loss), CTR by day, silence, pacing. */
const portfolio = (p: number) =>
  Portfolio.parse({
    id: `p${p}`,
    name: `P${p}`,
    currency: 'USD',
    timezone: p % 2 ? 'Europe/Paris' : 'America/New_York',
    budget: { daily: 40_000 },
    channels: Array.from({ length: CHANNELS }, (_, c) => ({ id: `c${c}`, platform: 'generic', base: 100, max: 5000 })),
    alerts: {
      rules: [
        { id: 'cpa', metric: 'cpa', op: '>', threshold: 45, window: 'day', consecutive: 3 },
        { id: 'roas', metric: 'roas', op: '<', threshold: 1, window: 'week', consecutive: 2, action: 'stop-loss' },
        { id: 'ctr', metric: 'ctr', op: '<', threshold: 0.005, window: 'day', consecutive: 2 },
        { id: 'silence', metric: 'hoursSinceData', op: '>', threshold: 6 },
        { id: 'pacing', metric: 'pacing', op: '>', threshold: 0.15 },
      ],
    },
  });

/** `weeks` of daily rows for every channel of a portfolio, ending yesterday. */
const history = (p: Portfolio, weeks: number): MetricRow[] =>
  p.channels.flatMap((c, ci) =>
    Array.from({ length: weeks * 7 }, (_, d) => ({
      portfolioId: p.id,
      channelId: c.id,
      date: addDays('2026-11-21', -d),
      hour: null,
      spendMicros: (900 + ((ci * 37 + d * 11) % 300)) * 1e6,
      revenueMicros: (800 + ((ci * 13 + d * 7) % 600)) * 1e6,
      impressions: 100_000,
      clicks: 600 + ((ci + d) % 50),
      conversions: 15 + ((ci * 3 + d) % 12),
      revision: 1,
      receivedAt: '2026-11-22T06:00:00Z',
    })),
  );

/** Issue 5: evaluating every rule of 1000 portfolios, pure domain, as history grows (it should grow linearly). */
export const benchAlerts = async () => {
  const portfolios = Array.from({ length: PORTFOLIOS }, (_, p) => portfolio(p));
  const allocated = new Map([['2026-11-21', new Map(Array.from({ length: CHANNELS }, (_, c) => [`c${c}`, 1000]))]]);
  const rows: (string | number)[][] = [['weeks of daily data', 'rows', 'ms', 'µs per row', 'ratio to 8 weeks']];
  const results: { weeks: number; rows: number; ms: number }[] = [];
  for (const weeks of [2, 4, 8, 16]) {
    const data = portfolios.map((p) => history(p, weeks));
    evaluatePortfolio(portfolios[0]!, data[0]!, allocated, NOW); // warm-up
    const samples: number[] = [];
    for (let round = 0; round < 3; round += 1)
      samples.push(
        await timed(() => {
          for (const [i, p] of portfolios.entries()) evaluatePortfolio(p, data[i]!, allocated, NOW);
        }),
      );
    results.push({ weeks, rows: data.reduce((n, d) => n + d.length, 0), ms: Math.min(...samples) });
  }
  const reference = results.find((r) => r.weeks === 8)!;
  for (const r of results) rows.push([r.weeks, r.rows, r.ms, (r.ms * 1000) / r.rows, (r.ms / reference.ms).toFixed(2)]);
  printTable(`Alert evaluation: ${PORTFOLIOS} portfolios × ${CHANNELS} channels × 5 rules, pure domain (best of 3)`, rows);
};

import { allocate } from '../functions/domain/allocation/allocate.js';
import { AllocationInput, type HistoryDay } from '../functions/domain/allocation/schemas.js';
import { Portfolio } from '../functions/domain/config.js';
import { addDays } from '../functions/domain/dates.js';
import { DIAGNOSTICS, diagnose } from '../functions/domain/diagnostics/diagnose.js';
import { normal, poisson, seededRandom } from '../functions/domain/random.js';
import { median, printTable, timed } from './stats.js';

const AS_OF = '2026-11-21';

/**
 * A portfolio of `n` channels with eight weeks of daily history (the fit window before the first of the 14
 * held-out days), Poisson counts from saturating curves, each day restated as it matured (60% reported at
 * first, final two days on), so the fits learn maturity as they do in production.
 */
const market = (n: number) => {
  const random = seededRandom(n);
  const portfolio = Portfolio.parse({
    id: 'p',
    name: 'p',
    currency: 'USD',
    timezone: 'UTC',
    budget: { daily: n * 1000 },
    objective: { maximize: 'conversions' },
    channels: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, platform: 'generic', base: 100, max: 5000 })),
  });
  const history: HistoryDay[] = portfolio.channels.flatMap((c) => {
    const level = 30 + 60 * random();
    const scale = 600 + 1500 * random();
    return Array.from({ length: 56 }, (_, k) => {
      const date = addDays(AS_OF, k - 56);
      const spend = Math.round(800 * Math.exp(0.3 * normal(random)));
      const final = poisson(random, level * -Math.expm1(-spend / scale));
      const age = 56 - k;
      const revisions = age >= 3 ? [{ reportedOn: date, conversions: Math.round(final * 0.6) }] : [];
      return { channelId: c.id, date, spend, conversions: age >= 3 ? final : Math.round(final * 0.6), revisions };
    });
  });
  return { portfolio, history };
};

/**
 * Fit diagnostics against one allocation of the same portfolio, side by side: each held-out day refits
 * every channel, so diagnostics cost about (held-out days + 1) fits, and a fit is about half of allocate().
 */
export const benchDiagnostics = async () => {
  const rows: (string | number)[][] = [['channels', 'diagnostics ms', 'allocate() ms', 'ratio', 'ms per channel']];
  for (const n of [6, 20, 100]) {
    const { portfolio, history } = market(n);
    const input = AllocationInput.parse({ portfolio, history: history.filter((r) => r.date >= addDays(AS_OF, -42)), asOf: AS_OF, seed: 1 });
    const allocations: number[] = [];
    const diagnostics: number[] = [];
    // Interleaved, so that both see the same machine.
    for (let run = 0; run < 3; run += 1) {
      allocations.push(await timed(() => allocate(input)));
      diagnostics.push(await timed(() => diagnose({ portfolio, history, asOf: AS_OF, seed: 1 })));
    }
    const [d, a] = [median(diagnostics), median(allocations)];
    rows.push([n, Math.round(d), Math.round(a), `${(d / a).toFixed(1)}×`, (d / n).toFixed(1)]);
  }
  printTable(`Fit diagnostics (${DIAGNOSTICS.heldOutDays} held-out days, ${DIAGNOSTICS.draws} draws per channel-day), medians of 3`, rows);
};

import '../bin/local/localEnv.js';
import { ensureTables, startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { AlertsRepository } from '../functions/adapters/alertsRepository.js';
import { AllocationsRepository } from '../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../functions/adapters/dynamo.js';
import { LocalBus } from '../functions/adapters/eventBus.js';
import { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import { AlertEvaluator } from '../functions/application/evaluateAlerts.js';
import { AlertRule, MAX_RULE_CHANNEL_PAIRS, Portfolio } from '../functions/domain/config.js';
import { addDays, dateInZone } from '../functions/domain/dates.js';
import type { MetricRow } from '../functions/domain/metrics.js';
import { ALERTS_TABLE, ALLOCATIONS_TABLE, METRICS_TABLE } from '../lib/tables.js';
import { printTable, timed } from './stats.js';

/**
 * Issue 21 item 7: how long one alert evaluation (the use case, on DynamoDB Local and the local bus) takes
 * per rule × channel pair, in its worst case (every pair opens an alert: one transaction, one event and one
 * outbox delete each, in sequence) and when nothing changes; the base of `MAX_RULE_CHANNEL_PAIRS`.
 * Run alone: `npx tsx bench/alertRules.ts`.
 */
const SIZES = [
  { channels: 20, rules: 5 },
  { channels: 20, rules: 20 },
  { channels: 80, rules: 5 },
  { channels: 20, rules: 50 },
  { channels: 200, rules: 5 },
] as const;
/** The on-demand route's function (FUNCTIONS.alerts in lib/api.ts) has budget-function's default timeout. */
const TIMEOUT_MS = 29_000;

/**
 * A portfolio whose every rule breaches on every channel (CPA 100 against thresholds below it), so the first
 * evaluation opens them all. The rules are parsed one by one: sizes above the config's limit are measured too.
 */
const portfolio = (id: string, channels: number, rules: number): Portfolio => {
  const parsed = Portfolio.parse({
    id,
    name: id,
    currency: 'USD',
    timezone: 'UTC',
    budget: { daily: 100 * channels * 10 },
    channels: Array.from({ length: channels }, (_, c) => ({ id: `c${c}`, platform: 'generic', base: 1, max: 5000 })),
  });
  const judged = Array.from({ length: rules }, (_, r) =>
    AlertRule.parse({ id: `cpa-${r}`, metric: 'cpa', op: '>', threshold: 10 + r, window: 'day' }),
  );
  return { ...parsed, alerts: { ...parsed.alerts, rules: judged } };
};

const rows = (p: Portfolio, today: string): MetricRow[] =>
  p.channels.flatMap((c) =>
    Array.from({ length: 42 }, (_, d) => ({
      portfolioId: p.id,
      channelId: c.id,
      date: addDays(today, -d - 1),
      hour: null,
      spendMicros: 1000e6,
      revenueMicros: 500e6,
      impressions: 100_000,
      clicks: 500,
      conversions: 10,
      revision: 1,
    })),
  );

const dynamo = await startDynamoLocal();
try {
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTables(client, [METRICS_TABLE, ALLOCATIONS_TABLE, ALERTS_TABLE], 'bench-');
  const documents = createDocumentClient(client);
  const metrics = new MetricsRepository(documents, `bench-${METRICS_TABLE.id}`);
  const evaluator = new AlertEvaluator({
    metrics,
    pulls: metrics,
    allocations: new AllocationsRepository(documents, `bench-${ALLOCATIONS_TABLE.id}`),
    alerts: new AlertsRepository(documents, `bench-${ALERTS_TABLE.id}`),
    events: new LocalBus(),
    clock: () => new Date(),
    configHash: 'bench',
  });
  const table: (string | number)[][] = [['channels', 'rules', 'pairs', 'all open ms', 'ms / pair', 'unchanged ms', 'ms / pair']];
  /** Seeds a fresh portfolio, evaluates it (every pair opens) and again (nothing changes): the two times. */
  const measure = async (name: string, channels: number, rules: number) => {
    const p = portfolio(name, channels, rules);
    const data = rows(p, dateInZone(new Date(), 'UTC'));
    for (let i = 0; i < data.length; i += 100) await metrics.store(data.slice(i, i + 100), `seed-${p.id}-${i}`, new Date().toISOString());
    let opened = 0;
    const first = await timed(async () => (opened = (await evaluator.evaluate(p)).opened.length));
    if (opened !== channels * rules) throw new Error(`expected every pair to open, got ${opened}`);
    return { first, again: await timed(() => evaluator.evaluate(p)) };
  };
  await measure('bench-warm-up', 20, 5); // JIT and DynamoDB Local warm up; not reported
  for (const { channels, rules } of SIZES) {
    // Best of two fresh portfolios per size: the machine is shared, and the slower run measures the neighbours.
    const runs = [
      await measure(`bench-${channels}x${rules}-a`, channels, rules),
      await measure(`bench-${channels}x${rules}-b`, channels, rules),
    ];
    const first = Math.min(...runs.map((r) => r.first));
    const again = Math.min(...runs.map((r) => r.again));
    const pairs = channels * rules;
    table.push([channels, rules, pairs, first, first / pairs, again, again / pairs]);
  }
  documents.destroy();
  printTable('Alert evaluation per rule × channel pair (AlertEvaluator on DynamoDB Local, local bus)', table);
  const atLimit = table.filter((row) => row[2] === MAX_RULE_CHANNEL_PAIRS).map((row) => row[3] as number);
  console.log(
    `\n  The config allows ${MAX_RULE_CHANNEL_PAIRS} pairs per portfolio. Opening every one of them took ` +
      (atLimit.map((ms) => `${Math.round(ms)} ms (${((100 * ms) / TIMEOUT_MS).toFixed(1)}%)`).join(' and ') || 'unmeasured') +
      ` of the alerts function's ${TIMEOUT_MS / 1000} s timeout; the goal is at most 10%.`,
  );
} finally {
  await dynamo.stop();
}

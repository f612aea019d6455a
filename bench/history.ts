import { ensureTables, startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { parseConfig } from '../functions/adapters/configFile.js';
import { createDocumentClient, createDynamoClient } from '../functions/adapters/dynamo.js';
import { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import { addDays, dateInZone } from '../functions/domain/dates.js';
import { deployedConfig } from '../functions/wiring/config.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../lib/tables.js';
import { benchReallocator, storeDemoFeed } from './seed.js';
import { median, printTable, timed } from './stats.js';

const CHANNELS = 100;
const ROUNDS = 5;

/** Two portfolios of 100 channels, alike but for how much history the store holds for them. */
const config = () =>
  parseConfig(
    {
      schedules: deployedConfig.schedules,
      portfolios: [42, 112].map((days) => ({
        id: `days-${days}`,
        name: `${days} days stored`,
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily: CHANNELS * 1500, explorationShare: 0.1, maxDailyChange: 0.25 },
        objective: { maximize: 'conversions' },
        channels: Array.from({ length: CHANNELS }, (_, c) => ({
          id: `c${c}`,
          name: `Channel ${c}`,
          platform: 'generic',
          base: 300,
          max: 6000,
          explore: c % 3 !== 0,
        })),
      })),
    },
    'bench',
  );

/**
 * What reading sixteen weeks of history costs a reallocation (issue 22 item 2): one run of a 100-channel
 * portfolio whose store holds 6 weeks against one whose store holds 16 weeks, each on DynamoDB Local, in the
 * reallocation function's own code path (read, fit, solve, write).
 */
export const benchHistory = async () => {
  const local = await startDynamoLocal();
  const dynamo = createDynamoClient({ endpoint: local.endpoint });
  const client = createDocumentClient(dynamo);
  try {
    const prefix = 'bench-history-';
    await ensureTables(dynamo, [METRICS_TABLE, ALLOCATIONS_TABLE], prefix);
    const parsed = config();
    const metrics = new MetricsRepository(client, `${prefix}${METRICS_TABLE.id}`);
    const now = new Date();
    const yesterday = addDays(dateInZone(now, 'UTC'), -1);
    for (const portfolio of parsed.portfolios) {
      const days = Number(portfolio.id.split('-')[1]);
      await storeDemoFeed(metrics, portfolio, yesterday, days, now);
    }
    const reallocator = benchReallocator(metrics, client, `${prefix}${ALLOCATIONS_TABLE.id}`, parsed.hash);
    const times = new Map(parsed.portfolios.map((p) => [p.id, [] as number[]]));
    // Interleaved, after a warm-up of each, so both read the same warm DynamoDB Local and JIT.
    for (let round = 0; round <= ROUNDS; round += 1) {
      for (const portfolio of parsed.portfolios) {
        const ms = await timed(() => reallocator.run(portfolio, { kind: 'on-demand', by: 'bench' }));
        if (round > 0) times.get(portfolio.id)!.push(ms);
      }
    }
    const six = median(times.get('days-42')!);
    const sixteen = median(times.get('days-112')!);
    printTable(`One reallocation of ${CHANNELS} channels on DynamoDB Local, by history stored (median of ${ROUNDS}, ms)`, [
      ['history stored', 'rows read', 'ms', 'ratio'],
      ['6 weeks (reference)', CHANNELS * 42, six, '1.00'],
      ['16 weeks: the weekday factors read all of it', CHANNELS * 112, sixteen, (sixteen / six).toFixed(2)],
    ]);
  } finally {
    client.destroy();
    await local.stop();
  }
};

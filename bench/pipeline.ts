import { lambdaContext } from '../bin/local/apiGateway.js';
import { replayDemoFeed } from '../bin/local/demo.js';
import { ensureTables, startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { getJson, postDelivery } from '../bin/local/webhookClient.js';
import { parseConfig } from '../functions/adapters/configFile.js';
import { createDocumentClient, createDynamoClient } from '../functions/adapters/dynamo.js';
import { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import { mapLimit } from '../functions/adapters/retry.js';
import { LOCAL_DEV_SECRET } from '../functions/adapters/webhookSecrets.js';
import { LocalWorkQueue } from '../functions/adapters/workQueue.js';
import { addDays, dateInZone } from '../functions/domain/dates.js';
import { deployedConfig } from '../functions/wiring/config.js';
import { ALLOCATIONS_TABLE, METRICS_TABLE } from '../lib/tables.js';
import { benchReallocator, storeDemoFeed } from './seed.js';
import { percentile, printTable, timed } from './stats.js';

const E2E_ROUNDS = 30;
const PORTFOLIOS = 100;
const CHANNELS = 20;
const HISTORY_DAYS = 28;

/** Webhook delivery → on-demand reallocation → snapshot readable through the API, against the webhook alone. */
const endToEnd = async (endpoint: string) => {
  const runtime = await startLocalRuntime({ dynamoEndpoint: endpoint, tablePrefix: 'bench-e2e-', schedules: false });
  const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
  try {
    await replayDemoFeed(runtime.url, demo, new Date(), 42);
    const yesterday = addDays(dateInZone(new Date(), demo.timezone), -1);
    const restatement = (n: number) => ({
      portfolioId: demo.id,
      deliveryId: `bench-e2e-${n}`,
      records: [{ channelId: 'search', date: yesterday, spend: 1500 + n, conversions: 40 + (n % 5), revision: 100 + n }],
    });
    const webhook: number[] = [];
    const total: number[] = [];
    for (let n = 0; n < E2E_ROUNDS + 3; n += 1) {
      let posted = 0;
      const ms = await timed(async () => {
        posted = await timed(async () => {
          const answer = await postDelivery(runtime.url, 'generic', restatement(n), LOCAL_DEV_SECRET);
          if (answer.status !== 202) throw new Error(JSON.stringify(answer.body));
        });
        const made = await getJson(runtime.url, `/portfolios/${demo.id}/reallocate`, runtime.apiToken, 'POST');
        const id = (made.body as { snapshotId: string }).snapshotId;
        const read = await getJson(runtime.url, `/portfolios/${demo.id}/allocations/${id}`, runtime.apiToken);
        if (read.status !== 200) throw new Error(`snapshot ${id} not readable`);
      });
      if (n < 3) continue; // warm-up
      webhook.push(posted);
      total.push(ms);
    }
    printTable(`End to end, on demand (${E2E_ROUNDS} rounds, 6 channels, 42 days of history; ms)`, [
      ['path', 'p50', 'p99', 'ratio p50'],
      [
        'webhook → reallocate → snapshot readable',
        percentile(total, 50),
        percentile(total, 99),
        (percentile(total, 50) / percentile(webhook, 50)).toFixed(2),
      ],
      ['webhook delivery alone (reference)', percentile(webhook, 50), percentile(webhook, 99), '1.00'],
    ]);
  } finally {
    await runtime.close();
  }
};

/** A config of 100 portfolios × 20 channels, and their history straight into the Metrics table. */
const bigConfig = () =>
  parseConfig(
    {
      schedules: deployedConfig.schedules,
      portfolios: Array.from({ length: PORTFOLIOS }, (_, p) => ({
        id: `p${p}`,
        name: `Portfolio ${p}`,
        currency: 'USD',
        timezone: 'UTC',
        budget: { daily: 40_000, explorationShare: 0.1, maxDailyChange: 0.25 },
        objective: { maximize: 'conversions' },
        channels: Array.from({ length: CHANNELS }, (_, c) => ({
          id: `c${c}`,
          name: `Channel ${c}`,
          platform: 'generic',
          base: 300 + 10 * c,
          max: 6000,
          explore: c % 3 !== 0,
        })),
      })),
    },
    'bench',
  );

/** The scheduled fan-out over 100 portfolios (queue → worker batches in parallel) against the same runs one by one. */
const fanOut = async (endpoint: string) => {
  const dynamo = createDynamoClient({ endpoint: endpoint });
  const client = createDocumentClient(dynamo);
  const prefix = 'bench-fan-';
  await ensureTables(dynamo, [METRICS_TABLE, ALLOCATIONS_TABLE], prefix);
  const config = bigConfig();
  const metrics = new MetricsRepository(client, `${prefix}${METRICS_TABLE.id}`);
  const now = new Date();
  const yesterday = addDays(dateInZone(now, 'UTC'), -1);
  const seeded = await timed(() =>
    mapLimit(config.portfolios, 4, (portfolio) => storeDemoFeed(metrics, portfolio, yesterday, HISTORY_DAYS, now)),
  );
  const reallocator = benchReallocator(metrics, client, `${prefix}${ALLOCATIONS_TABLE.id}`, config.hash);
  // Imported late: a handler module builds its deployed handler on import, from the environment the local
  // runtime above has set; the bench uses the factories with its own config instead.
  const { createWorkerHandler } = await import('../functions/handlers/reallocateWorker.js');
  const { createScheduleHandler } = await import('../functions/handlers/schedule.js');
  const queue = new LocalWorkQueue('reallocate');
  const worker = createWorkerHandler({ config, reallocator });
  queue.consumeWith((event) => worker(event, lambdaContext('ReallocateWorker', 120)));
  const schedule = createScheduleHandler({
    config,
    queues: { reallocate: queue, alerts: new LocalWorkQueue('alerts'), poll: new LocalWorkQueue('poll') },
  });
  try {
    const fire = (hour: number) => async () => {
      await schedule(
        { job: 'reallocate', scheduledTime: `2026-01-01T${String(hour).padStart(2, '0')}:00:00Z` },
        lambdaContext('Schedule', 60),
      );
      await queue.drain();
      if (queue.deadLetters.length > 0) throw new Error(`${queue.deadLetters.length} portfolios dead-lettered`);
    };
    const oneByOne = () => mapLimit(config.portfolios, 1, (p) => reallocator.run(p, { kind: 'on-demand', by: 'bench' }));
    await fire(0)(); // warm-up
    const fanned: number[] = [];
    const sequential: number[] = [];
    for (const hour of [1, 2, 3]) {
      fanned.push(await timed(fire(hour)));
      sequential.push(await timed(oneByOne));
    }
    const f = percentile(fanned, 50);
    const s = percentile(sequential, 50);
    printTable(
      `Scheduled reallocation of ${PORTFOLIOS} portfolios × ${CHANNELS} channels, ${HISTORY_DAYS} days each (seeded ${(seeded / 1000).toFixed(1)} s; median of 3, ms)`,
      [
        ['path', 'wall ms', 'per portfolio ms', 'ratio'],
        ['local fan-out: schedule → queue → worker batches of 10', f, f / PORTFOLIOS, (f / s).toFixed(2)],
        ['the same runs one after another (reference)', s, s / PORTFOLIOS, '1.00'],
      ],
    );
  } finally {
    client.destroy();
  }
};

/** Issue 4: the reallocation pipeline's latency and fan-out wall time. */
export const benchPipeline = async () => {
  const dynamo = await startDynamoLocal();
  try {
    await endToEnd(dynamo.endpoint);
    await fanOut(dynamo.endpoint);
  } finally {
    await dynamo.stop();
  }
};

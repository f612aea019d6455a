import { execFileSync } from 'node:child_process';
import { lambdaContext } from '../bin/local/apiGateway.js';
import { startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { seedsFromRecords, startFakePlatforms } from '../bin/local/fakes/index.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { AlertsRepository } from '../functions/adapters/alertsRepository.js';
import { loadConfigFile } from '../functions/adapters/configFile.js';
import { DeliveryRecorder } from '../functions/adapters/deliveries.js';
import { createDocumentClient, createDynamoClient } from '../functions/adapters/dynamo.js';
import { MetricsRepository } from '../functions/adapters/metricsRepository.js';
import { LOCAL_DEV_CREDENTIALS } from '../functions/adapters/platforms/credentials.js';
import { GoogleAdsReports } from '../functions/adapters/platforms/googleAds.js';
import { MetaReports } from '../functions/adapters/platforms/meta.js';
import { TikTokReports } from '../functions/adapters/platforms/tiktok.js';
import { Poller } from '../functions/application/pollPortfolio.js';
import { accountCampaigns, type Portfolio } from '../functions/domain/config.js';
import { addDays } from '../functions/domain/dates.js';
import { demoFeed } from '../functions/domain/demoFeed.js';
import { FUNCTIONS } from '../lib/api.js';
import { bundleFunction, PLACEHOLDER_ENVIRONMENT } from '../lib/bundler.js';
import { ALERTS_TABLE, IDEMPOTENCY_TABLE, METRICS_TABLE } from '../lib/tables.js';
import { median, printTable, timed } from './stats.js';

const ROUNDS = 9;
const INIT_ROUNDS = 11;
const TODAY = '2026-11-30';

/** Milliseconds to load a bundle in a fresh Node process, as Lambda's runtime loads a CommonJS handler. */
const initMs = (file: string): number =>
  Number(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const t = performance.now(); createRequire(import.meta.url)(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`,
      ],
      { env: { ...process.env, ...PLACEHOLDER_ENVIRONMENT }, encoding: 'utf8' },
    ),
  );

/**
 * Issue 24: what a poll costs. The demo portfolio's three accounts (Google Ads, Meta, TikTok) pulled from the
 * local fakes into DynamoDB Local through the webhook's use case: the first poll (a 60-day backfill), a 28-day
 * poll with three restated days per campaign, and the same poll with nothing changed, side by side; then the
 * poll worker's bundle and cold start beside the ingest function's, the other writer of metrics.
 */
export const benchPolls = async () => {
  const dynamo = await startDynamoLocal();
  const runtime = await startLocalRuntime({ dynamoEndpoint: dynamo.endpoint, tablePrefix: 'bench-polls-', schedules: false });
  const loaded = loadConfigFile();
  const demo: Portfolio = {
    ...loaded.portfolios[0]!,
    accounts: loaded.portfolios[0]!.accounts.map((a) => ({ ...a, restatementDays: 28 })),
  };
  const fakes = await startFakePlatforms(seedsFromRecords(demo, demoFeed(demo, TODAY, 61)));
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  const documents = createDocumentClient(client);
  const metrics = new MetricsRepository(documents, `bench-polls-${METRICS_TABLE.id}`);
  const recorder = new DeliveryRecorder(metrics, client, `bench-polls-${IDEMPOTENCY_TABLE.id}`);
  recorder.registerContext(lambdaContext('PollWorker', 600));
  let now = new Date(`${TODAY}T12:00:00Z`);
  const credentials = async (account: { platform: keyof typeof LOCAL_DEV_CREDENTIALS }) => LOCAL_DEV_CREDENTIALS[account.platform] as never;
  const sleep = async () => {};
  const env = fakes.environment;
  const poller = new Poller({
    config: { ...loaded, portfolios: [demo] },
    configHash: loaded.hash,
    reports: {
      'google-ads': new GoogleAdsReports({ credentials, baseUrl: env.GOOGLE_ADS_API_URL!, tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL!, sleep }),
      meta: new MetaReports({ credentials, baseUrl: env.META_GRAPH_URL!, sleep }),
      tiktok: new TikTokReports({ credentials, baseUrl: env.TIKTOK_API_URL!, sleep }),
    },
    record: recorder.record,
    metrics,
    pulls: metrics,
    alerts: new AlertsRepository(documents, `bench-polls-${ALERTS_TABLE.id}`),
    events: { publish: async () => {} },
    clock: () => now,
  });
  const poll = async () => {
    now = new Date(now.getTime() + 3_600_000);
    return poller.poll(demo);
  };
  try {
    let backfilled = 0;
    const backfillMs = await timed(async () => {
      backfilled = (await poll()).changed;
    });
    const campaigns = accountCampaigns(demo);
    const restated: number[] = [];
    const unchanged: number[] = [];
    let changedRows = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of campaigns) {
        const fake = { 'google-ads': fakes.googleAds, meta: fakes.meta, tiktok: fakes.tiktok }[c.platform];
        for (const back of [2, 9, 20]) fake.state.restate(c.accountId, c.campaignId, addDays(TODAY, -back), { conversions: 100 + round });
      }
      restated.push(
        await timed(async () => {
          changedRows = (await poll()).changed;
        }),
      );
      unchanged.push(await timed(() => poll()));
    }
    printTable(`Polls: the demo's 3 accounts (${campaigns.length} campaigns), fakes → DynamoDB Local, median of ${ROUNDS}`, [
      ['poll', 'rows written', 'ms', 'ratio'],
      ['first poll, 60-day backfill (one run)', backfilled, Math.round(backfillMs), (backfillMs / median(unchanged)).toFixed(2)],
      [
        '28 days, 3 restated days per campaign',
        changedRows,
        Math.round(median(restated)),
        (median(restated) / median(unchanged)).toFixed(2),
      ],
      ['28 days, nothing changed', 0, Math.round(median(unchanged)), '1.00'],
    ]);
  } finally {
    client.destroy();
    await fakes.close();
    await runtime.close();
    await dynamo.stop();
  }

  const out = '.bench/polls';
  const bundles = [FUNCTIONS.pollWorker, FUNCTIONS.ingest].map((definition) => {
    const outfile = `${out}/${definition.id}.cjs`;
    return { id: definition.id, outfile, bytes: bundleFunction(definition.entry, outfile).outputs[outfile]!.bytes };
  });
  const samples = bundles.map((): number[] => []);
  for (let round = 0; round < INIT_ROUNDS; round++) for (const [i, b] of bundles.entries()) samples[i]!.push(initMs(`./${b.outfile}`));
  const inits = samples.map(median);
  printTable(`Poll worker bundle and cold start (module init, median of ${INIT_ROUNDS}, interleaved) beside ingest`, [
    ['function', 'KB', 'init ms', 'init ratio'],
    ...bundles.map((b, i) => [b.id, (b.bytes / 1024).toFixed(1), Math.round(inits[i]!), (inits[i]! / inits[1]!).toFixed(2)]),
  ]);
};

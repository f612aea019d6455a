import './local/localEnv.js';
import { ConfigError, loadConfigFile } from '../functions/adapters/configFile.js';
import { LOCAL_DEV_SECRET } from '../functions/adapters/webhookSecrets.js';
import { parseCli } from './cli.js';
import { JavaMissingError, startDynamoLocal } from './local/dynamoLocal.js';
import { forgetServer, recordServer } from './local/serverFile.js';

/**
 * `npm start`: DynamoDB Local, the tables, the HTTP API on :3000 (PORT overrides), and the demo portfolio's
 * feed on an empty database. `--in-memory` keeps nothing; otherwise data persists under `.data/`.
 */
const main = async () => {
  const { values } = parseCli(
    `npm start [-- --in-memory]

Starts DynamoDB Local (Java 17+), the tables, the HTTP API on http://localhost:3000 (PORT overrides), the
config's schedules and a local event bus; on an empty database it loads the demo portfolio's feed.
--in-memory keeps nothing; otherwise data persists under .data/.`,
    { 'in-memory': { type: 'boolean', default: false } },
  );
  // BUDGET_CONFIG_FILE runs the demo on another config (for example with apply.mode "approve"); the handlers read it too.
  const config = loadConfigFile(process.env.BUDGET_CONFIG_FILE || undefined);
  // The handlers validate the deployed config as they load (functions/wiring/config.ts), so they load only
  // once it is known to be valid: an invalid config is config:check's list, never a stack trace.
  const { startLocalRuntime } = await import('./local/runtime.js');
  const { allocationTable, evaluateAlertsAtStart, hasNoMetrics, latestOrReallocate, replayDemoFeed, seedHistory } = await import(
    './local/demo.js'
  );
  const { pulledChannels, servedCounts, startDemoPlatforms } = await import('./local/connectors.js');
  const { hash } = config;
  const dynamo = await startDynamoLocal(values['in-memory'] ? {} : { dbPath: '.data/dynamodb' });
  const apiToken = process.env.LOCAL_API_TOKEN ?? 'local-dev-token';
  // Start's own requests (the demo feed, the seeding) are not logged: the lines it prints say what they did.
  let serving = false;
  const runtime = await startLocalRuntime({
    dynamoEndpoint: dynamo.endpoint,
    port: Number(process.env.PORT ?? 3000),
    apiToken,
    log: (line) => {
      if (serving) console.log(line);
    },
  });

  recordServer(runtime.url);
  const demo = config.portfolios.find((p) => p.id === 'demo') ?? config.portfolios[0]!;
  // The ad platforms, faked: the pollers pull the demo's platform channels from them (docs/connectors.md).
  const platforms = await startDemoPlatforms(runtime.url, apiToken, demo, new Date());
  const stop = async () => {
    console.log('\nstopping…');
    forgetServer();
    await platforms.close();
    await runtime.close();
    await dynamo.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const fresh = await hasNoMetrics(runtime.url, apiToken, demo, new Date());
  const pulled = pulledChannels(demo);
  if (fresh) {
    const accepted = await replayDemoFeed(runtime.url, demo, new Date(), 60, undefined, pulled);
    console.log(`Loaded the demo feed: ${accepted} daily rows for portfolio "${demo.id}"'s other channels through the signed webhook.`);
  }
  // Metrics arrive by pull: one poll now (a fresh database backfills 60 days), then on schedules.poll.
  await runtime.fire('poll');
  console.log(
    `Pulled ${[...pulled].join(', ')} from the local fakes of the ad platforms (requests served: ${servedCounts(platforms)}); ` +
      `next on ${config.schedules.poll}.`,
  );
  if (fresh) {
    const seeded = await seedHistory(demo, new Date());
    console.log(`Seeded ${seeded} daily snapshots: the allocator run on each of the last four weeks with the data up to that day.`);
  }
  // The fakes' budgets start where yesterday's plan left them, so applying today's plan sets them to it.
  const { alignDemoBudgets } = await import('./local/demoBudgets.js');
  const dayStart = await alignDemoBudgets(platforms, runtime.url, apiToken, demo, new Date());
  if (dayStart) console.log(`Set the fake platforms' budgets to the plan in force when the day began (${dayStart}).`);
  // Alerts first: a plan made at start honours the stop-losses of the config in force and of today's data.
  const alerts = await evaluateAlertsAtStart(runtime.url, apiToken, demo);
  const { snapshot, why } = await latestOrReallocate(runtime.url, apiToken, demo, hash, fresh);
  const heading = why ? `Reallocated "${demo.id}" at start because ${why}` : `Latest allocation of "${demo.id}"`;
  console.log(`\n${heading}:\n${allocationTable(snapshot, demo.currency)}`);
  console.log(`\n${alerts.join('\n')}`);

  serving = true;
  console.log(`
Budget optimizer running locally (config ${hash}, data in ${values['in-memory'] ? 'memory' : '.data/'})
  Dashboard      ${runtime.url}/   (local sign-in: pick finance@example.com or operator@example.com)
                 ${runtime.url}/dashboard?token=${apiToken}   (the local token, no sign-in)
  API            ${runtime.url}
  Metrics        curl -H 'Authorization: Bearer ${apiToken}' ${runtime.url}/portfolios/${demo.id}/metrics
  Allocation     curl -H 'Authorization: Bearer ${apiToken}' ${runtime.url}/portfolios/${demo.id}/allocations/latest
  Reallocate     curl -X POST -H 'Authorization: Bearer ${apiToken}' ${runtime.url}/portfolios/${demo.id}/reallocate
  Events         curl ${runtime.url}/_local/events
  Schedules      reallocate ${config.schedules.reallocate}, alerts ${config.schedules.alerts}, poll ${config.schedules.poll} (run in-process)
  Ad platforms   fakes: ${Object.entries(platforms.environment)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}
  API token      ${apiToken}   (LOCAL_API_TOKEN overrides)
  Webhook secret ${process.env.WEBHOOK_SECRET_GENERIC ?? LOCAL_DEV_SECRET}   (WEBHOOK_SECRET_<SOURCE> overrides; sign with npm run sign)
Requests are logged below, one JSON line each. Press Ctrl-C to stop.`);
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof JavaMissingError) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${process.env.PORT ?? 3000} is already in use (another npm start?). Stop it, or run PORT=3001 npm start.`);
  } else console.error(error);
  process.exit(1);
});

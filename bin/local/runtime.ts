import './localEnv.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';
import { createDynamoClient } from '../../functions/adapters/dynamo.js';
import { localBus, type ReceivedEvent } from '../../functions/adapters/eventBus.js';
import type { LocalConsumer, LocalWorkQueue } from '../../functions/adapters/workQueue.js';
import { JOBS, type Job, type ScheduledInvocation } from '../../functions/domain/jobs.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { workQueue } from '../../functions/wiring/workQueues.js';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../../lib/api.js';
import { TABLES } from '../../lib/tables.js';
import { localUrl } from './apiGateway.js';
import { connectApplies } from './applies.js';
import { ensureTables } from './dynamoLocal.js';
import { invoke } from './handlers.js';
import { createLocalApi, type LocalRoute } from './httpServer.js';
import { startLocalSchedules } from './scheduler.js';
import { signInPage } from './signInPage.js';

/** The local API token default (docs/http-api.md). */
export const LOCAL_DEV_TOKEN = 'local-dev-token';

export interface LocalRuntimeOptions {
  readonly dynamoEndpoint: string;
  /** Prepended to every table name, so several runtimes can share one DynamoDB Local. */
  readonly tablePrefix?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly apiToken?: string;
  /** Run the config's schedules in-process (default true); tests fire them by hand instead. */
  readonly schedules?: boolean;
  /** One structured line per request (npm start passes console.log). */
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
  /** Fires a job's schedule now (or for `scheduledTime`) and waits until every portfolio's message is done. */
  fire(job: Job, scheduledTime?: Date): Promise<void>;
  /** The local bus's events, oldest first. */
  readonly events: readonly ReceivedEvent[];
  close(): Promise<void>;
}

/**
 * Points the handlers at DynamoDB Local through the same environment variables a deployed function gets.
 * Must run before any handler module is imported: they read it once, at cold start.
 */
const configureEnvironment = (dynamoEndpoint: string, tablePrefix: string) => {
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
  for (const table of TABLES) process.env[table.envVar] = `${tablePrefix}${table.id}`;
};

/** The local bus, as `GET /_local/events` (local mode only). */
const eventsRoute: LocalRoute = (url, request) =>
  request.method === 'GET' && url.pathname === '/_local/events'
    ? { status: 200, body: JSON.stringify({ events: localBus.events }) }
    : undefined;

/** Each job's local queue, delivering to its worker function as the SQS event source would. */
const connectQueues = (): Map<Job, LocalWorkQueue> =>
  new Map(
    JOBS.map((job) => {
      const worker = (Object.entries(FUNCTIONS) as [FunctionName, FunctionDefinition][]).find(([, f]) => f.consumes === job)![0];
      const queue = workQueue(job) as LocalWorkQueue;
      queue.consumeWith((event: SQSEvent) => invoke(worker, event) as ReturnType<LocalConsumer>);
      return [job, queue];
    }),
  );

/**
 * Starts the local HTTP API over DynamoDB Local, creating the tables it needs, with the local bus, the
 * local queues and the config's schedules running in-process.
 */
export const startLocalRuntime = async ({
  dynamoEndpoint,
  tablePrefix = 'budget-',
  port = 0,
  apiToken = LOCAL_DEV_TOKEN,
  schedules = true,
  log,
}: LocalRuntimeOptions): Promise<LocalRuntime> => {
  configureEnvironment(dynamoEndpoint, tablePrefix);
  const dynamo = createDynamoClient({ endpoint: dynamoEndpoint });
  await ensureTables(dynamo, TABLES, tablePrefix);
  dynamo.destroy();
  const queues = connectQueues();
  connectApplies();
  const fire = async (invocation: ScheduledInvocation) => {
    await invoke('schedule', invocation);
    await queues.get(invocation.job)!.drain();
  };
  const stopSchedules = schedules ? startLocalSchedules(deployedConfig.schedules, fire) : () => undefined;
  const server: Server = createLocalApi({ apiToken, localRoutes: [eventsRoute, signInPage], ...(log ? { log } : {}) });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = localUrl(bound);
  return {
    url,
    apiToken,
    fire: (job, scheduledTime = new Date()) => fire({ job, scheduledTime: scheduledTime.toISOString() }),
    events: localBus.events,
    close: () => {
      stopSchedules();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
};

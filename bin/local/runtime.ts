import './localEnv.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TABLES } from '../../lib/tables.js';
import { createDynamoClient } from '../../functions/adapters/dynamo.js';
import { createLocalApi } from './httpServer.js';
import { ensureTables } from './dynamoLocal.js';

/** The local API token default (CONTRACTS §3). */
export const LOCAL_DEV_TOKEN = 'local-dev-token';

export interface LocalRuntimeOptions {
  readonly dynamoEndpoint: string;
  /** Prepended to every table name, so several runtimes can share one DynamoDB Local. */
  readonly tablePrefix?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly apiToken?: string;
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
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

/** Starts the local HTTP API over DynamoDB Local, creating the tables it needs. */
export const startLocalRuntime = async ({ dynamoEndpoint, tablePrefix = 'budget-', port = 0, apiToken = LOCAL_DEV_TOKEN }: LocalRuntimeOptions): Promise<LocalRuntime> => {
  configureEnvironment(dynamoEndpoint, tablePrefix);
  const dynamo = createDynamoClient(dynamoEndpoint);
  await ensureTables(dynamo, TABLES, tablePrefix);
  dynamo.destroy();
  const server: Server = createLocalApi({ apiToken });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${bound}`,
    apiToken,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
};

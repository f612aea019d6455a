import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from './awsClients.js';
import { tracer } from './observability.js';

/** Where DynamoDB is: the region's own endpoint when `endpoint` is unset, else DynamoDB Local's. */
export interface DynamoConnection {
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * A DynamoDB client: the regional endpoint in AWS, or DynamoDB Local given its endpoint (the local runtime
 * and the integration tests). Build once, at module scope.
 */
export const createDynamoClient = ({ endpoint, region }: DynamoConnection = {}): DynamoDBClient =>
  tracer.captureAWSv3Client(
    new DynamoDBClient({
      ...awsClientConfig(),
      ...(endpoint ? { endpoint, region: region ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    }),
  );

/** The document client over {@link createDynamoClient}; undefined attributes are dropped, not errors. */
export const createDocumentClient = (client: DynamoDBClient = createDynamoClient()): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Every item a Query matches, page after page (the SDK's paginator; each page retried by the SDK). */
export const queryAll = async (client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client }, input)) items.push(...(page.Items ?? []));
  return items;
};

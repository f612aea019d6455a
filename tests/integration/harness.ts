import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../bin/local/runtime.js';
import { createDynamoClient } from '../../functions/adapters/dynamo.js';
import { PULLED, VERSION_PREFIX } from '../../functions/adapters/metricsRepository.js';
import { signatureHeader } from '../../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { METRICS_TABLE } from '../../lib/tables.js';

/** The local runtime on the shared DynamoDB Local, with tables of its own. */
export interface TestRuntime extends LocalRuntime {
  /** The DynamoDB Local name of one of this runtime's tables. */
  tableName(tableId: string): string;
  /** Counts the items in one of this runtime's tables (of Metrics, the rows, not their versions), read straight from DynamoDB Local. */
  countItems(tableId?: string): Promise<number>;
  /** Sends a request with the local bearer token. */
  get(path: string): Promise<{ status: number; body: any }>;
  /** POSTs a raw body (text, or bytes as sent) to `/webhooks/<source>`, signed with the local secret, as JSON unless `headers` say otherwise. */
  postSigned(source: string, body: string | Uint8Array, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

export const startTestRuntime = async (): Promise<TestRuntime> => {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const tablePrefix = `t-${randomUUID().slice(0, 8)}-`;
  // Schedules are fired by hand in tests, so a timer never adds a run in the middle of one.
  const runtime = await startLocalRuntime({ dynamoEndpoint, tablePrefix, schedules: false });
  const dynamo = createDynamoClient({ endpoint: dynamoEndpoint });
  return {
    ...runtime,
    tableName: (tableId) => `${tablePrefix}${tableId}`,
    async countItems(tableId = METRICS_TABLE.id) {
      let count = 0;
      let start: Record<string, any> | undefined;
      do {
        // Metric rows only: the versions kept beside daily rows are history, and a channel's last poll no row.
        const rowsOnly =
          tableId === METRICS_TABLE.id
            ? {
                FilterExpression: 'NOT begins_with(sk, :version) AND sk <> :pulled',
                ExpressionAttributeValues: { ':version': { S: VERSION_PREFIX }, ':pulled': { S: PULLED } },
              }
            : {};
        const page = await dynamo.send(
          new ScanCommand({ TableName: `${tablePrefix}${tableId}`, Select: 'COUNT', ExclusiveStartKey: start, ...rowsOnly }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return count;
    },
    async get(path) {
      const response = await fetch(`${runtime.url}${path}`, { headers: { authorization: `Bearer ${runtime.apiToken}` } });
      const text = await response.text();
      return { status: response.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
    },
    async postSigned(source, body, headers = {}) {
      const response = await fetch(`${runtime.url}/webhooks/${source}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature': signatureHeader([LOCAL_DEV_SECRET], body, Math.floor(Date.now() / 1000)),
          ...headers,
        },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
      return { status: response.status, body: await response.json() };
    },
    async close() {
      dynamo.destroy();
      await runtime.close();
    },
  };
};

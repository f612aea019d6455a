import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startDynamoLocal } from '../bin/local/dynamoLocal.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { postDelivery } from '../bin/local/webhookClient.js';
import { createDynamoClient } from '../functions/adapters/dynamo.js';
import { LOCAL_DEV_SECRET } from '../functions/adapters/webhookSecrets.js';
import { addDays } from '../functions/domain/dates.js';
import { METRICS_TABLE } from '../lib/tables.js';
import { percentile, printTable, timed } from './stats.js';

const DELIVERIES = 60;
const RECORDS = 100;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const CHANNELS = ['search', 'social', 'video', 'display', 'affiliate', 'podcast'];

/** Delivery `n`: 100 distinct daily records (6 channels × consecutive dates), none stored before. */
const delivery = (n: number) => ({
  portfolioId: 'demo',
  deliveryId: `bench-${n}`,
  records: Array.from({ length: RECORDS }, (_, i) => ({
    channelId: CHANNELS[i % CHANNELS.length]!,
    date: addDays('2020-01-01', n),
    hour: Math.floor(i / CHANNELS.length),
    spend: 100 + (i % 17),
    conversions: i % 9,
    revenue: 300 + (i % 23),
  })),
});

const inParallel = async (count: number, limit: number, task: (n: number) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await task(next++);
    }),
  );
};

/** Raw baseline: the same records as BatchWriteItem calls of 25, straight into DynamoDB Local, no checks. */
const rawWrites = async (client: DynamoDBClient, table: string, offset: number) =>
  inParallel(DELIVERIES, IN_FLIGHT, async (n) => {
    const { records } = delivery(offset + n);
    for (let i = 0; i < records.length; i += 25) {
      let items = records
        .slice(i, i + 25)
        .map((r) => ({ PutRequest: { Item: marshall({ pk: `demo#${r.channelId}`, sk: `${r.date}#${r.hour}`, ...r, revision: 0 }) } }));
      while (items.length > 0) {
        const answer = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
        items = (answer.UnprocessedItems?.[table] ?? []) as typeof items;
      }
    }
  });

/** Issue 2: ingest throughput through the signed HTTP path versus raw writes of the same records. */
export const benchIngest = async () => {
  const dynamo = await startDynamoLocal();
  const runtime = await startLocalRuntime({ dynamoEndpoint: dynamo.endpoint, tablePrefix: 'bench-' });
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  try {
    const latencies: number[] = [];
    const http = (offset: number) =>
      inParallel(DELIVERIES, IN_FLIGHT, async (n) => {
        latencies.push(
          await timed(async () => {
            const answer = await postDelivery(runtime.url, 'generic', delivery(offset + n), LOCAL_DEV_SECRET);
            if (answer.status !== 202) throw new Error(JSON.stringify(answer.body));
          }),
        );
      });
    // Warm both paths (JIT, connections, table files), then alternate so drift hits both alike.
    await http(300);
    await rawWrites(client, `bench-${METRICS_TABLE.id}`, 400);
    latencies.length = 0;
    let httpMs = 0;
    let rawMs = 0;
    for (const round of [0, 1, 2]) {
      httpMs += await timed(() => http(round * 100));
      rawMs += await timed(() => rawWrites(client, `bench-${METRICS_TABLE.id}`, 500 + round * 100));
    }
    const records = 3 * DELIVERIES * RECORDS;
    const httpRate = records / (httpMs / 1000);
    const rawRate = records / (rawMs / 1000);
    printTable(`Ingest: ${records} records per path, ${RECORDS}-record deliveries, ${IN_FLIGHT} in flight`, [
      ['path', 'records/s', 'ratio'],
      ['signed HTTP webhook (validate, idempotency, conditional puts)', Math.round(httpRate), (httpRate / rawRate).toFixed(2)],
      ['raw BatchWriteItem to DynamoDB Local', Math.round(rawRate), '1.00'],
    ]);
    printTable('Latency of one 100-record delivery (ms)', [
      ['p50', 'p99'],
      [percentile(latencies, 50), percentile(latencies, 99)],
    ]);
  } finally {
    client.destroy();
    await runtime.close();
    await dynamo.stop();
  }
};

import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MetricsRepository } from '../../../functions/adapters/metricsRepository.js';
import type { MetricRow } from '../../../functions/domain/metrics.js';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
const dynamo = mockClient(documentClient);
const repository = new MetricsRepository(documentClient, 'Metrics');

const rows = (n: number): MetricRow[] =>
  Array.from({ length: n }, (_, i) => ({
    portfolioId: 'demo',
    channelId: 'search',
    date: `2026-10-${String((i % 28) + 1).padStart(2, '0')}`,
    hour: Math.floor(i / 28),
    spendMicros: 1_000_000 * (i + 1),
    revenueMicros: null,
    impressions: null,
    clicks: null,
    conversions: i,
    revision: 1,
  }));

type Write = {
  Put?: { Item: Record<string, unknown> };
  Update?: { Key: Record<string, unknown>; UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> };
};
/** What each transaction entry writes: a version's item, or a row's key with the values its update sets. */
const putsOf = (input: unknown) =>
  (input as { TransactItems: Write[] }).TransactItems.map(({ Put, Update }) =>
    Put
      ? Put.Item
      : { ...Update!.Key, ...Object.fromEntries(Object.entries(Update!.ExpressionAttributeValues).map(([name, v]) => [name.slice(1), v])) },
  ) as unknown as (MetricRow & { sk: string })[];
const updateOf = (call: number, item = 0) =>
  (dynamo.commandCalls(TransactWriteCommand)[call]!.args[0].input as { TransactItems: Write[] }).TransactItems[item]!.Update!;
const throttled = () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
const cancelled = (reasons: { Code: string; Item?: Record<string, unknown> }[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: reasons.map(({ Code, Item }) => ({ Code, ...(Item ? { Item: marshall(Item) } : {}) })),
  });

describe('MetricsRepository.store', () => {
  beforeEach(() => {
    dynamo.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('survives transactions cancelled for throttling or conflicts: every group is sent again until written, none lost', async () => {
    // Prepare: each transaction is cancelled 4 times for transient reasons (which the SDK does not retry:
    // a cancellation is an answer) before it lands. Throttling as an error is the SDK's (awsClients.test.ts).
    const tries = new Map<string, number>();
    dynamo.on(TransactWriteCommand).callsFake(async (input) => {
      const key = putsOf(input)[0]!.sk;
      const seen = (tries.get(key) ?? 0) + 1;
      tries.set(key, seen);
      if (seen <= 2) throw cancelled(putsOf(input).map(() => ({ Code: 'ThrottlingError' })));
      if (seen <= 4) throw cancelled(putsOf(input).map(() => ({ Code: 'TransactionConflict' })));
      return {};
    });
    // Act
    const outcome = repository.store(rows(250), 'delivery-1', '2026-11-22T00:00:00Z');
    await vi.runAllTimersAsync();
    // Assess: 3 groups (100, 100, 50), 5 calls each, every row accepted.
    await expect(outcome).resolves.toEqual({ accepted: 250, duplicates: 0, stale: 0 });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(15);
    expect([...tries.values()]).toEqual([5, 5, 5]);
  });

  it('fails the delivery, instead of dropping rows, when throttling outlasts the SDK retries', async () => {
    dynamo.on(TransactWriteCommand).rejects(throttled());
    const outcome = repository.store(rows(1), 'delivery-1', '2026-11-22T00:00:00Z');
    const assertion = expect(outcome).rejects.toThrow('slow down');
    await vi.runAllTimersAsync();
    await assertion;
  });

  it('writes with a condition that only a higher revision (or this same delivery) passes', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    await repository.store(rows(1), 'delivery-1', '2026-11-22T00:00:00Z');
    const update = updateOf(0) as Write['Update'] & { ConditionExpression: string };
    expect(update.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR revision < :revision OR (revision = :revision AND deliveryKey = :deliveryKey)',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({ ':revision': 1, ':deliveryKey': 'delivery-1' });
  });

  it('sets only the values a row sends, so a restatement keeps the impressions, clicks and revenue it leaves out', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const [partial] = rows(1);
    const full = { ...partial!, impressions: 900, clicks: 40, revenueMicros: 5_000_000 };
    await repository.store([partial!], 'delivery-1', '2026-11-22T00:00:00Z');
    await repository.store([full], 'delivery-2', '2026-11-22T00:00:00Z');
    const sets = (call: number) => Object.keys(updateOf(call).ExpressionAttributeValues).sort();
    const always = [
      ':channelId',
      ':conversions',
      ':date',
      ':deliveryKey',
      ':hour',
      ':portfolioId',
      ':receivedAt',
      ':revision',
      ':spendMicros',
    ];
    expect(sets(0)).toEqual(always);
    expect(sets(1)).toEqual([...always, ':clicks', ':impressions', ':revenueMicros'].sort());
    expect(updateOf(0).UpdateExpression).not.toMatch(/impressions|clicks|revenueMicros|REMOVE/);
  });

  it('counts rows that lost their condition as duplicate or stale, and writes the others without them', async () => {
    const [same, older, fresh] = rows(3);
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(
        cancelled([
          // Stored by another delivery with the same revision, and more: it already says what `same` says.
          { Code: 'ConditionalCheckFailed', Item: { ...same, impressions: 500, deliveryKey: 'other' } },
          { Code: 'ConditionalCheckFailed', Item: { ...older, revision: 7 } },
          { Code: 'None' },
        ]),
      )
      .resolves({});
    await expect(repository.store([same!, older!, fresh!], 'delivery-2', '2026-11-22T00:00:00Z')).resolves.toEqual({
      accepted: 1,
      duplicates: 1,
      stale: 1,
    });
    expect(putsOf(dynamo.commandCalls(TransactWriteCommand)[1]!.args[0].input).map((item) => item.sk)).toEqual([`${fresh!.date}#00`]);
  });

  it("records a daily row's version in the row's own transaction, and reads cancellations back per row", async () => {
    const daily = rows(3).map((r) => ({ ...r, hour: null }));
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(
        cancelled([
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Item: { ...daily[1], revision: 7 } },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
        ]),
      )
      .resolves({});
    await expect(repository.store(daily, 'delivery-3', '2026-11-22T05:00:00Z')).resolves.toEqual({ accepted: 2, duplicates: 0, stale: 1 });
    const retried = putsOf(dynamo.commandCalls(TransactWriteCommand)[1]!.args[0].input) as unknown as Record<string, unknown>[];
    expect(retried.map((item) => item.sk)).toEqual([
      `${daily[0]!.date}#--`,
      `V#${daily[0]!.date}#2026-11-22T05:00:00Z`,
      `${daily[2]!.date}#--`,
      `V#${daily[2]!.date}#2026-11-22T05:00:00Z`,
    ]);
    expect(retried[1]).toMatchObject({ conversions: daily[0]!.conversions, receivedAt: '2026-11-22T05:00:00Z', expiresAt: 1_803_099_600 });
  });

  it('keeps each transaction within 100 items, counting versions', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const mixed = rows(150).map((r, i) =>
      i % 2 === 0 ? { ...r, hour: null, date: `2026-09-${String((i % 30) + 1).padStart(2, '0')}` } : r,
    );
    await repository.store(mixed, 'delivery-4', '2026-11-22T00:00:00Z');
    const sizes = dynamo.commandCalls(TransactWriteCommand).map((call) => putsOf(call.args[0].input).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(150 + 75);
  });
});

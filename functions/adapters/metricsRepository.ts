import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MetricRow } from '../domain/metrics.js';
import { mapLimit, withRetry } from './retry.js';

/** How each stored row of a delivery fared. */
export interface StoreOutcome {
  /** Written: a new key, a restatement with a higher revision, or this delivery's own earlier write. */
  readonly accepted: number;
  /** Already stored with the same revision and the same values. */
  readonly duplicates: number;
  /** Lost to a stored row with a higher revision, or the same revision and other values. */
  readonly stale: number;
}

/** Conditional writes in flight per delivery: enough to hide latency, few enough not to throttle a partition. */
const WRITE_CONCURRENCY = 32;

const HOURLESS = '--';

const partitionKey = (portfolioId: string, channelId: string) => `${portfolioId}#${channelId}`;
const sortKey = (date: string, hour: number | null) => `${date}#${hour === null ? HOURLESS : String(hour).padStart(2, '0')}`;

const VALUE_FIELDS = ['spendMicros', 'revenueMicros', 'impressions', 'clicks', 'conversions'] as const;

const sameValues = (stored: Record<string, unknown>, row: MetricRow): boolean =>
  VALUE_FIELDS.every((field) => (stored[field] ?? null) === row[field]);

const toRow = (item: Record<string, unknown>): MetricRow => ({
  portfolioId: item.portfolioId as string,
  channelId: item.channelId as string,
  date: item.date as string,
  hour: (item.hour as number | undefined) ?? null,
  spendMicros: item.spendMicros as number,
  revenueMicros: (item.revenueMicros as number | undefined) ?? null,
  impressions: (item.impressions as number | undefined) ?? null,
  clicks: (item.clicks as number | undefined) ?? null,
  conversions: item.conversions as number,
  revision: item.revision as number,
});

/** Reads and writes metric rows (table: {@link METRICS_TABLE}). */
export class MetricsRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Stores rows, each with one conditional put: a row replaces the stored one only when its revision is
   * strictly higher (a restatement), enforced by DynamoDB, never read-then-write. A rewrite by the same
   * delivery (`deliveryKey`) also passes, so a delivery retried after a partial failure gets the same answer.
   * Throttling is retried with backoff; any other failure propagates so the sender retries the delivery.
   */
  async store(rows: readonly MetricRow[], deliveryKey: string, receivedAt: string): Promise<StoreOutcome> {
    const outcomes = await mapLimit(rows, WRITE_CONCURRENCY, (row) => this.put(row, deliveryKey, receivedAt));
    return {
      accepted: outcomes.filter((o) => o === 'accepted').length,
      duplicates: outcomes.filter((o) => o === 'duplicate').length,
      stale: outcomes.filter((o) => o === 'stale').length,
    };
  }

  private async put(row: MetricRow, deliveryKey: string, receivedAt: string): Promise<'accepted' | 'duplicate' | 'stale'> {
    try {
      await withRetry(() =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: partitionKey(row.portfolioId, row.channelId), sk: sortKey(row.date, row.hour), ...row, deliveryKey, receivedAt },
            ConditionExpression: 'attribute_not_exists(pk) OR revision < :revision OR (revision = :revision AND deliveryKey = :deliveryKey)',
            ExpressionAttributeValues: { ':revision': row.revision, ':deliveryKey': deliveryKey },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return 'accepted';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The error carries the stored item in wire format: the document client does not unmarshall errors.
      const stored = error.Item ? unmarshall(error.Item) : undefined;
      return stored && stored.revision === row.revision && sameValues(stored, row) ? 'duplicate' : 'stale';
    }
  }

  /** Every stored row (daily and hourly) of one channel between two dates, inclusive. */
  async rows(portfolioId: string, channelId: string, from: string, to: string): Promise<MetricRow[]> {
    const rows: MetricRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await withRetry(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': partitionKey(portfolioId, channelId), ':from': `${from}#`, ':to': `${to}#~` },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      rows.push(...(page.Items ?? []).map(toRow));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return rows;
  }

  /** Rows of several channels, fetched in parallel. */
  async portfolioRows(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<MetricRow[]> {
    const perChannel = await mapLimit(channelIds, 16, (channelId) => this.rows(portfolioId, channelId, from, to));
    return perChannel.flat();
  }
}

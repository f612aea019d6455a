import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { MetricsReader, PullLog } from '../application/ports.js';
import { alreadySays, keepsStored, type MetricRow, type RowVersion } from '../domain/metrics.js';
import { queryAll } from './dynamo.js';
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

/**
 * Items per TransactWriteItems call (DynamoDB's limit), and such calls in flight for a large delivery.
 * One call per 100 items was measured faster than 32 concurrent conditional PutItems (`npm run bench`).
 */
const TRANSACTION_ITEMS = 100;
const TRANSACTIONS_IN_FLIGHT = 4;

/** How long a daily row's versions are kept: past the allocator's six-week lookback, with room to spare. */
const VERSION_RETENTION_DAYS = 90;

const HOURLESS = '--';

const partitionKey = (portfolioId: string, channelId: string) => `${portfolioId}#${channelId}`;
const sortKey = (date: string, hour: number | null) => `${date}#${hour === null ? HOURLESS : String(hour).padStart(2, '0')}`;
/** A daily row's version: `V#<date>#<receivedAt>`, beside the rows but outside their `<date>#…` range. */
export const VERSION_PREFIX = 'V#';
/** The sort key of a channel's last answered poll: outside every date's range, as the versions are. */
export const PULLED = 'PULLED';
const versionKey = (date: string, receivedAt: string) => `${VERSION_PREFIX}${date}#${receivedAt}`;

/** Items a row writes: itself, and for a daily row the version that records it (see {@link RowVersion}). */
const itemsOf = (row: MetricRow) => (row.hour === null ? 2 : 1);

/** Rows in delivery order, grouped so each group's items fit one transaction. */
const transactionGroups = (rows: readonly MetricRow[]): MetricRow[][] => {
  const groups: MetricRow[][] = [];
  let items = TRANSACTION_ITEMS;
  for (const row of rows) {
    if (items + itemsOf(row) > TRANSACTION_ITEMS) {
      groups.push([]);
      items = 0;
    }
    groups.at(-1)!.push(row);
    items += itemsOf(row);
  }
  return groups;
};

/** A version records what its row sent, and whether the row kept its revenue because none was sent. */
const toVersionItem = (row: MetricRow) => ({
  channelId: row.channelId,
  date: row.date,
  conversions: row.conversions,
  revenueMicros: row.revenueMicros,
  revision: row.revision,
  ...(row.revenueMicros === null && keepsStored(row, 'revenueMicros') ? { revenueKept: true } : {}),
});

const toVersion = (item: Record<string, unknown>): RowVersion => ({
  channelId: item.channelId as string,
  date: item.date as string,
  conversions: item.conversions as number,
  revenueMicros: (item.revenueMicros as number | undefined) ?? null,
  receivedAt: item.receivedAt as string,
  ...(item.revenueKept === true ? { revenueKept: true } : {}),
});

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
  ...(typeof item.receivedAt === 'string' ? { receivedAt: item.receivedAt } : {}),
});

/** Thrown to make {@link withRetry} try a transaction again when it was cancelled for a transient reason. */
class TransientCancellation extends Error {
  override readonly name = 'TransientCancellation';
}

/**
 * A stored row that beat ours: the same revision already saying what ours says makes it a duplicate,
 * anything else makes ours stale.
 */
const classifyLoser = (row: MetricRow, storedItem: Record<string, AttributeValue> | undefined): 'duplicate' | 'stale' => {
  // Cancellation reasons carry the item in wire format: the document client does not unmarshall errors.
  const stored = storedItem ? unmarshall(storedItem) : undefined;
  return stored && stored.revision === row.revision && alreadySays(stored, row) ? 'duplicate' : 'stale';
};

/**
 * A row's write as an update of its item: it sets every value the row sends and leaves an optional value
 * it leaves out as stored, so a restatement keeps the impressions, clicks or revenue it does not resend; a
 * whole row (a platform report) sets them all, null included. A new key gets no attribute for a value left
 * out (read back as null). `:revision` and `:deliveryKey` serve the condition too.
 */
const rowUpdate = (row: MetricRow, deliveryKey: string, receivedAt: string) => {
  const { receivedAt: _storedAt, wholeRow: _wholeRow, ...values } = row;
  const sent = Object.entries({ ...values, deliveryKey, receivedAt }).filter(
    ([field, value]) => value !== null || !keepsStored(row, field),
  );
  return {
    UpdateExpression: `SET ${sent.map(([field]) => `#${field} = :${field}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(sent.map(([field]) => [`#${field}`, field])),
    ExpressionAttributeValues: Object.fromEntries(sent.map(([field, value]) => [`:${field}`, value])),
  };
};

/** Reads and writes metric rows (table: {@link METRICS_TABLE}). */
export class MetricsRepository implements MetricsReader, PullLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Stores rows with conditional writes: a row replaces the stored one only when its revision is strictly
   * higher (a restatement), enforced by DynamoDB, never read-then-write. A rewrite by the same delivery
   * (`deliveryKey`) also passes, so a delivery retried after a failure gets the same answer. A restatement
   * replaces what it sends and keeps the stored impressions, clicks or revenue it leaves out, in the same
   * conditional write ({@link rowUpdate}).
   *
   * Rows go in transactions of up to 100 items, so each group of a delivery lands whole. A daily row's
   * transaction also records the version it writes (`V#<date>#<receivedAt>`), so a restated day keeps what it
   * said before, and versions exist exactly for the writes that won.
   * When some conditions fail, the transaction is cancelled with the reason per row; those rows are counted
   * as duplicate or stale and the rest are written again without them. Throttling and conflicts are retried
   * with backoff; any other failure propagates so the sender retries the delivery.
   */
  async store(rows: readonly MetricRow[], deliveryKey: string, receivedAt: string): Promise<StoreOutcome> {
    const outcomes = await mapLimit(transactionGroups(rows), TRANSACTIONS_IN_FLIGHT, (group) =>
      this.storeGroup(group, deliveryKey, receivedAt),
    );
    return {
      accepted: outcomes.reduce((n, o) => n + o.accepted, 0),
      duplicates: outcomes.reduce((n, o) => n + o.duplicates, 0),
      stale: outcomes.reduce((n, o) => n + o.stale, 0),
    };
  }

  /** Writes one group, dropping the rows whose condition failed until the rest go through. */
  private async storeGroup(group: readonly MetricRow[], deliveryKey: string, receivedAt: string): Promise<StoreOutcome> {
    const outcome = { accepted: 0, duplicates: 0, stale: 0 };
    let pending = group;
    while (pending.length > 0) {
      const losers = await withRetry(() => this.writeTogether(pending, deliveryKey, receivedAt), {
        retryable: (error) => error instanceof TransientCancellation,
      });
      if (losers.size === 0) {
        outcome.accepted += pending.length;
        break;
      }
      for (const verdict of losers.values()) outcome[verdict === 'duplicate' ? 'duplicates' : 'stale'] += 1;
      pending = pending.filter((_, index) => !losers.has(index));
    }
    return outcome;
  }

  /** One transaction; returns the rows whose condition failed (then nothing was written), by index. */
  private async writeTogether(
    rows: readonly MetricRow[],
    deliveryKey: string,
    receivedAt: string,
  ): Promise<Map<number, 'duplicate' | 'stale'>> {
    const expiresAt = Math.floor(Date.parse(receivedAt) / 1000) + VERSION_RETENTION_DAYS * 86_400;
    // Which row each transaction item belongs to, to read the cancellation reasons back per row.
    const rowOfItem: number[] = [];
    const items = rows.flatMap((row, index) => {
      const pk = partitionKey(row.portfolioId, row.channelId);
      const update = {
        Update: {
          TableName: this.tableName,
          Key: { pk, sk: sortKey(row.date, row.hour) },
          ...rowUpdate(row, deliveryKey, receivedAt),
          ConditionExpression: 'attribute_not_exists(pk) OR revision < :revision OR (revision = :revision AND deliveryKey = :deliveryKey)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      };
      rowOfItem.push(index);
      if (row.hour !== null) return [update];
      rowOfItem.push(index);
      const version = {
        Put: {
          TableName: this.tableName,
          Item: { pk, sk: versionKey(row.date, receivedAt), ...toVersionItem(row), receivedAt, expiresAt },
        },
      };
      return [update, version];
    });
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return new Map();
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const losers = new Map<number, 'duplicate' | 'stale'>();
      reasons.forEach((reason, item) => {
        const index = rowOfItem[item]!;
        if (reason.Code === 'ConditionalCheckFailed') losers.set(index, classifyLoser(rows[index]!, reason.Item));
      });
      // Cancelled for throttling or a concurrent writer rather than our conditions: try the same rows again.
      if (losers.size === 0) throw new TransientCancellation(error.message, { cause: error });
      return losers;
    }
  }

  /** Every stored row (daily and hourly) of one channel between two dates, inclusive. */
  async rows(portfolioId: string, channelId: string, from: string, to: string): Promise<MetricRow[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': partitionKey(portfolioId, channelId), ':from': `${from}#`, ':to': `${to}#~` },
    });
    return items.map(toRow);
  }

  /** Every stored version of one channel's daily rows between two dates, inclusive. */
  async versions(portfolioId: string, channelId: string, from: string, to: string): Promise<RowVersion[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': partitionKey(portfolioId, channelId),
        ':from': `${VERSION_PREFIX}${from}#`,
        ':to': `${VERSION_PREFIX}${to}#~`,
      },
    });
    return items.map(toVersion);
  }

  /** Versions of several channels' daily rows, fetched in parallel. */
  async portfolioVersions(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<RowVersion[]> {
    const perChannel = await mapLimit(channelIds, 16, (channelId) => this.versions(portfolioId, channelId, from, to));
    return perChannel.flat();
  }

  /**
   * Records that the channels' platform answered a poll at `at`: one item per channel (`PULLED`), never moved
   * back by an older poll that finishes later.
   */
  async recordPulled(portfolioId: string, channelIds: readonly string[], at: string): Promise<void> {
    await mapLimit(channelIds, 16, async (channelId) => {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: partitionKey(portfolioId, channelId), sk: PULLED, pulledAt: at },
            ConditionExpression: 'attribute_not_exists(pulledAt) OR pulledAt < :at',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    });
  }

  async lastPulled(portfolioId: string, channelIds: readonly string[]): Promise<Map<string, string>> {
    const items = await mapLimit(channelIds, 16, (channelId) =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: partitionKey(portfolioId, channelId), sk: PULLED } })),
    );
    return new Map(channelIds.flatMap((id, i) => (items[i]?.Item?.pulledAt ? [[id, items[i]!.Item!.pulledAt as string] as const] : [])));
  }

  /** Rows of several channels, fetched in parallel. */
  async portfolioRows(portfolioId: string, channelIds: readonly string[], from: string, to: string): Promise<MetricRow[]> {
    const perChannel = await mapLimit(channelIds, 16, (channelId) => this.rows(portfolioId, channelId, from, to));
    return perChannel.flat();
  }
}

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SnapshotListing, SnapshotPage, SnapshotStore } from '../application/ports.js';
import { Snapshot } from '../domain/snapshots.js';

/**
 * Items of the Allocations table, all under `pk` = portfolio id:
 * - `SNAPSHOT#<snapshotId>`: an immutable snapshot, written once with `attribute_not_exists`;
 * - `LATEST`: the pointer to the newest snapshot, advanced with a condition on its `version`;
 * - `WINDOW#<window>`: the snapshot a schedule window made, so a redelivered window makes no second one;
 * - `PUBLISHED#<snapshotId>`: written after the snapshot's event was accepted by the bus.
 */
const SNAPSHOT = 'SNAPSHOT#';
const LATEST = 'LATEST';
const WINDOW = 'WINDOW#';
const PUBLISHED = 'PUBLISHED#';

/** Thrown when a cursor was not made by {@link AllocationsRepository.list}. */
export class InvalidCursorError extends Error {}

const encodeCursor = (key: Record<string, unknown> | undefined) => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null);

/** A cursor is the last key of a page; it must be a snapshot key of this portfolio inside the query's bounds. */
const decodeCursor = (cursor: string, portfolioId: string, lower: string, upper: string): Record<string, unknown> => {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key.pk !== portfolioId || typeof key.sk !== 'string' || !key.sk.startsWith(SNAPSHOT)) throw new Error('foreign key');
    if (key.sk < lower || key.sk > upper) throw new Error('the cursor belongs to another query');
    return { pk: key.pk, sk: key.sk };
  } catch (error) {
    throw new InvalidCursorError('the cursor is not one this API returned', { cause: error });
  }
};

const toSnapshot = (item: Record<string, unknown>): Snapshot => {
  const { pk: _pk, sk: _sk, ...body } = item;
  return Snapshot.parse(body);
};

/** Snapshots and their pointers (table: {@link ALLOCATIONS_TABLE}). The application never updates or deletes a snapshot. */
export class AllocationsRepository implements SnapshotStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes a new snapshot; for a scheduled run, in one transaction with its window marker. Returns the
   * snapshot id the window already had when another delivery of the same window got there first.
   */
  async create(snapshot: Snapshot): Promise<{ created: true } | { created: false; existing: string }> {
    const put = {
      TableName: this.tableName,
      Item: { pk: snapshot.portfolioId, sk: `${SNAPSHOT}${snapshot.snapshotId}`, ...snapshot },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    const { trigger } = snapshot;
    if (trigger.kind !== 'schedule') {
      await this.client.send(new PutCommand(put));
      return { created: true };
    }
    const windowKey = { pk: snapshot.portfolioId, sk: `${WINDOW}${trigger.window}` };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...windowKey, snapshotId: snapshot.snapshotId },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { created: true };
    } catch (error) {
      const lostWindow = error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed';
      if (!lostWindow) throw error;
      const existing = await this.windowSnapshotId(snapshot.portfolioId, trigger.window);
      if (!existing) throw error;
      return { created: false, existing };
    }
  }

  /** The snapshot a schedule window made, if any. */
  async windowSnapshotId(portfolioId: string, window: string): Promise<string | undefined> {
    const item = await this.item(portfolioId, `${WINDOW}${window}`);
    return item?.snapshotId as string | undefined;
  }

  /**
   * Moves `LATEST` to this snapshot unless it already points at a newer one. Optimistic locking: the write
   * is conditional on the version read, and a lost race re-reads and decides again.
   */
  async advanceLatest(portfolioId: string, snapshotId: string): Promise<void> {
    for (;;) {
      const latest = await this.item(portfolioId, LATEST);
      if (latest && (latest.snapshotId as string) >= snapshotId) return;
      const version = (latest?.version as number | undefined) ?? 0;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: portfolioId, sk: LATEST, snapshotId, version: version + 1 },
            ConditionExpression: latest ? 'version = :version' : 'attribute_not_exists(pk)',
            ...(latest ? { ExpressionAttributeValues: { ':version': version } } : {}),
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  async latest(portfolioId: string): Promise<Snapshot | null> {
    const pointer = await this.item(portfolioId, LATEST);
    return pointer ? this.get(portfolioId, pointer.snapshotId as string) : null;
  }

  async get(portfolioId: string, snapshotId: string): Promise<Snapshot | null> {
    const item = await this.item(portfolioId, `${SNAPSHOT}${snapshotId}`);
    return item ? toSnapshot(item) : null;
  }

  /** Snapshots newest first, ids between the bounds (inclusive), a page at a time. */
  async list(portfolioId: string, { from, to, limit, cursor }: SnapshotListing): Promise<SnapshotPage> {
    const lower = `${SNAPSHOT}${from ?? ''}`;
    const upper = `${SNAPSHOT}${to ?? '~'}`;
    const answer = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
        ExpressionAttributeValues: { ':pk': portfolioId, ':lower': lower, ':upper': upper },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, portfolioId, lower, upper) } : {}),
      }),
    );
    return { snapshots: (answer.Items ?? []).map(toSnapshot), next: encodeCursor(answer.LastEvaluatedKey) };
  }

  async isPublished(portfolioId: string, snapshotId: string): Promise<boolean> {
    const marker = await this.item(portfolioId, `${PUBLISHED}${snapshotId}`);
    // Markers written before claims existed have no state: they were always written after the publish.
    return marker !== undefined && marker.state !== 'publishing';
  }

  async claimPublication(portfolioId: string, snapshotId: string, now: string, until: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: portfolioId, sk: `${PUBLISHED}${snapshotId}`, state: 'publishing', until },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :publishing AND #until < :now)',
          ExpressionAttributeNames: { '#state': 'state', '#until': 'until' },
          ExpressionAttributeValues: { ':publishing': 'publishing', ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Records that the snapshot's event was accepted by the bus. */
  async markPublished(portfolioId: string, snapshotId: string, at: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: portfolioId, sk: `${PUBLISHED}${snapshotId}`, state: 'published', at } }),
    );
  }

  private async item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const answer = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return answer.Item;
  }
}

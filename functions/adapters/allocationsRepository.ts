import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { SnapshotListing, SnapshotPage, SnapshotStore } from '../application/ports.js';
import { Snapshot } from '../domain/snapshots.js';
import { queryAll } from './dynamo.js';
import { mapLimit } from './retry.js';
import { needsParts, packParts, unpackParts } from './snapshotParts.js';

/**
 * Items of the Allocations table, all under `pk` = portfolio id:
 * - `SNAPSHOT#<snapshotId>`: an immutable snapshot, written once with `attribute_not_exists`. A snapshot
 *   too large for one item (over about 1,100 channels) keeps its allocation in parts, and the head item
 *   says how many (`allocationParts`);
 * - `PART#<snapshotId>#<n>`: part n of such an allocation (gzipped JSON), written before its head and as
 *   immutable; the prefix sorts outside every `SNAPSHOT#` range, so the list never meets a part;
 * - `LATEST`: the pointer to the newest snapshot, advanced with a condition on its `version`;
 * - `WINDOW#<window>`: the snapshot a schedule window made, so a redelivered window makes no second one;
 * - `PUBLISHED#<snapshotId>`: written after the snapshot's event was accepted by the bus;
 * - `INPUT#<snapshotId>#<n>`: part n of the exact allocator input the snapshot was decided from (gzipped
 *   JSON, as many parts as its size needs), written before the snapshot, for replay.
 */
const SNAPSHOT = 'SNAPSHOT#';
const PART = 'PART#';
const LATEST = 'LATEST';
const WINDOW = 'WINDOW#';
const PUBLISHED = 'PUBLISHED#';
const INPUT = 'INPUT#';

/** Thrown when a cursor was not made by {@link AllocationsRepository.list}. */
export class InvalidCursorError extends Error {}

const encodeCursor = (key: Record<string, unknown> | undefined) => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null);

/** A cursor is the last key of a page; it must be a snapshot key of this portfolio inside the query's bounds. */
const decodeCursor = (cursor: string, portfolioId: string, lower: string, upper: string): Record<string, unknown> => {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key.pk !== portfolioId || typeof key.sk !== 'string' || !key.sk.startsWith(SNAPSHOT)) throw new Error('foreign key');
    // A page ends on a snapshot key strictly above the lower bound (the bound itself is no snapshot's key, and
    // DynamoDB refuses a start key on it rather than answering an empty page).
    if (key.sk <= lower || key.sk > upper) throw new Error('the cursor belongs to another query');
    return { pk: key.pk, sk: key.sk };
  } catch (error) {
    throw new InvalidCursorError('the cursor is not one this API returned', { cause: error });
  }
};

const partPrefix = (snapshotId: string) => `${PART}${snapshotId}#`;
const partKey = (snapshotId: string, n: number) => `${partPrefix(snapshotId)}${String(n).padStart(4, '0')}`;

/** A publication marker that records a publish, not a claim. */
// Markers written before claims existed have no state: they were always written after the publish.
const isPublishedMarker = (marker: Record<string, unknown>) => marker.state !== 'publishing';

/** How many of the first snapshots fit in `maxBytes` of JSON; always at least one. */
const fittingCount = (snapshots: readonly Snapshot[], maxBytes: number): number => {
  let bytes = 0;
  for (let n = 0; n < snapshots.length; n += 1) {
    bytes += Buffer.byteLength(JSON.stringify(snapshots[n]));
    if (n > 0 && bytes > maxBytes) return n;
  }
  return snapshots.length;
};

/** Heads whose parts a list page reassembles at once. */
const PART_READS_IN_FLIGHT = 8;

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
    const whole = { pk: snapshot.portfolioId, sk: `${SNAPSHOT}${snapshot.snapshotId}`, ...snapshot };
    const parts = needsParts(whole) ? await this.writeParts(snapshot) : 0;
    const { allocation: _allocation, ...metadata } = whole;
    const put = {
      TableName: this.tableName,
      Item: parts > 0 ? { ...metadata, allocationParts: parts } : whole,
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
      // This snapshot will never have a head: its parts would only take up space.
      if (parts > 0) await this.deleteParts(snapshot.portfolioId, snapshot.snapshotId, parts);
      return { created: false, existing };
    }
  }

  /**
   * Writes a large snapshot's allocation as parts, each only if absent (a snapshot id is never reused), and
   * returns how many. They go before the head, so a head is never read without its parts; a run that dies
   * between the two leaves parts that no head names, never a head without parts.
   */
  private async writeParts(snapshot: Snapshot): Promise<number> {
    const parts = packParts(snapshot.allocation);
    await Promise.all(
      parts.map((bytes, n) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: snapshot.portfolioId, sk: partKey(snapshot.snapshotId, n), bytes },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    );
    return parts.length;
  }

  private async deleteParts(portfolioId: string, snapshotId: string, parts: number): Promise<void> {
    await Promise.all(
      Array.from({ length: parts }, (_, n) =>
        this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk: partKey(snapshotId, n) } })),
      ),
    );
  }

  /**
   * Keeps the exact input a snapshot is decided from, before the snapshot is written. An input is a pure
   * function of its snapshot id's run, so a retry's write is the same value: a plain put.
   */
  async saveInput(portfolioId: string, snapshotId: string, input: unknown): Promise<void> {
    const parts = packParts(input);
    await Promise.all(
      parts.map((bytes, n) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: portfolioId, sk: `${INPUT}${snapshotId}#${String(n).padStart(4, '0')}`, bytes, parts: parts.length },
          }),
        ),
      ),
    );
  }

  /** The input a snapshot was decided from; null for a snapshot made before inputs were kept. */
  async input(portfolioId: string, snapshotId: string): Promise<unknown | null> {
    const parts = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': portfolioId, ':prefix': `${INPUT}${snapshotId}#` },
      ConsistentRead: true,
    });
    if (parts.length === 0) return null;
    if (parts.length !== parts[0]!.parts)
      throw new Error(`input of ${portfolioId}/${snapshotId} has ${parts.length} of its ${parts[0]!.parts} parts`);
    return unpackParts(parts.map((part) => part.bytes as Uint8Array));
  }

  /** The snapshot an item holds, its allocation read back from its parts when it has them. */
  private async toSnapshot(item: Record<string, unknown>): Promise<Snapshot> {
    const { pk, sk: _sk, allocationParts, ...body } = item;
    if (allocationParts === undefined) return Snapshot.parse(body);
    const snapshotId = body.snapshotId as string;
    const parts = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': partPrefix(snapshotId) },
      ConsistentRead: true,
    });
    if (parts.length !== allocationParts) {
      throw new Error(`snapshot ${pk}/${snapshotId} has ${parts.length} of its ${allocationParts} allocation parts`);
    }
    // Parts come back in key order, which is their order (zero-padded numbers).
    return Snapshot.parse({ ...body, allocation: unpackParts(parts.map((part) => part.bytes as Uint8Array)) });
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
    const id = await this.latestSnapshotId(portfolioId);
    return id ? this.get(portfolioId, id) : null;
  }

  async latestSnapshotId(portfolioId: string): Promise<string | null> {
    return ((await this.item(portfolioId, LATEST))?.snapshotId as string | undefined) ?? null;
  }

  async get(portfolioId: string, snapshotId: string): Promise<Snapshot | null> {
    const item = await this.item(portfolioId, `${SNAPSHOT}${snapshotId}`);
    return item ? this.toSnapshot(item) : null;
  }

  /**
   * Snapshots newest first, ids between the bounds (inclusive), a page at a time, with which of them were
   * published. With `publishedOnly` the snapshots a run wrote but never published are left out, and the page
   * is still filled up to `limit` from the snapshots after them. With `maxBytes` the page ends early, at
   * least one snapshot in, once its JSON would pass that size; `next` then resumes after the last one given.
   */
  async list(portfolioId: string, { from, to, limit, cursor, publishedOnly = false, maxBytes }: SnapshotListing): Promise<SnapshotPage> {
    const lower = `${SNAPSHOT}${from ?? ''}`;
    const upper = `${SNAPSHOT}${to ?? '~'}`;
    // Bounds that cross (a day after the last snapshot asked for) hold nothing; DynamoDB refuses such a range.
    if (lower > upper) return { snapshots: [], published: new Set(), next: null };
    let start = cursor ? decodeCursor(cursor, portfolioId, lower, upper) : undefined;
    const heads: Record<string, unknown>[] = [];
    const published = new Set<string>();
    do {
      const answer = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
          ExpressionAttributeValues: { ':pk': portfolioId, ':lower': lower, ':upper': upper },
          ScanIndexForward: false,
          Limit: limit - heads.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const items = answer.Items ?? [];
      for (const id of await this.publishedAmong(portfolioId, items)) published.add(id);
      heads.push(...items.filter((item) => !publishedOnly || published.has(item.snapshotId as string)));
      start = answer.LastEvaluatedKey;
    } while (start && heads.length < limit);
    const snapshots = await mapLimit(heads, PART_READS_IN_FLIGHT, (item) => this.toSnapshot(item));
    const fit = maxBytes === undefined ? snapshots.length : fittingCount(snapshots, maxBytes);
    if (fit < snapshots.length) {
      const last = heads[fit - 1]!;
      return { snapshots: snapshots.slice(0, fit), published, next: encodeCursor({ pk: last.pk, sk: last.sk }) };
    }
    return { snapshots, published, next: encodeCursor(start) };
  }

  /** Which of these snapshot items have a publication marker that says published (one Query over their range). */
  private async publishedAmong(portfolioId: string, items: readonly Record<string, unknown>[]): Promise<string[]> {
    if (items.length === 0) return [];
    const ids = items.map((item) => item.snapshotId as string).sort();
    const markers = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lower AND :upper',
      ExpressionAttributeValues: { ':pk': portfolioId, ':lower': `${PUBLISHED}${ids[0]}`, ':upper': `${PUBLISHED}${ids.at(-1)}` },
      ConsistentRead: true,
    });
    return markers.filter(isPublishedMarker).map((marker) => (marker.sk as string).slice(PUBLISHED.length));
  }

  async isPublished(portfolioId: string, snapshotId: string): Promise<boolean> {
    const marker = await this.item(portfolioId, `${PUBLISHED}${snapshotId}`);
    return marker !== undefined && isPublishedMarker(marker);
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

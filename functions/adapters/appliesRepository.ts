import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApplyStore, VersionedApplyState } from '../application/applyPorts.js';
import { type ApplyState, INITIAL_APPLY_STATE } from '../domain/apply/guardrails.js';
import { ApplyRecord, BudgetChange } from '../domain/apply/records.js';
import { queryAll } from './dynamo.js';

/**
 * The Applies table (lib/tables.ts), all under `pk` = portfolio id:
 * - `APPLY#<applyId>`: the record of one apply (a snapshot's, or a rollback's), moved between statuses with a
 *   condition on the status it was read in, so two workers never both move it. A snapshot's apply is keyed by
 *   its id and a rollback by the instant it was asked (`<instant>~rollback-<snapshotId>`), so the records sort
 *   newest first by when the plan was made or the rollback asked, and a rollback is never listed beside the
 *   old plan it re-applies, out of sight;
 * - `CLAIM#<applyId>#<budget>`: put with `attribute_not_exists` before the budget's write, so each budget is
 *   written at most once per apply; its outcome is stored on it when known;
 * - `DAYSTART#<date>#<budget>`: the budget before the day's first apply, put once;
 * - `STATE`: the newest snapshot applied and the consecutive failures, updated under a `version` condition;
 * - `LEASE`: the apply running now, if any, and until when its lease holds: put unless another holder's lease
 *   still runs, deleted by its holder when the apply is done.
 */
const APPLY = 'APPLY#';
const CLAIM = 'CLAIM#';
const DAY_START = 'DAYSTART#';
const STATE = 'STATE';
const LEASE = 'LEASE';

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/** A record as stored: the record's own fields and its id (its key), without the keys and markers. */
const recordOf = (item: Record<string, unknown>): ApplyRecord => {
  const { pk: _pk, sk, eventSent: _event, applyId: _id, ...record } = item;
  return ApplyRecord.parse({ ...record, applyId: String(sk).slice(APPLY.length) });
};

/** A record's fields as stored: its id is its key, not an attribute. */
const fieldsOf = ({ applyId: _id, ...fields }: ApplyRecord) => fields;

export class AppliesRepository implements ApplyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(portfolioId: string, applyId: string): Promise<ApplyRecord | null> {
    // Consistent: an auto apply reads its record back the moment it wrote it, and a stale replica's "none"
    // would drop the apply.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk: `${APPLY}${applyId}` }, ConsistentRead: true }),
    );
    return Item ? recordOf(Item) : null;
  }

  /** The newest `limit` applies, newest first (by id), read page by page past DynamoDB's 1 MB a query. */
  async list(portfolioId: string, limit: number): Promise<ApplyRecord[]> {
    const records: ApplyRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :apply)',
          ExpressionAttributeValues: { ':pk': portfolioId, ':apply': APPLY },
          ScanIndexForward: false,
          Limit: limit - records.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      records.push(...Items.map(recordOf));
      start = LastEvaluatedKey;
    } while (start && records.length < limit);
    return records;
  }

  async create(applyId: string, record: ApplyRecord): Promise<boolean> {
    return this.put({ pk: record.portfolioId, sk: `${APPLY}${applyId}`, ...fieldsOf(record) }, 'attribute_not_exists(sk)');
  }

  async save(applyId: string, record: ApplyRecord, expected: ApplyRecord['status']): Promise<boolean> {
    try {
      // Every field but the event marker is replaced; the condition keeps a record another worker moved.
      const fields = Object.entries(fieldsOf(record));
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: record.portfolioId, sk: `${APPLY}${applyId}` },
          UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')}${'reason' in record ? '' : ' REMOVE #reason'}`,
          ConditionExpression: '#status = :expected',
          ExpressionAttributeNames: {
            ...Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
            '#status': 'status',
            ...('reason' in record ? {} : { '#reason': 'reason' }),
          },
          ExpressionAttributeValues: { ...Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])), ':expected': expected },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async claim(portfolioId: string, applyId: string, key: string, at: string, staleBefore: string): Promise<boolean> {
    return this.put(
      { pk: portfolioId, sk: `${CLAIM}${applyId}#${key}`, claimedAt: at },
      'attribute_not_exists(sk) OR (attribute_not_exists(outcome) AND claimedAt < :stale)',
      { ':stale': staleBefore },
    );
  }

  async settle(portfolioId: string, applyId: string, change: BudgetChange): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: portfolioId, sk: `${CLAIM}${applyId}#${change.key}` },
        UpdateExpression: 'SET outcome = :outcome',
        ExpressionAttributeValues: { ':outcome': change },
      }),
    );
  }

  async settled(portfolioId: string, applyId: string, key: string): Promise<BudgetChange | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk: `${CLAIM}${applyId}#${key}` }, ConsistentRead: true }),
    );
    return Item?.outcome ? BudgetChange.parse(Item.outcome) : null;
  }

  async dayStart(portfolioId: string, date: string, key: string, amountMinor: number): Promise<number> {
    const sk = `${DAY_START}${date}#${key}`;
    if (await this.put({ pk: portfolioId, sk, amountMinor }, 'attribute_not_exists(sk)')) return amountMinor;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk }, ConsistentRead: true }),
    );
    return Number(Item?.amountMinor ?? amountMinor);
  }

  async dayStarts(portfolioId: string, date: string): Promise<ReadonlyMap<string, number>> {
    const prefix = `${DAY_START}${date}#`;
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
      ExpressionAttributeValues: { ':pk': portfolioId, ':day': prefix },
      ConsistentRead: true,
    });
    return new Map(items.map((item) => [String(item.sk).slice(prefix.length), Number(item.amountMinor)]));
  }

  async state(portfolioId: string): Promise<VersionedApplyState> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk: STATE }, ConsistentRead: true }),
    );
    if (!Item) return { ...INITIAL_APPLY_STATE, version: 0 };
    return {
      lastAppliedSnapshotId: (Item.lastAppliedSnapshotId as string | null) ?? null,
      inForceSnapshotId: (Item.inForceSnapshotId as string | null) ?? null,
      consecutiveFailures: Number(Item.consecutiveFailures ?? 0),
      stoppedAt: (Item.stoppedAt as string | null) ?? null,
      stopReason: (Item.stopReason as string | null) ?? null,
      version: Number(Item.version ?? 0),
    };
  }

  async saveState(portfolioId: string, state: ApplyState, version: number): Promise<boolean> {
    return this.put(
      { pk: portfolioId, sk: STATE, ...state, version: version + 1 },
      version === 0 ? 'attribute_not_exists(sk)' : 'version = :version',
      version === 0 ? undefined : { ':version': version },
    );
  }

  async eventSent(portfolioId: string, applyId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: portfolioId, sk: `${APPLY}${applyId}` },
        ProjectionExpression: 'eventSent',
        ConsistentRead: true,
      }),
    );
    return Item?.eventSent === true;
  }

  async markEventSent(portfolioId: string, applyId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: portfolioId, sk: `${APPLY}${applyId}` },
        UpdateExpression: 'SET eventSent = :yes',
        ConditionExpression: 'attribute_exists(sk)',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  async lease(portfolioId: string, at: string, until: string): Promise<string | null> {
    const holder = randomUUID();
    const taken = await this.put(
      { pk: portfolioId, sk: LEASE, holder, leasedUntil: until },
      'attribute_not_exists(sk) OR leasedUntil < :at',
      { ':at': at },
    );
    return taken ? holder : null;
  }

  async release(portfolioId: string, holder: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: portfolioId, sk: LEASE },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // Its lease ran out and another apply holds the portfolio now: that one releases it.
      if (!conditionFailed(error)) throw error;
    }
  }

  private async put(item: Record<string, unknown>, condition: string, values?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }
}

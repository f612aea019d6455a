/**
 * The tables, defined once: the CDK stack and the local runtime both build from these records, so the
 * DynamoDB Local tables have exactly the keys the cloud ones have. No CDK import here, to keep local start fast.
 */
export interface TableDefinition {
  /** CDK construct id, and the local table name's suffix. */
  readonly id: string;
  /** The environment variable a function reads the table name from. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  readonly timeToLiveAttribute?: string;
}

/**
 * Metrics rows. `pk` = `<portfolioId>#<channelId>`, `sk` = `<date>#<hour|-->`: one portfolio/channel's
 * days are one Query, and writes spread across portfolios and channels. A daily row's accepted versions sit
 * beside it at `V#<date>#<receivedAt>` and expire (`expiresAt`) once past the allocator's lookback.
 */
export const METRICS_TABLE: TableDefinition = {
  id: 'Metrics',
  envVar: 'METRICS_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Allocation snapshots and their pointers: `pk` = portfolio id, `sk` = `SNAPSHOT#<id>` (ids sort by time),
 * `LATEST`, `WINDOW#<schedule window>`, `PUBLISHED#<id>`, `PART#<id>#<n>` (a large allocation's gzipped
 * parts, written before its snapshot) or `INPUT#<id>#<n>` (the allocator input it was decided from, for replay). One Query lists a portfolio's snapshots newest first.
 */
export const ALLOCATIONS_TABLE: TableDefinition = { id: 'Allocations', envVar: 'ALLOCATIONS_TABLE', partitionKey: 'pk', sortKey: 'sk' };

/**
 * Alerts: `pk` = portfolio id, `sk` = `ALERT#<alertId>`, `OPEN#<rule>#<channel>` (the pair's open alert)
 * or `OUTBOX#<alertId>#<n>` (a transition's event until the bus accepts it).
 */
export const ALERTS_TABLE: TableDefinition = { id: 'Alerts', envVar: 'ALERTS_TABLE', partitionKey: 'pk', sortKey: 'sk' };

/** Powertools idempotency records (key `id`, TTL `expiration`). */
export const IDEMPOTENCY_TABLE: TableDefinition = {
  id: 'Idempotency',
  envVar: 'IDEMPOTENCY_TABLE',
  partitionKey: 'id',
  timeToLiveAttribute: 'expiration',
};

/**
 * Signed-out browser sessions: `jti` = the ID token's id. An entry lives as long as its token would
 * (`expiresAt`, the token's `exp`), then DynamoDB's TTL removes it: an expired token is refused anyway.
 */
export const REVOKED_SESSIONS_TABLE: TableDefinition = {
  id: 'RevokedSessions',
  envVar: 'REVOKED_SESSIONS_TABLE',
  partitionKey: 'jti',
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Applies of plans to the ad platforms' budgets (docs/connectors.md), kept as long as the snapshots (no
 * expiry): `pk` = portfolio id, `sk` = `APPLY#<applyId>` (one per snapshot, or an operator's rollback),
 * `CLAIM#<applyId>#<budget>` (the one write of a budget for that apply, and its outcome),
 * `DAYSTART#<date>#<budget>` (the budget before the day's first apply), `STATE` (the newest applied and
 * the failures since) or `LEASE` (the apply running now: a portfolio's applies run one at a time).
 */
export const APPLIES_TABLE: TableDefinition = { id: 'Applies', envVar: 'APPLIES_TABLE', partitionKey: 'pk', sortKey: 'sk' };

/** Every table the system uses. */
export const TABLES = [METRICS_TABLE, ALLOCATIONS_TABLE, ALERTS_TABLE, IDEMPOTENCY_TABLE, REVOKED_SESSIONS_TABLE, APPLIES_TABLE] as const;

/** The CreateTable request for a definition (the local runtime's path; the stack maps the same fields). */
export const createTableInput = (table: TableDefinition, tableName: string) => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])].map((name) => ({
    AttributeName: name,
    AttributeType: 'S' as const,
  })),
  KeySchema: [
    { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
    ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
  ],
});

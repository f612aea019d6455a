import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoClient, type DynamoConnection } from './dynamo.js';
import type { RevocationList } from './session.js';

/**
 * The revocation list on its DynamoDB table (`lib/tables.ts`, `REVOKED_SESSIONS_TABLE`): one item per
 * signed-out token id, expiring with the token. Reads are strongly consistent, so a sign-out holds from
 * the very next request.
 */
export class RevokedSessionsRepository implements RevocationList {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async isRevoked(tokenId: string): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { jti: tokenId }, ConsistentRead: true }));
    return Item !== undefined;
  }

  async revoke(tokenId: string, expiresAt: number): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { jti: tokenId, expiresAt: Math.ceil(expiresAt) } }));
  }
}

/** The revocation list on its table, with a DynamoDB client of its own: what `wiring/revocations.ts` loads on first use. */
export const connectRevocationList = (connection: DynamoConnection, tableName: string): RevocationList =>
  new RevokedSessionsRepository(createDocumentClient(createDynamoClient(connection)), tableName);

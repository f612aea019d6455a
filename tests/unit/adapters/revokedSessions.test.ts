import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RevokedSessionsRepository } from '../../../functions/adapters/revokedSessions.js';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
const dynamo = mockClient(documentClient);
const list = new RevokedSessionsRepository(documentClient, 'RevokedSessions');

beforeEach(() => dynamo.reset());

describe('revocation list on DynamoDB', () => {
  it('records a signed-out token id until the token expires (the TTL attribute), in whole epoch seconds', async () => {
    dynamo.on(PutCommand).resolves({});
    await list.revoke('jti-1', 1_790_000_000.4);
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: 'RevokedSessions',
      Item: { jti: 'jti-1', expiresAt: 1_790_000_001 },
    });
  });

  it('looks a token id up with a strongly consistent read, so a sign-out holds from the next request', async () => {
    dynamo.on(GetCommand, { Key: { jti: 'gone' } }).resolves({ Item: { jti: 'gone', expiresAt: 1 } });
    dynamo.on(GetCommand, { Key: { jti: 'live' } }).resolves({});
    await expect(list.isRevoked('gone')).resolves.toBe(true);
    await expect(list.isRevoked('live')).resolves.toBe(false);
    for (const call of dynamo.commandCalls(GetCommand))
      expect(call.args[0].input).toMatchObject({ TableName: 'RevokedSessions', ConsistentRead: true });
  });

  it('lets a failure of DynamoDB through, for the authorizer to refuse on', async () => {
    dynamo.on(GetCommand).rejects(new Error('throttled'));
    await expect(list.isRevoked('any')).rejects.toThrow('throttled');
  });
});

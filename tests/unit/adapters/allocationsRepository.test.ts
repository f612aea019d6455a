import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AllocationsRepository } from '../../../functions/adapters/allocationsRepository.js';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
const dynamo = mockClient(documentClient);
const repository = new AllocationsRepository(documentClient, 'Allocations');
const lostRace = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const latestPuts = () => dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item as { snapshotId: string; version: number });

beforeEach(() => dynamo.reset());

/** Fault: a conditional-check failure when two runs race to move LATEST. Invariant: LATEST only ever moves forward. */
describe('LATEST under races', () => {
  it('re-reads after losing the race and retries when the winner is older', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { snapshotId: 'A', version: 1 } })
      .resolvesOnce({ Item: { snapshotId: 'B', version: 2 } });
    dynamo.on(PutCommand).rejectsOnce(lostRace()).resolves({});
    await repository.advanceLatest('demo', 'C');
    expect(latestPuts()).toEqual([
      expect.objectContaining({ snapshotId: 'C', version: 2 }),
      expect.objectContaining({ snapshotId: 'C', version: 3 }),
    ]);
    expect(dynamo.commandCalls(PutCommand)[1]!.args[0].input).toMatchObject({
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': 2 },
    });
  });

  it('stops after losing the race to a newer snapshot', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { snapshotId: 'A', version: 1 } })
      .resolvesOnce({ Item: { snapshotId: 'D', version: 2 } });
    dynamo.on(PutCommand).rejects(lostRace());
    await repository.advanceLatest('demo', 'C');
    expect(latestPuts()).toHaveLength(1);
  });

  it('creates the pointer only if nobody else did', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    await repository.advanceLatest('demo', 'A');
    expect(dynamo.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { snapshotId: 'A', version: 1 },
    });
  });
});

import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AllocationsRepository } from '../../../functions/adapters/allocationsRepository.js';
import { needsParts, PART_BYTES, packParts, unpackParts, WHOLE_ITEM_BYTES } from '../../../functions/adapters/snapshotParts.js';

/** Random hex: gzip only halves it, so it spans several parts. */
const noise = (bytes: number) => randomBytes(bytes / 2).toString('hex');

describe('an allocation in parts', () => {
  it('comes back whole from its parts, in order, each within the part size', () => {
    const allocation = { channels: [noise(500_000), noise(400_000)], total: 10_000 };
    const parts = packParts(allocation);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.every((part) => part.length <= PART_BYTES)).toBe(true);
    expect(unpackParts(parts)).toEqual(allocation);
  });

  it('fails, rather than giving part of an allocation, when a part is missing or out of order', () => {
    const parts = packParts({ channels: [noise(800_000)] });
    expect(() => unpackParts(parts.slice(0, -1))).toThrow();
    expect(() => unpackParts([parts[1]!, parts[0]!, ...parts.slice(2)])).toThrow();
  });

  it('is used only for items larger than one snapshot item may safely be', () => {
    expect(needsParts({ allocation: noise(WHOLE_ITEM_BYTES - 1_000) })).toBe(false);
    expect(needsParts({ allocation: noise(WHOLE_ITEM_BYTES + 1_000) })).toBe(true);
  });
});

describe('AllocationsRepository reading a snapshot in parts', () => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
  const dynamo = mockClient(documentClient);
  const repository = new AllocationsRepository(documentClient, 'Allocations');
  beforeEach(() => dynamo.reset());

  it('refuses a head whose parts are not all there', async () => {
    const [part] = packParts({ channels: [] });
    dynamo.on(GetCommand).resolves({ Item: { pk: 'demo', sk: 'SNAPSHOT#s1', snapshotId: 's1', allocationParts: 2 } });
    dynamo.on(QueryCommand).resolves({ Items: [{ pk: 'demo', sk: 'PART#s1#0000', bytes: part }] });
    await expect(repository.get('demo', 's1')).rejects.toThrow('snapshot demo/s1 has 1 of its 2 allocation parts');
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'demo', ':prefix': 'PART#s1#' },
      ConsistentRead: true,
    });
  });
});

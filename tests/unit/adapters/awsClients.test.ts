import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsClientConfig, SDK_MAX_ATTEMPTS } from '../../../functions/adapters/awsClients.js';

/**
 * The SDK's own retries, exercised through its real middleware stack: the request handler (the HTTP layer)
 * is replaced by one that answers DynamoDB's throttling error a set number of times. aws-sdk-client-mock
 * cannot show this, since it replaces `send` above the retry middleware.
 */
const throttlingClient = (throttles: number) => {
  let attempts = 0;
  const requestHandler = {
    handle: async () => {
      attempts += 1;
      const throttled = attempts <= throttles;
      const body = throttled
        ? { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' }
        : { Item: { pk: { S: 'demo' } } };
      return {
        response: {
          statusCode: throttled ? 400 : 200,
          reason: throttled ? 'Bad Request' : 'OK',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            ...(throttled ? { 'x-amzn-errortype': 'ProvisionedThroughputExceededException' } : {}),
          },
          body: Readable.from([Buffer.from(JSON.stringify(body))]),
        },
      };
    },
  };
  const client = new DynamoDBClient({
    ...awsClientConfig(),
    region: 'local',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler,
  });
  return { client, attempts: () => attempts };
};

const get = (client: DynamoDBClient) => client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'demo' } } }));

describe('AWS clients retry in the SDK, bounded as configured', () => {
  afterEach(() => vi.useRealTimers());

  it('retries throttling until it passes (real backoff: a few hundred ms)', async () => {
    const { client, attempts } = throttlingClient(3);
    await expect(get(client)).resolves.toMatchObject({ Item: { pk: { S: 'demo' } } });
    expect(attempts()).toBe(4);
  });

  it(`makes at most ${SDK_MAX_ATTEMPTS} attempts per operation, the first included, then fails`, async () => {
    vi.useFakeTimers();
    const { client, attempts } = throttlingClient(1000);
    const answer = get(client);
    const failed = expect(answer).rejects.toThrow('slow down');
    await vi.runAllTimersAsync();
    await failed;
    expect(attempts()).toBe(SDK_MAX_ATTEMPTS);
  });
});

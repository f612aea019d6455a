import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { DeliveryToStore } from '../application/acceptDelivery.js';
import type { MetricsRepository, StoreOutcome } from './metricsRepository.js';

/** What a stored delivery answers (202), the first time and every repeat. */
export type DeliveryReceipt = StoreOutcome;

/** How long a delivery's first answer is remembered. Platforms retry for up to 3 days; a week is ample. */
const REMEMBER_SECONDS = 7 * 24 * 3600;

/**
 * Stores deliveries exactly once with Powertools idempotency: a repeat of the same key returns the first
 * receipt without touching the metrics. The key prefix is fixed so a redeploy (new function name) keeps
 * recognising earlier deliveries.
 */
export class DeliveryRecorder {
  private readonly config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'bodyHash',
    expiresAfterSeconds: REMEMBER_SECONDS,
  });

  readonly record: (delivery: DeliveryToStore) => Promise<DeliveryReceipt>;

  constructor(repository: MetricsRepository, client: DynamoDBClient, idempotencyTable: string) {
    const persistenceStore = new DynamoDBPersistenceLayer({ tableName: idempotencyTable, awsSdkV3Client: client });
    this.record = makeIdempotent(
      async (delivery: DeliveryToStore): Promise<DeliveryReceipt> => {
        const stored = await repository.store(delivery.plan.rows, delivery.key, delivery.receivedAt);
        return { ...stored, duplicates: stored.duplicates + delivery.plan.duplicates };
      },
      { persistenceStore, config: this.config, keyPrefix: 'delivery' },
    );
  }

  /** Lets an in-flight record expire with the invocation, so a timed-out delivery can be retried. */
  registerContext(context: Context): void {
    this.config.registerLambdaContext(context);
  }
}

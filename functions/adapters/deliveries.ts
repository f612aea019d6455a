import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
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
 * How long a repeat waits for a concurrent first delivery of the same key to finish storing, and how often
 * it looks. Storing 1000 records takes a few seconds; a first delivery slower than this (or an invocation
 * with less time left, less a margin to answer) still answers `409 delivery-in-progress`, which says retry.
 */
const WAIT_FOR_FIRST = { maxMs: 15_000, stepMs: 100, marginMs: 2_000 } as const;

/**
 * Stores deliveries exactly once with Powertools idempotency: a repeat of the same key returns the first
 * receipt without touching the metrics. The key prefix is fixed so a redeploy (new function name) keeps
 * recognising earlier deliveries.
 *
 * A repeat that arrives while the first is still being stored (two identical deliveries racing, a sender
 * retrying on its own timeout) waits for the first and answers its receipt, as a later repeat would: the
 * same delivery always gets the same success answer, whenever it arrives.
 */
export class DeliveryRecorder {
  private readonly config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'bodyHash',
    expiresAfterSeconds: REMEMBER_SECONDS,
  });

  private readonly storeOnce: (delivery: DeliveryToStore) => Promise<DeliveryReceipt>;
  private context: Context | undefined;

  constructor(repository: MetricsRepository, client: DynamoDBClient, idempotencyTable: string) {
    const persistenceStore = new DynamoDBPersistenceLayer({ tableName: idempotencyTable, awsSdkV3Client: client });
    this.storeOnce = makeIdempotent(
      async (delivery: DeliveryToStore): Promise<DeliveryReceipt> => {
        const stored = await repository.store(delivery.plan.rows, delivery.key, delivery.receivedAt);
        return { ...stored, duplicates: stored.duplicates + delivery.plan.duplicates, stale: stored.stale + delivery.plan.stale };
      },
      { persistenceStore, config: this.config, keyPrefix: 'delivery' },
    );
  }

  /**
   * Stores `delivery` once and answers its receipt; a repeat answers the first's, waiting for it when it is
   * still being stored. Throws `IdempotencyAlreadyInProgressError` only when the first outlasts the wait.
   */
  readonly record = async (delivery: DeliveryToStore): Promise<DeliveryReceipt> => {
    const left = this.context ? this.context.getRemainingTimeInMillis() - WAIT_FOR_FIRST.marginMs : WAIT_FOR_FIRST.maxMs;
    const deadline = Date.now() + Math.min(WAIT_FOR_FIRST.maxMs, left);
    for (;;) {
      try {
        // Once the first is stored, this reads its record and returns its receipt; should the first fail,
        // its record is gone and this one stores the delivery itself.
        return await this.storeOnce(delivery);
      } catch (error) {
        if (!(error instanceof IdempotencyAlreadyInProgressError) || Date.now() + WAIT_FOR_FIRST.stepMs > deadline) throw error;
        await sleep(WAIT_FOR_FIRST.stepMs);
      }
    }
  };

  /** Lets an in-flight record expire with the invocation, so a timed-out delivery can be retried. */
  registerContext(context: Context): void {
    this.context = context;
    this.config.registerLambdaContext(context);
  }
}

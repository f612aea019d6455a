import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { IDEMPOTENCY_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { type Clock, systemClock } from '../adapters/clock.js';
import type { LoadedConfig } from '../adapters/configFile.js';
import { DeliveryRecorder, type DeliveryToStore } from '../adapters/deliveries.js';
import { deployedConfig } from '../adapters/deployedConfig.js';
import { createDocumentClient, createDynamoClient, tableName } from '../adapters/dynamo.js';
import { HttpError, httpHandler, json } from '../adapters/http.js';
import { MetricsRepository } from '../adapters/metricsRepository.js';
import { logger, metrics } from '../adapters/observability.js';
import { authenticate, boundedBody, readDelivery, webhookSource } from '../adapters/webhook.js';
import { type SecretSource, webhookSecrets } from '../adapters/webhookSecrets.js';

export interface IngestDependencies {
  readonly config: LoadedConfig;
  readonly secrets: SecretSource;
  readonly recorder: DeliveryRecorder;
  readonly clock: Clock;
}

/** Stores once, mapping idempotency conflicts to the 409s a sender can act on. */
const recordOnce = async (recorder: DeliveryRecorder, delivery: DeliveryToStore) => {
  try {
    return await recorder.record(delivery);
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      throw new HttpError(409, 'delivery-id-reused', 'this deliveryId was already used for a different body', [], { cause: error });
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      throw new HttpError(409, 'delivery-in-progress', 'this delivery is being stored by another request; retry shortly', [], {
        cause: error,
      });
    }
    throw error;
  }
};

/** `POST /webhooks/{source}`: authenticate → validate whole → store once → 202 with the receipt. */
export const createIngestHandler = ({ config, secrets, recorder, clock }: IngestDependencies) =>
  httpHandler(
    async (event, context) => {
      recorder.registerContext(context);
      const now = clock();
      const source = webhookSource(event.pathParameters?.source);
      const body = boundedBody(event);
      await authenticate(event, body, source, secrets, now);
      const delivery = readDelivery(body, source, config.config, now);
      const receipt = await recordOnce(recorder, delivery);
      metrics.addDimension('source', source);
      metrics.addMetric('RecordsAccepted', MetricUnit.Count, receipt.accepted);
      metrics.addMetric('RecordsStale', MetricUnit.Count, receipt.stale);
      logger.info('delivery stored', { source, key: delivery.key, ...receipt });
      return json(202, receipt);
    },
    { metrics: true },
  );

const dynamo = createDynamoClient();

export const handler = createIngestHandler({
  config: deployedConfig,
  secrets: webhookSecrets(),
  recorder: new DeliveryRecorder(
    new MetricsRepository(createDocumentClient(dynamo), tableName(METRICS_TABLE.envVar)),
    dynamo,
    tableName(IDEMPOTENCY_TABLE.envVar),
  ),
  clock: systemClock,
});

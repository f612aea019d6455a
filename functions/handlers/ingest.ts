import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LoadedConfig } from '../adapters/configFile.js';
import type { DeliveryRecorder } from '../adapters/deliveries.js';
import { HttpError, httpHandler, json, jsonBodyBytes, utf8Text } from '../adapters/http.js';
import { logger, metrics } from '../adapters/observability.js';
import { authenticate, rejected, webhookSource } from '../adapters/webhook.js';
import type { SecretSource } from '../adapters/webhookSecrets.js';
import { type DeliveryToStore, prepareDelivery } from '../application/acceptDelivery.js';
import type { Clock } from '../application/ports.js';
import { deployedConfig } from '../wiring/config.js';
import { deliveryRecorder, webhookSecrets } from '../wiring/ingest.js';

export interface IngestDependencies {
  readonly config: LoadedConfig;
  readonly secrets: SecretSource;
  readonly recorder: DeliveryRecorder;
  readonly clock: Clock;
}

/**
 * Stores once (a repeat racing the first waits for its receipt), mapping the conflicts left to the 409s a
 * sender can act on: another body under the same id, or a first delivery that outlasted the wait.
 */
const recordOnce = async (recorder: DeliveryRecorder, delivery: DeliveryToStore) => {
  try {
    return await recorder.record(delivery);
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      throw new HttpError(
        409,
        'delivery-id-reused',
        'this deliveryId was already used for a different body',
        [{ path: 'deliveryId', message: 'was already used for a different body: send a new id for new data, or the same body to retry' }],
        { cause: error },
      );
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      throw new HttpError(409, 'delivery-in-progress', 'this delivery is being stored by another request; retry shortly', [], {
        cause: error,
      });
    }
    throw error;
  }
};

/** `POST /webhooks/{source}`: authenticate the bytes → read them as UTF-8 JSON and validate whole → store once → 202 with the receipt. */
export const createIngestHandler = ({ config, secrets, recorder, clock }: IngestDependencies) =>
  httpHandler(
    async (event, context) => {
      recorder.registerContext(context);
      const now = clock();
      const source = webhookSource(event.pathParameters?.source);
      const body = jsonBodyBytes(event);
      await authenticate(event, body, source, secrets, now);
      // Read as text only after the signature checked the bytes sent: a sender who signed a body that is not
      // UTF-8 learns what is wrong with it (400 invalid-utf8), anyone else only that it is a 401.
      const prepared = prepareDelivery(utf8Text(body), source, config, now);
      if (!prepared.ok) throw rejected(prepared.rejection);
      const { delivery } = prepared;
      const receipt = await recordOnce(recorder, delivery);
      metrics.addDimension('source', source);
      metrics.addMetric('RecordsAccepted', MetricUnit.Count, receipt.accepted);
      metrics.addMetric('RecordsStale', MetricUnit.Count, receipt.stale);
      logger.info('delivery stored', { source, key: delivery.key, ...receipt });
      return json(202, receipt);
    },
    { metrics: true },
  );

export const handler = createIngestHandler({
  config: deployedConfig,
  secrets: webhookSecrets(),
  recorder: deliveryRecorder(),
  clock: () => new Date(),
});

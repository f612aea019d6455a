import { IDEMPOTENCY_TABLE } from '../../lib/tables.js';
import { DeliveryRecorder } from '../adapters/deliveries.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { envSecrets, type SecretSource, secretsManagerSecrets } from '../adapters/webhookSecrets.js';
import { dynamoClient, metricsRepository } from './dynamo.js';
import { tableName } from './dynamoConnection.js';
import { isLocalRuntime, lookup, required } from './environment.js';

/**
 * The secret source for where this code runs. Local defaults apply only when the local runtime says so: a
 * cloud function missing its secret map fails instead of accepting the dev secret.
 */
export const webhookSecrets = (): SecretSource =>
  isLocalRuntime() ? envSecrets(lookup) : secretsManagerSecrets(JSON.parse(required('WEBHOOK_SECRET_ARNS')) as Record<string, string>);

/** The recorder that stores each delivery once: the Metrics table behind the idempotency table. */
export const deliveryRecorder = (): DeliveryRecorder => {
  const dynamo = dynamoClient();
  return new DeliveryRecorder(metricsRepository(createDocumentClient(dynamo)), dynamo, tableName(IDEMPOTENCY_TABLE));
};

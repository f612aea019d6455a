import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ALERTS_TABLE, ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { AlertsRepository } from '../adapters/alertsRepository.js';
import { AllocationsRepository } from '../adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../adapters/dynamo.js';
import { MetricsRepository } from '../adapters/metricsRepository.js';
import { dynamoConnection, tableName } from './dynamoConnection.js';

/** DynamoDB for this environment: DynamoDB Local when `DYNAMODB_ENDPOINT` is set, else the region's. */
export const dynamoClient = () => createDynamoClient(dynamoConnection());

/** Each repository on the table its environment names; a function builds only those it uses. */
export const metricsRepository = (client: DynamoDBDocumentClient) => new MetricsRepository(client, tableName(METRICS_TABLE));
export const allocationsRepository = (client: DynamoDBDocumentClient) => new AllocationsRepository(client, tableName(ALLOCATIONS_TABLE));
export const alertsRepository = (client: DynamoDBDocumentClient) => new AlertsRepository(client, tableName(ALERTS_TABLE));

/** The three repositories the reallocator and the alert evaluator read, on one document client. */
export const deployedRepositories = (client = createDocumentClient(dynamoClient())) => ({
  metrics: metricsRepository(client),
  allocations: allocationsRepository(client),
  alerts: alertsRepository(client),
});

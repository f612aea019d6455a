import type { TableDefinition } from '../../lib/tables.js';
import type { DynamoConnection } from '../adapters/dynamo.js';
import { optional, required } from './environment.js';

/**
 * Where DynamoDB is for this environment and what the stack named its tables, read from the environment
 * alone. Apart from `dynamo.ts` (which builds the client and every repository, with their schemas) so that
 * a function reaching DynamoDB lazily, such as the revocation list, imports none of that at cold start.
 */

/** DynamoDB Local when `DYNAMODB_ENDPOINT` is set, else the region's. */
export const dynamoConnection = (): DynamoConnection => ({ endpoint: optional('DYNAMODB_ENDPOINT'), region: optional('AWS_REGION') });

/** The name the stack gave one of the function's tables. */
export const tableName = (table: TableDefinition): string => required(table.envVar);

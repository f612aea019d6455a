import { REVOKED_SESSIONS_TABLE } from '../../lib/tables.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { RevokedSessionsRepository } from '../adapters/revokedSessions.js';
import type { RevocationList } from '../adapters/session.js';
import { dynamoClient, tableName } from './dynamo.js';

/** The signed-out sessions of this environment: the stack's table in AWS, DynamoDB Local's locally. */
export const revocationList = (): RevocationList =>
  new RevokedSessionsRepository(createDocumentClient(dynamoClient()), tableName(REVOKED_SESSIONS_TABLE));

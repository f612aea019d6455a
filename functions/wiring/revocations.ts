import { REVOKED_SESSIONS_TABLE } from '../../lib/tables.js';
import { type RevocationList, revocationListOnFirstUse } from '../adapters/session.js';
import { dynamoConnection, tableName } from './dynamoConnection.js';

/**
 * The signed-out sessions of this environment: the stack's table in AWS, DynamoDB Local's locally. The
 * table's name is read at cold start (a missing one is a deployment bug); the DynamoDB SDK loads on the
 * first lookup (`revocationListOnFirstUse`), so this module imports neither it nor the repositories.
 */
export const revocationList = (): RevocationList => {
  const connection = dynamoConnection();
  const table = tableName(REVOKED_SESSIONS_TABLE);
  return revocationListOnFirstUse(async () => (await import('../adapters/revokedSessions.js')).connectRevocationList(connection, table));
};

/**
 * The one reader of the process environment under `functions/`. A deployed function gets its table names,
 * bus, queues and secret ARNs from its environment (set by the stack); the local runtime sets the same
 * variables, plus `BUDGET_RUNTIME=local`, before it loads a handler.
 */

/** A variable the deployment must set; a missing one is a deployment bug, so fail loudly at cold start. */
export const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** A variable that may be unset (or empty). */
export const optional = (name: string): string | undefined => process.env[name] || undefined;

/** True in the local runtime (`npm start`, the integration tests): local stand-ins and dev secrets apply. */
export const isLocalRuntime = (): boolean => process.env.BUDGET_RUNTIME === 'local';

/** The whole environment, for lookups by computed name (`WEBHOOK_SECRET_<SOURCE>` locally). */
export const lookup = (name: string): string | undefined => process.env[name];

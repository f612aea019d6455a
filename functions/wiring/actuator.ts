import { createDocumentClient } from '../adapters/dynamo.js';
import { connectEventBridge } from '../adapters/eventBridgePublisher.js';
import { DEFAULT_MAX_THROTTLE_WAIT_MS, sleep } from '../adapters/platforms/budgetHttp.js';
import { envCredentials, secretsManagerCredentials } from '../adapters/platforms/credentials.js';
import { GoogleAdsBudgets } from '../adapters/platforms/googleAdsBudgets.js';
import { MetaBudgets } from '../adapters/platforms/metaBudgets.js';
import { TikTokBudgets } from '../adapters/platforms/tiktokBudgets.js';
import { Actuator } from '../application/applyAllocation.js';
import type { BudgetPlatforms } from '../application/applyPorts.js';
import { appliesRepository, applyQueue, reallocationPeriodMs } from './applies.js';
import { deployedConfig } from './config.js';
import { allocationsRepository, dynamoClient } from './dynamo.js';
import { isLocalRuntime, lookup, optional } from './environment.js';
import { eventPublisher } from './events.js';

/**
 * Each platform's budget client: the real APIs, or the URLs the environment names (`GOOGLE_ADS_API_URL`,
 * `GOOGLE_OAUTH_TOKEN_URL`, `META_GRAPH_URL`, `TIKTOK_API_URL`: the local fakes). Credentials from Secrets
 * Manager, or locally from `PLATFORM_SECRET_<NAME>` (else the fakes' own).
 */
export const budgetPlatforms = (): BudgetPlatforms => {
  const common = {
    fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, init),
    maxThrottleWaitMs: Number(optional('APPLY_MAX_THROTTLE_WAIT_MS') ?? DEFAULT_MAX_THROTTLE_WAIT_MS),
    sleep,
    now: () => new Date(),
    credentials: isLocalRuntime() ? envCredentials(lookup) : secretsManagerCredentials,
  };
  return {
    'google-ads': new GoogleAdsBudgets({
      ...common,
      apiUrl: optional('GOOGLE_ADS_API_URL') ?? 'https://googleads.googleapis.com',
      tokenUrl: optional('GOOGLE_OAUTH_TOKEN_URL') ?? 'https://oauth2.googleapis.com/token',
    }),
    meta: new MetaBudgets({ ...common, graphUrl: optional('META_GRAPH_URL') ?? 'https://graph.facebook.com' }),
    tiktok: new TikTokBudgets({ ...common, apiUrl: optional('TIKTOK_API_URL') ?? 'https://business-api.tiktok.com' }),
  };
};

/** The actuator the apply worker uses: the platforms' budget APIs, the tables and the bus of its environment. */
export const deployedActuator = (): Actuator => {
  const client = createDocumentClient(dynamoClient());
  return new Actuator({
    snapshots: allocationsRepository(client),
    applies: appliesRepository(client),
    platforms: budgetPlatforms(),
    events: eventPublisher(connectEventBridge),
    queue: applyQueue(),
    clock: () => new Date(),
    periodMs: reallocationPeriodMs(),
    configHash: deployedConfig.hash,
  });
};

import { setTimeout as sleep } from 'node:timers/promises';
import { createDocumentClient } from '../adapters/dynamo.js';
import { connectEventBridge } from '../adapters/eventBridgePublisher.js';
import { DEFAULT_MAX_THROTTLE_WAIT_MS } from '../adapters/platforms/budgetHttp.js';
import { envCredentials, secretsManagerCredentials } from '../adapters/platforms/credentials.js';
import { GoogleAdsBudgets } from '../adapters/platforms/googleAdsBudgets.js';
import { MetaBudgets } from '../adapters/platforms/metaBudgets.js';
import { TikTokBudgets } from '../adapters/platforms/tiktokBudgets.js';
import { Actuator } from '../application/applyAllocation.js';
import { type BudgetPlatform, type BudgetPlatforms, PlatformCallError } from '../application/applyPorts.js';
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
/**
 * Locally, a platform whose URL the environment does not name (no fake running, as in most tests) fails at
 * once as unreachable, instead of trying the real API from a machine that cannot reach it.
 */
const noLocalFake = (platform: string, variable: string): BudgetPlatform => {
  const refuse = () =>
    Promise.reject(
      new PlatformCallError('unavailable', `no ${platform} API here: ${variable} is not set (npm start points it at its fake)`),
    );
  return { read: refuse, write: refuse };
};

export const budgetPlatforms = (): BudgetPlatforms => {
  const local = isLocalRuntime();
  if (local && !optional('GOOGLE_ADS_API_URL') && !optional('META_GRAPH_URL') && !optional('TIKTOK_API_URL')) {
    return {
      'google-ads': noLocalFake('Google Ads', 'GOOGLE_ADS_API_URL'),
      meta: noLocalFake('Meta', 'META_GRAPH_URL'),
      tiktok: noLocalFake('TikTok', 'TIKTOK_API_URL'),
    };
  }
  const common = {
    fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, init),
    maxThrottleWaitMs: Number(optional('APPLY_MAX_THROTTLE_WAIT_MS') ?? DEFAULT_MAX_THROTTLE_WAIT_MS),
    sleep,
    now: () => new Date(),
    credentials: local ? envCredentials(lookup) : secretsManagerCredentials,
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
    sleep,
  });
};

import type { DeliveryRecorder } from '../adapters/deliveries.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { onFirstPublish } from '../adapters/eventBus.js';
import {
  type CredentialsSource,
  envCredentials,
  type FingerprintKey,
  LOCAL_FINGERPRINT_KEY,
  secretsManagerCredentials,
  secretsManagerFingerprintKey,
} from '../adapters/platforms/credentials.js';
import { GoogleAdsReports } from '../adapters/platforms/googleAds.js';
import { MetaReports } from '../adapters/platforms/meta.js';
import { TikTokReports } from '../adapters/platforms/tiktok.js';
import type { PlatformReports } from '../application/platformReports.js';
import { Poller } from '../application/pollPortfolio.js';
import type { ConnectedPlatform } from '../domain/config.js';
import { deployedConfig } from './config.js';
import { alertsRepository, dynamoClient, metricsRepository } from './dynamo.js';
import { isLocalRuntime, lookup, optional, required } from './environment.js';
import { eventPublisher } from './events.js';
import { deliveryRecorder } from './ingest.js';

/**
 * Where each account's credentials come from: Secrets Manager by the name in config, or locally
 * `PLATFORM_SECRET_<NAME>` and else the credentials the local fakes accept.
 */
export const platformCredentials = (): CredentialsSource => (isLocalRuntime() ? envCredentials(lookup) : secretsManagerCredentials);

/**
 * The key the credentials' fingerprints are made with: the deployment's secret (`FINGERPRINT_KEY_ARN`, set by
 * the stack on the functions that poll), or locally `FINGERPRINT_KEY` and else the local development key.
 */
export const fingerprintKey = (): FingerprintKey =>
  isLocalRuntime()
    ? async () => lookup('FINGERPRINT_KEY') || LOCAL_FINGERPRINT_KEY
    : secretsManagerFingerprintKey(required('FINGERPRINT_KEY_ARN'));

/**
 * The three reporting clients. Base URLs come from the environment (`GOOGLE_ADS_API_URL`,
 * `GOOGLE_OAUTH_TOKEN_URL`, `META_GRAPH_URL`, `TIKTOK_API_URL`) so the local runtime points them at the
 * fakes; unset, they are the platforms' own.
 */
export const platformReports = (credentials = platformCredentials()): Record<ConnectedPlatform, PlatformReports> => {
  const google = optional('GOOGLE_ADS_API_URL');
  const token = optional('GOOGLE_OAUTH_TOKEN_URL');
  const meta = optional('META_GRAPH_URL');
  const tiktok = optional('TIKTOK_API_URL');
  const common = { credentials, fingerprintKey: fingerprintKey() };
  return {
    'google-ads': new GoogleAdsReports({ ...common, ...(google ? { baseUrl: google } : {}), ...(token ? { tokenUrl: token } : {}) }),
    meta: new MetaReports({ ...common, ...(meta ? { baseUrl: meta } : {}) }),
    tiktok: new TikTokReports({ ...common, ...(tiktok ? { baseUrl: tiktok } : {}) }),
  };
};

const connectOnFirstPublish = (busName: string) =>
  onFirstPublish(async () => (await import('../adapters/eventBridgePublisher.js')).connectEventBridge(busName));

/**
 * The poller a deployed function uses, with the delivery recorder it stores through (the handler registers
 * each invocation's context on it); the EventBridge SDK loads only when a credentials alert is announced.
 */
export const deployedPoller = (): { poller: Poller; recorder: DeliveryRecorder } => {
  const client = createDocumentClient(dynamoClient());
  const recorder = deliveryRecorder();
  const metrics = metricsRepository(client);
  const poller = new Poller({
    config: deployedConfig,
    configHash: deployedConfig.hash,
    reports: platformReports(),
    record: recorder.record,
    metrics,
    pulls: metrics,
    alerts: alertsRepository(client),
    events: eventPublisher(connectOnFirstPublish),
    clock: () => new Date(),
  });
  return { poller, recorder };
};

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BudgetConfig } from '../domain/config.js';
import { dateInZone } from '../domain/dates.js';
import { Delivery, MAX_BODY_BYTES, MAX_RECORDS, planDelivery } from '../domain/delivery.js';
import { sha256 } from '../domain/hash.js';
import { validate } from '../domain/issues.js';
import { fromPlatform, platformRowCount } from '../domain/platforms/adapters.js';
import type { DeliveryToStore } from './deliveries.js';
import { HttpError, rawBody } from './http.js';
import { verifySignature } from './signature.js';
import type { SecretSource } from './webhookSecrets.js';

/** Webhook sources that have a payload shape; each has its own secret. */
export const WEBHOOK_SOURCES = ['generic', 'meta', 'google-ads', 'tiktok'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** The source named in the path, or a 404. */
export const webhookSource = (name: string | undefined): WebhookSource => {
  if ((WEBHOOK_SOURCES as readonly (string | undefined)[]).includes(name)) return name as WebhookSource;
  throw new HttpError(404, 'unknown-source', `no webhook source "${name}"; use one of ${WEBHOOK_SOURCES.join(', ')}`);
};

/** The raw body, refused with 413 beyond 1 MiB before anything else reads it. */
export const boundedBody = (event: APIGatewayProxyEventV2): string => {
  const body = rawBody(event);
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'body-too-large', `a delivery may be at most ${MAX_BODY_BYTES} bytes`);
  }
  return body;
};

/** Checks `X-Signature` against the source's secrets; any failure is a 401 that says which check failed. */
export const authenticate = async (
  event: APIGatewayProxyEventV2,
  body: string,
  source: WebhookSource,
  secrets: SecretSource,
  now: Date,
) => {
  const check = verifySignature({
    header: event.headers['x-signature'],
    rawBody: body,
    secrets: await secrets(source),
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  if (!check.ok) throw new HttpError(401, 'bad-signature', `X-Signature rejected: ${check.reason}`);
};

const recordCount = (json: unknown): number | undefined => {
  const records = (json as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? records.length : undefined;
};

const canonical = (json: unknown): Delivery => {
  const parsed = validate(Delivery, json);
  if (!parsed.ok) throw new HttpError(400, 'invalid-delivery', 'the delivery is invalid', parsed.issues);
  return parsed.value;
};

/** A platform report mapped to the canonical delivery; its own 400/422 when it cannot be. */
const platform = (
  source: Exclude<WebhookSource, 'generic'>,
  json: unknown,
  portfolios: BudgetConfig['portfolios'],
  now: Date,
): Delivery => {
  const mapped = fromPlatform(source, json, portfolios, now);
  if (mapped.ok) return mapped.delivery;
  const message = mapped.issues.length === 1 ? mapped.issues[0]!.message : `${mapped.issues.length} problems, listed in issues`;
  throw new HttpError(mapped.status, mapped.status === 422 ? 'unknown-reference' : 'invalid-delivery', message, mapped.issues);
};

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, 'malformed-json', 'the body is not valid JSON', [{ path: '$', message: (error as Error).message }]);
  }
};

/**
 * Turns a signed body into a delivery ready to store, or throws the 4xx that explains why not: 400 for
 * malformed input (every issue with its path), 413 beyond 1000 records, 422 for unknown portfolios or
 * channels. Nothing is written before all of it passes.
 */
export const readDelivery = (body: string, source: WebhookSource, { portfolios }: BudgetConfig, now: Date): DeliveryToStore => {
  const json = parseJson(body);
  const count = source === 'generic' ? recordCount(json) : platformRowCount(source, json);
  if (count !== undefined && count > MAX_RECORDS) {
    throw new HttpError(413, 'too-many-records', `a delivery may carry at most ${MAX_RECORDS} records, not ${count}`);
  }
  const delivery = source === 'generic' ? canonical(json) : platform(source, json, portfolios, now);
  const portfolio = portfolios.find((p) => p.id === delivery.portfolioId);
  const today = dateInZone(now, portfolio?.timezone ?? 'UTC');
  const planned = planDelivery(delivery, portfolio, today);
  if (!planned.ok) {
    const { status, issues } = planned.rejection;
    const message = issues.length === 1 ? issues[0]!.message : `${issues.length} problems, listed in issues`;
    throw new HttpError(status, status === 422 ? 'unknown-reference' : 'invalid-delivery', message, issues);
  }
  const bodyHash = sha256(body);
  return {
    key: delivery.deliveryId === undefined ? `${source}:body:${bodyHash}` : `${source}:${delivery.portfolioId}:${delivery.deliveryId}`,
    bodyHash,
    plan: planned.plan,
    receivedAt: now.toISOString(),
  };
};

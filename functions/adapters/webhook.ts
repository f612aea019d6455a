import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../domain/delivery.js';
import type { Rejection, RejectionKind } from '../domain/issues.js';
import { WEBHOOK_SOURCES, type WebhookSource } from '../domain/platforms/mappers.js';
import { HttpError, rawBodyBytes } from './http.js';
import { verifySignature } from './signature.js';
import type { SecretSource } from './webhookSecrets.js';

/** The source named in the path, or a 404. */
export const webhookSource = (name: string | undefined): WebhookSource => {
  if ((WEBHOOK_SOURCES as readonly (string | undefined)[]).includes(name)) return name as WebhookSource;
  throw new HttpError(404, 'unknown-source', `no webhook source "${name}"; use one of ${WEBHOOK_SOURCES.join(', ')}`);
};

/**
 * Only JSON, sent as is: a Content-Type other than JSON (or none) and any Content-Encoding but identity are
 * refused with 415 before the signature is checked, so a gzip body is told what is wrong rather than
 * failing a signature computed over bytes the receiver never decoded.
 */
export const acceptedContent = (event: APIGatewayProxyEventV2): void => {
  const type = event.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && type !== '' && !/^application\/([\w.+-]+\+)?json$/.test(type)) {
    throw new HttpError(415, 'unsupported-media-type', `send the body as application/json, not ${type}`);
  }
  const encoding = event.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported-encoding', `send the body uncompressed (Content-Encoding: identity), not ${encoding}`);
  }
};

/** The raw body's bytes, refused with 413 beyond 1 MiB before anything else reads them. */
export const boundedBody = (event: APIGatewayProxyEventV2): Buffer => {
  const body = rawBodyBytes(event);
  if (body.length > MAX_BODY_BYTES) {
    throw new HttpError(413, 'body-too-large', `a delivery may be at most ${MAX_BODY_BYTES} bytes`);
  }
  return body;
};

/** Checks `X-Signature` over the body's bytes against the source's secrets; any failure is a 401 that says which check failed. */
export const authenticate = async (
  event: APIGatewayProxyEventV2,
  body: Buffer,
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

/** The one mapping from a rejection's kind to its status: whose problem it is, and what the sender can do. */
const STATUS: Readonly<Record<RejectionKind, number>> = {
  'malformed-json': 400,
  'invalid-delivery': 400,
  'too-many-records': 413,
  'unknown-reference': 422,
};

/** A refused delivery as the HTTP error the sender reads; the kind is the error's code. */
export const rejected = ({ kind, message, issues }: Rejection): HttpError => new HttpError(STATUS[kind], kind, message, issues);

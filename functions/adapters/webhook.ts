import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Rejection, RejectionKind } from '../domain/issues.js';
import { WEBHOOK_SOURCES, type WebhookSource } from '../domain/platforms/mappers.js';
import { HttpError } from './http.js';
import { SIGNATURE_PROBLEM, verifySignature } from './signature.js';
import type { SecretSource } from './webhookSecrets.js';

/** The source named in the path, or a 404. */
export const webhookSource = (name: string | undefined): WebhookSource => {
  if ((WEBHOOK_SOURCES as readonly (string | undefined)[]).includes(name)) return name as WebhookSource;
  const message = `no webhook source "${name}"; use one of ${WEBHOOK_SOURCES.join(', ')}`;
  throw new HttpError(404, 'unknown-source', message, [{ path: 'source', message }]);
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
  if (!check.ok)
    throw new HttpError(401, 'bad-signature', `X-Signature rejected: ${check.reason}`, [
      { path: 'X-Signature', message: SIGNATURE_PROBLEM[check.reason] },
    ]);
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

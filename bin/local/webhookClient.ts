import { signatureHeader } from '../../functions/adapters/signature.js';

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Signs a body as an ad-platform sender would and POSTs it to `/webhooks/{source}`. */
export const postDelivery = async (
  baseUrl: string,
  source: string,
  payload: unknown,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<HttpAnswer> => {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const response = await fetch(`${baseUrl}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signatureHeader([secret], body, timestamp) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
};

/** Calls an IAM-authorized route with the local bearer token (GET by default) and reads its JSON. */
export const getJson = async (baseUrl: string, path: string, token: string, method: 'GET' | 'POST' = 'GET'): Promise<HttpAnswer> => {
  const response = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as unknown };
};

import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's timestamp may be from now, either way (docs/webhooks.md). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a signature was refused; each answers 401. */
export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'from-the-future' | 'mismatch';

/** What each failure asks of the sender, as the 401's issue at `X-Signature` says it. */
export const SIGNATURE_PROBLEM: Readonly<Record<SignatureFailure, string>> = {
  missing: 'is required: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the source\'s secret>',
  malformed: 'is not t=<unix seconds>,v1=<64 hex digits>',
  expired: `is timestamped more than ${SIGNATURE_TOLERANCE_SECONDS} s ago: sign each delivery as you send it`,
  'from-the-future': `is timestamped more than ${SIGNATURE_TOLERANCE_SECONDS} s ahead: check the sender's clock`,
  mismatch: "matches no secret of this source: sign the body's bytes exactly as sent, with a current secret",
};

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureFailure };

interface ParsedHeader {
  readonly timestamp: string;
  readonly signatures: readonly string[];
}

const isDigits = (text: string): boolean => text.length > 0 && text.length <= 12 && [...text].every((c) => c >= '0' && c <= '9');
const isHex64 = (text: string): boolean => text.length === 64 && [...text].every((c) => '0123456789abcdef'.includes(c));

/** Parses `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; unknown schemes are ignored, as Stripe does. */
const parseHeader = (header: string): ParsedHeader | undefined => {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 1) return undefined;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !isDigits(value)) return undefined;
      timestamp = value;
    } else if (key === 'v1') {
      if (!isHex64(value.toLowerCase())) return undefined;
      signatures.push(value.toLowerCase());
    }
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
};

/** A body as signed: its bytes as sent, or text, which stands for its UTF-8 bytes. */
export type SignedBody = string | Uint8Array;

const hmac = (secret: string, timestamp: string, rawBody: SignedBody): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();

/** The `X-Signature` header a sender computes for `rawBody` at `timestamp` (unix seconds), one `v1` per secret. */
export const signatureHeader = (secrets: readonly string[], rawBody: SignedBody, timestamp: number): string =>
  [`t=${timestamp}`, ...secrets.map((s) => `v1=${hmac(s, String(timestamp), rawBody).toString('hex')}`)].join(',');

/**
 * Verifies a Stripe-style webhook signature: HMAC-SHA256(secret, t + "." + rawBody), compared in constant
 * time against every `v1` entry and every accepted secret (so both sides can rotate), with the timestamp
 * no more than 300 s in the past or the future (replays of captured requests expire).
 */
export const verifySignature = (input: {
  readonly header: string | undefined;
  readonly rawBody: SignedBody;
  readonly secrets: readonly string[];
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}): SignatureCheck => {
  const { header, rawBody, secrets, nowSeconds, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS } = input;
  if (!header) return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const age = nowSeconds - Number(parsed.timestamp);
  if (age > toleranceSeconds) return { ok: false, reason: 'expired' };
  if (age < -toleranceSeconds) return { ok: false, reason: 'from-the-future' };
  const expected = secrets.map((secret) => hmac(secret, parsed.timestamp, rawBody));
  const matches = parsed.signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return expected.some((e) => timingSafeEqual(e, given));
  });
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
};

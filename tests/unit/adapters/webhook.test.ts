import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/adapters/http.js';
import { signatureHeader } from '../../../functions/adapters/signature.js';
import { authenticate, boundedBody, deliveryText } from '../../../functions/adapters/webhook.js';

const now = new Date('2026-11-20T12:00:00Z');
const secrets = async () => ['s3cret'];
const event = (bytes: Buffer, header?: string) =>
  ({
    headers: header ? { 'x-signature': header } : {},
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  }) as unknown as APIGatewayProxyEventV2;

/** The HttpError `act` throws. */
const refusal = (act: () => unknown): HttpError => {
  try {
    act();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('webhook body bytes', () => {
  const latin1 = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);

  it('authenticates the bytes sent, so a body that is not UTF-8 keeps a valid signature', async () => {
    const header = signatureHeader(['s3cret'], latin1, Math.floor(now.getTime() / 1000));
    const body = boundedBody(event(latin1, header));
    expect(body.equals(latin1)).toBe(true);
    await expect(authenticate(event(latin1, header), body, 'generic', secrets, now)).resolves.toBeUndefined();
  });

  it('refuses a body that is not UTF-8 with a 400 at $ naming the first bad byte', () => {
    const error = refusal(() => deliveryText(latin1));
    expect([error.status, error.code]).toEqual([400, 'invalid-utf8']);
    expect(error.message).toContain('byte 12 (0xe9)');
    expect(error.issues).toEqual([{ path: '$', message: error.message }]);
  });

  it('counts the bytes of multi-byte characters and of a U+FFFD the sender really sent before the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"€\uFFFD😀'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(refusal(() => deliveryText(bytes)).message).toContain(`byte ${Buffer.byteLength('{"a":"€\uFFFD😀')} (0xc3)`);
    expect(refusal(() => deliveryText(Buffer.from([0xff]))).message).toContain('byte 0 (0xff)');
  });

  it('reads a UTF-8 body as its text, a byte-order mark and a sent U+FFFD included', () => {
    const text = '\uFEFF{"a":"\uFFFD é"}';
    expect(deliveryText(Buffer.from(text))).toBe(text);
  });

  it('for any bytes, reads UTF-8 as its text, or names a bad byte with only UTF-8 before it', () => {
    const text = fc.string({ unit: 'binary' }).map((t) => Buffer.from(t));
    const bytes = fc
      .array(
        fc.oneof(
          text,
          fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)),
        ),
      )
      .map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(bytes, (body) => {
        if (isUtf8(body)) {
          expect(deliveryText(body)).toBe(body.toString('utf8'));
          return;
        }
        const offset = Number(/byte (\d+)/.exec(refusal(() => deliveryText(body)).message)?.[1]);
        expect(offset).toBeLessThan(body.length);
        expect(isUtf8(body.subarray(0, offset))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

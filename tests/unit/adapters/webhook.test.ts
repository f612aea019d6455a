import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedBody, HttpError, utf8Text } from '../../../functions/adapters/http.js';
import { signatureHeader } from '../../../functions/adapters/signature.js';
import { authenticate } from '../../../functions/adapters/webhook.js';

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
    const error = refusal(() => utf8Text(latin1));
    expect([error.status, error.code]).toEqual([400, 'invalid-utf8']);
    expect(error.message).toContain('byte 12 (0xe9)');
    expect(error.issues).toEqual([{ path: '$', message: error.message }]);
  });

  it('counts the bytes of multi-byte characters and of a U+FFFD the sender really sent before the bad byte', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"€\uFFFD😀'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(refusal(() => utf8Text(bytes)).message).toContain(`byte ${Buffer.byteLength('{"a":"€\uFFFD😀')} (0xc3)`);
    expect(refusal(() => utf8Text(Buffer.from([0xff]))).message).toContain('byte 0 (0xff)');
  });

  it.each([
    ['a stray continuation byte', [0x41, 0x80], 1, 'is a continuation byte where a character should begin'],
    ['a Latin-1 é before a quote', [0x22, 0xe9, 0x22], 1, 'starts a 3-byte sequence that is cut short'],
    ['a three-byte sequence cut short (0xe2 0x82 then a quote)', [0xe2, 0x82, 0x22], 0, 'starts a 3-byte sequence that is cut short'],
    ['a sequence cut short by the end of the body', [0x41, 0xf0, 0x9f, 0x98], 1, 'starts a 4-byte sequence that is cut short'],
    ['an overlong two-byte NUL (0xc0 0x80)', [0xc0, 0x80], 0, 'is an overlong encoding'],
    ['an overlong three-byte slash (0xe0 0x80 0xaf)', [0xe0, 0x80, 0xaf], 0, 'is an overlong encoding'],
    ['an overlong four-byte sequence (0xf0 0x8f)', [0xf0, 0x8f, 0xbf, 0xbf], 0, 'is an overlong encoding'],
    ['an encoded surrogate (0xed 0xa0 0x80, U+D800)', [0xed, 0xa0, 0x80], 0, 'encodes a surrogate'],
    ['a code point above U+10FFFF (0xf4 0x90)', [0xf4, 0x90, 0x80, 0x80], 0, 'encodes beyond U+10FFFF'],
    ['a lead byte past U+10FFFF (0xf5)', [0xf5, 0x80, 0x80, 0x80], 0, 'encodes beyond U+10FFFF'],
    ['a byte UTF-8 never uses (0xff)', [0xff], 0, 'never appears in UTF-8'],
  ])('says what is wrong with %s, at the byte that starts it', (_, bytes, offset, why) => {
    const message = refusal(() => utf8Text(Buffer.from(bytes))).message;
    expect(message).toContain(`byte ${offset} (0x${bytes[offset]!.toString(16).padStart(2, '0')}) ${why}`);
    if (!why.startsWith('is a continuation')) expect(message).not.toContain('does not begin or continue');
  });

  it('reads a UTF-8 body as its text, a byte-order mark and a sent U+FFFD included', () => {
    const text = '\uFEFF{"a":"\uFFFD é"}';
    expect(utf8Text(Buffer.from(text))).toBe(text);
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
          expect(utf8Text(body)).toBe(body.toString('utf8'));
          return;
        }
        const offset = Number(/byte (\d+)/.exec(refusal(() => utf8Text(body)).message)?.[1]);
        expect(offset).toBeLessThan(body.length);
        expect(isUtf8(body.subarray(0, offset))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../../functions/adapters/signature.js';

const body = '{"portfolioId":"demo","records":[]}';
const now = 1_795_000_000;
const check = (header: string | undefined, over: Partial<Parameters<typeof verifySignature>[0]> = {}) =>
  verifySignature({ header, rawBody: body, secrets: ['s3cret'], nowSeconds: now, ...over });

describe('webhook signature', () => {
  it('accepts a correctly signed body', () => {
    expect(check(signatureHeader(['s3cret'], body, now))).toEqual({ ok: true });
  });

  it.each([
    ['a missing header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['a header without a timestamp', `v1=${'a'.repeat(64)}`, 'malformed'],
    ['a header without a signature', `t=${now}`, 'malformed'],
    ['a non-hex signature', `t=${now},v1=zz`, 'malformed'],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`, 'malformed'],
    ['two timestamps', `t=${now},t=${now},v1=${'a'.repeat(64)}`, 'malformed'],
  ])('refuses %s', (_name, header, reason) => {
    expect(check(header)).toEqual({ ok: false, reason });
  });

  it('refuses a tampered body', () => {
    expect(check(signatureHeader(['s3cret'], body, now), { rawBody: body.replace('demo', 'dem0') })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses the wrong secret', () => {
    expect(check(signatureHeader(['guess'], body, now))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses timestamps more than 300 s old or ahead, and accepts the edges', () => {
    expect(check(signatureHeader(['s3cret'], body, now - 301))).toEqual({ ok: false, reason: 'expired' });
    expect(check(signatureHeader(['s3cret'], body, now + 301))).toEqual({ ok: false, reason: 'from-the-future' });
    expect(check(signatureHeader(['s3cret'], body, now - 300))).toEqual({ ok: true });
    expect(check(signatureHeader(['s3cret'], body, now + 300))).toEqual({ ok: true });
  });

  it('refuses a valid signature replayed with another timestamp', () => {
    const [, v1] = signatureHeader(['s3cret'], body, now - 10).split(',');
    expect(check(`t=${now},${v1}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts any of several v1 entries while the sender rotates its secret', () => {
    expect(check(signatureHeader(['old', 's3cret'], body, now))).toEqual({ ok: true });
  });

  it('accepts either secret while the receiver rotates', () => {
    expect(check(signatureHeader(['next'], body, now), { secrets: ['s3cret', 'next'] })).toEqual({ ok: true });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromMicros, hasMicroPrecision, Money, toMicros } from '../../../functions/domain/money.js';

describe('money', () => {
  it('converts decimals to integer micros and back exactly', () => {
    expect(toMicros(123.45)).toBe(123_450_000);
    expect(toMicros(0.000001)).toBe(1);
    expect(fromMicros(123_450_000)).toBe(123.45);
  });

  it('sums exactly in micros where floating point would drift', () => {
    const amounts = Array.from({ length: 10 }, () => 0.1);
    expect(amounts.reduce((a, b) => a + b, 0)).not.toBe(1);
    expect(fromMicros(amounts.map(toMicros).reduce((a, b) => a + b, 0))).toBe(1);
  });

  it('round-trips every amount with at most 6 decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000_000_000 }), (micros) => {
        const amount = fromMicros(micros);
        expect(toMicros(amount)).toBe(micros);
        expect(hasMicroPrecision(amount)).toBe(true);
      }),
    );
  });

  it('refuses negative amounts, more than 6 decimals, NaN and infinity', () => {
    for (const bad of [-0.01, 1.0000001, Number.NaN, Number.POSITIVE_INFINITY]) expect(Money.safeParse(bad).success).toBe(false);
    expect(Money.safeParse(99.999999).success).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromMicros, hasMicroPrecision, Money, minorUnitOf, toMicros } from '../../../functions/domain/money.js';

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

  it('says only that an amount past the cap is too big, not that it has too many decimals', () => {
    const issues = Money.safeParse(1e308).error?.issues.map((i) => i.message);
    expect(issues).toEqual([expect.stringContaining('<=1000000000')]);
  });

  it("counts whole minor units through a product's last bits, and never one that is not there", () => {
    const [usd, yen, fils] = ['USD', 'JPY', 'KWD'].map(minorUnitOf);
    // 0.29 × 100 is 28.999999999999996; 290,755,852.60 × 100 is 29,075,585,260.000004.
    expect([usd!.floor(0.29), usd!.floor(290_755_852.6), usd!.whole(290_755_852.6), usd!.whole(0.295)]).toEqual([
      0.29,
      290_755_852.6,
      true,
      false,
    ]);
    // A millionth of a yen short of a million is not a million: a what-if of it placed 1,000,000.
    expect([yen!.floor(999_999.999999), yen!.round(999_999.5), yen!.whole(1000)]).toEqual([999_999, 1_000_000, true]);
    expect([yen!.floor(500_000_000.999999), usd!.floor(999_999_999.999999)]).toEqual([500_000_000, 999_999_999.99]);
    expect([fils!.floor(1000.1239), fils!.whole(1000.123), fils!.size]).toEqual([1000.123, true, 0.001]);
    // Rounded up where a share must be held back whole: 15% of 10,000.01 dollars is 1,500.0015.
    expect([usd!.ceil(10_000.01 * 0.15), usd!.ceil(0.29), yen!.ceil(1500.15)]).toEqual([1500.01, 0.29, 1501]);
    expect(Object.is(usd!.ceil(0), 0)).toBe(true);
    // Every whole number of cents up to a billion dollars counts as itself.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), (cents) => {
        const amount = cents / 100;
        expect([usd!.count(amount), usd!.whole(amount)]).toEqual([cents, true]);
      }),
    );
  });
});

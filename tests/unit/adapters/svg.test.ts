import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyTick, niceTicks, PHONE_CHART_PX, phoneTextSize, placeLabels } from '../../../functions/adapters/dashboard/svg.js';

describe('chart helpers', () => {
  it('makes round ticks from 0 that cover the maximum', () => {
    expect(niceTicks(3209)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(niceTicks(0.37, 4)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    // An axis to infinity would loop for ever (a blocked dashboard): a non-finite maximum gets the unit axis.
    expect(niceTicks(Number.POSITIVE_INFINITY)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e9, noNaN: true }), (max) => {
        const ticks = niceTicks(max);
        const step = ticks[1]! - ticks[0]!;
        const mantissa = step / 10 ** Math.floor(Math.log10(step));
        return (
          ticks[0] === 0 && ticks.at(-1)! >= max * (1 - 1e-12) && ticks.length <= 7 && [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)
        );
      }),
    );
  });

  it('labels money axes in the currency, compactly', () => {
    expect([0, 1500, 20000].map(currencyTick('USD'))).toEqual(['$0', '$1.5K', '$20K']);
    expect(currencyTick('EUR')(2000)).toBe('€2K');
  });

  it('places labels so that no two boxes overlap', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            x: fc.integer({ min: 0, max: 300 }),
            // Heights a chart computes, not only whole ones: a label pushed 16 below another at 243.789… sat
            // 15.999999999999972 from it, and was pushed there again for ever.
            y: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 300, noNaN: true })),
            text: fc.string({ minLength: 1, maxLength: 12 }),
          }),
          {
            maxLength: 12,
          },
        ),
        (labels) => {
          const ys = placeLabels(labels);
          return labels.every((a, i) =>
            labels.every((b, j) => {
              if (i >= j) return true;
              const apart = a.x + a.text.length * 7.5 + 4 <= b.x || b.x + b.text.length * 7.5 + 4 <= a.x;
              return apart || Math.abs(ys[i]! - ys[j]!) >= 16 - 1e-9;
            }),
          );
        },
      ),
    );
  });

  it('places two overlapping labels where float rounding leaves them a hair under a line apart (it never returned)', () => {
    const [a, b] = placeLabels([
      { x: 10, y: 243.7898762040335, text: 'search' },
      { x: 12, y: 243.7898762040335, text: 'social' },
    ]);
    expect(b! - a!).toBeCloseTo(16, 9);
  });

  it('gives a chart wider than a phone a text size that renders at 11 px or more there, and leaves narrower ones at 12', () => {
    expect(phoneTextSize(300)).toBeNull();
    for (const width of [360, 480, 760, 1200]) expect(((phoneTextSize(width) ?? 12) * PHONE_CHART_PX) / width).toBeGreaterThanOrEqual(11);
  });
});

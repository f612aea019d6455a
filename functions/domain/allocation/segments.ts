/** A linear piece of a channel's response: `length` more spend adds `slope` value per unit. */
export interface Segment {
  readonly channel: number;
  /** Its breakpoints, the spends it runs between: a model read again on other curves reads them there. */
  readonly from: number;
  readonly to: number;
  readonly length: number;
  /** Objective value per unit (conversions, or revenue). */
  readonly slope: number;
  /** Revenue per unit, for a minimum-ROAS row (0 when no `revenue` curve was given: no row reads it). */
  readonly revenueSlope: number;
  /** Conversions per unit, for a target-CPA row (0 when no `conversions` curve was given). */
  readonly conversionSlope: number;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * The upper concave envelope of points sorted by x (Andrew's monotone chain, upper half). For a concave
 * curve it is the points themselves; for an S-shaped curve it replaces the convex start with the chord an
 * LP can use, which is sound: spend is never planned inside the convex part, only across it.
 */
export const concaveEnvelope = (points: readonly Point[]): Point[] => {
  const hull: Point[] = [];
  for (const p of points) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      if ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
};

/**
 * Piecewise-linear segments of `value` over [from, to], `count` equal steps, made concave by the envelope.
 * `revenue` and `conversions` give the same breakpoints' other coefficients for coupling rows; a curve no row
 * reads is left out, and is not evaluated (the cautious ones read the shape's error at every breakpoint).
 */
export const segmentsOf = (
  channel: number,
  from: number,
  to: number,
  count: number,
  value: (spend: number) => number,
  revenue?: (spend: number) => number,
  conversions?: (spend: number) => number,
): Segment[] => {
  if (to <= from) return [];
  const xs = Array.from({ length: count + 1 }, (_, i) => (i === count ? to : from + ((to - from) * i) / count));
  const hull = concaveEnvelope(xs.map((x) => ({ x, y: value(x) })));
  // Each breakpoint's revenue and conversions, read once: a segment's end is the next one's start.
  const revenues = hull.map((p) => (revenue ? revenue(p.x) : 0));
  const conversionCounts = hull.map((p) => (conversions ? conversions(p.x) : 0));
  const segments: Segment[] = [];
  for (let i = 1; i < hull.length; i += 1) {
    const a = hull[i - 1]!;
    const b = hull[i]!;
    const length = b.x - a.x;
    segments.push({
      channel,
      from: a.x,
      to: b.x,
      length,
      slope: (b.y - a.y) / length,
      revenueSlope: (revenues[i]! - revenues[i - 1]!) / length,
      conversionSlope: (conversionCounts[i]! - conversionCounts[i - 1]!) / length,
    });
  }
  return segments;
};

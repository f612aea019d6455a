import * as z from '../schema.js';

/** A true (simulated) response curve: expected conversions per day at a daily spend (docs/scenarios.md). */
export const ResponseCurve = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hill'),
    vmax: z.number().check(z.positive()),
    halfSaturation: z.number().check(z.positive()),
    shape: z.number().check(z.positive(), z.lte(10)),
  }),
  z.strictObject({ type: z.literal('exp'), vmax: z.number().check(z.positive()), scale: z.number().check(z.positive()) }),
]);
export type ResponseCurve = z.infer<typeof ResponseCurve>;

/** Expected conversions at `spend` under a curve scaled by `multiplier`. */
export const respond = (curve: ResponseCurve, spend: number, multiplier = 1): number => {
  if (spend <= 0) return 0;
  if (curve.type === 'exp') return multiplier * curve.vmax * (1 - Math.exp(-spend / curve.scale));
  const s = spend ** curve.shape;
  return (multiplier * curve.vmax * s) / (curve.halfSaturation ** curve.shape + s);
};

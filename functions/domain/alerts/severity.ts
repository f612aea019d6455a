import * as z from '../schema.js';

/** How far past its threshold a breach is, in the operator's bands; ordered from mildest. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** A value as stored and served: finite numbers as themselves, an infinite CPA (spend, no conversions) as "Infinity". */
export const Observed = z.union([z.number(), z.literal('Infinity')]);
export type Observed = z.infer<typeof Observed>;

/** A metric's value in its stored and served form. */
export const toObserved = (value: number): Observed => (Number.isFinite(value) ? value : 'Infinity');

import { IsoDate } from '../dates.js';
import * as z from '../schema.js';

/**
 * Fit diagnostics (docs/diagnostics.md): how well the response model the allocator plans with has been
 * predicting each channel. The schema is the type, and the route's answer is parsed by it.
 */

/** One day of a channel in the fitted window: what was reported, what the model says, and its forecast. */
export const DiagnosticDay = z.strictObject({
  date: IsoDate,
  spend: z.number(),
  /** Conversions reported for the day, as they stand now. */
  reported: z.number(),
  /** The latest fit's value for the day (in-sample): its curve at the day's spend, weekday and maturity. */
  fitted: z.number(),
  /**
   * Held-out days only: what the model fitted on the data up to the day before predicted (one day ahead),
   * with its 80% band for the reported value (the curve's uncertainty and the day's own noise).
   */
  predicted: z.optional(z.number()),
  low: z.optional(z.number()),
  high: z.optional(z.number()),
});
export type DiagnosticDay = z.infer<typeof DiagnosticDay>;

/** How many held-out days the 80% band held, of those with a reported value. */
export const Coverage = z.strictObject({
  held: z.int().check(z.nonnegative()),
  days: z.int().check(z.nonnegative()),
  /** held / days; null without days. */
  share: z.nullable(z.number()),
});
export type Coverage = z.infer<typeof Coverage>;

export const FLAG_CODES = ['error-above-usual', 'band-too-narrow', 'biased', 'few-conversions'] as const;

/** Something about a channel's fit a person should know, in words. */
export const DiagnosticFlag = z.strictObject({
  code: z.enum(FLAG_CODES),
  text: z.string(),
});
export type DiagnosticFlag = z.infer<typeof DiagnosticFlag>;

/** A share, or null when it cannot be computed (nothing reported). */
const Share = z.nullable(z.number());

export const ChannelDiagnostics = z.strictObject({
  channelId: z.string(),
  /** The channel's name as people read it (its id when the config gives none). */
  name: z.string(),
  /** One-day-ahead wMAPE over the held-out days: Σ|reported − predicted| / Σ reported. */
  error: Share,
  /**
   * The wMAPE the model's own noise implies: what a right model would show, Σ E|Y − predicted| over Σ predicted
   * (expected over its predictive distribution).
   */
  noiseError: Share,
  /** The same wMAPE over the last 7 held-out days, and over the days before them. */
  recentError: Share,
  earlierError: Share,
  /** The error the recent one is judged against: the larger of the earlier error and the recent days' noise error. */
  usualError: Share,
  /** Σ(predicted − reported) / Σ reported: positive when the model expected more than came. */
  bias: Share,
  coverage: Coverage,
  /** Conversions reported on the held-out days. */
  reported: z.number(),
  flags: z.array(DiagnosticFlag),
  days: z.array(DiagnosticDay),
});
export type ChannelDiagnostics = z.infer<typeof ChannelDiagnostics>;

export const VERDICTS = ['trustworthy', 'use-with-care', 'not-trustworthy', 'not-enough-data'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const Diagnostics = z.strictObject({
  portfolioId: z.string(),
  /** The day the latest fit plans for (today in the portfolio's zone); the window ends the day before. */
  asOf: IsoDate,
  /** The error measure: weighted MAPE (docs/diagnostics.md says why). */
  metric: z.literal('wmape'),
  /** The days the latest fit read, and the held-out days each predicted one day ahead. */
  window: z.strictObject({ from: IsoDate, to: IsoDate }),
  heldOut: z.strictObject({ from: IsoDate, to: IsoDate, days: z.int() }),
  summary: z.strictObject({
    verdict: z.enum(VERDICTS),
    /** The verdict in a sentence, with its numbers. */
    text: z.string(),
    error: Share,
    noiseError: Share,
    coverage: Coverage,
  }),
  channels: z.array(ChannelDiagnostics),
  /** What it cost: model fits made, and milliseconds when the caller passed a timer. */
  computation: z.strictObject({ fits: z.int(), ms: z.number() }),
});
export type Diagnostics = z.infer<typeof Diagnostics>;

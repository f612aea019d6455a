import { addDays, daysBetween, IsoDate } from './dates.js';
import * as z from './schema.js';

/** The longest range one metrics read may cover. */
export const MAX_RANGE_DAYS = 400;

/**
 * Query of `GET /portfolios/{id}/metrics`; `to` defaults to today and `from` to 29 days before it. Strict, as
 * every read's: a misspelt `chanel=search` answered every channel as if asked for them.
 */
export const MetricsQuery = z.strictObject({
  channel: z.optional(z.string().check(z.minLength(1))),
  from: z.optional(IsoDate),
  to: z.optional(IsoDate),
});

/** Fills the date defaults and checks the range; returns an error message when it is unusable. */
export const resolveRange = (from: string | undefined, to: string | undefined, today: string): { from: string; to: string } | string => {
  const end = to ?? today;
  const start = from ?? addDays(end, -29);
  if (start > end) return `from (${start}) is after to (${end})`;
  if (daysBetween(start, end) >= MAX_RANGE_DAYS) return `at most ${MAX_RANGE_DAYS} days per read`;
  return { from: start, to: end };
};

import { groupBy } from '../collections.js';
import { addDays } from '../dates.js';

/**
 * How far back a pull reaches when the account's channels have no stored day yet (or the poller was down
 * longer): the 60 complete days before today (and today), more than the allocator's 42-day fit; the demo's history.
 */
export const BACKFILL_DAYS = 60;

/** A pull's date range in the portfolio's time zone, both ends included. */
export interface PullWindow {
  readonly from: string;
  readonly to: string;
}

/**
 * The days one pull of an account re-reads: the restatement window up to today (today's row fills in
 * through the day; each pull restates it), reaching back to the day after the newest stored day when the
 * poller missed more than that, and {@link BACKFILL_DAYS} when nothing is stored yet.
 */
export const pullWindow = (today: string, restatementDays: number, newestStored: string | undefined): PullWindow => {
  const earliest = addDays(today, -BACKFILL_DAYS);
  const restated = addDays(today, -restatementDays);
  if (newestStored === undefined) return { from: earliest, to: today };
  const resume = addDays(newestStored, 1);
  const from = [restated, resume].sort()[0]!;
  return { from: from < earliest ? earliest : from, to: today };
};

/**
 * Packs items into chunks of at most `max`, never splitting a group (items with the same key): a pull's
 * rows of one channel-day must land in one delivery, because they add up to one record and two deliveries
 * with the same pull instant would make the second one stale. A group larger than `max` is a chunk of its own.
 */
export const chunkByKey = <T>(items: readonly T[], keyOf: (item: T) => string, max: number): T[][] => {
  const groups = groupBy(items, keyOf);
  const chunks: T[][] = [];
  let current: T[] = [];
  for (const group of groups.values()) {
    if (current.length > 0 && current.length + group.length > max) {
      chunks.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

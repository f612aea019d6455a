import { Cron } from 'croner';
import type { Schedule } from './schedule.js';

/** croner's 7-field form of an EventBridge cron: seconds at 0, `?` as `*`, days of week 1-7 from Sunday. */
const crons = new Map<string, Cron>();
const cronOf = (fields: readonly string[], timeZone: string): Cron => {
  const pattern = `0 ${fields.map((f) => (f === '?' ? '*' : f)).join(' ')}`;
  const key = `${pattern}@${timeZone}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(pattern, { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, timezone: timeZone, paused: true });
    crons.set(key, cron);
  }
  return cron;
};

/**
 * The first instant strictly after `from` at which the schedule fires. A `cron()` reads its fields in
 * `timeZone` (the Scheduler's `ScheduleExpressionTimezone`, UTC by default), across daylight-saving changes;
 * a `rate()` has no wall clock.
 */
export const nextFiring = (schedule: Schedule, from: Date, timeZone = 'UTC'): Date | null => {
  if (schedule.kind === 'rate') return new Date((Math.floor(from.getTime() / schedule.everyMs) + 1) * schedule.everyMs);
  return cronOf(schedule.fields, timeZone).nextRun(from);
};

/**
 * The schedule window an instant belongs to: the start of the firing period containing it. Deliveries of the
 * same window (at-least-once) share it, which makes it half of a scheduled run's idempotency key.
 */
export const windowStart = (schedule: Schedule, at: Date, timeZone = 'UTC'): Date => {
  if (schedule.kind === 'rate') return new Date(Math.floor(at.getTime() / schedule.everyMs) * schedule.everyMs);
  return cronOf(schedule.fields, timeZone).previousRuns(1, new Date(at.getTime() + 1000))[0] ?? at;
};

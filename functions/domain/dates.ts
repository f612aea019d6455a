import * as z from './schema.js';

const DAY_MS = 86_400_000;

/** The earliest date the system accepts for a metric: nothing in ad reporting predates it. */
export const EARLIEST_DATE = '2000-01-01';

/** A calendar date `YYYY-MM-DD` that exists: zod's ISO date refuses 2026-02-30 and 2026-11-00, and knows leap years. */
export const IsoDate = z.iso.date({ error: 'expected a calendar date YYYY-MM-DD' });

/** A metric's date: a real calendar date, no earlier than {@link EARLIEST_DATE}. */
export const MetricDate = IsoDate.check(z.refine((date) => date >= EARLIEST_DATE, `must be no earlier than ${EARLIEST_DATE}`));

/** Day numbers of dates seen lately: the allocator asks for the same few dozen dates many thousand times. */
const dayNumbers = new Map<string, number>();

/** Days since 1970-01-01 of an ISO date. */
const dayNumber = (date: string): number => {
  let day = dayNumbers.get(date);
  if (day === undefined) {
    day = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
    if (dayNumbers.size >= 4096) dayNumbers.clear();
    dayNumbers.set(date, day);
  }
  return day;
};

/** Days between two ISO dates (b − a). */
export const daysBetween = (a: string, b: string): number => dayNumber(b) - dayNumber(a);

/** The ISO date `days` after `date` (negative goes back). */
export const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The calendar date of an instant in an IANA time zone. */
export const dateInZone = (instant: Date, timeZone: string): string => {
  // formatToParts, not a locale's layout: en-CA's date format has changed between Node releases before.
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
};

/** True when `timeZone` is an IANA zone this runtime knows. */
export const isTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
};

/** The calendar date and hour (0–23) of an instant in an IANA time zone. */
export const hourInZone = (instant: Date, timeZone: string): { date: string; hour: number } => {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return { date: `${part('year')}-${part('month')}-${part('day')}`, hour: Number(part('hour')) };
};

/** Day of the week of an ISO date, 0 = Sunday … 6 = Saturday. */
export const weekday = (date: string): number => (((dayNumber(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday

/**
 * The first instant of a calendar date in an IANA time zone: local midnight, or the first instant after it
 * on a day whose midnight a daylight-saving change skips. A search over the instants around UTC midnight
 * (every zone's offset is within ±15 hours), so no offset arithmetic can be wrong across a transition.
 */
export const startOfDayInZone = (date: string, timeZone: string): Date => {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  let before = utcMidnight - 15 * 3_600_000; // still the day before, in every zone
  let at = utcMidnight + 15 * 3_600_000; // already the day, in every zone
  while (at - before > 1) {
    const middle = Math.floor((before + at) / 2);
    if (dateInZone(new Date(middle), timeZone) >= date) at = middle;
    else before = middle;
  }
  return new Date(at);
};

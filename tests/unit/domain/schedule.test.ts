import { describe, expect, it } from 'vitest';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { parseSchedule } from '../../../functions/domain/schedule.js';
import { nextFiring, windowStart } from '../../../functions/domain/scheduleTimes.js';

/**
 * EventBridge Scheduler's grammar, as documented: rate(value unit) with a singular unit for 1 only, and
 * cron(minutes hours day-of-month month day-of-week year) with exactly one day field as "?".
 */
const VALID = [
  'rate(1 minute)',
  'rate(5 minutes)',
  'rate(1 hour)',
  'rate(12 hours)',
  'rate(1 day)',
  'rate(7 days)',
  'cron(0 12 * * ? *)',
  'cron(15 10 ? * 6L 2026-2030)',
  'cron(0 18 ? * MON-FRI *)',
  'cron(0 8 1 * ? *)',
  'cron(0/15 * * * ? *)',
  'cron(5,35 14 * * ? *)',
  'cron(0 9 ? * 2#1 *)',
  'cron(0 0 L * ? *)',
  'cron(0 0 15W * ? *)',
  'cron(30 6 ? JAN-MAR SUN *)',
  'cron(0 */2 * * ? *)',
  'cron(0 0 ? * 1,7 2027)',
];

const INVALID = [
  'rate(5 minute)',
  'rate(1 hours)',
  'rate(0 minutes)',
  'rate(-1 minutes)',
  'rate(1.5 hours)',
  'rate(1 fortnight)',
  'rate(1 week)',
  'rate(10 seconds)',
  'rate(5  minutes)',
  'rate(5minutes)',
  'rate( 5 minutes)',
  'rate(5 Minutes)',
  'cron(0 12 * * * *)',
  'cron(0 12 ? * ? *)',
  'cron(0 12 * * ?)',
  'cron(0 0 12 * * ? *)',
  'cron(60 12 * * ? *)',
  'cron(0 24 * * ? *)',
  'cron(0 12 32 * ? *)',
  'cron(0 12 0 * ? *)',
  'cron(0 12 * 13 ? *)',
  'cron(0 12 ? * 8 *)',
  'cron(0 12 ? * 0 *)',
  'cron(0 12 * * ? 1969)',
  'cron(0 12 * * ? 2200)',
  'cron(0/0 * * * ? *)',
  'cron(0 12 * FOO ? *)',
  'cron(0 12 ? * MON#6 *)',
  'cron(0  12 * * ? *)',
  'daily',
  '',
];

describe('schedule expressions', () => {
  it.each(VALID)('accepts %s, as EventBridge Scheduler does', (expression) => {
    expect(() => parseSchedule(expression)).not.toThrow();
  });

  it.each(INVALID)('refuses %s, as EventBridge Scheduler does, saying why', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(/rate|cron|singular|field|outside|exactly one|step|value/);
  });

  it('tells singular from plural in its message', () => {
    expect(() => parseSchedule('rate(5 minute)')).toThrow(/singular unit with 1 and the plural otherwise/);
  });

  it('fires a rate on its period boundaries and a cron on its instants, and maps an instant to its window', () => {
    const hourly = parseSchedule('rate(1 hour)');
    expect(nextFiring(hourly, new Date('2026-11-22T10:20:00Z'))?.toISOString()).toBe('2026-11-22T11:00:00.000Z');
    expect(windowStart(hourly, new Date('2026-11-22T10:20:00Z')).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    const weekdays = parseSchedule('cron(0 18 ? * MON-FRI *)');
    // Saturday 2026-11-21 18:30 → next is Monday 2026-11-23 18:00 (Sunday = 1 in EventBridge's day-of-week).
    expect(nextFiring(weekdays, new Date('2026-11-21T18:30:00Z'))?.toISOString()).toBe('2026-11-23T18:00:00.000Z');
    expect(windowStart(weekdays, new Date('2026-11-22T09:00:00Z')).toISOString()).toBe('2026-11-20T18:00:00.000Z');
    const sundays = parseSchedule('cron(0 6 ? * 1 *)');
    expect(nextFiring(sundays, new Date('2026-11-20T00:00:00Z'))?.toISOString()).toBe('2026-11-22T06:00:00.000Z');
  });
});

describe('schedules in a time zone (ScheduleExpressionTimezone)', () => {
  const midnight = parseSchedule('cron(0 0 * * ? *)');

  it('fires a cron at local midnight, across the daylight-saving change', () => {
    // Los Angeles: PDT (UTC−7) until 2026-11-01 02:00, PST (UTC−8) after.
    expect(nextFiring(midnight, new Date('2026-10-30T12:00:00Z'), 'America/Los_Angeles')?.toISOString()).toBe('2026-10-31T07:00:00.000Z');
    expect(nextFiring(midnight, new Date('2026-11-01T12:00:00Z'), 'America/Los_Angeles')?.toISOString()).toBe('2026-11-02T08:00:00.000Z');
    // Sydney: AEST (UTC+10) until 2026-10-04, AEDT (UTC+11) after.
    expect(nextFiring(midnight, new Date('2026-10-01T00:00:00Z'), 'Australia/Sydney')?.toISOString()).toBe('2026-10-01T14:00:00.000Z');
    expect(nextFiring(midnight, new Date('2026-10-06T00:00:00Z'), 'Australia/Sydney')?.toISOString()).toBe('2026-10-06T13:00:00.000Z');
    expect(windowStart(midnight, new Date('2026-11-02T10:00:00Z'), 'America/Los_Angeles').toISOString()).toBe('2026-11-02T08:00:00.000Z');
  });

  it('leaves rate() schedules alone, and the default zone is UTC', () => {
    const hourly = parseSchedule('rate(1 hour)');
    expect(nextFiring(hourly, new Date('2026-11-22T10:20:00Z'), 'Asia/Kolkata')?.toISOString()).toBe('2026-11-22T11:00:00.000Z');
    expect(nextFiring(midnight, new Date('2026-11-22T10:20:00Z'))?.toISOString()).toBe('2026-11-23T00:00:00.000Z');
  });

  it('refuses a zone that does not exist, naming the field', () => {
    const portfolio = {
      id: 'p',
      name: 'P',
      currency: 'USD',
      timezone: 'UTC',
      budget: { daily: 100 },
      channels: [{ id: 'a', platform: 'generic', base: 0, max: 100 }],
    };
    const result = BudgetConfig.safeParse({ schedules: { timezone: 'Mars/Olympus' }, portfolios: [portfolio] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ['schedules', 'timezone'],
      message: 'must be an IANA time zone such as Europe/Paris',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { dateInZone, startOfDayInZone } from '../../../functions/domain/dates.js';

describe('dateInZone', () => {
  it.each([
    // Los Angeles: DST starts 2026-03-08 02:00 local (10:00 UTC), ends 2026-11-01 02:00 local (09:00 UTC).
    ['2026-03-08T07:59:59Z', 'America/Los_Angeles', '2026-03-07'],
    ['2026-03-08T08:00:00Z', 'America/Los_Angeles', '2026-03-08'],
    ['2026-03-09T06:59:59Z', 'America/Los_Angeles', '2026-03-08'],
    ['2026-03-09T07:00:00Z', 'America/Los_Angeles', '2026-03-09'],
    ['2026-11-01T06:59:59Z', 'America/Los_Angeles', '2026-10-31'],
    ['2026-11-01T07:00:00Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T07:59:59Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T08:00:00Z', 'America/Los_Angeles', '2026-11-02'],
    // Sydney: DST ends 2026-04-05 03:00 local (16:00 UTC the day before), starts 2026-10-04 02:00 local.
    ['2026-04-04T12:59:59Z', 'Australia/Sydney', '2026-04-04'],
    ['2026-04-04T13:00:00Z', 'Australia/Sydney', '2026-04-05'],
    ['2026-04-05T13:59:59Z', 'Australia/Sydney', '2026-04-05'],
    ['2026-04-05T14:00:00Z', 'Australia/Sydney', '2026-04-06'],
    ['2026-10-03T13:59:59Z', 'Australia/Sydney', '2026-10-03'],
    ['2026-10-03T14:00:00Z', 'Australia/Sydney', '2026-10-04'],
    ['2026-10-04T12:59:59Z', 'Australia/Sydney', '2026-10-04'],
    ['2026-10-04T13:00:00Z', 'Australia/Sydney', '2026-10-05'],
  ])('%s in %s is %s, across the DST changes', (instant, zone, date) => {
    expect(dateInZone(new Date(instant), zone)).toBe(date);
  });
});

describe('startOfDayInZone', () => {
  it('finds local midnight in zones on either side of UTC, and across daylight-saving changes', () => {
    expect(startOfDayInZone('2026-11-21', 'UTC').toISOString()).toBe('2026-11-21T00:00:00.000Z');
    expect(startOfDayInZone('2026-11-21', 'America/New_York').toISOString()).toBe('2026-11-21T05:00:00.000Z');
    expect(startOfDayInZone('2026-07-21', 'America/New_York').toISOString()).toBe('2026-07-21T04:00:00.000Z');
    expect(startOfDayInZone('2026-11-21', 'Asia/Kolkata').toISOString()).toBe('2026-11-20T18:30:00.000Z');
    expect(startOfDayInZone('2026-11-21', 'Pacific/Kiritimati').toISOString()).toBe('2026-11-20T10:00:00.000Z');
    // Santiago skips midnight when summer time starts: the day begins at 01:00 local, 04:00 UTC.
    expect(startOfDayInZone('2026-09-06', 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });
});

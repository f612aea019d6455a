import { describe, expect, it } from 'vitest';
import { AllocationInput } from '../../../../functions/domain/allocation/schemas.js';
import { validate } from '../../../../functions/domain/issues.js';

/** A two-channel input with a week of history, which the schema accepts. */
const valid = () => ({
  portfolio: {
    id: 'p',
    name: 'P',
    currency: 'USD',
    timezone: 'UTC',
    budget: { daily: 1000 },
    channels: [
      { id: 'a', platform: 'generic', base: 100, max: 800 },
      { id: 'b', platform: 'generic', base: 100, max: 800 },
    ],
  },
  history: ['a', 'b'].flatMap((channelId) =>
    Array.from({ length: 7 }, (_, d) => ({ channelId, date: `2026-10-0${d + 1}`, spend: 300, conversions: 10, revenue: 500 })),
  ),
  previous: { channels: [{ channelId: 'a', total: 400 }] },
  asOf: '2026-10-08',
});

const issuesOf = (change: (input: any) => void) => {
  const input: any = valid();
  change(input);
  const result = validate(AllocationInput, input);
  return result.ok ? [] : result.issues;
};

describe('AllocationInput refuses what the allocator cannot honour', () => {
  it('accepts the valid input the cases below start from', () => {
    expect(issuesOf(() => undefined)).toEqual([]);
  });

  it.each([
    ['a history spend of 1e308', (i: any) => (i.history[3].spend = 1e308), 'history[3].spend'],
    ['history conversions of 1e308', (i: any) => (i.history[3].conversions = 1e308), 'history[3].conversions'],
    ['history revenue of 1e308', (i: any) => (i.history[3].revenue = 1e308), 'history[3].revenue'],
    [
      "a revision's conversions of 1e308",
      (i: any) => (i.history[0].revisions = [{ reportedOn: '2026-10-02', conversions: 1e308 }]),
      'history[0].revisions[0].conversions',
    ],
    ['a previous total of 1e308', (i: any) => (i.previous.channels[0].total = 1e308), 'previous.channels[0].total'],
    [
      'a previous total that is not finite (1e999 in JSON)',
      (i: any) => (i.previous.channels[0].total = Infinity),
      'previous.channels[0].total',
    ],
    [
      'a day-start total that is not finite',
      (i: any) => (i.dayStart = { channels: [{ channelId: 'a', total: Infinity }] }),
      'dayStart.channels[0].total',
    ],
  ])('refuses %s, at its path', (_, change, path) => {
    expect(issuesOf(change).map((i) => i.path)).toEqual([path]);
  });

  it('refuses the same channel-day twice, pointing at the repeat and naming the first', () => {
    const issues = issuesOf((i) => i.history.push({ channelId: 'b', date: '2026-10-03', spend: 1, conversions: 0 }));
    expect(issues).toEqual([{ path: 'history[14]', message: 'channel "b" on 2026-10-03 is already at history[9]' }]);
  });

  it('accepts two channels on the same day: only a channel-day repeated is refused', () => {
    const sameDay = issuesOf((i) => {
      i.portfolio.channels.push({ id: 'c', platform: 'generic', base: 0, max: 800 });
      i.history.push({ channelId: 'c', date: '2026-10-03', spend: 1, conversions: 0 });
    });
    expect(sameDay).toEqual([]);
  });

  it('refuses a history row dated on or after asOf: the day being decided has not been seen whole, and a later one not at all', () => {
    const issues = issuesOf((i) => {
      i.history.push({ channelId: 'a', date: '2026-10-08', spend: 1, conversions: 0 });
      i.history.push({ channelId: 'b', date: '2026-11-30', spend: 1, conversions: 0 });
    });
    expect(issues).toEqual([
      { path: 'history[14].date', message: 'on or after asOf (2026-10-08): history holds only days before the day being decided' },
      { path: 'history[15].date', message: 'on or after asOf (2026-10-08): history holds only days before the day being decided' },
    ]);
  });

  it('refuses a history row for a channel the portfolio does not have, each at its own path', () => {
    const issues = issuesOf((i) => {
      i.history.push({ channelId: 'tv', date: '2026-10-03', spend: 1, conversions: 0 });
      i.history.push({ channelId: 'tv', date: '2026-10-04', spend: 1, conversions: 0 });
    });
    expect(issues).toEqual([
      { path: 'history[14].channelId', message: '"tv" is not a channel of the portfolio' },
      { path: 'history[15].channelId', message: '"tv" is not a channel of the portfolio' },
    ]);
  });

  it('refuses a revision reported after asOf, and accepts one reported on asOf', () => {
    const after = issuesOf((i) => (i.history[0].revisions = [{ reportedOn: '2026-10-09', conversions: 9 }]));
    expect(after).toEqual([
      { path: 'history[0].revisions[0].reportedOn', message: 'reported after asOf (2026-10-08): the allocation cannot know it yet' },
    ]);
    expect(issuesOf((i) => (i.history[0].revisions = [{ reportedOn: '2026-10-08', conversions: 9 }]))).toEqual([]);
  });

  it('reports an invalid asOf or date once, at its own path, not again as a comparison with it', () => {
    const badAsOf = issuesOf((i) => {
      i.asOf = '2026-02-30';
      i.history[0].revisions = [{ reportedOn: '2026-10-02', conversions: 9 }];
    });
    expect(badAsOf.map((i) => i.path)).toEqual(['asOf']);
    const badDates = issuesOf((i) => {
      i.history[1].date = '2026-13-45';
      i.history[0].revisions = [{ reportedOn: '2026-99-01', conversions: 9 }];
    });
    expect(badDates.map((i) => i.path).sort()).toEqual(['history[0].revisions[0].reportedOn', 'history[1].date']);
  });

  it('refuses a stop-loss on a channel the portfolio does not have', () => {
    expect(issuesOf((i) => (i.stopLoss = ['a', 'tv']))).toEqual([
      { path: 'stopLoss[1]', message: '"tv" is not a channel of the portfolio' },
    ]);
  });

  it('reports every problem in one pass, cross-field ones beside a malformed field', () => {
    const paths = issuesOf((i) => {
      i.portfolio.budget.daily = -1;
      i.stopLoss = ['tv'];
      i.history.push({ ...i.history[0] });
      i.history.push({ channelId: 'tv', date: '2026-10-08', spend: 1, conversions: 0 });
    }).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['portfolio.budget.daily', 'stopLoss[0]', 'history[14]', 'history[15].date', 'history[15].channelId']),
    );
  });
});

describe('plans carried in the input', () => {
  it('refuses a channel listed twice in previous or dayStart, and keeps a channel the config no longer has', () => {
    const twice = {
      channels: [
        { channelId: 'a', total: 400 },
        { channelId: 'a', total: 500 },
      ],
    };
    expect(issuesOf((i) => (i.previous = twice))).toEqual([
      { path: 'previous.channels[1].channelId', message: 'channel "a" is already at channels[0]' },
    ]);
    expect(issuesOf((i) => (i.dayStart = twice)).map((issue) => issue.path)).toEqual(['dayStart.channels[1].channelId']);
    expect(issuesOf((i) => i.previous.channels.push({ channelId: 'removed', total: 300 }))).toEqual([]);
  });
});

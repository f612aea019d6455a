/**
 * A raw AllocationInput as a caller of the allocate CLI writes it: two channels with four weeks of history
 * and a previous plan. The CLI tests change one field of it at a time.
 */
export const twoChannelInput = () => ({
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
  history: Array.from({ length: 28 }, (_, d) =>
    ['a', 'b'].map((channelId, c) => ({
      channelId,
      date: `2026-10-${String(d + 1).padStart(2, '0')}`,
      spend: 300 + 50 * c + d,
      conversions: 10 + c + (d % 3),
      revenue: 500,
    })),
  ).flat(),
  previous: {
    channels: [
      { channelId: 'a', total: 400 },
      { channelId: 'b', total: 400 },
    ],
  },
  asOf: '2026-10-29',
  seed: 1,
});

import { describe, expect, it } from 'vitest';
import { buildPlans, relativeError, shapeError } from '../../../../functions/domain/allocation/plans.js';
import { addDays } from '../../../../functions/domain/dates.js';
import { poisson, seededRandom } from '../../../../functions/domain/random.js';
import { portfolioInput } from '../../../support/portfolioInput.js';

/** Six weeks of three channels at a CPA of 20 spending about 3,000 a day, and a small one at a CPA of 60 held at its 800 floor, with Poisson counts. */
const input = (seed: number) => {
  const random = seededRandom(seed);
  const channels = [
    { id: 'search', cpa: 20, spend: 3000 },
    { id: 'shopping', cpa: 20, spend: 3200 },
    { id: 'social', cpa: 20, spend: 2800 },
    { id: 'video', cpa: 60, spend: 800 },
  ];
  return portfolioInput({
    budget: { daily: 9800, explorationShare: 0 },
    channels: channels.map((c) => ({ id: c.id, platform: 'generic', base: c.id === 'video' ? 800 : 0, max: 8000 })),
    history: channels.flatMap((c) =>
      Array.from({ length: 42 }, (_, d) => {
        const spend = c.spend * (0.9 + 0.2 * random());
        return { channelId: c.id, date: addDays('2026-11-20', -d), spend, conversions: poisson(random, spend / c.cpa) };
      }),
    ),
    asOf: '2026-11-21',
  });
};

describe('the shape’s error', () => {
  it('reads a curve as uncertain where the channel has not spent, and as fitted where it has', () => {
    const search = buildPlans(input(1)).find((p) => p.channel.id === 'search')!.conversions;
    // Assess: at its own spend the scales agree, and the error is the level's; at three times it they part.
    expect(shapeError(search, 3000)).toBeLessThan(0.02);
    expect(shapeError(search, 9000)).toBeGreaterThan(3 * shapeError(search, 3000));
    expect(relativeError(search, 9000)).toBeGreaterThan(relativeError(search, 3000));
    expect(relativeError(search, 3000)).toBeCloseTo(relativeError(search), 2);
  });
});

import { describe, expect, it } from 'vitest';
import { allocate } from '../../../../functions/domain/allocation/allocate.js';
import { learnMaturity } from '../../../../functions/domain/allocation/maturity.js';
import { fitResponse, type Observation } from '../../../../functions/domain/allocation/responseModel.js';
import type { HistoryDay } from '../../../../functions/domain/allocation/schemas.js';
import { addDays } from '../../../../functions/domain/dates.js';
import { normal, seededRandom } from '../../../../functions/domain/random.js';
import { Scenario } from '../../../../functions/domain/simulation/scenario.js';
import { historyRow } from '../../../../functions/domain/simulation/simulate.js';
import { portfolioInput } from '../../../support/portfolioInput.js';

const START = '2026-01-01';

/** A lagged channel's rows as a platform shows them on `day`, each day's final count given. */
const laggedRows = (meanDays: number, day: number, finalCount: number | ((day: number) => number) = 400) => {
  const [channel] = Scenario.parse({
    name: 'lag',
    seed: 1,
    days: day,
    dailyBudget: 1000,
    channels: [
      { id: 'meta', base: 0, max: 1000, response: { type: 'exp', vmax: 100, scale: 1000 }, noise: { type: 'poisson' }, lag: { meanDays } },
    ],
  }).channels;
  return Array.from({ length: day }, (_, d) =>
    historyRow(
      channel!,
      { date: addDays(START, d), spend: 500, reported: typeof finalCount === 'number' ? finalCount : finalCount(d), revenue: undefined },
      d,
      day,
    ),
  );
};

/** A lagged channel's rows under another id. */
const laggedChannel = (id: string, meanDays: number, day: number, count: number | ((day: number) => number)) =>
  laggedRows(meanDays, day, count).map((row) => ({ ...row, channelId: id }));

/** Each of `channelIds`' maturity learned from `rows` alone, no channel declaring an attribution window. */
const learnedWithoutWindows = (rows: readonly HistoryDay[], channelIds: readonly string[], asOf: string) =>
  learnMaturity(rows, new Map(channelIds.map((id) => [id, undefined])), asOf);

/** Six weeks of a channel's rows whose reported share by each age is `share`, restated as it moves. */
const rowsOf = (channelId: string, share: (age: number) => number, final: number) =>
  Array.from({ length: 42 }, (_, d) => {
    const date = addDays(START, d);
    const value = (a: number) => Math.round(final * share(a));
    const revisions = [];
    for (let a = 0; a < 41 - d; a += 1)
      if (value(a) !== value(a + 1)) revisions.push({ reportedOn: addDays(date, a), conversions: value(a) });
    return { channelId, date, spend: 500, conversions: value(41 - d), ...(revisions.length > 0 ? { revisions } : {}) };
  });

describe('decisions on real ad data', () => {
  it('learns how a channel’s conversions mature from its revisions, to within 0.03 at every age', () => {
    // Prepare: five weeks of a slow reporter (mean lag 5 days), restated daily.
    const rows = laggedRows(5, 35);
    // Act
    const maturity = learnMaturity(rows, new Map([['meta', undefined]]), addDays(START, 35)).get('meta')!;
    // Assess
    const truth = (age: number) => 1 - Math.exp(-(age + 1) / 5);
    for (const age of [0, 1, 2, 4, 7, 10]) expect(Math.abs(maturity.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.03);
  });

  it('carries a slow reporter’s development past the ages a week of history reaches, instead of reading them as final', () => {
    // Prepare: one week of a slow reporter (mean lag 5 days): no row is older than 6 days, and a day of that
    // age is still only 75% reported.
    const rows = laggedRows(5, 7);
    // Act
    const maturity = learnMaturity(rows, new Map([['meta', undefined]]), addDays(START, 7)).get('meta')!;
    // Assess: within 0.06 at every age, where a ladder without its tail read age 5 as 0.93 reported and
    // ages from 6 on as final.
    const truth = (age: number) => 1 - Math.exp(-(age + 1) / 5);
    for (const age of [0, 1, 2, 3, 5, 7, 10, 14]) expect(Math.abs(maturity.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.06);
    // A channel that reports final numbers develops nothing, and its days stay final.
    const prompt = learnMaturity(laggedRows(0.05, 7), new Map([['meta', undefined]]), addDays(START, 7)).get('meta')!;
    expect(prompt.at(0)).toBeGreaterThan(0.99);
  });

  it('carries a small channel’s development on from the portfolio’s, not from the noise of its own few conversions', () => {
    // Prepare: a week of two slow reporters (mean lag 5 days), one with 400 conversions a day and one with 25.
    const small = laggedRows(5, 7, 25).map((row) => ({ ...row, channelId: 'small' }));
    const rows = [...laggedRows(5, 7), ...small];
    // Act
    const maturity = learnedWithoutWindows(rows, ['meta', 'small'], addDays(START, 7)).get('small')!;
    // Assess: within 0.08 of the truth at every age; its own rounded counts alone put age 2 off by 0.1.
    const truth = (age: number) => 1 - Math.exp(-(age + 1) / 5);
    for (const age of [0, 1, 2, 3, 5, 7, 10, 14]) expect(Math.abs(maturity.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.08);
  });

  it('reads a slow reporter among fast ones from its own development after a few days, not the portfolio’s', () => {
    // Prepare: four days of a portfolio whose search channels report within a day (mean lag 0.5) and whose
    // video channel reports over a week (mean lag 5), each with a few hundred conversions a day.
    const named = (id: string, meanDays: number, count: number) => laggedChannel(id, meanDays, 4, count);
    const rows = [...named('brand', 0.5, 300), ...named('search', 0.7, 500), ...named('shopping', 0.6, 400), ...named('video', 5, 300)];
    // Act
    const maturity = learnedWithoutWindows(rows, ['brand', 'search', 'shopping', 'video'], addDays(START, 4)).get('video')!;
    // Assess: within 0.06 at the ages the plan leans on. A fixed weight of 30 conversions toward the portfolio’s
    // factors read age 0 as 0.31 reported against a true 0.18, so the newest days counted 70% too many.
    const truth = (age: number) => 1 - Math.exp(-(age + 1) / 5);
    for (const age of [0, 1, 2, 3]) expect(Math.abs(maturity.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.06);
  });

  it('reads a small slow channel’s delay from its own rows among big fast ones, within 0.03 at every age', () => {
    // Prepare: six weeks of a portfolio whose search channels report within a day, a social channel over
    // five days, and a video channel of five to thirteen conversions a day over six.
    const named = (id: string, meanDays: number, count: number | ((day: number) => number)) => laggedChannel(id, meanDays, 42, count);
    const video = named('video', 6, (d) => 5 + ((7 * d) % 9));
    const rows = [...named('brand', 0.5, 300), ...named('search', 1, 250), ...named('social', 5, 350), ...video];
    // Act
    const maturity = learnedWithoutWindows(rows, ['brand', 'search', 'social', 'video'], addDays(START, 42)).get('video')!;
    // Assess: each age's factor shrunk toward the portfolio's read age 5 as 0.72 reported against a true 0.63
    // (and age 0 as 0.20 against 0.15: the newest day read a quarter short); the channel's own delay, 0.63.
    const truth = (age: number) => 1 - Math.exp(-(age + 1) / 6);
    for (const age of [0, 1, 2, 3, 5, 7, 10, 14]) expect(Math.abs(maturity.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.03);
    // An attribution window is the prior until the channel's rows show their development: a one-day window
    // on the same rows reads them the same.
    const windowed = learnMaturity(
      rows,
      new Map([...['brand', 'search', 'social'].map((id) => [id, undefined] as const), ['video', 1] as const]),
      addDays(START, 42),
    ).get('video')!;
    for (const age of [0, 1, 2, 3, 5, 7, 10, 14]) expect(Math.abs(windowed.at(age) - truth(age)), `age ${age}`).toBeLessThan(0.03);
  });

  it('keeps a channel’s own development where it is no geometric delay: a weekly offline import, within 0.02', () => {
    const asOf = addDays(START, 42);
    // 60% reported until an import at age 7 brings the rest: read through a geometric delay alone, every age
    // was final (the newest week read 40% short).
    const step = (age: number) => (age <= 6 ? 0.6 : 1);
    const offline = learnedWithoutWindows(rowsOf('offline', step, 100), ['offline'], asOf).get('offline')!;
    for (const age of [0, 3, 6, 7, 10]) expect(Math.abs(offline.at(age) - step(age)), `age ${age}`).toBeLessThan(0.02);
    // A geometric delay of a day and a half for 90%, and a tenth imported at age 7, on two channels.
    const imported = (age: number) => 0.9 * (1 - Math.exp(-(age + 1) / 1.5)) + (age >= 7 ? 0.1 : 0);
    const rows = [...rowsOf('a', imported, 200), ...rowsOf('b', imported, 500)];
    const a = learnedWithoutWindows(rows, ['a', 'b'], asOf).get('a')!;
    for (const age of [0, 3, 6, 7, 10]) expect(Math.abs(a.at(age) - imported(age)), `age ${age}`).toBeLessThan(0.02);
  });

  it('reads a count the platform later restates down above its final one, within 0.03 at every age', () => {
    const asOf = addDays(START, 42);
    // Half in on the day, 120% the next (double-counted), deduplicated to the final count at age 3: held at a
    // factor of 1, the drop read the first day as 0.417 reported.
    const dedup = (age: number) => (age === 0 ? 0.5 : age <= 2 ? 1.2 : 1);
    const meta = learnedWithoutWindows(rowsOf('meta', dedup, 300), ['meta'], asOf).get('meta')!;
    for (const age of [0, 1, 2, 3, 10]) expect(Math.abs(meta.at(age) - dedup(age)), `age ${age}`).toBeLessThan(0.03);
    // Reported in full the same day, a tenth invalidated the next: the newest day reads 10% above its final count.
    const invalid = (age: number) => (age === 0 ? 1.1 : 1);
    const google = learnedWithoutWindows(rowsOf('google', invalid, 300), ['google'], asOf).get('google')!;
    expect(google.at(0)).toBeCloseTo(1.1, 2);
    expect(google.at(1)).toBeCloseTo(1, 3);
    // The allocator reads the newest day at its final count, and says why it reads it above what it shows;
    // where the newest day is short of its final count and the next two above it, it names the newest alone.
    const reasonOf = (id: string, share: (age: number) => number) =>
      allocate(
        portfolioInput({
          budget: { daily: 1000, explorationShare: 0 },
          channels: [{ id, platform: 'generic', base: 500, max: 500 }],
          history: rowsOf(id, share, 300),
          asOf,
        }),
      ).channels[0]!.reason;
    expect(reasonOf('google', invalid)).toMatch(/last day still to be restated down: counted at 110% of the final count/);
    expect(reasonOf('meta', dedup)).toMatch(/last day still maturing: counted at 50% reported/);
  });

  it('reads a day corrected by more than half (a double count removed) as a correction, not as development', () => {
    const asOf = addDays(START, 42);
    // Five a day, a mean delay of two days; one day 31 days back first read 505, then 5.
    const delay = (age: number) => 1 - Math.exp(-(age + 1) / 2);
    const rows = rowsOf('small', delay, 5).map((row) =>
      row.date === addDays(asOf, -31) ? { ...row, revisions: [{ reportedOn: row.date, conversions: 505 }, ...(row.revisions ?? [])] } : row,
    );
    const clean = learnedWithoutWindows(rowsOf('small', delay, 5), ['small'], asOf).get('small')!;
    const read = learnedWithoutWindows(rows, ['small'], asOf).get('small')!;
    // Read as development, it set the newest day at 2 (the cap): twice its final count, where it is 39% in.
    for (const age of [0, 1, 3]) expect(read.at(age), `age ${age}`).toBeCloseTo(clean.at(age), 2);
  });

  it('counts the rows that never changed, reads a day with nothing in yet as barely reported, and a long window past six weeks', () => {
    const asOf = addDays(START, 42);
    const day = (d: number) => addDays(START, d);
    // One conversion a day, reported on the day on even days and the next day on odd ones: half of a day is
    // in by its end. The rows that never changed carry no revisions; left out, the day read as final.
    const halfLate = Array.from({ length: 42 }, (_, d) =>
      d % 2 === 0
        ? { channelId: 'small', date: day(d), spend: 100, conversions: 1 }
        : { channelId: 'small', date: day(d), spend: 100, conversions: 1, revisions: [{ reportedOn: day(d), conversions: 0 }] },
    );
    const small = learnMaturity(halfLate, new Map([['small', undefined]]), asOf).get('small')!;
    // Forty-two conversions say little more than 0.5 ± 0.1, and the delay's curve pulls a little toward it.
    expect(Math.abs(small.at(0) - 0.5)).toBeLessThan(0.1);
    expect(small.at(2)).toBeGreaterThan(0.9);
    // Nothing on the day itself, everything the next (conversions imported overnight): read as final before.
    const overnight = Array.from({ length: 42 }, (_, d) => ({
      channelId: 'offline',
      date: day(d),
      spend: 100,
      conversions: 200,
      revisions: [{ reportedOn: day(d), conversions: 0 }],
    }));
    const offline = learnMaturity(overnight, new Map([['offline', undefined]]), asOf).get('offline')!;
    expect(offline.at(0)).toBeLessThan(0.01);
    expect(offline.at(1)).toBe(1);
    // But one late conversion of a quiet launch (its first ten days at 0, one credited at age 36) is no import:
    // read as infinitely late, it made every younger day read 0.1% reported and the channel 20 times its worth.
    const quietLaunch = Array.from({ length: 42 }, (_, d) => ({
      channelId: 'podcast',
      date: day(d),
      spend: 100,
      conversions: d < 10 ? (d === 5 ? 1 : 0) : 27,
      ...(d === 5 ? { revisions: [{ reportedOn: day(d + 35), conversions: 0 }] } : {}),
    }));
    const podcast = learnMaturity(quietLaunch, new Map([['podcast', undefined]]), asOf).get('podcast')!;
    expect(podcast.at(0)).toBeGreaterThan(0.9);
    // A channel that reports final numbers, beside one whose days are restated over five: final, where it
    // took the portfolio's delay and its newest day read over five times its level.
    const finalRows = Array.from({ length: 42 }, (_, d) => ({ channelId: 'final', date: day(d), spend: 100, conversions: 500 }));
    const mixed = learnMaturity(
      [...finalRows, ...laggedRows(5, 42)],
      new Map([
        ['final', undefined],
        ['meta', undefined],
      ]),
      asOf,
    ).get('final')!;
    expect(mixed.at(0)).toBeGreaterThan(0.99);
    // A 90-day window is not final at six weeks: 75% of a day is in by age 41, not 99%.
    const window = learnMaturity([], new Map([['search', 90]]), START).get('search')!;
    const truth = (age: number) => 1 - Math.exp((-3 * (age + 1)) / 91);
    for (const age of [20, 41, 60]) expect(window.at(age)).toBeCloseTo(truth(age), 3);
  });

  it('takes an attribution window as the maturity prior when no revision has been seen yet', () => {
    const maturity = learnMaturity([], new Map([['meta', 7]]), START).get('meta')!;
    expect(maturity.at(0)).toBeLessThan(0.5);
    expect(maturity.at(7)).toBeGreaterThan(0.9);
    expect(learnMaturity([], new Map([['search', undefined]]), START).get('search')!.known).toBe(false);
    // A same-day window reports each day in full by its end.
    expect(
      learnMaturity([], new Map([['search', 0]]), START)
        .get('search')!
        .at(0),
    ).toBe(1);
  });

  it('does not read immature days as a drop: a lagged channel keeps its value and the reason says why', () => {
    const input = (history: unknown[]) =>
      portfolioInput({
        budget: { daily: 1000, explorationShare: 0 },
        channels: [{ id: 'meta', platform: 'generic', base: 500, max: 500 }],
        history,
        asOf: addDays(START, 35),
      });
    const matured = laggedRows(0.01, 35, 100);
    const lagged = laggedRows(5, 35, 100);
    const [truth] = allocate(input(matured)).channels;
    const [read] = allocate(input(lagged)).channels;
    const [naive] = allocate(input(lagged.map(({ revisions: _, ...row }) => row))).channels;
    // 100 conversions a day at 500: read through its maturity the channel is worth what it is worth when
    // every day is final; taken at face value, the last days' partial counts would cut it by a fifth or more.
    expect(Math.abs(read!.expectedConversions / truth!.expectedConversions - 1)).toBeLessThan(0.05);
    expect(naive!.expectedConversions / truth!.expectedConversions).toBeLessThan(0.8);
    expect(read!.reason).toMatch(/still maturing: counted at \d+% reported/);
  });

  it('recovers carryover from spend that varies: a decay of 0.6 is found between 0.4 and 0.75', () => {
    const random = seededRandom(7);
    const spends = Array.from({ length: 42 }, () => 500 + 1000 * random());
    const decay = 0.6;
    const observations: Observation[] = spends.map((_, t) => {
      let sum = 0;
      let weight = 0;
      for (let k = 0; k <= t; k += 1) {
        sum += decay ** k * spends[t - k]!;
        weight += decay ** k;
      }
      const mean = 300 * -Math.expm1(-(sum / weight) / 2000);
      return { spend: spends[t]!, value: Math.round(mean * Math.exp(0.05 * normal(random))), age: 41 - t, exposure: 1, maturity: 1 };
    });
    const model = fitResponse('video', observations, { efficiency: 0.1 }, 1000);
    expect(model.adstock).toBeGreaterThanOrEqual(0.4);
    expect(model.adstock).toBeLessThanOrEqual(0.75);
    const clean = fitResponse(
      'search',
      observations.map((o, t) => ({ ...o, value: Math.round(300 * -Math.expm1(-spends[t]! / 2000)) })),
      { efficiency: 0.1 },
      1000,
    );
    expect(clean.adstock).toBe(0);
  });

  it('counts only the incremental share a lift test found, and reports both numbers', () => {
    const history = Array.from({ length: 30 }, (_, d) => ({
      channelId: 'affiliate',
      date: addDays(START, d),
      spend: 500,
      conversions: 20,
    }));
    const input = (incrementality?: number) =>
      portfolioInput({
        budget: { daily: 500, explorationShare: 0 },
        channels: [{ id: 'affiliate', platform: 'generic', base: 500, max: 500, ...(incrementality ? { incrementality } : {}) }],
        history,
        asOf: addDays(START, 30),
      });
    const [full] = allocate(input()).channels;
    const [lift] = allocate(input(0.6)).channels;
    expect(lift!.expectedConversions).toBeCloseTo(full!.expectedConversions, 1);
    expect(lift!.incrementalConversions! / full!.incrementalConversions!).toBeCloseTo(0.6, 2);
    expect(lift!.reason).toMatch(/60% of its reported conversions count as incremental/);
  });
});

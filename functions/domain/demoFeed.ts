import type { Portfolio } from './config.js';
import { addDays } from './dates.js';
import type { MetricRecord } from './delivery.js';
import { roundTo } from './money.js';
import { normal, poisson, type Random, substream } from './random.js';
import { type ResponseCurve, respond } from './simulation/trueCurve.js';

/** The demo market's hidden truth per channel: a response curve, order value and funnel rates. */
export interface DemoChannelTruth {
  readonly curve: ResponseCurve;
  readonly orderValue: number;
  readonly cpm: number;
  readonly ctr: number;
}

/** Realistic shapes for the demo portfolio's six channels; unknown channels get a middling default. */
export const DEMO_TRUTH: Record<string, DemoChannelTruth> = {
  search: { curve: { type: 'hill', vmax: 260, halfSaturation: 3500, shape: 1 }, orderValue: 95, cpm: 38, ctr: 0.045 },
  social: { curve: { type: 'exp', vmax: 190, scale: 3200 }, orderValue: 70, cpm: 9, ctr: 0.012 },
  video: { curve: { type: 'hill', vmax: 150, halfSaturation: 2600, shape: 1.3 }, orderValue: 60, cpm: 7, ctr: 0.008 },
  display: { curve: { type: 'hill', vmax: 60, halfSaturation: 2500, shape: 1 }, orderValue: 55, cpm: 3, ctr: 0.002 },
  affiliate: { curve: { type: 'exp', vmax: 90, scale: 1400 }, orderValue: 85, cpm: 20, ctr: 0.02 },
  podcast: { curve: { type: 'exp', vmax: 70, scale: 1800 }, orderValue: 110, cpm: 25, ctr: 0.004 },
};

/** A middling channel, for channels the demo has no shape for. */
export const DEFAULT_TRUTH: DemoChannelTruth = { curve: { type: 'exp', vmax: 100, scale: 3000 }, orderValue: 80, cpm: 10, ctr: 0.01 };

/** The demo market's truth for a channel: its own shape, or a middling default. */
export const demoTruth = (channelId: string): DemoChannelTruth => DEMO_TRUTH[channelId] ?? DEFAULT_TRUTH;

/** A day's spend against a daily amount: the amount with the demo's day-to-day pacing noise (30%), never below 0. */
export const pacedSpend = (amount: number, random: Random): number => Math.max(0, amount * (1 + 0.3 * normal(random)));

/**
 * What a day's spend brings on a channel: conversions a Poisson draw from its true curve, impressions and
 * clicks from its funnel rates, revenue from its order value with noise. `share` is the part of the channel
 * this spend is (a campaign of several): the channel's curve answers for the channel's whole spend.
 */
export const dayResults = (truth: DemoChannelTruth, spend: number, random: Random, share = 1) => {
  const conversions = poisson(random, share * respond(truth.curve, spend / share));
  const impressions = Math.round((spend / truth.cpm) * 1000);
  return {
    impressions,
    clicks: Math.round(impressions * truth.ctr),
    conversions,
    revenue: roundTo(conversions * truth.orderValue * Math.exp(0.2 * normal(random)), 2),
  };
};

/**
 * A seeded demo feed: `days` daily rows per channel ending `lastDate`. Spend wanders around an equal split
 * of the budget above the bases (as a fixed-share plan would, with day-to-day pacing noise), and conversions
 * are Poisson draws from the channel's true curve, so the allocator has real signal to find.
 */
export const demoFeed = (portfolio: Portfolio, lastDate: string, days = 60, seed = 2026): MetricRecord[] => {
  const { channels, budget } = portfolio;
  const spare = budget.daily * (1 - budget.explorationShare) - channels.reduce((s, c) => s + c.base, 0);
  const records: MetricRecord[] = [];
  for (const channel of channels) {
    const truth = demoTruth(channel.id);
    const random = substream(seed, channel.id);
    const plan = Math.min(channel.max, channel.base + spare / channels.length);
    for (let d = days - 1; d >= 0; d -= 1) {
      const spend = roundTo(Math.min(channel.max, pacedSpend(plan, random)), 2);
      records.push({ channelId: channel.id, date: addDays(lastDate, -d), spend, ...dayResults(truth, spend, random) });
    }
  }
  return records;
};

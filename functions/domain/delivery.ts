import type { Portfolio } from './config.js';
import { addDays, MetricDate } from './dates.js';
import { type Issue, type Rejection, rejection } from './issues.js';
import { type MetricRow, metricKey, sameValues } from './metrics.js';
import { MAX_AMOUNT, Money, roundTo, toMicros } from './money.js';
import * as z from './schema.js';
import { Key } from './text.js';

/** Records a delivery may carry; more is a 413. */
export const MAX_RECORDS = 1000;

const Count = z.int().check(z.gte(0), z.lte(MAX_AMOUNT));

/** One channel's metrics for a day (or an hour of it), as a platform reports them. */
export const MetricRecord = z.strictObject({
  channelId: z.string().check(z.minLength(1), z.maxLength(64)),
  date: MetricDate,
  hour: z.optional(z.int().check(z.gte(0), z.lte(23))),
  spend: Money,
  impressions: z.optional(Count),
  clicks: z.optional(Count),
  conversions: z.number().check(z.nonnegative(), z.lte(MAX_AMOUNT)),
  revenue: z.optional(Money),
  // z.int() holds it to the safe integers itself: a second upper bound said the same limit twice.
  revision: z.optional(z.int().check(z.gte(0))),
});

/** A sender's id for a delivery: a repeat of it is a retry (docs/webhooks.md). */
export const DeliveryId = Key(256);

/** The canonical webhook body (docs/webhooks.md). */
export const Delivery = z.strictObject({
  portfolioId: z.string().check(z.minLength(1), z.maxLength(64)),
  deliveryId: z.optional(DeliveryId),
  records: z.array(MetricRecord).check(z.minLength(1)),
});

export type MetricRecord = z.infer<typeof MetricRecord>;
export type Delivery = z.infer<typeof Delivery>;

/** What a delivery asks to store, once checked against the config. */
export interface DeliveryPlan {
  readonly rows: MetricRow[];
  /** Records repeated within the same body (same key, same revision, same values). */
  readonly duplicates: number;
  /** Records a higher revision of the same key in the same body replaces: stale, as against a stored one. */
  readonly stale: number;
}

/** Dates further ahead than this (in the portfolio's time zone) are rejected: no platform reports tomorrow+1. */
const FUTURE_TOLERANCE_DAYS = 1;

const toRow = (portfolioId: string, record: MetricRecord): MetricRow => ({
  portfolioId,
  channelId: record.channelId,
  date: record.date,
  hour: record.hour ?? null,
  spendMicros: toMicros(record.spend),
  revenueMicros: record.revenue === undefined ? null : toMicros(record.revenue),
  impressions: record.impressions ?? null,
  clicks: record.clicks ?? null,
  // A millionth of a conversion is the finest grain kept: DynamoDB refuses numbers below 1e-130, and platforms
  // send attributed fractions such as 0.333333.
  conversions: roundTo(record.conversions, 6),
  revision: record.revision ?? 0,
});

/**
 * Checks a parsed delivery against its portfolio and turns it into rows keyed by
 * (portfolio, channel, date, hour). Within one body the highest revision of a key wins; the same key twice
 * with the same revision but different values is ambiguous and rejected.
 */
export const planDelivery = (
  delivery: Delivery,
  portfolio: Portfolio | undefined,
  today: string,
): { ok: true; plan: DeliveryPlan } | { ok: false; rejection: Rejection } => {
  if (!portfolio) {
    return {
      ok: false,
      rejection: rejection('unknown-reference', [{ path: 'portfolioId', message: `unknown portfolio "${delivery.portfolioId}"` }]),
    };
  }
  const channels = new Set(portfolio.channels.map((c) => c.id));
  const unknown: Issue[] = delivery.records.flatMap((record, i) =>
    channels.has(record.channelId)
      ? []
      : [{ path: `records[${i}].channelId`, message: `unknown channel "${record.channelId}" in portfolio "${portfolio.id}"` }],
  );
  if (unknown.length > 0) return { ok: false, rejection: rejection('unknown-reference', unknown) };

  const latest = addDays(today, FUTURE_TOLERANCE_DAYS);
  const issues: Issue[] = [];
  const byKey = new Map<string, { row: MetricRow; index: number }>();
  let duplicates = 0;
  let stale = 0;
  delivery.records.forEach((record, index) => {
    if (record.date > latest) {
      issues.push({
        path: `records[${index}].date`,
        message: `${record.date} is in the future (today is ${today} in ${portfolio.timezone})`,
      });
      return;
    }
    const row = toRow(delivery.portfolioId, record);
    const key = metricKey(row);
    const seen = byKey.get(key);
    if (!seen || row.revision > seen.row.revision) {
      if (seen) stale += 1;
      byKey.set(key, { row, index });
    } else if (row.revision < seen.row.revision) {
      stale += 1;
    } else if (sameValues(row, seen.row)) {
      duplicates += 1;
    } else {
      issues.push({
        path: `records[${index}]`,
        message: `same channel, date, hour and revision as records[${seen.index}] but different values`,
      });
    }
  });
  if (issues.length > 0) return { ok: false, rejection: rejection('invalid-delivery', issues) };
  return { ok: true, plan: { rows: [...byKey.values()].map((v) => v.row), duplicates, stale } };
};

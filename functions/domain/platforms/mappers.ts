import { type Channel, campaignRef, type Portfolio } from '../config.js';
import { EARLIEST_DATE, MetricDate } from '../dates.js';
import { type Delivery, DeliveryId, MetricRecord } from '../delivery.js';
import { type Issue, type Rejection, rejection, toIssues } from '../issues.js';
import { metricKey } from '../metrics.js';
import { roundTo } from '../money.js';
import * as z from '../schema.js';

/**
 * Platform report shapes, mapped onto the canonical delivery (docs/webhooks.md) so that the same validation,
 * idempotency and restatement rules apply to every source. Each body is an envelope
 * `{ portfolioId, deliveryId?, pulledAt?, <rows> }` around the rows the platform's reporting API returned.
 * Platform rows carry no revision, and a platform restating a day is the normal case, so each row's
 * revision is the pull instant (`pulledAt`, else the receipt time) in epoch milliseconds: a later pull of a
 * day replaces an earlier one, and the same pull delivered twice changes nothing.
 */
export type PlatformSource = 'meta' | 'google-ads' | 'tiktok';

/** Webhook sources: the canonical body (`generic`) and each platform's report shape; each has its own secret. */
export const WEBHOOK_SOURCES = ['generic', 'meta', 'google-ads', 'tiktok'] as const satisfies readonly ('generic' | PlatformSource)[];
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** A non-negative decimal that may arrive as a JSON number or as a numeric string ("123.45"). */
const Decimal = z.pipe(
  z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+(\.\d+)?$/)), z.transform(Number))], {
    error: 'expected a non-negative decimal: a JSON number, or a string of digits such as "123.45" (no sign, exponent or hex)',
  }),
  z.number().check(z.nonnegative()),
);
/** A count that may arrive as a number or a string ("1000"). */
const Count = z.pipe(
  z.union([z.int(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))], {
    error: 'expected a non-negative whole number: a JSON number, or a string of digits such as "1000"',
  }),
  // z.int() holds it to the safe integers itself: a second upper bound said the same limit twice.
  z.int().check(z.nonnegative()),
);
const Id = z.union([z.string().check(z.minLength(1), z.maxLength(64)), z.pipe(z.int().check(z.nonnegative()), z.transform(String))], {
  // A campaign id past 2^53 sent as a JSON number has already lost its last digits: only a string carries it.
  error:
    'expected an id: a string of 1 to 64 characters, or a whole number below 2^53 (send a longer id as a string: as a number it loses digits)',
});

/**
 * A list of Meta action values in which each action type appears once: a repeated one has no single value
 * (Meta repeats a type only when a report asks for `action_breakdowns`, which the pollers never do).
 */
const ActionValues = z.array(z.object({ action_type: z.string(), value: Decimal })).check(
  z.superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((action, i) => {
      if (seen.has(action.action_type)) {
        const message = `"${action.action_type}" appears more than once in this row (a report without action_breakdowns has each type once)`;
        ctx.addIssue({ code: 'custom', path: [i, 'action_type'], message, input: action });
      }
      seen.add(action.action_type);
    });
  }),
);
const Day = MetricDate;

const Envelope = {
  portfolioId: z.string().check(z.minLength(1), z.maxLength(64)),
  deliveryId: z.optional(DeliveryId),
  pulledAt: z.optional(z.iso.datetime({ offset: true })),
};

/** Meta Insights rows (`level=campaign`, `time_increment=1`); numbers arrive as strings. */
const MetaBody = z.object({
  ...Envelope,
  data: z
    .array(
      z
        .object({
          campaign_id: Id,
          date_start: Day,
          date_stop: Day,
          spend: Decimal,
          impressions: z.optional(Count),
          clicks: z.optional(Count),
          actions: z.optional(ActionValues),
          action_values: z.optional(ActionValues),
        })
        .check(
          z.refine((r) => r.date_start === r.date_stop, { message: 'rows must cover one day (time_increment=1)', path: ['date_stop'] }),
        ),
    )
    .check(z.minLength(1)),
});

/** Google Ads report rows (GoogleAdsService search/searchStream JSON, camelCase or snake_case cost). */
const GoogleAdsBody = z.object({
  ...Envelope,
  results: z
    .array(
      z.object({
        campaign: z.object({ id: Id }),
        segments: z.object({ date: Day, hour: z.optional(z.int().check(z.gte(0), z.lte(23))) }),
        metrics: z
          .object({
            costMicros: z.optional(Count),
            cost_micros: z.optional(Count),
            conversions: z.optional(Decimal),
            conversionsValue: z.optional(Decimal),
            clicks: z.optional(Count),
            impressions: z.optional(Count),
          })
          .check(
            z.refine((m) => m.costMicros !== undefined || m.cost_micros !== undefined, {
              message: 'needs costMicros or cost_micros',
              path: ['costMicros'],
            }),
            z.refine((m) => m.costMicros === undefined || m.cost_micros === undefined || m.costMicros === m.cost_micros, {
              message: 'costMicros and cost_micros disagree: send one',
              path: ['cost_micros'],
            }),
          ),
      }),
    )
    .check(z.minLength(1)),
});

/** TikTok report rows (`report/integrated/get`, `stat_time_day` and `campaign_id` dimensions). */
const TikTokBody = z.object({
  ...Envelope,
  data: z.object({
    list: z
      .array(
        z.object({
          dimensions: z.object({
            campaign_id: Id,
            stat_time_day: z.string().check(
              z.regex(/^\d{4}-\d{2}-\d{2}( 00:00:00)?$/, 'expected "YYYY-MM-DD 00:00:00"'),
              z.refine(
                (day) => MetricDate.safeParse(day.slice(0, 10)).success,
                `must be a real calendar date, no earlier than ${EARLIEST_DATE}`,
              ),
            ),
          }),
          metrics: z.object({ spend: Decimal, conversion: z.optional(Decimal), clicks: z.optional(Count), impressions: z.optional(Count) }),
        }),
      )
      .check(z.minLength(1)),
  }),
});

/** Meta repeats one purchase under several action types; without `actionType` on the channel, this one counts. */
export const DEFAULT_META_ACTION_TYPE = 'offsite_conversion.fb_pixel_purchase';

/** One platform row reduced to what the canonical record needs, before its channel is known. */
interface PlatformRow {
  readonly sourceId: string;
  readonly path: string;
  readonly record: (channel: Channel) => Omit<MetricRecord, 'channelId' | 'revision'>;
}

const actionValue = (list: readonly { action_type: string; value: number }[] | undefined, type: string) =>
  list?.find((a) => a.action_type === type)?.value;

/** Rounds to micros so platform decimals such as 12.3456789 pass the money rules instead of being refused. */
const micros = (n: number) => roundTo(n, 6);

const rowsOf = {
  meta: (body: z.infer<typeof MetaBody>): PlatformRow[] =>
    body.data.map((r, i) => ({
      sourceId: r.campaign_id,
      path: `data[${i}].campaign_id`,
      record: (channel) => {
        const type = channel.actionType ?? DEFAULT_META_ACTION_TYPE;
        const revenue = actionValue(r.action_values, type);
        return {
          date: r.date_start,
          spend: micros(r.spend),
          conversions: actionValue(r.actions, type) ?? 0,
          ...(revenue === undefined ? {} : { revenue: micros(revenue) }),
          ...(r.impressions === undefined ? {} : { impressions: r.impressions }),
          ...(r.clicks === undefined ? {} : { clicks: r.clicks }),
        };
      },
    })),
  'google-ads': (body: z.infer<typeof GoogleAdsBody>): PlatformRow[] =>
    body.results.map((r, i) => ({
      sourceId: r.campaign.id,
      path: `results[${i}].campaign.id`,
      record: () => ({
        date: r.segments.date,
        ...(r.segments.hour === undefined ? {} : { hour: r.segments.hour }),
        spend: (r.metrics.costMicros ?? r.metrics.cost_micros)! / 1e6,
        conversions: r.metrics.conversions ?? 0,
        ...(r.metrics.conversionsValue === undefined ? {} : { revenue: micros(r.metrics.conversionsValue) }),
        ...(r.metrics.impressions === undefined ? {} : { impressions: r.metrics.impressions }),
        ...(r.metrics.clicks === undefined ? {} : { clicks: r.metrics.clicks }),
      }),
    })),
  tiktok: (body: z.infer<typeof TikTokBody>): PlatformRow[] =>
    body.data.list.map((r, i) => ({
      sourceId: r.dimensions.campaign_id,
      path: `data.list[${i}].dimensions.campaign_id`,
      record: () => ({
        date: r.dimensions.stat_time_day.slice(0, 10),
        spend: micros(r.metrics.spend),
        conversions: r.metrics.conversion ?? 0,
        ...(r.metrics.impressions === undefined ? {} : { impressions: r.metrics.impressions }),
        ...(r.metrics.clicks === undefined ? {} : { clicks: r.metrics.clicks }),
      }),
    })),
};

const SCHEMAS = { meta: MetaBody, 'google-ads': GoogleAdsBody, tiktok: TikTokBody } as const;

/** Where each source's body keeps its rows: where the 413 check counts them, and what its refusal names. */
export const ROWS_AT: Record<WebhookSource, string> = { generic: 'records', meta: 'data', 'google-ads': 'results', tiktok: 'data.list' };

/** Rows in a body (for the 413 check before parsing); undefined where they are not an array. */
export const rowCount = (source: WebhookSource, json: unknown): number | undefined => {
  const rows = ROWS_AT[source].split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | null | undefined)?.[key], json);
  return Array.isArray(rows) ? rows.length : undefined;
};

export type PlatformResult = { ok: true; delivery: Delivery } | { ok: false; rejection: Rejection };

/** A key as a near miss is compared: case, `_` and `-` aside. */
const loosely = (key: string) => key.toLowerCase().replace(/[_-]/g, '');
const ENVELOPE_KEYS = new Map(Object.keys(Envelope).map((key) => [loosely(key), key]));

/**
 * The envelope's keys a sender misspelt by case or separator (`deliveryID`, `pulled_at`). A platform body
 * keeps whatever else its API returns (`paging`, `nextPageToken`), so unknown keys pass; but a `pulledat`
 * passed silently, and the receipt time then stood as the rows' revision and replaced newer ones.
 */
const nearMisses = (json: unknown): Issue[] =>
  json !== null && typeof json === 'object' && !Array.isArray(json)
    ? Object.keys(json).flatMap((key) => {
        const meant = ENVELOPE_KEYS.get(loosely(key));
        return meant !== undefined && meant !== key
          ? [{ path: key.slice(0, 200), message: `is not a known key: did you mean "${meant}"?` }]
          : [];
      })
    : [];

/**
 * Maps a platform body to the canonical delivery: 400 with every path for a malformed body, 422 for an
 * unknown portfolio or for platform ids that no channel's `sourceIds` claims (all of them listed).
 */
export const fromPlatform = (source: PlatformSource, json: unknown, portfolios: readonly Portfolio[], receivedAt: Date): PlatformResult => {
  const parsed = SCHEMAS[source].safeParse(json);
  const misspelt = nearMisses(json);
  if (!parsed.success || misspelt.length > 0) {
    return { ok: false, rejection: rejection('invalid-delivery', [...misspelt, ...(parsed.success ? [] : toIssues(parsed.error))]) };
  }
  const body = parsed.data;
  const portfolio = portfolios.find((p) => p.id === body.portfolioId);
  if (!portfolio) {
    return {
      ok: false,
      rejection: rejection('unknown-reference', [{ path: 'portfolioId', message: `unknown portfolio "${body.portfolioId}"` }]),
    };
  }
  const rows = (rowsOf[source] as (b: typeof body) => PlatformRow[])(body);
  // A row carries the bare campaign id; an `accountId/campaignId` entry claims it as well (config.ts campaignRef).
  const owners = new Map(
    portfolio.channels.flatMap((c) => (c.sourceIds[source] ?? []).map((id) => [campaignRef(id).campaignId, c] as const)),
  );
  const unmapped = rows.filter((r) => !owners.has(r.sourceId));
  if (unmapped.length > 0) {
    const ids = [...new Set(unmapped.map((r) => r.sourceId))];
    return {
      ok: false,
      rejection: rejection(
        'unknown-reference',
        unmapped.map((r) => ({
          path: r.path,
          message: `${source} id "${r.sourceId}" is in no channel's sourceIds.${source} (unmapped: ${ids.join(', ')})`,
        })),
      ),
    };
  }
  const revision = body.pulledAt ? Date.parse(body.pulledAt) : receivedAt.getTime();
  if (revision > receivedAt.getTime() + PULL_TOLERANCE_MS) {
    const message = `pulledAt ${body.pulledAt} is in the future (received ${receivedAt.toISOString()})`;
    return { ok: false, rejection: rejection('invalid-delivery', [{ path: 'pulledAt', message }]) };
  }
  const mapped = rows.map((r) => {
    const channel = owners.get(r.sourceId)!;
    return { row: r, record: { channelId: channel.id, ...r.record(channel), revision } };
  });
  // The canonical limits apply to every source: each row as mapped, then each channel-day as summed.
  const issues = mapped.flatMap(({ row, record }) => recordIssues(source, row.path, record));
  const summed = sumByKey(mapped);
  issues.push(...summed.flatMap(({ paths, record }) => recordIssues(source, paths[0]!, record, paths.length > 1)));
  if (issues.length > 0) return { ok: false, rejection: rejection('invalid-delivery', dedupe(issues)) };
  const records = summed.map((s) => s.record);
  return { ok: true, delivery: { portfolioId: body.portfolioId, ...(body.deliveryId ? { deliveryId: body.deliveryId } : {}), records } };
};

/** How far a platform's pull instant may run ahead of the receiver's clock: the signature's tolerance. */
const PULL_TOLERANCE_MS = 300_000;

/** Where each canonical field sits in a platform's row, so an issue names the field the sender sent. */
const FIELD_PATHS: Readonly<Record<PlatformSource, Readonly<Record<string, string>>>> = {
  meta: {
    spend: 'spend',
    conversions: 'actions',
    revenue: 'action_values',
    impressions: 'impressions',
    clicks: 'clicks',
    date: 'date_start',
  },
  'google-ads': {
    spend: 'metrics.costMicros',
    conversions: 'metrics.conversions',
    revenue: 'metrics.conversionsValue',
    impressions: 'metrics.impressions',
    clicks: 'metrics.clicks',
    date: 'segments.date',
    hour: 'segments.hour',
  },
  tiktok: {
    spend: 'metrics.spend',
    conversions: 'metrics.conversion',
    impressions: 'metrics.impressions',
    clicks: 'metrics.clicks',
    date: 'dimensions.stat_time_day',
  },
};

/** A mapped record checked against the canonical record's limits, issues at the platform row's own fields. */
const recordIssues = (source: PlatformSource, idPath: string, record: MetricRecord, summed = false): Issue[] => {
  const parsed = MetricRecord.safeParse(record);
  if (parsed.success) return [];
  const row = idPath.match(/^[a-z.]+\[\d+\]/i)?.[0] ?? '$';
  return toIssues(parsed.error).map((issue) => ({
    path: `${row}.${FIELD_PATHS[source][issue.path] ?? issue.path}`,
    message: summed ? `${issue.message} (summed over the channel's campaigns for that day)` : issue.message,
  }));
};

const dedupe = (issues: readonly Issue[]): Issue[] => [...new Map(issues.map((i) => [`${i.path}\u0000${i.message}`, i])).values()];

const addOptional = (a: number | undefined, b: number | undefined) =>
  a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);

/** A channel often owns several campaigns: their rows for the same day (and hour) add up to one record. */
const sumByKey = (mapped: readonly { row: PlatformRow; record: MetricRecord }[]): { paths: string[]; record: MetricRecord }[] => {
  const byKey = new Map<string, { paths: string[]; record: MetricRecord }>();
  for (const { row, record: r } of mapped) {
    const key = metricKey({ ...r, hour: r.hour ?? null });
    const entry = byKey.get(key);
    if (!entry) {
      byKey.set(key, { paths: [row.path], record: r });
      continue;
    }
    entry.paths.push(row.path);
    const seen = entry.record;
    const revenue = addOptional(seen.revenue, r.revenue);
    const impressions = addOptional(seen.impressions, r.impressions);
    const clicks = addOptional(seen.clicks, r.clicks);
    entry.record = {
      ...seen,
      spend: micros(seen.spend + r.spend),
      conversions: seen.conversions + r.conversions,
      ...(revenue === undefined ? {} : { revenue: micros(revenue) }),
      ...(impressions === undefined ? {} : { impressions }),
      ...(clicks === undefined ? {} : { clicks }),
    };
  }
  return [...byKey.values()];
};

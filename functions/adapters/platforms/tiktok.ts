import { type PlatformReports, PullError } from '../../application/platformReports.js';
import type { Account } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import * as z from '../../domain/schema.js';
import { fetchJson, withBackoff } from './backoff.js';
import { readCredentials, type TikTokCredentials } from './credentials.js';
import { ReportsClient, type ReportsOptions } from './reportsClient.js';

export const TIKTOK_DEFAULT_URL = 'https://business-api.tiktok.com';
export const TIKTOK_API_PATH = '/open_api/v1.3';

/** With `stat_time_day` a report spans at most 30 days; longer windows go in slices. */
export const TIKTOK_MAX_DAYS = 30;
/** Rows per page, the API's most. */
const PAGE_SIZE = 1000;

const Row = z.object({
  dimensions: z.object({ campaign_id: z.union([z.string(), z.int()]), stat_time_day: z.string() }),
  metrics: z.object({
    spend: z.optional(z.union([z.string(), z.number()])),
    conversion: z.optional(z.union([z.string(), z.number()])),
    clicks: z.optional(z.union([z.string(), z.number()])),
    impressions: z.optional(z.union([z.string(), z.number()])),
  }),
});
/** Every answer: `{ code, message, request_id, data }`, HTTP 200 even for most errors. */
const Answer = z.object({
  code: z.number(),
  message: z.optional(z.string()),
  data: z.optional(
    z.object({
      list: z.optional(z.array(Row)),
      page_info: z.optional(z.object({ page: z.number(), total_page: z.number() })),
    }),
  ),
});

/** TikTok's codes for a token or access a person must renew or grant. */
const CREDENTIALS_CODES = new Set([40001, 40102, 40104, 40105, 40106, 40107]);

/**
 * A TikTok answer's code as the poll acts on it: 40100 (the app's QPS limit) and HTTP 429 are throttled;
 * 40102 (expired), 40104/40105 (missing, invalid or revoked token) and 40001 (no permission on the
 * advertiser) need a person; 5xxxx codes and HTTP 5xx are unavailable; anything else is refused.
 */
export const classifyTikTokError = (status: number, code: number | undefined): PullError => {
  const message = `TikTok answered ${status} (code ${code ?? 'none'})`;
  if (code === 40100 || status === 429) return new PullError('throttled', message);
  if ((code !== undefined && CREDENTIALS_CODES.has(code)) || status === 401 || status === 403) return new PullError('credentials', message);
  if ((code !== undefined && code >= 50000) || status >= 500) return new PullError('unavailable', message);
  return new PullError('refused', message);
};

export type TikTokReportsOptions = ReportsOptions;

/**
 * TikTok API for Business reporting over REST: `report/integrated/get/`, a BASIC report at campaign level by
 * `campaign_id` and `stat_time_day`, filtered to the portfolio's campaigns, paged by `page_info`, in slices
 * of at most 30 days. TikTok publishes no official Node client; the REST API with zod shapes is the choice.
 */
export class TikTokReports extends ReportsClient implements PlatformReports {
  readonly platform = 'tiktok' as const;

  constructor(options: TikTokReportsOptions) {
    super(options, TIKTOK_DEFAULT_URL);
  }

  async dailyRows(account: Account, campaignIds: readonly string[], from: string, to: string): Promise<readonly unknown[]> {
    const { accessToken } = (await readCredentials(
      this.options.credentials,
      account as Account & { platform: 'tiktok' },
    )) as TikTokCredentials;
    const rows: unknown[] = [];
    for (let start = from; start <= to; start = addDays(start, TIKTOK_MAX_DAYS)) {
      const end = [addDays(start, TIKTOK_MAX_DAYS - 1), to].sort()[0]!;
      for (let page = 1, pages = 1; page <= pages; page += 1) {
        const params = new URLSearchParams({
          advertiser_id: account.accountId,
          report_type: 'BASIC',
          data_level: 'AUCTION_CAMPAIGN',
          dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
          metrics: JSON.stringify(['spend', 'conversion', 'clicks', 'impressions']),
          start_date: start,
          end_date: end,
          filtering: JSON.stringify([{ field_name: 'campaign_ids', filter_type: 'IN', filter_value: JSON.stringify(campaignIds) }]),
          page: String(page),
          page_size: String(PAGE_SIZE),
        });
        const data = await withBackoff(
          async () => {
            const answer = await fetchJson(
              this.fetcher,
              `${this.baseUrl}${TIKTOK_API_PATH}/report/integrated/get/?${params}`,
              { method: 'GET', headers: { 'Access-Token': accessToken } },
              'TikTok report',
            );
            const parsed = Answer.safeParse(answer.json);
            if (answer.status !== 200 || !parsed.success || parsed.data.code !== 0) {
              throw classifyTikTokError(answer.status, parsed.success ? parsed.data.code : undefined);
            }
            return parsed.data.data;
          },
          { sleep: this.sleep },
        );
        rows.push(...(data?.list ?? []).map(normalizeRow));
        pages = data?.page_info?.total_page ?? 1;
      }
    }
    return rows;
  }
}

/** A row in the envelope's shape: ids as strings, numbers as TikTok sends them (strings), absent ones as zero. */
const normalizeRow = (row: z.infer<typeof Row>) => ({
  dimensions: { campaign_id: String(row.dimensions.campaign_id), stat_time_day: row.dimensions.stat_time_day },
  metrics: {
    spend: String(row.metrics.spend ?? '0'),
    conversion: String(row.metrics.conversion ?? '0'),
    clicks: String(row.metrics.clicks ?? '0'),
    impressions: String(row.metrics.impressions ?? '0'),
  },
});

import { type PlatformReports, PullError } from '../../application/platformReports.js';
import type { Account } from '../../domain/config.js';
import * as z from '../../domain/schema.js';
import { fetchJson, type JsonAnswer, withBackoff } from './backoff.js';
import { type MetaCredentials, readCredentials } from './credentials.js';
import { ReportsClient, type ReportsOptions } from './reportsClient.js';

/** The Graph API version the client speaks. */
export const META_API_VERSION = 'v24.0';
export const META_DEFAULT_URL = 'https://graph.facebook.com';

/**
 * Ranges longer than this run as asynchronous report jobs, as Meta advises for long ranges: the backfill and
 * long restatement windows; the default 7-day window (8 days with today) stays a plain paged request.
 */
export const META_SYNC_DAYS = 14;
/** Rows per page. */
const PAGE_LIMIT = 500;
/** Status checks of an async job before the pull counts it unavailable (each after a growing wait). */
const JOB_CHECKS = 10;
/** Usage (percent of the account's insights quota) from which the client slows down before its next call. */
const SLOW_DOWN_AT = 75;

const ActionValue = z.object({ action_type: z.string(), value: z.union([z.string(), z.number()]) });
/** An Insights row at campaign level, one day; numbers arrive as strings. */
const Row = z.object({
  campaign_id: z.string(),
  date_start: z.string(),
  date_stop: z.string(),
  spend: z.optional(z.union([z.string(), z.number()])),
  impressions: z.optional(z.union([z.string(), z.number()])),
  clicks: z.optional(z.union([z.string(), z.number()])),
  actions: z.optional(z.array(ActionValue)),
  action_values: z.optional(z.array(ActionValue)),
});
const Page = z.object({
  data: z.array(Row),
  paging: z.optional(z.object({ cursors: z.optional(z.object({ after: z.optional(z.string()) })), next: z.optional(z.string()) })),
});
const Job = z.object({ report_run_id: z.string() });
const JobStatus = z.object({ async_status: z.string(), async_percent_completion: z.optional(z.number()) });
const ErrorAnswer = z.object({
  error: z.object({
    code: z.optional(z.number()),
    error_subcode: z.optional(z.number()),
    type: z.optional(z.string()),
    is_transient: z.optional(z.boolean()),
  }),
});
/** `X-Business-Use-Case-Usage`: per business object, the quotas used in percent and the minutes to regain access. */
const Usage = z.record(
  z.string(),
  z.array(
    z.object({
      call_count: z.optional(z.number()),
      total_cputime: z.optional(z.number()),
      total_time: z.optional(z.number()),
      estimated_time_to_regain_access: z.optional(z.number()),
    }),
  ),
);

/** Meta's throttling codes: app (4), user (17), custom/ad account (613), ads insights and management BUC (80000–80014). */
const THROTTLING = new Set([4, 17, 32, 613]);
export const isThrottling = (code: number) => THROTTLING.has(code) || (code >= 80000 && code <= 80014);
/** Permission codes: a person must grant the access (10, 200–299). */
const isPermission = (code: number) => code === 10 || (code >= 200 && code <= 299);

/** The highest usage and the longest regain estimate in the usage header, if any. */
export const readUsage = (headers: Headers): { percent: number; regainMs?: number } => {
  const text = headers.get('x-business-use-case-usage');
  if (!text) return { percent: 0 };
  try {
    const parsed = Usage.safeParse(JSON.parse(text));
    if (!parsed.success) return { percent: 0 };
    const entries = Object.values(parsed.data).flat();
    const percent = Math.max(0, ...entries.map((e) => Math.max(e.call_count ?? 0, e.total_cputime ?? 0, e.total_time ?? 0)));
    const minutes = Math.max(0, ...entries.map((e) => e.estimated_time_to_regain_access ?? 0));
    return { percent, ...(minutes > 0 ? { regainMs: minutes * 60_000 } : {}) };
  } catch {
    return { percent: 0 };
  }
};

/**
 * A failed Graph API answer as the poll acts on it: 4, 17, 613 and 80004 (and the 80000 family) are
 * throttling, retried after the usage header's `estimated_time_to_regain_access`; 190 (an expired, revoked
 * or invalid token) and permission codes need a person; 1, 2, 5xx or `is_transient` are unavailable.
 */
export const classifyMetaError = (status: number, json: unknown, headers: Headers): PullError => {
  const parsed = ErrorAnswer.safeParse(json);
  const error = parsed.success ? parsed.data.error : undefined;
  const code = error?.code ?? 0;
  const message = `Meta answered ${status} (code ${code}${error?.error_subcode ? `, subcode ${error.error_subcode}` : ''})`;
  if (isThrottling(code) || status === 429) return new PullError('throttled', message, readUsage(headers).regainMs);
  if (code === 190 || code === 102 || isPermission(code) || status === 401 || status === 403) return new PullError('credentials', message);
  if (code === 1 || code === 2 || error?.is_transient || status >= 500) return new PullError('unavailable', message);
  return new PullError('refused', message);
};

export type MetaReportsOptions = ReportsOptions;

/**
 * Meta Marketing API insights over REST: `/act_{id}/insights` at campaign level with `time_increment=1`,
 * filtered to the portfolio's campaigns, paged by cursor; ranges longer than {@link META_SYNC_DAYS} days run
 * as asynchronous report jobs. The usage header slows the client before Meta throttles it. No SDK: the
 * official `facebook-nodejs-business-sdk` is about 4 MB unpacked with its own HTTP stack (README, dependencies).
 */
export class MetaReports extends ReportsClient implements PlatformReports {
  readonly platform = 'meta' as const;

  constructor(options: MetaReportsOptions) {
    super(options, META_DEFAULT_URL);
  }

  async dailyRows(account: Account, campaignIds: readonly string[], from: string, to: string): Promise<readonly unknown[]> {
    const { accessToken } = (await readCredentials(this.options.credentials, account as Account & { platform: 'meta' })) as MetaCredentials;
    const params = new URLSearchParams({
      level: 'campaign',
      time_increment: '1',
      time_range: JSON.stringify({ since: from, until: to }),
      fields: 'campaign_id,spend,impressions,clicks,actions,action_values',
      filtering: JSON.stringify([{ field: 'campaign.id', operator: 'IN', value: campaignIds }]),
      limit: String(PAGE_LIMIT),
    });
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    const insights = days > META_SYNC_DAYS ? await this.startJob(account, accessToken, params) : `act_${account.accountId}/insights`;
    const rows: unknown[] = [];
    for (let after: string | undefined, first = true; first || after !== undefined; first = false) {
      const query = new URLSearchParams(insights.includes('act_') ? params : { limit: String(PAGE_LIMIT) });
      if (after) query.set('after', after);
      const answer = await this.call(accessToken, 'GET', `${insights}?${query}`);
      const page = Page.safeParse(answer.json);
      if (!page.success) throw new PullError('unavailable', 'Meta answered an insights page the client cannot read');
      rows.push(...page.data.data.map(({ date_start, date_stop, ...rest }) => ({ ...rest, date_start, date_stop })));
      // `next` is there while more pages are; the cursor, not the URL, is followed (the URL names Meta's host).
      after = page.data.paging?.next ? page.data.paging.cursors?.after : undefined;
    }
    return rows;
  }

  /** Starts an async report job and waits for it, checking with a growing wait. */
  private async startJob(account: Account, accessToken: string, params: URLSearchParams): Promise<string> {
    const started = Job.safeParse((await this.call(accessToken, 'POST', `act_${account.accountId}/insights`, params)).json);
    if (!started.success) throw new PullError('unavailable', 'Meta answered an async report request without report_run_id');
    const id = started.data.report_run_id;
    for (let check = 0; check < JOB_CHECKS; check += 1) {
      const status = JobStatus.safeParse((await this.call(accessToken, 'GET', id)).json);
      if (!status.success) throw new PullError('unavailable', 'Meta answered an async report status the client cannot read');
      if (status.data.async_status === 'Job Completed') return `${id}/insights`;
      if (status.data.async_status === 'Job Failed' || status.data.async_status === 'Job Skipped') {
        throw new PullError('unavailable', `Meta's async report ended "${status.data.async_status}"`);
      }
      await this.sleep(Math.min(30_000, 1000 * 2 ** check));
    }
    throw new PullError('unavailable', `Meta's async report did not complete after ${JOB_CHECKS} checks`);
  }

  /** One Graph call with the bounded backoff; slows down when the usage header nears the limit. */
  private async call(accessToken: string, method: 'GET' | 'POST', path: string, form?: URLSearchParams): Promise<JsonAnswer> {
    const answer = await withBackoff(
      async () => {
        const result = await fetchJson(
          this.fetcher,
          `${this.baseUrl}/${META_API_VERSION}/${path}`,
          {
            method,
            headers: { authorization: `Bearer ${accessToken}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
            ...(form ? { body: form.toString() } : {}),
          },
          'Meta Graph API',
        );
        if (result.status !== 200) throw classifyMetaError(result.status, result.json, result.headers);
        return result;
      },
      { sleep: this.sleep },
    );
    const usage = readUsage(answer.headers);
    if (usage.percent >= SLOW_DOWN_AT) await this.sleep(Math.min(60_000, (usage.percent - SLOW_DOWN_AT + 1) * 1000));
    return answer;
  }
}

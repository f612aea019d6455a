import { type PlatformReports, PullError } from '../../application/platformReports.js';
import type { Account } from '../../domain/config.js';
import { sha256 } from '../../domain/hash.js';
import * as z from '../../domain/schema.js';
import { durationMs, fetchJson, type JsonAnswer, withBackoff } from './backoff.js';
import { type GoogleAdsCredentials, readCredentials } from './credentials.js';
import { ReportsClient, type ReportsOptions } from './reportsClient.js';

/** The Google Ads API version the client speaks (REST, `googleAds:searchStream`). */
export const GOOGLE_ADS_API_VERSION = 'v22';
export const GOOGLE_ADS_DEFAULT_URL = 'https://googleads.googleapis.com';
export const GOOGLE_OAUTH_DEFAULT_URL = 'https://oauth2.googleapis.com/token';

/** int64 fields arrive as strings in REST JSON; a field at its default (0) is left out entirely. */
const Int64 = z.union([z.string().check(z.regex(/^\d+$/)), z.int()]);

/** A GoogleAdsRow of the daily campaign query; proto3 JSON leaves zero metrics out. */
const Row = z.object({
  campaign: z.object({ id: Int64 }),
  segments: z.object({ date: z.string() }),
  metrics: z.optional(
    z.object({
      costMicros: z.optional(Int64),
      conversions: z.optional(z.number()),
      conversionsValue: z.optional(z.number()),
      clicks: z.optional(Int64),
      impressions: z.optional(Int64),
    }),
  ),
});

/** `SearchStream`'s REST answer: one JSON array of batches (SearchGoogleAdsStreamResponse). */
const StreamAnswer = z.array(z.object({ results: z.optional(z.array(Row)) }));

const TokenAnswer = z.object({ access_token: z.string(), expires_in: z.optional(z.number()) });

/** `{ error: { code, status, message, details: [GoogleAdsFailure] } }`, as much as the client reads. */
const ErrorAnswer = z.object({
  error: z.object({
    status: z.optional(z.string()),
    message: z.optional(z.string()),
    details: z.optional(
      z.array(
        z.object({
          errors: z.optional(
            z.array(
              z.object({
                errorCode: z.optional(z.record(z.string(), z.unknown())),
                details: z.optional(z.object({ quotaErrorDetails: z.optional(z.object({ retryDelay: z.optional(z.string()) })) })),
              }),
            ),
          ),
        }),
      ),
    ),
  }),
});

/** The first Google Ads error code in an answer, as `family.CODE` (`authenticationError.OAUTH_TOKEN_EXPIRED`). */
const firstCode = (answer: z.infer<typeof ErrorAnswer> | undefined): { code: string; retryAfterMs?: number } => {
  const error = answer?.error.details?.flatMap((d) => d.errors ?? [])[0];
  const [family, value] = Object.entries(error?.errorCode ?? {})[0] ?? [];
  const retryAfterMs = durationMs(error?.details?.quotaErrorDetails?.retryDelay);
  return {
    code: family ? `${family}.${String(value)}` : (answer?.error.status ?? 'UNKNOWN'),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
};

/**
 * A failed Google Ads answer as the poll acts on it: RESOURCE_EXHAUSTED (429) is throttled, with the retry
 * delay Google names; UNAUTHENTICATED and PERMISSION_DENIED need a person; 5xx is unavailable.
 */
export const classifyGoogleAdsError = (status: number, json: unknown): PullError => {
  const parsed = ErrorAnswer.safeParse(json);
  const answer = parsed.success ? parsed.data : undefined;
  const { code, retryAfterMs } = firstCode(answer);
  const grpc = answer?.error.status ?? '';
  const message = `Google Ads answered ${status} ${grpc} (${code})`;
  if (status === 429 || grpc === 'RESOURCE_EXHAUSTED') return new PullError('throttled', message, retryAfterMs);
  if (status === 401 || status === 403 || grpc === 'UNAUTHENTICATED' || grpc === 'PERMISSION_DENIED')
    return new PullError('credentials', message);
  if (status >= 500 || grpc === 'UNAVAILABLE' || grpc === 'INTERNAL' || grpc === 'DEADLINE_EXCEEDED')
    return new PullError('unavailable', message);
  return new PullError('refused', message);
};

export interface GoogleAdsReportsOptions extends ReportsOptions {
  readonly tokenUrl?: string;
  readonly now?: () => number;
}

/**
 * Google Ads reporting over REST: an access token from the account's refresh token (cached until a minute
 * before it expires), then one GAQL `searchStream` per account and date range; its batches are the pages.
 * No client library: the official `google-ads-api` Node client pulls in gRPC and protobuf definitions of
 * every service, megabytes against the function's bundle budget (README, dependencies).
 */
export class GoogleAdsReports extends ReportsClient<GoogleAdsReportsOptions> implements PlatformReports {
  readonly platform = 'google-ads' as const;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly tokenUrl: string;
  private readonly now: () => number;

  constructor(options: GoogleAdsReportsOptions) {
    super(options, GOOGLE_ADS_DEFAULT_URL);
    this.tokenUrl = options.tokenUrl ?? GOOGLE_OAUTH_DEFAULT_URL;
    this.now = options.now ?? Date.now;
  }

  async dailyRows(account: Account, campaignIds: readonly string[], from: string, to: string): Promise<readonly unknown[]> {
    if (campaignIds.some((id) => !/^\d+$/.test(id))) throw new PullError('refused', 'Google Ads campaign ids are digits');
    const credentials = (await readCredentials(
      this.options.credentials,
      account as Account & { platform: 'google-ads' },
    )) as GoogleAdsCredentials;
    const query =
      'SELECT campaign.id, segments.date, metrics.cost_micros, metrics.conversions, metrics.conversions_value, metrics.clicks, metrics.impressions ' +
      `FROM campaign WHERE segments.date BETWEEN '${from}' AND '${to}' AND campaign.id IN (${campaignIds.join(', ')})`;
    const url = `${this.baseUrl}/${GOOGLE_ADS_API_VERSION}/customers/${account.accountId}/googleAds:searchStream`;
    const answer = await withBackoff(() => this.search(account, credentials, url, query), { sleep: this.sleep });
    const parsed = StreamAnswer.safeParse(answer.json);
    if (!parsed.success) throw new PullError('unavailable', 'Google Ads answered a searchStream the client cannot read');
    return parsed.data.flatMap((batch) => batch.results ?? []).map(normalizeRow);
  }

  /** One searchStream call; an expired access token is refreshed once and the call repeated. */
  private async search(account: Account, credentials: GoogleAdsCredentials, url: string, query: string): Promise<JsonAnswer> {
    for (let refreshed = false; ; refreshed = true) {
      const token = await this.accessToken(credentials, refreshed);
      const answer = await fetchJson(
        this.fetcher,
        url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'developer-token': credentials.developerToken,
            'content-type': 'application/json',
            ...(account.loginCustomerId ? { 'login-customer-id': account.loginCustomerId } : {}),
          },
          body: JSON.stringify({ query }),
        },
        'Google Ads searchStream',
      );
      if (answer.status === 200) return answer;
      const error = classifyGoogleAdsError(answer.status, answer.json);
      if (!refreshed && error.message.includes('OAUTH_TOKEN_EXPIRED')) continue;
      throw error;
    }
  }

  private async accessToken(credentials: GoogleAdsCredentials, renew: boolean): Promise<string> {
    const key = sha256(credentials.refreshToken);
    const cached = this.tokens.get(key);
    if (cached && !renew && cached.expiresAt > this.now()) return cached.token;
    const answer = await withBackoff(
      async () => {
        const result = await fetchJson(
          this.fetcher,
          this.tokenUrl,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: credentials.refreshToken,
              client_id: credentials.clientId,
              client_secret: credentials.clientSecret,
            }).toString(),
          },
          'Google OAuth token',
        );
        if (result.status >= 500 || result.status === 429) throw new PullError('unavailable', `Google OAuth answered ${result.status}`);
        return result;
      },
      { sleep: this.sleep },
    );
    const parsed = TokenAnswer.safeParse(answer.json);
    if (answer.status !== 200 || !parsed.success) {
      const reason = (answer.json as { error?: unknown } | undefined)?.error;
      // invalid_grant: the refresh token expired or was revoked; invalid_client: the OAuth client is wrong.
      throw new PullError('credentials', `Google OAuth refused the refresh token (${typeof reason === 'string' ? reason : answer.status})`);
    }
    const expiresIn = parsed.data.expires_in ?? 3600;
    this.tokens.set(key, { token: parsed.data.access_token, expiresAt: this.now() + (expiresIn - 60) * 1000 });
    return parsed.data.access_token;
  }
}

/** A row with every metric present: proto3 JSON leaves zero values out, and the envelope needs cost. */
const normalizeRow = (row: z.infer<typeof Row>) => ({
  campaign: { id: String(row.campaign.id) },
  segments: { date: row.segments.date },
  metrics: {
    costMicros: String(row.metrics?.costMicros ?? '0'),
    conversions: row.metrics?.conversions ?? 0,
    conversionsValue: row.metrics?.conversionsValue ?? 0,
    clicks: String(row.metrics?.clicks ?? '0'),
    impressions: String(row.metrics?.impressions ?? '0'),
  },
});

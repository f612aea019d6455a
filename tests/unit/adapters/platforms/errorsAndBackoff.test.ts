import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, durationMs, withBackoff } from '../../../../functions/adapters/platforms/backoff.js';
import { classifyGoogleAdsError, GoogleAdsReports } from '../../../../functions/adapters/platforms/googleAds.js';
import { classifyMetaError, readUsage } from '../../../../functions/adapters/platforms/meta.js';
import { classifyTikTokError } from '../../../../functions/adapters/platforms/tiktok.js';
import { PullError } from '../../../../functions/application/platformReports.js';

/** A sleep that records each wait and returns at once: backoff without the wall clock. */
const recordingSleep = () => {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
};

/** An attempt that fails with these errors in turn, then answers 'ok'. */
const failing = (...errors: PullError[]) => {
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    const error = errors[calls - 1];
    if (error) throw error;
    return 'ok';
  };
  return { attempt, calls: () => calls };
};

describe('bounded backoff', () => {
  it('waits the delay the platform names, then succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const { attempt, calls } = failing(new PullError('throttled', 'x', 7000), new PullError('throttled', 'x', 3000));
    await expect(withBackoff(attempt, { sleep })).resolves.toBe('ok');
    expect(waits).toEqual([7000, 3000]);
    expect(calls()).toBe(3);
  });

  it('doubles its own wait with full jitter when the platform names none', async () => {
    const { waits, sleep } = recordingSleep();
    const { attempt } = failing(new PullError('unavailable', 'a'), new PullError('unavailable', 'b'), new PullError('throttled', 'c'));
    await withBackoff(attempt, { sleep, random: () => 0.5 });
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('stops after its attempts, throwing the last failure', async () => {
    const { waits, sleep } = recordingSleep();
    const errors = Array.from({ length: 10 }, (_, i) => new PullError('unavailable', `failure ${i}`));
    const { attempt, calls } = failing(...errors);
    await expect(withBackoff(attempt, { sleep, random: () => 0 })).rejects.toThrow(`failure ${DEFAULT_BACKOFF.attempts - 1}`);
    expect(calls()).toBe(DEFAULT_BACKOFF.attempts);
    expect(waits).toHaveLength(DEFAULT_BACKOFF.attempts - 1);
  });

  it('does not wait for a platform asking longer than a wait may be, nor past the budget', async () => {
    const { waits, sleep } = recordingSleep();
    const long = failing(new PullError('throttled', 'come back in 30 minutes', 30 * 60_000));
    await expect(withBackoff(long.attempt, { sleep })).rejects.toThrow('30 minutes');
    expect(waits).toEqual([]);
    const policy = { attempts: 10, baseMs: 1000, maxWaitMs: 60_000, budgetMs: 100_000 };
    const many = failing(...Array.from({ length: 5 }, () => new PullError('throttled', 'again', 45_000)));
    await expect(withBackoff(many.attempt, { sleep, policy })).rejects.toThrow('again');
    expect(waits).toEqual([45_000, 45_000]);
  });

  it('never retries credentials or a refused request', async () => {
    const { waits, sleep } = recordingSleep();
    for (const kind of ['credentials', 'refused'] as const) {
      const { attempt, calls } = failing(new PullError(kind, kind));
      await expect(withBackoff(attempt, { sleep })).rejects.toMatchObject({ kind });
      expect(calls()).toBe(1);
    }
    expect(waits).toEqual([]);
  });

  it('reads protobuf durations', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('1.5s')).toBe(1500);
    expect(durationMs('soon')).toBeUndefined();
  });
});

const googleFailure = (status: number, grpc: string, errorCode: Record<string, string>, retryDelay?: string) => ({
  error: {
    code: status,
    status: grpc,
    message: 'm',
    details: [
      {
        '@type': 'type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure',
        errors: [{ errorCode, message: 'm', ...(retryDelay ? { details: { quotaErrorDetails: { retryDelay } } } : {}) }],
      },
    ],
  },
});

describe('Google Ads error classes', () => {
  it.each([
    [429, 'RESOURCE_EXHAUSTED', { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }, '30s', 'throttled', 30_000],
    [429, 'RESOURCE_EXHAUSTED', { quotaError: 'RESOURCE_EXHAUSTED' }, undefined, 'throttled', undefined],
    [401, 'UNAUTHENTICATED', { authenticationError: 'OAUTH_TOKEN_REVOKED' }, undefined, 'credentials', undefined],
    [403, 'PERMISSION_DENIED', { authorizationError: 'USER_PERMISSION_DENIED' }, undefined, 'credentials', undefined],
    [503, 'UNAVAILABLE', { internalError: 'TRANSIENT_ERROR' }, undefined, 'unavailable', undefined],
    [400, 'INVALID_ARGUMENT', { queryError: 'UNEXPECTED_INPUT' }, undefined, 'refused', undefined],
  ])('%i %s → %s', (status, grpc, code, delay, kind, retryAfterMs) => {
    const error = classifyGoogleAdsError(status, googleFailure(status, grpc, code, delay));
    expect(error.kind).toBe(kind);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.message).toContain(Object.values(code)[0]);
  });

  it('treats an answer it cannot read by its HTTP status', () => {
    expect(classifyGoogleAdsError(502, '<html>').kind).toBe('unavailable');
  });

  it('fills the metrics proto3 JSON leaves out at zero, so a day without cost still maps', async () => {
    const fetcher = (async (url: string) =>
      new Response(
        url.endsWith('/token')
          ? JSON.stringify({ access_token: 't', expires_in: 3600 })
          : JSON.stringify([{ results: [{ campaign: { id: '5' }, segments: { date: '2026-11-01' } }] }]),
        { status: 200 },
      )) as typeof fetch;
    const client = new GoogleAdsReports({
      credentials: async () => ({ developerToken: 'd', clientId: 'c', clientSecret: 's', refreshToken: 'r' }) as never,
      fetch: fetcher,
      sleep: async () => {},
    });
    const rows = await client.dailyRows(
      { platform: 'google-ads', accountId: '1112223333', secret: 's' },
      ['5'],
      '2026-11-01',
      '2026-11-01',
    );
    expect(rows).toEqual([
      {
        campaign: { id: '5' },
        segments: { date: '2026-11-01' },
        metrics: { costMicros: '0', conversions: 0, conversionsValue: 0, clicks: '0', impressions: '0' },
      },
    ]);
    await expect(
      client.dailyRows({ platform: 'google-ads', accountId: '1112223333', secret: 's' }, ['5) OR (1=1'], '2026-11-01', '2026-11-01'),
    ).rejects.toMatchObject({ kind: 'refused' });
  });
});

const usageHeader = (minutes: number, percent: number) =>
  new Headers({
    'x-business-use-case-usage': JSON.stringify({
      '100200300400500': [
        { type: 'ads_insights', call_count: percent, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: minutes },
      ],
    }),
  });

describe('Meta error classes', () => {
  it.each([4, 17, 613, 80004, 80000])("code %i is throttling, retried after the usage header's regain estimate", (code) => {
    const error = classifyMetaError(400, { error: { code, error_subcode: 2446079 } }, usageHeader(3, 100));
    expect(error.kind).toBe('throttled');
    expect(error.retryAfterMs).toBe(180_000);
  });

  it.each([
    [{ code: 190, error_subcode: 463 }, 'credentials'],
    [{ code: 190 }, 'credentials'],
    [{ code: 200 }, 'credentials'],
    [{ code: 2, is_transient: true }, 'unavailable'],
    [{ code: 100, error_subcode: 33 }, 'refused'],
  ])('%j → %s', (error, kind) => {
    expect(classifyMetaError(400, { error }, new Headers()).kind).toBe(kind);
  });

  it("reads the highest usage among the header's quotas, and none from a broken header", () => {
    expect(readUsage(usageHeader(0, 82))).toEqual({ percent: 82 });
    expect(readUsage(new Headers({ 'x-business-use-case-usage': '{not json' }))).toEqual({ percent: 0 });
  });
});

describe('TikTok error classes', () => {
  it.each([
    [200, 40100, 'throttled'],
    [429, undefined, 'throttled'],
    [200, 40102, 'credentials'],
    [200, 40105, 'credentials'],
    [200, 40001, 'credentials'],
    [200, 50000, 'unavailable'],
    [502, undefined, 'unavailable'],
    [200, 40002, 'refused'],
  ])('HTTP %i code %s → %s', (status, code, kind) => {
    expect(classifyTikTokError(status, code).kind).toBe(kind);
  });
});

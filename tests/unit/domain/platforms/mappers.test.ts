import { describe, expect, it } from 'vitest';
import { fromPlatform } from '../../../../functions/domain/platforms/mappers.js';
import { deployedConfig } from '../../../../functions/wiring/config.js';

const portfolios = deployedConfig.portfolios;
const receivedAt = new Date('2026-11-22T10:00:00Z');
/** A platform's delivery as the webhook maps it, for the configured portfolios, received at `receivedAt`. */
const mapped = (source: Parameters<typeof fromPlatform>[0], body: unknown) => fromPlatform(source, body, portfolios, receivedAt);
const PULLED = '2026-11-22T09:00:00Z';

const metaRow = (extra: object = {}) => ({
  campaign_id: '23850000000000001',
  date_start: '2026-11-20',
  date_stop: '2026-11-20',
  spend: '1234.56',
  impressions: '100000',
  clicks: '850',
  actions: [
    { action_type: 'purchase', value: '31' },
    { action_type: 'offsite_conversion.fb_pixel_purchase', value: '30' },
    { action_type: 'omni_purchase', value: '31' },
  ],
  action_values: [
    { action_type: 'purchase', value: '2480.5' },
    { action_type: 'offsite_conversion.fb_pixel_purchase', value: '2400' },
  ],
  ...extra,
});

describe('Meta Insights rows', () => {
  it('reads numbers from strings and counts only the channel’s action type, not the same purchase three times', () => {
    const result = mapped('meta', { portfolioId: 'demo', deliveryId: 'm1', pulledAt: PULLED, data: [metaRow()] });
    expect(result).toEqual({
      ok: true,
      delivery: {
        portfolioId: 'demo',
        deliveryId: 'm1',
        records: [
          {
            channelId: 'social',
            date: '2026-11-20',
            spend: 1234.56,
            impressions: 100000,
            clicks: 850,
            conversions: 30,
            revenue: 2400,
            revision: Date.parse(PULLED),
          },
        ],
      },
    });
  });

  it('refuses a row spanning several days, and a non-numeric spend, with their paths', () => {
    const result = mapped('meta', { portfolioId: 'demo', data: [metaRow({ date_stop: '2026-11-21' }), metaRow({ spend: '12,5' })] });
    expect(result).toMatchObject({ ok: false, rejection: { kind: 'invalid-delivery' } });
    expect(!result.ok && result.rejection.issues.map((i) => i.path)).toEqual(['data[0].date_stop', 'data[1].spend']);
  });

  it('refuses an envelope key misspelt by case or separator, naming it, while keeping what else the API returns', () => {
    // A `pulledat` passed silently: the receipt time then stood as the rows' revision and replaced newer rows.
    const misspelt = mapped('meta', { portfolioId: 'demo', deliveryID: 'm5', pulled_at: PULLED, data: [metaRow()] });
    expect(!misspelt.ok && misspelt.rejection.issues).toEqual([
      { path: 'deliveryID', message: 'is not a known key: did you mean "deliveryId"?' },
      { path: 'pulled_at', message: 'is not a known key: did you mean "pulledAt"?' },
    ]);
    const raw = mapped('meta', { portfolioId: 'demo', pulledAt: PULLED, data: [metaRow()], paging: { cursors: {} } });
    expect(raw.ok).toBe(true);
  });

  it('refuses a platform delivery id with a lone surrogate, as the generic webhook does', () => {
    const result = mapped('meta', { portfolioId: 'demo', deliveryId: '\udc00', data: [metaRow()] });
    expect(!result.ok && result.rejection.issues.map((i) => i.path)).toEqual(['deliveryId']);
  });

  it('tells a sender whose campaign id is a number past 2^53 to send it as a string', () => {
    // JSON.parse has already rounded 23850000000000001 to 23850000000000000: a number cannot carry it.
    const result = mapped('meta', { portfolioId: 'demo', data: [metaRow({ campaign_id: 2 ** 54 })] });
    expect(!result.ok && result.rejection.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'data[0].campaign_id: expected an id: a string of 1 to 64 characters, or a whole number below 2^53 (send a longer id as a string: as a number it loses digits)',
    ]);
  });

  it('says what a number must look like, and refuses an action type a row repeats (it has no single value)', () => {
    const twice = [
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '30' },
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '3' },
    ];
    const result = mapped('meta', {
      portfolioId: 'demo',
      data: [metaRow({ spend: '-5' }), metaRow({ clicks: '1e3' }), metaRow({ actions: twice })],
    });
    expect(!result.ok && result.rejection.issues).toEqual([
      {
        path: 'data[0].spend',
        message: 'expected a non-negative decimal: a JSON number, or a string of digits such as "123.45" (no sign, exponent or hex)',
      },
      { path: 'data[1].clicks', message: 'expected a non-negative whole number: a JSON number, or a string of digits such as "1000"' },
      {
        path: 'data[2].actions[1].action_type',
        message:
          '"offsite_conversion.fb_pixel_purchase" appears more than once in this row (a report without action_breakdowns has each type once)',
      },
    ]);
  });
});

describe('Google Ads rows', () => {
  const row = (metrics: object, id = '1234567890', date = '2026-11-20') => ({ campaign: { id }, segments: { date }, metrics });

  it('takes cost in micros (camelCase or snake_case), fractional conversions and conversion value', () => {
    const result = mapped('google-ads', {
      portfolioId: 'demo',
      results: [
        row({ costMicros: '2950500000', conversions: 101.5, conversionsValue: 9800.25, clicks: '400' }),
        row({ cost_micros: 1_000_000, conversions: 1 }, '1234567891'),
      ],
    });
    expect(result.ok && result.delivery.records).toEqual([
      {
        channelId: 'search',
        date: '2026-11-20',
        spend: 2950.5,
        conversions: 101.5,
        revenue: 9800.25,
        clicks: 400,
        revision: receivedAt.getTime(),
      },
      { channelId: 'display', date: '2026-11-20', spend: 1, conversions: 1, revision: receivedAt.getTime() },
    ]);
  });

  it('adds up the campaigns of one channel on the same day', () => {
    const config = structuredClone(portfolios) as typeof portfolios;
    (config[0]!.channels.find((c) => c.id === 'search')!.sourceIds as Record<string, string[]>)['google-ads'] = ['1', '2'];
    const result = fromPlatform(
      'google-ads',
      {
        portfolioId: 'demo',
        results: [row({ costMicros: 1_500_000, conversions: 1 }, '1'), row({ costMicros: 2_250_000, conversions: 2.5 }, '2')],
      },
      config,
      receivedAt,
    );
    expect(result.ok && result.delivery.records).toEqual([
      { channelId: 'search', date: '2026-11-20', spend: 3.75, conversions: 3.5, revision: receivedAt.getTime() },
    ]);
  });

  it('needs a cost, and one cost: camelCase and snake_case that disagree are refused, that agree are taken', () => {
    const result = mapped('google-ads', {
      portfolioId: 'demo',
      results: [row({ conversions: 1 }), row({ costMicros: 2_000_000, cost_micros: 1_000_000 })],
    });
    expect(!result.ok && result.rejection.issues).toEqual([
      { path: 'results[0].metrics.costMicros', message: 'needs costMicros or cost_micros' },
      { path: 'results[1].metrics.cost_micros', message: 'costMicros and cost_micros disagree: send one' },
    ]);
    const agreed = mapped('google-ads', { portfolioId: 'demo', results: [row({ costMicros: '1000000', cost_micros: 1_000_000 })] });
    expect(agreed.ok && agreed.delivery.records[0]!.spend).toBe(1);
  });
});

describe('TikTok rows', () => {
  it('reads stat_time_day and campaign_id dimensions and string metrics', () => {
    const body = {
      portfolioId: 'demo',
      data: {
        list: [
          {
            dimensions: { campaign_id: '1790000000000001', stat_time_day: '2026-11-20 00:00:00' },
            metrics: { spend: '812.40', conversion: '17', clicks: '3100' },
          },
        ],
      },
    };
    const result = mapped('tiktok', body);
    expect(result.ok && result.delivery.records).toEqual([
      { channelId: 'video', date: '2026-11-20', spend: 812.4, conversions: 17, clicks: 3100, revision: receivedAt.getTime() },
    ]);
  });
});

describe('mapping platform ids to channels', () => {
  it('answers 422 listing every unmapped id, and 422 for an unknown portfolio', () => {
    const rows = [
      { dimensions: { campaign_id: '999', stat_time_day: '2026-11-20' }, metrics: { spend: 1 } },
      { dimensions: { campaign_id: '1790000000000001', stat_time_day: '2026-11-20' }, metrics: { spend: 1 } },
      { dimensions: { campaign_id: '998', stat_time_day: '2026-11-21' }, metrics: { spend: 1 } },
    ];
    const result = mapped('tiktok', { portfolioId: 'demo', data: { list: rows } });
    expect(result).toMatchObject({ ok: false, rejection: { kind: 'unknown-reference' } });
    expect(!result.ok && result.rejection.issues.map((i) => i.path)).toEqual([
      'data.list[0].dimensions.campaign_id',
      'data.list[2].dimensions.campaign_id',
    ]);
    expect(!result.ok && result.rejection.issues[0]!.message).toContain('unmapped: 999, 998');
    expect(mapped('tiktok', { portfolioId: 'nope', data: { list: rows } })).toMatchObject({
      ok: false,
      rejection: { kind: 'unknown-reference', issues: [{ path: 'portfolioId' }] },
    });
  });
});

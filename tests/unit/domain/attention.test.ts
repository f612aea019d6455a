import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../functions/domain/alerts/lifecycle.js';
import { alertValue, attentionItems, breachedWindows } from '../../../functions/domain/attention.js';
import type { Diagnostics } from '../../../functions/domain/diagnostics/schemas.js';
import { minorUnitOf } from '../../../functions/domain/money.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';

const alert = (fields: Partial<Alert>): Alert => ({
  alertId: 'a1',
  portfolioId: 'p',
  ruleId: 'cpa-high',
  channelId: 'display',
  metric: 'cpa',
  op: '>',
  threshold: 45,
  window: 'day',
  consecutive: 1,
  status: 'open',
  severity: 'critical',
  observed: 123.5,
  windows: ['2026-11-21'],
  openedAt: '2026-11-22T08:00:00.000Z',
  configHash: 'c',
  history: [],
  ...fields,
});

const snapshot = (fields: Partial<Snapshot['allocation']> = {}, watermark: string | null = '2026-11-21'): Snapshot => ({
  snapshotId: '20261122T080000000Z-a',
  portfolioId: 'p',
  createdAt: '2026-11-22T08:00:00.000Z',
  configHash: 'c',
  watermark,
  inputHash: 'h',
  computation: 'solved',
  trigger: { kind: 'on-demand', by: 'test' },
  allocation: {
    status: 'optimal',
    asOf: '2026-11-22',
    total: 1000,
    channels: [],
    exploration: 0,
    reserve: 0,
    constraints: [],
    expectedConversions: 20,
    solver: { name: 'test', ms: 0 },
    ...fields,
  },
});

const calm = { alerts: [], daily: [], allocated: new Map(), today: '2026-11-22', configHash: 'c' };

describe('what needs attention', () => {
  it('says nothing when nothing needs a person', () => {
    expect(attentionItems({ ...calm, latest: snapshot() })).toEqual([]);
  });

  it('says a portfolio never allocated has no plan, and how fresh its data is, instead of "nothing needs attention"', () => {
    const texts = (daily: { channelId: string; date: string; spend: number; conversions: number }[]) =>
      attentionItems({ ...calm, latest: undefined, daily: daily as never }).map((i) => i.text);
    expect(texts([])).toEqual([
      'No plan yet: the portfolio has not been allocated. The next scheduled run allocates it, or reallocate now.',
      'No metrics from the last 14 days have arrived.',
    ]);
    // Each links to the section the page has without a plan: the plan's facts are not there.
    expect(attentionItems({ ...calm, latest: undefined }).map((i) => i.detail)).toEqual(['empty', 'empty']);
    expect(texts([{ channelId: 'search', date: '2026-11-21', spend: 100, conversions: 3 }])).toEqual([
      'No plan yet: the portfolio has not been allocated. The next scheduled run allocates it, or reallocate now.',
    ]);
    expect(texts([{ channelId: 'search', date: '2026-11-15', spend: 100, conversions: 3 }])).toContain(
      'The newest metrics are from 2026-11-15, 7 days ago.',
    );
  });

  it('names applies to the platforms stopped after repeated failures, as critical, linked to their section', () => {
    expect(attentionItems({ ...calm, latest: snapshot(), appliesStopped: { at: '2026-11-22T07:30:00.000Z', failures: 3 } })).toEqual([
      {
        severity: 'critical',
        text: 'Applies to the ad platforms stopped at 2026-11-22 07:30 UTC after 3 failures in a row: plans are not sent until an operator applies one.',
        detail: 'h-applied',
      },
    ]);
    expect(
      attentionItems({ ...calm, latest: snapshot(), appliesStopped: { at: '2026-11-22T07:30:00.000Z', failures: 1 } })[0]!.text,
    ).toMatch(/after 1 failure:/);
    expect(attentionItems({ ...calm, latest: snapshot() })).toEqual([]);
  });

  it('puts the most severe first, in people’s units, each linked to its detail', () => {
    const items = attentionItems({
      ...calm,
      latest: snapshot(),
      alerts: [alert({ severity: 'info', ruleId: 'ctr-low', metric: 'ctr', observed: 0.004, threshold: 0.01 }), alert({})],
      daily: [{ channelId: 'display', date: '2026-11-21', spend: 1223, conversions: 10, revenue: 0, impressions: 0, clicks: 0, rows: 1 }],
      allocated: new Map([['2026-11-21', new Map([['display', 1000]])]]),
    });
    expect(items).toEqual([
      { severity: 'critical', text: 'display: CPA 123.50 against 45.00 (rule cpa-high).', detail: 'h-alerts' },
      { severity: 'warning', text: 'display spent 122% of plan on 2026-11-21 (1,223.00 against 1,000.00).', detail: 'h-pacing' },
      { severity: 'info', text: 'display: CTR 0% against 1% (rule ctr-low).', detail: 'h-alerts' },
    ]);
  });

  it('shows a stop-loss holding a channel as at least a warning', () => {
    const [item] = attentionItems({
      ...calm,
      latest: snapshot(),
      alerts: [alert({ severity: 'info', action: 'stop-loss', metric: 'roas', observed: 0.9, threshold: 1 })],
    });
    expect(item).toEqual({
      severity: 'warning',
      text: 'display: ROAS 0.90 against 1.00 (rule cpa-high); a stop-loss holds it at its base.',
      detail: 'h-alerts',
    });
  });

  it('names a held plan, an unmet target, stale data and a plan made under an earlier config', () => {
    const latest = snapshot(
      {
        status: 'held',
        reason: 'stale data: the newest metric is from 2026-11-10',
        constraints: [{ id: 'targetCpa', binding: true, shadowPrice: 0, unmet: 12, explanation: 'The target CPA of 30 cannot be met.' }],
      },
      '2026-11-10',
    );
    const items = attentionItems({ ...calm, latest, configHash: 'another' });
    expect(items.map((i) => [i.severity, i.detail])).toEqual([
      ['critical', 'meta'],
      ['warning', 'h-constraints'],
      ['warning', 'meta'],
      ['info', 'meta'],
    ]);
    expect(items[0]!.text).toBe('The plan is held: stale data: the newest metric is from 2026-11-10.');
    expect(items[2]!.text).toBe('The newest metrics are from 2026-11-10, 12 days ago.');
  });

  it('reads pacing and silence as people say them', () => {
    expect(alertValue({ metric: 'pacing', observed: 1.223, threshold: 0.15, windows: [] })).toBe(
      'spend at 222% of plan (the rule allows 115%)',
    );
    expect(alertValue({ metric: 'hoursSinceData', observed: 30, threshold: 6, windows: [] })).toBe(
      'no data for 30 hours (the rule allows 6 hours)',
    );
    // A fraction of an hour is not rounded to 0 against a rule that allows 0.05.
    expect(alertValue({ metric: 'hoursSinceData', observed: 0.066, threshold: 0.05, windows: [] })).toBe(
      'no data for 0.1 hours (the rule allows 0.05 hours)',
    );
    // A channel that never reported is not silent "for ever".
    expect(alertValue({ metric: 'hoursSinceData', observed: 'Infinity', threshold: 6, windows: [] })).toBe(
      'no data yet (the rule allows 6 hours)',
    );
    expect(alertValue({ metric: 'cpa', observed: 'Infinity', threshold: 45, windows: [] })).toBe(
      'CPA infinite (spend, no conversions) against 45.00',
    );
    // A CPA is money: in yen, whole.
    expect(alertValue({ metric: 'cpa', observed: 4500.4, threshold: 4000, windows: [] }, minorUnitOf('JPY').format)).toBe(
      'CPA 4,500 against 4,000',
    );
  });

  it('says what to do about an account whose credentials a platform refused', () => {
    const refused = { metric: 'credentials', observed: 1, threshold: 0, windows: ['credentials 3f2a'] };
    expect(alertValue(refused)).toMatch(/^the platform refused its credentials .*renew its secret/);
    // The fingerprint is the poller's, not a period the alert breached over.
    expect(breachedWindows(refused)).toBe('');
    expect(breachedWindows({ metric: 'cpa', windows: ['2026-11-20', '2026-11-21'] })).toBe(' over 2026-11-20, 2026-11-21');
  });

  it('names the rows a platform sent that its checks refused, and what to do', () => {
    const windows = [1, 2, 3, 4, 5].map((d) => `google-ads campaign 555 on 2026-11-0${d}: results[0].metrics.conversions: must be ≥ 0`);
    expect(alertValue({ metric: 'refused-rows', observed: 5, threshold: 0, windows })).toBe(
      `the platform sent 5 rows its checks refuse, left out of the data (${windows.slice(0, 3).join('; ')}; and 2 more): correct them at the platform, or import the days corrected`,
    );
    expect(breachedWindows({ metric: 'refused-rows', windows })).toBe('');
  });
});

describe('what needs attention, said once', () => {
  it('leaves out the pacing line of a channel whose pacing alert already says it', () => {
    const items = attentionItems({
      ...calm,
      latest: snapshot(),
      alerts: [alert({ ruleId: 'overspend', metric: 'pacing', observed: 1.223, threshold: 0.15, windows: [] })],
      daily: [{ channelId: 'display', date: '2026-11-21', spend: 2223, conversions: 10, revenue: 0, impressions: 0, clicks: 0, rows: 1 }],
      allocated: new Map([['2026-11-21', new Map([['display', 1000]])]]),
    });
    expect(items.map((i) => i.detail)).toEqual(['h-alerts']);
  });
});

describe('what needs attention in the model', () => {
  const channel = (id: string, flags: Diagnostics['channels'][number]['flags']): Diagnostics['channels'][number] => ({
    channelId: id,
    name: `Channel ${id}`,
    error: 0.4,
    noiseError: 0.12,
    recentError: 0.45,
    earlierError: 0.14,
    usualError: 0.14,
    bias: 0.3,
    coverage: { held: 6, days: 14, share: 0.4286 },
    reported: 300,
    flags,
    days: [],
  });
  const diagnostics = (verdict: Diagnostics['summary']['verdict'], channels: Diagnostics['channels']): Diagnostics => ({
    portfolioId: 'p',
    asOf: '2026-11-22',
    metric: 'wmape',
    window: { from: '2026-10-11', to: '2026-11-21' },
    heldOut: { from: '2026-11-08', to: '2026-11-21', days: 14 },
    summary: {
      verdict,
      text: `${verdict}: one-day-ahead error 40%`,
      error: 0.4,
      noiseError: 0.12,
      coverage: { held: 6, days: 14, share: 0.4286 },
    },
    channels,
    computation: { fits: 15, ms: 0 },
  });
  const far = { code: 'error-above-usual' as const, text: 'One-day-ahead error 45% over the last 7 days, 3.2× its usual 14%.' };

  it('names a channel whose one-day-ahead error is far above its usual, as a warning linked to model health', () => {
    const items = attentionItems({
      ...calm,
      latest: snapshot(),
      diagnostics: diagnostics('use-with-care', [channel('a', [far]), channel('b', [])]),
    });
    expect(items).toEqual([
      {
        severity: 'warning',
        text: 'Channel a: One-day-ahead error 45% over the last 7 days, 3.2× its usual 14%. Its plan rests on a curve that no longer predicts it well.',
        detail: 'h-model-health',
      },
    ]);
  });

  it('says so when the model as a whole is not to be trusted, and nothing for flags other than the error', () => {
    const narrow = { code: 'band-too-narrow' as const, text: 'The 80% band held only 6 of 14 days.' };
    const items = attentionItems({ ...calm, latest: snapshot(), diagnostics: diagnostics('not-trustworthy', [channel('a', [narrow])]) });
    expect(items.map((i) => [i.severity, i.detail, i.text])).toEqual([
      ['warning', 'h-model-health', 'Model health: not-trustworthy: one-day-ahead error 40%'],
    ]);
    expect(attentionItems({ ...calm, latest: snapshot(), diagnostics: diagnostics('trustworthy', [channel('a', [])]) })).toEqual([]);
  });
});

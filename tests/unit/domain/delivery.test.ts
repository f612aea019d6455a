import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { Delivery, planDelivery } from '../../../functions/domain/delivery.js';
import { validate } from '../../../functions/domain/issues.js';

const config = BudgetConfig.parse(JSON.parse(readFileSync('config/budget.config.json', 'utf8')));
const demo = config.portfolios[0]!;
const record = (over: Record<string, unknown> = {}) => ({ channelId: 'search', date: '2026-11-20', spend: 100, conversions: 4, ...over });
const delivery = (...records: Record<string, unknown>[]) => Delivery.parse({ portfolioId: 'demo', records });

describe('delivery validation', () => {
  it('lists every invalid field with its path', () => {
    const result = validate(Delivery, {
      portfolioId: 'demo',
      records: [record({ spend: -1 }), record({ conversions: '4' }), record({ date: '2026-02-30', hour: 24 })],
    });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual([
      'records[0].spend',
      'records[1].conversions',
      'records[2].date',
      'records[2].hour',
    ]);
  });

  it('states a revision past the safe integers once, not its limit twice', () => {
    const result = validate(Delivery, { portfolioId: 'demo', records: [record({ revision: 2 ** 60 })] });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(['records[0].revision']);
  });

  it('refuses a delivery id no UTF-8 can carry, by its path: it is stored, logged and echoed back', () => {
    const result = validate(Delivery, { portfolioId: 'demo', deliveryId: 'retry-\ud800', records: [record()] });
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.message])).toEqual([
      ['deliveryId', 'must be well-formed Unicode (no lone surrogate such as \\ud800)'],
    ]);
    expect(validate(Delivery, { portfolioId: 'demo', deliveryId: 'retry-\ud83d\ude00', records: [record()] }).ok).toBe(true);
  });

  it('refuses unknown fields, so a misspelt metric is not silently dropped', () => {
    const result = validate(Delivery, { portfolioId: 'demo', records: [record({ conversion: 4 })] });
    // At its own path, so the sender finds the misspelling where it wrote it.
    expect(result.ok ? [] : result.issues).toEqual([{ path: 'records[0].conversion', message: 'is not a known key: check its spelling' }]);
    // Twenty named at most per object, each name cut to 200 characters, and the rest counted: the answer stays
    // small whatever the body, and says how many there were.
    const flood = validate(Delivery, {
      portfolioId: 'demo',
      records: [record(Object.fromEntries(Array.from({ length: 5000 }, (_, k) => [`${'k'.repeat(300)}${k}`, 1])))],
    });
    const issues = flood.ok ? [] : flood.issues;
    expect(issues.slice(0, 20).map((i) => i.path.length)).toEqual(Array.from({ length: 20 }, () => 'records[0].'.length + 200));
    expect(issues.slice(20)).toEqual([{ path: 'records[0]', message: 'has 4980 more unknown keys, not listed' }]);
  });
});

describe('delivery plan', () => {
  it('turns money into micros and defaults the revision to 0', () => {
    const planned = planDelivery(delivery(record({ spend: 123.45, revenue: 0.1 })), demo, '2026-11-21');
    expect(planned.ok && planned.plan.rows[0]).toMatchObject({ spendMicros: 123_450_000, revenueMicros: 100_000, revision: 0, hour: null });
  });

  it('refuses an unknown portfolio, and each unknown channel, as an unknown reference', () => {
    const unknownPortfolio = planDelivery(delivery(record()), undefined, '2026-11-21');
    expect(!unknownPortfolio.ok && unknownPortfolio.rejection.kind).toBe('unknown-reference');
    const unknownChannel = planDelivery(
      delivery(record(), record({ channelId: 'tv' }), record({ channelId: 'radio' })),
      demo,
      '2026-11-21',
    );
    expect(!unknownChannel.ok && unknownChannel.rejection).toEqual({
      kind: 'unknown-reference',
      message: '2 problems, listed in issues',
      issues: [
        { path: 'records[1].channelId', message: 'unknown channel "tv" in portfolio "demo"' },
        { path: 'records[2].channelId', message: 'unknown channel "radio" in portfolio "demo"' },
      ],
    });
  });

  it('keeps the highest revision of a key repeated in one body, counting a lower one stale and a repeat a duplicate', () => {
    const planned = planDelivery(
      delivery(record({ revision: 1 }), record({ revision: 3, spend: 90 }), record({ revision: 3, spend: 90 }), record({ revision: 2 })),
      demo,
      '2026-11-21',
    );
    expect(planned.ok && planned.plan.rows.map((r) => [r.revision, r.spendMicros])).toEqual([[3, 90_000_000]]);
    // As against a stored row: a lower revision is stale (revisions 1 and 2), the same one again a duplicate.
    expect(planned.ok && [planned.plan.duplicates, planned.plan.stale]).toEqual([1, 2]);
  });

  it('rejects two different values for the same key and revision', () => {
    const planned = planDelivery(delivery(record(), record({ spend: 1 })), demo, '2026-11-21');
    expect(!planned.ok && planned.rejection.issues.map((i) => i.path)).toEqual(['records[1]']);
  });

  it('rejects dates after tomorrow in the portfolio time zone', () => {
    const planned = planDelivery(delivery(record({ date: '2026-11-23' })), demo, '2026-11-21');
    expect(!planned.ok && planned.rejection.issues[0]?.path).toBe('records[0].date');
  });
});

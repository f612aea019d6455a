import { describe, expect, it } from 'vitest';
import { prepareDelivery } from '../../../functions/application/acceptDelivery.js';
import { deployedConfig } from '../../../functions/wiring/config.js';

const now = new Date('2026-11-22T10:00:00Z');
const many = Array.from({ length: 1001 }, () => ({}));

describe('a delivery of more than 1000 rows', () => {
  it.each([
    ['generic', { portfolioId: 'demo', records: many }, 'records'],
    ['meta', { portfolioId: 'demo', data: many }, 'data'],
    ['google-ads', { portfolioId: 'demo', results: many }, 'results'],
    ['tiktok', { portfolioId: 'demo', data: { list: many } }, 'data.list'],
  ] as const)('is refused on %s naming where its rows are, before any row is read', (source, body, path) => {
    const prepared = prepareDelivery(JSON.stringify(body), source, deployedConfig, now);
    expect(!prepared.ok && prepared.rejection).toEqual({
      kind: 'too-many-records',
      message: 'a delivery may carry at most 1000 records, not 1001',
      issues: [{ path, message: 'has 1001 records; send at most 1000 per delivery' }],
    });
  });
});

describe('an invalid delivery', () => {
  it('is worded alike on every source: its one issue, or a count pointing at the list', () => {
    const message = (source: 'generic' | 'meta', body: object) => {
      const prepared = prepareDelivery(JSON.stringify({ portfolioId: 'demo', deliveryId: '\ud800', ...body }), source, deployedConfig, now);
      return !prepared.ok && prepared.rejection.message;
    };
    // The generic webhook said "the delivery is invalid" where a platform's named the problem.
    const lone = 'must be well-formed Unicode (no lone surrogate such as \\ud800)';
    expect(message('generic', { records: [{ channelId: 'search', date: '2026-11-20', spend: 1, conversions: 1 }] })).toBe(lone);
    expect(message('generic', { records: [] })).toBe('2 problems, listed in issues');
    expect(message('meta', { data: [] })).toBe('2 problems, listed in issues');
  });
});

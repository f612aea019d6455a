import { describe, expect, it } from 'vitest';
import { refusalText, refusedRowsAlert, standingRefusals, withRefusals } from '../../../../functions/domain/connectors/refusedRowsAlert.js';

const row = (date: string) => ({ campaign: '555', date });
const refused = (date: string, index = 3) =>
  refusalText('google-ads', row(date), `results[${index}].metrics.conversions`, 'Too small: expected number to be >=0');

describe('refused-rows alert', () => {
  it('names a refused row by its day, campaign and field, never by its index in the pull', () => {
    expect(refused('2026-11-20', 24)).toBe(
      '2026-11-20: google-ads campaign 555: metrics.conversions: Too small: expected number to be >=0',
    );
    // The same row a day later sits one place earlier in the pull: the same refusal, no news.
    expect(refused('2026-11-20', 23)).toBe(refused('2026-11-20', 24));
    expect(refusalText('meta', undefined, '', 'the delivery has more than 10,000 records')).toBe(
      'meta: the delivery has more than 10,000 records',
    );
    // A platform's campaign id of any length is cut, so one refusal cannot fill the stored alert.
    expect(refusalText('meta', { campaign: '9'.repeat(5000), date: '2026-11-20' }, 'data[0].spend', 'x').length).toBe(300);
  });

  it('keeps naming a day no pull has read again, until it is older than the backfill, and drops one read clean', () => {
    const named = [refused('2026-10-01'), refused('2026-11-02'), refused('2026-11-25')];
    // This pull read from 2026-11-10: the 25th was read and not refused; the 2nd was not read again; the
    // 1st of October is older than the 60 days a backfill reads, so nothing will ever read it.
    expect(standingRefusals(named, [], '2026-11-10', '2026-10-08')).toEqual([refused('2026-11-02')]);
    // Refused again, with one more: both named, each once.
    expect(standingRefusals(named, [refused('2026-11-25'), refused('2026-11-26')], '2026-11-10', '2026-10-08')).toEqual([
      refused('2026-11-02'),
      refused('2026-11-25'),
      refused('2026-11-26'),
    ]);
    // A refusal that names no day stands only while a pull repeats it.
    expect(standingRefusals(['meta: too many records'], [], '2026-11-10', '2026-10-08')).toEqual([]);
  });

  it('is news only when what it names changes', () => {
    const alert = refusedRowsAlert('demo', 'search', [refused('2026-11-20')], '2026-11-22T10:00:00.000Z', 'hash');
    expect(alert).toMatchObject({ severity: 'warning', observed: 1, windows: [refused('2026-11-20')] });
    expect(withRefusals(alert, [refused('2026-11-20')], '2026-11-22T11:00:00.000Z')).toBeUndefined();
    const more = withRefusals(alert, [refused('2026-11-20'), refused('2026-11-21')], '2026-11-22T11:00:00.000Z');
    expect(more).toMatchObject({ observed: 2, history: [{ kind: 'opened' }, { kind: 'escalated', severity: 'warning', observed: 2 }] });
    // A hundred are named, then how many more.
    const many = Array.from({ length: 105 }, (_, d) => refused(`2026-0${1 + Math.floor(d / 28)}-${String((d % 28) + 1).padStart(2, '0')}`));
    const windows = refusedRowsAlert('demo', 'search', many, '2026-11-22T10:00:00.000Z', 'hash').windows;
    expect([windows.length, windows.at(-1)]).toEqual([101, 'and 5 more']);
  });
});

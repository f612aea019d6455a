import { describe, expect, it } from 'vitest';
import { evaluatePortfolio } from '../../../../functions/domain/alerts/evaluate.js';
import {
  type Alert,
  alertChanges,
  alertReadings,
  stopLossChannels,
  withActionsInForce,
} from '../../../../functions/domain/alerts/lifecycle.js';
import type { Account } from '../../../../functions/domain/config.js';
import { credentialsAlert } from '../../../../functions/domain/connectors/credentialsAlert.js';
import { refusedRowsAlert } from '../../../../functions/domain/connectors/refusedRowsAlert.js';
import { addDays } from '../../../../functions/domain/dates.js';
import { days, portfolio } from './fixtures.js';

describe('alert lifecycle', () => {
  const p = portfolio([{ window: 'day', consecutive: 3 }]);
  const run = (open: Alert[], cpas: (number | null)[], at: string) => {
    const now = new Date(at);
    const lastDate = addDays(at.slice(0, 10), -1);
    return alertChanges(
      p,
      open,
      evaluatePortfolio(p, days('a', cpas, lastDate), new Map(), now).filter((e) => e.channelId === 'a'),
      now,
      'hash1',
    );
  };

  it("holds a channel at its base while its open alert's rule is a stop-loss in the config in force, whatever it opened with", () => {
    const [opened] = run([], [47, 47, 47], '2026-11-22T10:00:00Z');
    const open = [opened!.alert];
    expect(opened!.alert.action).toBeUndefined();
    // A deploy makes the rule a stop-loss while its alert is open: the channel is held from the next run.
    const stopLoss = portfolio([{ window: 'day', consecutive: 3, metric: 'cpa', op: '>', action: 'stop-loss' }]);
    expect(stopLossChannels(open, stopLoss)).toEqual(['a']);
    expect(withActionsInForce(open, stopLoss).map((a) => a.action)).toEqual(['stop-loss']);
    // And one that takes the action away releases it, though the alert opened as a stop-loss.
    const openedAsStopLoss = open.map((a) => ({ ...a, action: 'stop-loss' as const }));
    expect(stopLossChannels(openedAsStopLoss, p)).toEqual([]);
    expect(withActionsInForce(openedAsStopLoss, p).map((a) => a.action)).toEqual([undefined]);
  });

  it('opens on a 3-day breach, stays quiet while unchanged, escalates once, then resolves', () => {
    const [opened] = run([], [47, 47, 47], '2026-11-22T10:00:00Z');
    expect(opened).toMatchObject({
      kind: 'open',
      alert: {
        status: 'open',
        severity: 'info',
        ruleId: 'r0',
        channelId: 'a',
        configHash: 'hash1',
        windows: ['2026-11-19', '2026-11-20', '2026-11-21'],
      },
    });
    const open = [opened!.alert];
    expect(run(open, [47, 47, 47], '2026-11-22T10:15:00Z')).toEqual([]);
    const [escalated] = run(open, [47, 47, 47, 60], '2026-11-23T10:00:00Z');
    expect(escalated).toMatchObject({ kind: 'escalate', alert: { severity: 'critical', observed: 60 } });
    expect(escalated!.alert.history.map((h) => h.kind)).toEqual(['opened', 'escalated']);
    // A milder breach does not lower the severity or send anything.
    expect(run([escalated!.alert], [47, 47, 47, 60, 46], '2026-11-24T10:00:00Z')).toEqual([]);
    const [resolved] = run([escalated!.alert], [47, 47, 47, 60, 40], '2026-11-24T10:00:00Z');
    expect(resolved).toMatchObject({ kind: 'resolve', alert: { status: 'resolved', resolvedAt: '2026-11-24T10:00:00.000Z' } });
    expect(resolved!.alert.history.map((h) => h.kind)).toEqual(['opened', 'escalated', 'resolved']);
  });

  it('reads an open alert anew while its breach holds at no higher severity, and leaves the rest to its transitions', () => {
    const [opened] = run([], [47, 47, 47], '2026-11-22T10:00:00Z');
    const open = [opened!.alert];
    const readings = (cpas: number[], at: string) => {
      const now = new Date(at);
      const evaluations = evaluatePortfolio(p, days('a', cpas, addDays(at.slice(0, 10), -1)), new Map(), now);
      return alertReadings(open, evaluations, now);
    };
    // The milder breach of 46 is read; the same 47 and a clear day are not; a severer 60 is an escalation's.
    expect(readings([47, 47, 47, 46], '2026-11-23T10:00:00Z')).toMatchObject([{ observed: 46, observedAt: '2026-11-23T10:00:00.000Z' }]);
    expect(readings([47, 47, 47], '2026-11-22T11:00:00Z')).toEqual([]);
    expect(readings([47, 47, 47, 40], '2026-11-23T10:00:00Z')).toEqual([]);
    expect(readings([47, 47, 47, 60], '2026-11-23T10:00:00Z')).toEqual([]);
    expect(readings([47, 47, 47, 46], '2026-11-23T10:00:00Z')[0]!.history).toEqual(opened!.alert.history);
    // After an escalation to critical at 60, a breach eased to 46 reads as the info it is, over its own windows:
    // the badge, the value and the windows are one reading's.
    const [escalated] = run(open, [47, 47, 47, 60], '2026-11-23T10:00:00Z');
    const now = new Date('2026-11-24T10:00:00Z');
    const eased = alertReadings(
      [escalated!.alert],
      evaluatePortfolio(p, days('a', [47, 47, 47, 60, 46], '2026-11-23'), new Map(), now),
      now,
    );
    expect(eased).toMatchObject([{ severity: 'info', observed: 46, windows: ['2026-11-21', '2026-11-22', '2026-11-23'] }]);
    expect(eased[0]!.history.map((h) => h.kind)).toEqual(['opened', 'escalated']);
  });

  it('keeps an open alert open through a day without data', () => {
    const [opened] = run([], [47, 47, 47], '2026-11-22T10:00:00Z');
    expect(run([opened!.alert], [47, 47, 47, null], '2026-11-23T10:00:00Z')).toEqual([]);
  });

  it('resolves an open alert whose rule the config no longer has', () => {
    const [opened] = run([], [50, 50, 50], '2026-11-22T10:00:00Z');
    const orphan = { ...opened!.alert, ruleId: 'retired' };
    expect(run([orphan], [50, 50, 50], '2026-11-22T11:00:00Z').map((c) => [c.kind, c.alert.ruleId])).toEqual([
      ['open', 'r0'],
      ['resolve', 'retired'],
    ]);
  });

  it('leaves an account’s credentials alert to the poller while the config has the account, and resolves it once it has not', () => {
    const account = { platform: 'meta', accountId: '100200300400500' } as Account;
    const refused = credentialsAlert(p.id, account, 'fingerprint', '2026-11-22T10:00:00.000Z', 'hash1');
    const now = new Date('2026-11-22T10:15:00Z');
    const changes = (accounts: Account[]) => alertChanges({ ...p, accounts }, [refused], [], now, 'hash1');
    expect(changes([account])).toEqual([]);
    // Its account removed, no poll will ever resolve it: the evaluation does, as for a rule the config dropped.
    expect(changes([]).map((c) => [c.kind, c.alert.ruleId])).toEqual([['resolve', 'credentials']]);
  });

  it('leaves a channel’s refused-rows alert to the poller while an account in the config pulls it, and resolves it once none does', () => {
    const account = { platform: 'meta', accountId: '100200300400500' } as Account;
    const channelId = p.channels[0]!.id;
    const refused = refusedRowsAlert(
      p.id,
      channelId,
      ['meta campaign 555 on 2026-11-20: data[0].spend: …'],
      '2026-11-22T10:00:00.000Z',
      'hash1',
    );
    const now = new Date('2026-11-22T10:15:00Z');
    const pulled = {
      ...p,
      accounts: [account],
      channels: p.channels.map((c, i) => (i === 0 ? { ...c, sourceIds: { meta: ['555'] } } : c)),
    };
    expect(alertChanges(pulled, [refused], [], now, 'hash1')).toEqual([]);
    expect(alertChanges({ ...pulled, accounts: [] }, [refused], [], now, 'hash1').map((c) => [c.kind, c.alert.ruleId])).toEqual([
      ['resolve', 'refused-rows'],
    ]);
  });
});

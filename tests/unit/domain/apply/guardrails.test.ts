import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ApplyState,
  INITIAL_APPLY_STATE,
  limitMove,
  nextApplyState,
  planRefusal,
} from '../../../../functions/domain/apply/guardrails.js';

const HOUR = 3_600_000;
const plan = { snapshotId: '20261207T010000000Z-aaaaaa', status: 'optimal' as const, createdAt: '2026-12-07T01:00:00.000Z' };
const check = (overrides: Partial<Parameters<typeof planRefusal>[0]> = {}) =>
  planRefusal({
    plan,
    now: new Date('2026-12-07T01:30:00Z'),
    periodMs: HOUR,
    latestSnapshotId: plan.snapshotId,
    state: INITIAL_APPLY_STATE,
    ...overrides,
  });

describe('which plans may be applied', () => {
  it('applies a fresh, optimal, newest plan', () => {
    expect(check()).toBeNull();
  });

  it('never applies a held plan, not even as a rollback', () => {
    const held = { ...plan, status: 'held' as const, heldReason: 'stale data' };
    expect(check({ plan: held })?.code).toBe('held');
    expect(check({ plan: held, rollback: true })?.code).toBe('held');
  });

  it('refuses a plan older than its schedule period, one a newer published plan supersedes, and one older than the plan applied', () => {
    expect(check({ now: new Date('2026-12-07T02:00:01Z') })?.code).toBe('stale');
    expect(check({ latestSnapshotId: '20261207T020000000Z-bbbbbb' })?.code).toBe('superseded');
    expect(check({ state: { ...INITIAL_APPLY_STATE, lastAppliedSnapshotId: '20261207T020000000Z-bbbbbb' } })?.code).toBe(
      'older-than-applied',
    );
  });

  it('lets an operator roll back to an earlier plan, and stops after repeated failures until then', () => {
    const stopped: ApplyState = { ...INITIAL_APPLY_STATE, consecutiveFailures: 3, stoppedAt: '2026-12-07T01:10:00Z', stopReason: 'token' };
    expect(check({ state: stopped })?.code).toBe('stopped');
    expect(
      check({
        state: { ...stopped, lastAppliedSnapshotId: '20261207T020000000Z-bbbbbb' },
        now: new Date('2026-12-08T00:00:00Z'),
        rollback: true,
      }),
    ).toBeNull();
  });

  it('counts failures, stops at the limit, and a success clears them and never moves the newest applied backwards', () => {
    let state = INITIAL_APPLY_STATE;
    for (let i = 0; i < 3; i++) state = nextApplyState(state, { snapshotId: `s${i}`, ok: false, reason: 'expired', at: `t${i}` }, 3);
    expect(state).toMatchObject({ consecutiveFailures: 3, stoppedAt: 't2', stopReason: 'expired' });
    state = nextApplyState(state, { snapshotId: 's9', ok: true, at: 't9' }, 3);
    expect(state).toEqual({
      lastAppliedSnapshotId: 's9',
      inForceSnapshotId: 's9',
      consecutiveFailures: 0,
      stoppedAt: null,
      stopReason: null,
    });
    // A rollback to s1: the newest applied stays s9 (the order guardrail), while the platforms now hold s1.
    const rolledBack = nextApplyState(state, { snapshotId: 's1', ok: true, at: 't10', rollback: true }, 3);
    expect([rolledBack.lastAppliedSnapshotId, rolledBack.inForceSnapshotId]).toEqual(['s9', 's1']);
    // A failed apply leaves the plan in force as it was.
    expect(nextApplyState(rolledBack, { snapshotId: 's10', ok: false, reason: 'expired', at: 't11' }, 3).inForceSnapshotId).toBe('s1');
  });
});

describe('the daily change limit on one budget', () => {
  it('never moves a budget beyond ±maxDailyChange of its amount at the day start, and says when it held one back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        (start, target, limit, minimum) => {
          const move = limitMove(start, target, limit, minimum, 2);
          if (!move.ok) {
            // Refused only when the limit's bounds keep the budget below the platform's minimum.
            const reachable = Math.min(Math.max(target, Math.ceil(start * (1 - limit) - 1e-9)), Math.floor(start * (1 + limit) + 1e-9));
            expect(reachable).toBeLessThan(minimum);
            return;
          }
          expect(Number.isInteger(move.amountMinor)).toBe(true);
          expect(move.amountMinor).toBeGreaterThanOrEqual(minimum);
          expect(Math.abs(move.amountMinor - start)).toBeLessThanOrEqual(start * limit + 1e-6);
          expect(move.limited).toBe(move.amountMinor !== target);
          if (move.limited) expect(move.note).toMatch(/daily change limit/);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('moves 1,000.00 by at most 25% in a day', () => {
    expect(limitMove(100_000, 200_000, 0.25, 100, 2)).toMatchObject({ ok: true, amountMinor: 125_000, limited: true });
    expect(limitMove(100_000, 50_000, 0.25, 100, 2)).toMatchObject({ ok: true, amountMinor: 75_000, limited: true });
    expect(limitMove(100_000, 110_000, 0.25, 100, 2)).toEqual({ ok: true, amountMinor: 110_000, limited: false });
  });

  it('lets a cut go as far as the plan when cuts are not limited, and still limits a raise', () => {
    // A budget cut in the config: the plan puts the channel at 1,800.00 where its budget stood at 2,814.63.
    expect(limitMove(281_463, 180_000, 0.25, 100, 2, { limitCuts: false })).toEqual({ ok: true, amountMinor: 180_000, limited: false });
    expect(limitMove(100_000, 200_000, 0.25, 100, 2, { limitCuts: false })).toMatchObject({ amountMinor: 125_000, limited: true });
  });
});

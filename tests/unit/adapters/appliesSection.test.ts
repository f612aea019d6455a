import { describe, expect, it } from 'vitest';
import { type AppliesView, appliesSection, withAppliedBudgets } from '../../../functions/adapters/dashboard/applies.js';
import type { ApplyRecord, BudgetChange } from '../../../functions/domain/apply/records.js';
import type { Snapshot } from '../../../functions/domain/snapshots.js';

const SNAPSHOT = '20261207T010000000Z-abcdef';
const latest = {
  snapshotId: SNAPSHOT,
  allocation: {
    status: 'optimal',
    channels: [
      { channelId: 'search', total: 120 },
      { channelId: 'podcast', total: 40 },
    ],
  },
} as unknown as Snapshot;
const change = (overrides: Partial<BudgetChange> = {}): BudgetChange => ({
  key: 'google-ads:1:campaign-budget:b',
  channelId: 'search',
  platform: 'google-ads',
  accountId: '1',
  campaignId: '11',
  level: 'campaign-budget',
  entityId: 'customers/1/campaignBudgets/<b>',
  currency: 'USD',
  before: 100,
  target: 120,
  after: null,
  status: 'proposed',
  ...overrides,
});
const record = (overrides: Partial<ApplyRecord>): ApplyRecord => ({
  portfolioId: 'demo',
  snapshotId: SNAPSHOT,
  mode: 'dry-run',
  status: 'dry-run',
  createdAt: '2026-12-07T01:00:05.000Z',
  updatedAt: '2026-12-07T01:00:05.000Z',
  channels: [
    { channelId: 'search', planned: 120, status: 'mapped' },
    { channelId: 'podcast', planned: 40, status: 'unconnected' },
  ],
  changes: [change()],
  ...overrides,
});
const view = (overrides: Partial<AppliesView>): AppliesView => ({
  portfolioId: 'demo',
  mode: 'dry-run',
  records: [],
  latest,
  spent: new Map([['search', 97.5]]),
  spentOn: '2026-12-06',
  money: (v) => (v === null ? '' : v.toFixed(2)),
  name: (id) => ({ search: 'Google <Search>' })[id] ?? id,
  ...overrides,
});

describe('the dashboard section of applies', () => {
  it("shows a dry run's changes per budget, escapes what the platforms named, and says why a channel is not applied", () => {
    const page = appliesSection(view({ records: [record({})] }));
    expect(page).toContain('id="dry-run-diff"');
    expect(page).toContain('data-before="100" data-target="120"');
    expect(page).toContain('+20.00');
    expect(page).not.toContain('id="apply-notice"');
    expect(appliesSection(view({ records: [record({})], notice: 'not-pending' }))).toContain(
      '<p class="notice" id="apply-notice" role="status" data-code="not-pending">Nothing more to do: that plan was already approved, applied or replaced by a newer plan.</p>',
    );
    // Channels by the names people know them by, escaped as every name on the page is.
    expect(page).toContain('<td data-label="channel">Google &lt;Search&gt;</td>');
    expect(page).not.toContain('<td data-label="channel">search</td>');
    expect(page).toContain('customers/1/campaignBudgets/&lt;b&gt;');
    expect(page).not.toContain('<b>');
    expect(page).toContain('dry run: recorded, not sent');
    expect(page).toContain('no platform campaign: set by hand');
    expect(page).toContain('97.50');
    expect(page).not.toContain('id="approve-form"');
    expect(page).not.toContain('id="applies-stopped"');
    const stoppedAfter = (consecutiveFailures: number, stopReason: string) =>
      appliesSection(
        view({
          mode: 'auto',
          records: [record({})],
          state: { stoppedAt: '2026-12-07T01:00:00.000Z', stopReason, consecutiveFailures },
        }),
      );
    expect(stoppedAfter(3, 'meta <token> expired')).toContain(
      'Applies stopped at 2026-12-07 01:00 UTC after 3 failures in a row: meta &lt;token&gt; expired',
    );
    // One failure is one, and a reason that ends its own sentence is not given a second full stop.
    expect(stoppedAfter(1, 'meta token expired.')).toContain('after 1 failure: meta token expired. Plans');
  });

  it('offers the approve button in approve mode to finance with a session, and asks anyone else to sign in', () => {
    const pending = record({ mode: 'approve', status: 'pending' });
    const finance = appliesSection(
      view({ mode: 'approve', records: [pending], viewer: { user: 'ana', groups: ['finance'], csrf: 'tok"en' } }),
    );
    expect(finance).toContain('id="approve-form"');
    expect(finance).toContain('value="tok&quot;en"');
    expect(finance).toContain(`value="${SNAPSHOT}"`);
    const tokenOnly = appliesSection(view({ mode: 'approve', records: [pending], viewer: { user: 'local', groups: ['operators'] } }));
    expect(tokenOnly).not.toContain('id="approve-form"');
    expect(tokenOnly).toContain('id="approve-needs-session"');
  });

  it('shows what was applied, when and by whom, and offers operators a rollback to it', () => {
    const applied = record({
      mode: 'approve',
      status: 'applied',
      approvedBy: 'ana@example.com',
      updatedAt: '2026-12-07T01:05:00.000Z',
      changes: [change({ status: 'applied', after: 120, at: '2026-12-07T01:04:59.000Z' })],
    });
    const page = appliesSection(view({ mode: 'approve', records: [applied], viewer: { user: 'olga', groups: ['operators'], csrf: 't' } }));
    expect(page).toContain('data-applied="120"');
    expect(page).toContain('2026-12-07 01:04 UTC by ana@example.com');
    // An auto apply was approved by nobody: it reads "automatically", not "by automatically".
    const auto = appliesSection(view({ mode: 'auto', records: [{ ...applied, mode: 'auto', approvedBy: undefined }] }));
    expect(auto).toContain('2026-12-07 01:04 UTC automatically');
    expect(auto).not.toContain('by automatically');
    expect(page).toContain('id="rollback-form"');
    expect(page).toContain('name="action" value="rollback"');
    expect(page).toContain(`<option value="${SNAPSHOT}">${SNAPSHOT} · the latest plan</option>`);
    // An earlier plan that was applied is offered too (the rollback); finance sees no such form.
    const earlier = { ...applied, snapshotId: '20261206T010000000Z-aaaaaa' };
    const both = appliesSection(
      view({ mode: 'auto', records: [applied, earlier], viewer: { user: 'olga', groups: ['operators'], csrf: 't' } }),
    );
    expect(both).toContain('<option value="20261206T010000000Z-aaaaaa">');
    const finance = appliesSection(
      view({ mode: 'auto', records: [applied, earlier], viewer: { user: 'ana', groups: ['finance'], csrf: 't' } }),
    );
    expect(finance).not.toContain('id="rollback-form"');
    const dryRun = appliesSection(
      view({ mode: 'dry-run', records: [applied], viewer: { user: 'olga', groups: ['operators'], csrf: 't' } }),
    );
    expect(dryRun).not.toContain('id="rollback-form"');
  });

  it('lists a rollback as an apply of its own, naming the plan it went back to and the one it rolled back from', () => {
    const earlier = '20261206T010000000Z-aaaaaa';
    const applied = record({ mode: 'auto', status: 'applied', replaces: earlier, changes: [change({ status: 'applied', after: 120 })] });
    const rollback = record({
      applyId: `20261207T020000000Z~rollback-${earlier}`,
      snapshotId: earlier,
      replaces: SNAPSHOT,
      mode: 'rollback',
      status: 'applied',
      approvedBy: 'olga@example.com',
      updatedAt: '2026-12-07T02:00:05.000Z',
      changes: [change({ status: 'applied', after: 100 })],
    });
    const page = appliesSection(view({ mode: 'auto', records: [rollback, applied] }));
    const lines = [...page.matchAll(/<li data-status="applied" data-mode="(\w+)">(.*?)<\/li>/g)].map(([, mode, line]) => [mode, line]);
    expect(lines.map(([mode]) => mode)).toEqual(['rollback', 'auto']);
    expect(lines[0]![1]).toContain(`<code>${earlier}</code> · rollback from <code>${SNAPSHOT}</code>`);
    expect(lines[1]![1]).toContain(`<code>${SNAPSHOT}</code> · auto replacing <code>${earlier}</code>`);
  });

  it('paces against the applied budget from the day it was applied, and against the plan before and elsewhere', () => {
    const allocated = new Map([
      [
        '2026-12-06',
        new Map([
          ['search', 100],
          ['podcast', 40],
        ]),
      ],
      [
        '2026-12-07',
        new Map([
          ['search', 130],
          ['podcast', 40],
        ]),
      ],
    ]);
    const applied = record({
      status: 'applied',
      updatedAt: '2026-12-07T01:05:00.000Z',
      changes: [change({ status: 'applied', after: 120 })],
    });
    const paced = withAppliedBudgets(allocated, [applied], 'UTC');
    expect(paced.get('2026-12-06')!.get('search')).toBe(100);
    expect(paced.get('2026-12-07')!.get('search')).toBe(120);
    expect(paced.get('2026-12-07')!.get('podcast')).toBe(40);
  });
});

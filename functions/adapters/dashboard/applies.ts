import type { ApplyState } from '../../domain/apply/guardrails.js';
import type { ApplyRecord } from '../../domain/apply/records.js';
import type { ApplyMode } from '../../domain/config.js';
import { dateInZone } from '../../domain/dates.js';
import { displayInstant } from '../../domain/financeViews.js';
import type { Snapshot } from '../../domain/snapshots.js';
import { html, type Markup } from './html.js';

/**
 * The dashboard's "Applied to the platforms" section (issue 24 item 4): per channel what was planned, what
 * the platforms hold (when and by whom, or why not) and what was spent; the approve button in approve mode,
 * the dry run's changes in dry-run mode, and an operator's re-apply of an earlier plan (a rollback).
 */

export interface AppliesView {
  readonly portfolioId: string;
  readonly mode: ApplyMode;
  /** The portfolio's apply records, newest snapshot first. */
  readonly records: readonly ApplyRecord[];
  /** The latest snapshot: what is planned now. */
  readonly latest: Snapshot | undefined;
  /** Each channel's spend on `spentOn` (the last complete day). */
  readonly spent: ReadonlyMap<string, number>;
  readonly spentOn: string;
  readonly money: (value: number | null) => string;
  /** Why the last approval posted did nothing (the form's refusal code), shown above the section. */
  readonly notice?: ApprovalNotice;
  /** A channel as people name it (its config `name`, else its id). */
  readonly name: (channelId: string) => string;
  readonly viewer?: { readonly user: string; readonly groups: readonly string[]; readonly csrf?: string };
  /** The portfolio's apply state: when its applies stopped after repeated failures, and why. */
  readonly state?: Pick<ApplyState, 'stoppedAt' | 'stopReason' | 'consecutiveFailures'>;
}

/** What a refused approval form tells the person it returns to the dashboard, by the refusal's code. */
export const APPROVAL_NOTICES = {
  'not-pending': 'Nothing more to do: that plan was already approved, applied or replaced by a newer plan.',
  'not-approve-mode': "Nothing was applied: this portfolio's apply.mode does not take that approval.",
  'unknown-snapshot': 'Nothing was applied: this portfolio has no such plan.',
  'refused-held': 'Nothing was applied: the allocator held that plan (it kept the previous one), and a held plan is never applied.',
  'refused-breaks-config': "Nothing was applied: that plan breaks today's config; the next reallocation under it is the plan to apply.",
  'refused-reserve-released':
    'Nothing was applied: that plan placed the reserve its run released, and newer plans have held it back since; reallocate releasing the reserve, with a reason, to place it again.',
  'refused-stopped':
    "Nothing was applied: applies stopped after repeated failures; an operator's explicit apply of a plan (Roll back) resumes them.",
  'refused-superseded': 'Nothing was applied: a newer plan was published since; it is the one to apply.',
  'refused-older-than-applied': 'Nothing was applied: a newer plan is already applied.',
  'refused-stale': "Nothing was applied: that plan is older than the reallocation schedule's period; the next run's is the one to apply.",
  refused: 'Nothing was applied: a guardrail refuses that plan now.',
} as const satisfies Record<string, string>;
export type ApprovalNotice = keyof typeof APPROVAL_NOTICES;

const MODE_SAYS: Readonly<Record<ApplyMode, string>> = {
  off: 'off: plans stay here; nothing is sent to the ad platforms (apply.mode in the config).',
  'dry-run': 'dry-run: each plan’s changes are computed against the platforms’ current budgets and recorded; nothing is sent.',
  approve: 'approve: a person in finance or operators approves a plan here, and only then is it applied.',
  auto: 'auto: each plan is applied as it is published, within the guardrails.',
};

const isApplied = (r: ApplyRecord) => r.status === 'applied' || r.status === 'partial';
const when = (instant: string | undefined) => (instant ? displayInstant(instant) : '');

/** What the platforms hold for a channel after the newest apply that set any of its budgets. */
const appliedFor = (records: readonly ApplyRecord[], channelId: string) => {
  for (const record of records.filter(isApplied).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))) {
    const changes = record.changes.filter((c) => c.channelId === channelId && (c.status === 'applied' || c.status === 'unchanged'));
    if (changes.length === 0) continue;
    const at = changes
      .map((c) => c.at ?? record.updatedAt)
      .sort()
      .at(-1);
    return {
      amount: changes.reduce((s, c) => s + (c.after ?? 0), 0),
      at,
      by: record.approvedBy ? `by ${record.approvedBy}` : 'automatically',
      record,
    };
  }
  return undefined;
};

/** Why a channel of the latest plan is not (yet) on the platforms. */
const whyNot = (mode: ApplyMode, record: ApplyRecord | undefined, channelId: string): string => {
  if (mode === 'off') return 'not applied: apply.mode is off';
  if (!record) return 'not applied yet: the apply worker has not handled this plan';
  const channel = record.channels.find((c) => c.channelId === channelId);
  if (channel?.status === 'unconnected') return 'no platform campaign: set by hand';
  if (channel?.status === 'refused') return `refused: ${channel.reason ?? 'see the apply'}`;
  const failed = record.changes.find((c) => c.channelId === channelId && (c.status === 'failed' || c.status === 'refused'));
  if (failed) return `${failed.status}: ${failed.reason ?? ''}`;
  if (record.status === 'pending') return 'awaiting approval';
  if (record.status === 'approved') return `approved by ${record.approvedBy ?? 'someone'}, being applied`;
  if (record.status === 'dry-run') return 'dry run: recorded, not sent';
  return `${record.status}${record.reason ? `: ${record.reason}` : ''}`;
};

/** The plan an apply took the platforms from, where it was another: a rollback's "from", an apply's "replacing". */
const replaced = (r: ApplyRecord): Markup | '' =>
  r.replaces && r.replaces !== r.snapshotId ? html` ${r.mode === 'rollback' ? 'from' : 'replacing'} <code>${r.replaces}</code>` : '';

const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

/** The approve form, for finance and operators with a session (its CSRF token). */
const approveForm = (view: AppliesView, record: ApplyRecord | undefined): Markup => {
  if (view.mode !== 'approve' || record?.status !== 'pending') return html``;
  const csrf = view.viewer?.csrf;
  if (!csrf || !view.viewer?.groups.some((g) => g === 'finance' || g === 'operators')) {
    return html`<p class="notice" id="approve-needs-session">This plan awaits approval: sign in as a member of finance or operators to approve it.</p>`;
  }
  return html`<form method="post" action="/dashboard/applies/approve" id="approve-form">${hidden('csrf', csrf)}${hidden('portfolio', view.portfolioId)}${hidden('snapshotId', record.snapshotId)}<button type="submit" id="approve">Approve and apply snapshot ${record.snapshotId}</button></form>`;
};

/** The dry run's changes: each platform budget as it stands and as the plan would set it. */
const dryRunDiff = (view: AppliesView, record: ApplyRecord | undefined): Markup => {
  if (!record || (record.status !== 'dry-run' && record.status !== 'pending')) return html``;
  const rows = record.changes.map((c) => {
    const change = c.target - c.before;
    const cls = change > 0 ? 'up' : change < 0 ? 'down' : '';
    return html`<tr data-channel="${c.channelId}" data-entity="${c.entityId}" data-before="${c.before}" data-target="${c.target}"><td data-label="channel">${view.name(c.channelId)}</td><td data-label="platform">${c.platform} ${c.level}</td><td data-label="budget">${c.entityId}</td><td data-label="now">${view.money(c.before)}</td><td data-label="plan">${view.money(c.target)}</td><td class="${cls}" data-label="change">${change > 0 ? '+' : ''}${view.money(change)}</td><td class="reason" data-label="note">${c.reason ?? c.note ?? ''}</td></tr>`;
  });
  const caption =
    record.status === 'dry-run' ? 'Dry run: what applying this plan would change (nothing was sent)' : 'What approving this plan changes';
  return html`<table id="dry-run-diff" class="cards" data-snapshot="${record.snapshotId}"><caption class="meta">${caption}, read ${when(record.createdAt)}</caption><thead><tr><th scope="col">channel</th><th scope="col">platform</th><th scope="col">budget</th><th scope="col">now</th><th scope="col">plan</th><th scope="col">change</th><th scope="col" class="reason">note</th></tr></thead><tbody>${rows}</tbody></table>`;
};

/**
 * An operator's explicit apply of a plan: an earlier one that was applied (the rollback path), or the latest
 * plan now (how applies resume after they stopped). Guardrails on order and age do not hold it back.
 */
const rollbackForm = (view: AppliesView): Markup => {
  const csrf = view.viewer?.csrf;
  if (!csrf || !view.viewer?.groups.includes('operators') || (view.mode !== 'approve' && view.mode !== 'auto')) return html``;
  const earlier = [...new Map(view.records.filter(isApplied).map((r) => [r.snapshotId, r])).values()].filter(
    (r) => r.snapshotId !== view.latest?.snapshotId,
  );
  const latest = view.latest?.allocation.status === 'optimal' ? view.latest : undefined;
  if (earlier.length === 0 && !latest) return html``;
  const options = [
    ...(latest ? [html`<option value="${latest.snapshotId}">${latest.snapshotId} · the latest plan</option>`] : []),
    ...earlier.map((r) => html`<option value="${r.snapshotId}">${r.snapshotId} · applied ${when(r.updatedAt)}</option>`),
  ];
  return html`<form method="post" action="/dashboard/applies/approve" id="rollback-form">${hidden('csrf', csrf)}${hidden('portfolio', view.portfolioId)}${hidden('action', 'rollback')}<label for="rollback-snapshot">Apply now, or roll back to</label><select id="rollback-snapshot" name="snapshotId">${options}</select><button type="submit">Apply this plan</button></form>`;
};

/** The section's HTML. */
export const appliesSection = (view: AppliesView): string => {
  const { latest, money } = view;
  const current = latest ? view.records.find((r) => r.snapshotId === latest.snapshotId && r.mode !== 'rollback') : undefined;
  const rows = (latest?.allocation.channels ?? []).map((c) => {
    const applied = appliedFor(view.records, c.channelId);
    const spent = view.spent.get(c.channelId);
    const inForce = applied && current && applied.record.snapshotId === current.snapshotId;
    const status = applied
      ? html`${money(applied.amount)} <span class="meta">${when(applied.at)} ${applied.by}${inForce ? '' : ` (snapshot ${applied.record.snapshotId})`}</span>`
      : html`<span class="meta">—</span>`;
    const note = inForce ? '' : whyNot(view.mode, current, c.channelId);
    return html`<tr data-channel="${c.channelId}" data-planned="${c.total}" data-applied="${applied?.amount ?? ''}"><td data-label="channel">${view.name(c.channelId)}</td><td data-label="planned">${money(c.total)}</td><td data-label="applied">${status}</td><td data-label="spent ${view.spentOn}">${spent === undefined ? '' : money(spent)}</td><td class="reason" data-label="why not">${note}</td></tr>`;
  });
  // Plans refused or superseded before anything was read (the seeded history, a queue of older plans) are
  // noise in dry-run and approve mode; in auto mode a refusal is what someone must see.
  const shown = view.records.filter((r, i) => i === 0 || view.mode === 'auto' || (r.status !== 'refused' && r.status !== 'superseded'));
  const history = shown
    .slice(0, 6)
    .map(
      (r) =>
        html`<li data-status="${r.status}" data-mode="${r.mode}"><code>${r.snapshotId}</code> · ${r.mode}${replaced(r)} · <strong>${r.status}</strong>${r.approvedBy ? ` · approved by ${r.approvedBy} ${when(r.approvedAt)}` : ''} · ${when(r.updatedAt)}${r.reason ? ` · ${r.reason}` : ''}</li>`,
    );
  const stopped = view.state?.stoppedAt
    ? html`<p class="notice" id="applies-stopped" role="status">Applies stopped at ${when(view.state.stoppedAt)} after ${view.state.consecutiveFailures} ${view.state.consecutiveFailures === 1 ? 'failure' : 'failures in a row'}: ${(view.state.stopReason ?? 'see the recent applies').replace(/\.+$/, '')}. Plans are not sent until an operator applies one (below).</p>`
    : '';
  const notice = view.notice
    ? html`<p class="notice" id="apply-notice" role="status" data-code="${view.notice}">${APPROVAL_NOTICES[view.notice]}</p>`
    : '';
  return html`${notice}<p class="meta" id="apply-mode" data-mode="${view.mode}">Apply mode ${MODE_SAYS[view.mode]}</p>${stopped}${approveForm(view, current)}
<table id="applied" class="cards"><thead><tr><th scope="col">channel</th><th scope="col">planned</th><th scope="col">applied (when, by whom)</th><th scope="col">spent ${view.spentOn}</th><th scope="col" class="reason">why not</th></tr></thead><tbody>${rows}</tbody></table>
${dryRunDiff(view, current)}${rollbackForm(view)}${history.length ? html`<h3>Recent applies</h3><ul id="apply-history">${history}</ul>` : html``}<p class="meta">Pacing below compares spend with the budget applied on the platforms where there is one, and with the plan elsewhere.</p>`
    .value;
};

/**
 * The pacing reference with applied budgets in place of plans: for each day and channel, what the newest
 * apply before that day's end set on the platforms, where a plan was applied; the plan otherwise.
 */
export const withAppliedBudgets = (
  allocated: Map<string, Map<string, number>>,
  records: readonly ApplyRecord[],
  timeZone: string,
): Map<string, Map<string, number>> => {
  const applied = records
    .filter(isApplied)
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    .map((r) => {
      const byChannel = new Map<string, number>();
      for (const c of r.changes)
        if (c.status === 'applied' || c.status === 'unchanged')
          byChannel.set(c.channelId, (byChannel.get(c.channelId) ?? 0) + (c.after ?? 0));
      return { date: dateInZone(new Date(r.updatedAt), timeZone), byChannel };
    });
  if (applied.length === 0) return allocated;
  const result = new Map<string, Map<string, number>>();
  for (const [date, plan] of allocated) {
    const day = new Map(plan);
    for (const a of applied) if (a.date <= date) for (const [channel, amount] of a.byChannel) day.set(channel, amount);
    result.set(date, day);
  }
  return result;
};

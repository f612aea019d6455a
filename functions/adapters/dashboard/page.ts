import type { Alert } from '../../domain/alerts/lifecycle.js';
import type { ChannelAllocation } from '../../domain/allocation/schemas.js';
import { alertValue, attentionItems, breachedWindows } from '../../domain/attention.js';
import type { ComparedInputs } from '../../domain/changeDrivers.js';
import type { Portfolio } from '../../domain/config.js';
import type { Diagnostics } from '../../domain/diagnostics/schemas.js';
import {
  allocationCells,
  channelName,
  diffSnapshots,
  displayCount,
  displayInstant,
  displayMoney,
  financeRows,
  snapshotCsv,
  summaryCells,
  summaryLines,
  TABLE_COLUMNS,
} from '../../domain/financeViews.js';
import { GLOSSARY } from '../../domain/glossary.js';
import type { DailyTotal } from '../../domain/metrics.js';
import { minorUnitOf } from '../../domain/money.js';
import { reserveRelease, type Snapshot } from '../../domain/snapshots.js';
import { wellFormed } from '../../domain/text.js';
import { type AppliesView, appliesSection } from './applies.js';
import { html, type Markup, trusted } from './html.js';
import { modelHealthSection } from './modelHealth.js';
import { type PlannerView, plannerMarkup } from './planner.js';
import { contributionSection, curvesSection, outcomeSection, PACING_DAYS, pacingSection, whySection } from './sections.js';
import { attr, currencyTick, gridColumn, niceTicks } from './svg.js';

/** What the dashboard shows: one portfolio, its recent snapshots (newest first), its open alerts. */
export interface DashboardModel {
  readonly portfolios: readonly Pick<Portfolio, 'id' | 'name'>[];
  readonly portfolio: Portfolio;
  /** The hash of the config in force: a plan made under another one says so in the header. */
  readonly configHash: string;
  readonly snapshots: readonly Snapshot[];
  readonly alerts: readonly Alert[];
  /**
   * The snapshot ids to compare (default the latest and the one before), the snapshots asked for that are
   * older than those shown, and the ids asked for that the portfolio has no snapshot of.
   */
  readonly diff: {
    readonly from?: string;
    readonly to?: string;
    readonly older?: readonly Snapshot[];
    readonly missing?: readonly string[];
  };
  /** Query parameters every link and form must carry (the local token). */
  readonly carry: Readonly<Record<string, string>>;
  /** Daily totals of the last 14 days, for pacing and the contribution matrix. */
  readonly daily: readonly DailyTotal[];
  /** The allocation in force at the end of each day (the newest snapshot made for it). */
  readonly allocated: Map<string, Map<string, number>>;
  /** Today in the portfolio's zone. */
  readonly today: string;
  /** The signed-in person, and the CSRF token their sign-out form carries (none for the local token). */
  readonly viewer?: { readonly user: string; readonly groups: readonly string[]; readonly csrf?: string };
  /** What reached the ad platforms' budgets (applies.ts); absent when the page has no Applies table to read. */
  readonly applies?: AppliesView;
  /** Fit diagnostics of the model the plan rests on (the "Model health" section); absent, the section says so. */
  readonly diagnostics?: Diagnostics;
  /** The inputs the two compared snapshots were solved from ({@link comparedPair}), for why each channel changed. */
  readonly inputs?: ComparedInputs;
  /** The what-if planner's plans for 25 budgets around today's, or why it could not solve them. */
  readonly planner?: PlannerView;
  /** Why the operator's form just posted did nothing. */
  readonly operateNotice?: OperateNotice;
}

/** The two snapshots compared: the ones asked for, else the latest and the one before it. */
export const comparedPair = (
  snapshots: readonly Snapshot[],
  diff: DashboardModel['diff'],
): { readonly from: Snapshot; readonly to: Snapshot } | null => {
  if (snapshots.length < 2) return null;
  const to = snapshots.find((s) => s.snapshotId === diff.to) ?? snapshots[0]!;
  const from = snapshots.find((s) => s.snapshotId === diff.from) ?? snapshots.find((s) => s.snapshotId < to.snapshotId) ?? snapshots[1]!;
  return { from, to };
};

/** The three tracks, in stacking order, with colours that keep 4.5:1 contrast against white. */
const TRACKS = [
  { key: 'base', label: 'Base', colour: '#1f4e79' },
  { key: 'performance', label: 'Performance', colour: '#2e7d32' },
  { key: 'exploration', label: 'Exploration', colour: '#a64d00' },
] as const;

/** Line colours for up to 12 channels (then they repeat), all dark enough to read on white. */
const PALETTE = [
  '#1f4e79',
  '#2e7d32',
  '#a64d00',
  '#6a1b9a',
  '#c62828',
  '#00695c',
  '#4e342e',
  '#283593',
  '#ad1457',
  '#558b2f',
  '#37474f',
  '#8d6e00',
];

const hidden = (carry: Record<string, string>) =>
  Object.entries(carry).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);

/** Why an operator's form posted from this page did nothing, by the code it returns with (the page words it). */
export const OPERATE_NOTICES = {
  'reserve-needs-reason': 'Nothing was run: releasing the reserve needs a reason (1 to 500 characters), which goes into the snapshot.',
  'reason-invalid':
    'Nothing was run: the reason must be one line of 1 to 500 characters that shows something, with no control characters; it goes into the snapshot as written.',
  'reason-needs-release':
    'Nothing was run: a reason is recorded only when the run releases the reserve. Tick "release the reserve" to release it, or clear the reason to reallocate without it.',
} as const;
export type OperateNotice = keyof typeof OPERATE_NOTICES;

/** The operators' forms: reallocate now (optionally releasing the reserve, with a reason) and evaluate alerts now; both carry the CSRF token. */
const operatorsForm = (model: DashboardModel): Markup | '' => {
  const csrf = model.viewer?.csrf;
  if (!csrf || !model.viewer?.groups.includes('operators')) return '';
  const fields = html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="portfolio" value="${model.portfolio.id}">`;
  const notice = model.operateNotice
    ? html`<p class="notice" id="operate-notice" role="status" data-code="${model.operateNotice}">${OPERATE_NOTICES[model.operateNotice]}</p>`
    : '';
  return html`<section aria-labelledby="h-operate"><h2 id="h-operate">Operate</h2>${notice}<form method="post" action="/dashboard/reallocate" id="reallocate-form">${fields}<label><input type="checkbox" name="releaseReserve" id="release-reserve"> release the reserve</label><label for="reason">Reason</label><input id="reason" name="reason" maxlength="500"><button type="submit">Reallocate now</button></form>
<form method="post" action="/dashboard/alerts/evaluate" id="evaluate-form">${fields}<button type="submit">Evaluate alerts now</button></form></section>`;
};

/** Who is signed in, and the sign-out form (a POST carrying the session's CSRF token). */
const viewerBox = (viewer: DashboardModel['viewer']) =>
  viewer
    ? html`<div id="viewer"><span id="user">${viewer.user}</span> <span class="meta">(${viewer.groups.join(', ')})</span>${
        viewer.csrf
          ? html` <form method="post" action="/auth/logout" id="sign-out"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form>`
          : ''
      }</div>`
    : '';

const STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a; background: #fff; line-height: 1.4; }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 1rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; border-bottom: 2px solid #1f4e79; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
select { max-width: 100%; }
.meta, li, code, pre, figcaption { overflow-wrap: anywhere; } pre { white-space: pre-wrap; }
select, input, button, a.button { font: inherit; padding: .35rem .6rem; border: 1px solid #555; border-radius: 4px; background: #fff; color: #1a1a1a; }
button, a.button { background: #1f4e79; color: #fff; border-color: #1f4e79; cursor: pointer; text-decoration: none; display: inline-block; }
:focus-visible { outline: 3px solid #ffb300; outline-offset: 2px; }
.notice { border-left: 4px solid #a64d00; background: #fff4e5; padding: .5rem .75rem; }
.meta { color: #333; } code { background: #f1f3f5; padding: 0 .25rem; border-radius: 3px; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1rem; list-style: none; padding: 0; margin: .25rem 0; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .3rem; border-radius: 2px; }
svg { width: 100%; height: auto; display: block; } svg text { font-size: 12px; fill: #1a1a1a; } svg.spark { width: 168px; max-width: 100%; }
.headline { font-size: 1.1rem; margin: .25rem 0; }
.curves { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 1rem; }
figure { margin: 0; } figcaption { font-size: .9rem; }
figure.planner { max-width: 760px; } a.term { color: inherit; text-decoration: underline dotted; text-underline-offset: 2px; }
dl#glossary dt { font-weight: 600; margin-top: .5rem; } dl#glossary dd { margin: 0 0 0 1rem; }
.matrix { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; align-items: start; } figure.quadrant { max-width: 480px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #ccc; padding: .3rem .4rem; text-align: right; vertical-align: top; }
thead th { vertical-align: bottom; }
th[scope="row"], th:first-child, td:first-child, td.reason, th.reason { text-align: left; } td.reason { min-width: 14rem; }
tfoot td, tr.total td { font-weight: 600; border-top: 2px solid #1a1a1a; }
.sev { padding: 0 .4rem; border-radius: 3px; color: #fff; font-weight: 600; }
.sev-info { background: #455a64; } .sev-warning { background: #8d5a00; } .sev-critical { background: #b71c1c; }
.up { color: #1b5e20; } .down { color: #b71c1c; }
.empty { border: 2px dashed #999; padding: 1rem 1.5rem; border-radius: 6px; }
/* Charts drawn wider than a phone carry their own text size for it (svg.ts), so their text stays 11 px or more. */
.phone-only { display: none; }
@media (max-width: 480px) {
  .phone-only { display: block; } table.phone-only { display: table; } .wide-only { display: none; }
  svg[data-phone-text] text { font-size: var(--phone-text); }
}
@media (max-width: 760px) {
  h1 { font-size: 1.2rem; }
  /* Tables become cards: one block per row, each cell labelled by its column. */
  table.cards, table.cards tbody, table.cards tr, table.cards td, table.cards th, table.cards tfoot { display: block; width: 100%; }
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.cards tr { border: 1px solid #ccc; border-radius: 6px; margin: 0 0 .75rem; padding: .25rem .5rem; }
  table.cards td, table.cards th { border: 0; text-align: left; padding: .15rem 0; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
  table.cards caption { display: block; text-align: left; }
}
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  table { font-size: 7.5pt; } td.reason { min-width: 0; } th, td { padding: .15rem .25rem; }
  header form, #diff-form, #csv, #sign-out, #reallocate-form, #evaluate-form { display: none; }
  section, figure, tr { break-inside: avoid; }
  .curves { grid-template-columns: repeat(4, 1fr); }
  a { color: inherit; text-decoration: none; }
}
`;

/** A snapshot as the page names it: its id and when it was made ("20261122T… of 2026-11-22 10:15 UTC"). */
const snapshotLabel = (s: Snapshot) => html`<code>${s.snapshotId}</code> (${displayInstant(s.createdAt)})`;

/**
 * The snapshot a plan's previous totals are: the newest older one whose totals they equal (the plan in force
 * when its run began). Undefined when none of the snapshots shown matches.
 */
const previousOf = (latest: Snapshot, snapshots: readonly Snapshot[]): Snapshot | undefined => {
  const previous = new Map(latest.allocation.channels.map((c) => [c.channelId, c.previousTotal]));
  if ([...previous.values()].every((v) => v === null)) return undefined;
  return snapshots.find(
    (s) =>
      s.snapshotId < latest.snapshotId &&
      s.allocation.channels.length === previous.size &&
      s.allocation.channels.every(
        (c) => previous.has(c.channelId) && Math.abs((previous.get(c.channelId) ?? Number.NaN) - c.total) < 0.005,
      ),
  );
};

/** "the plan in force when this run began: snapshot … (…)", wherever the page shows a previous total. */
const previousWords = (previous: Snapshot | undefined) =>
  previous ? html`snapshot ${snapshotLabel(previous)}, in force when this run began` : 'the plan in force when this run began';

/** A term on the page, linked to its definition in the page's glossary. */
const term = (id: string, text: string) => html`<a class="term" href="#term-${id}">${text}</a>`;

/** Latest allocation: a stacked bar per channel, the previous total marked by a tick, on a round money axis. */
const bars = (snapshot: Snapshot, previous: Snapshot | undefined, portfolio: Portfolio, money: (n: number) => string): Markup => {
  const channels = snapshot.allocation.channels;
  const name = (id: string) => channelName(portfolio, id);
  const ticks = niceTicks(Math.max(1, ...channels.flatMap((c) => [c.total, c.previousTotal ?? 0])), 4);
  const scale = ticks.at(-1)!;
  // Room for the longest name at about 7 units a character (12 px text).
  const left = Math.max(110, 14 + 7 * Math.max(...channels.map((c) => name(c.channelId).length)));
  const width = 520;
  const row = 30;
  const height = channels.length * row + 28;
  const x = (v: number) => left + (v / scale) * width;
  const tick = currencyTick(portfolio.currency);
  const axis = ticks.map((t) => gridColumn(x(t), 2, height - 22, height - 6, tick(t)));
  const rows = channels.map((c, i) => {
    const y = 5 + i * row;
    const segments = trackSegments(c, x, y, row - 10, (t, value) => `${name(c.channelId)} ${t.label.toLowerCase()}: ${money(value)}`);
    const tickMark =
      c.previousTotal === null
        ? ''
        : html`<line class="previous" x1="${x(c.previousTotal).toFixed(1)}" x2="${x(c.previousTotal).toFixed(1)}" y1="${y - 3}" y2="${y + row - 7}" stroke="#000" stroke-width="2" stroke-dasharray="3 2"><title>previous total ${money(c.previousTotal)}${previous ? ` (snapshot ${previous.snapshotId})` : ''}</title></line>`;
    // The label starts past both the bar and the previous-total tick, so neither is drawn over it.
    const labelAt = x(Math.max(c.total, c.previousTotal ?? 0)) + 6;
    return html`<g class="bar" data-channel="${c.channelId}" data-base="${c.base}" data-performance="${c.performance}" data-exploration="${c.exploration}" data-total="${c.total}">
<text x="${left - 8}" y="${y + row / 2}" text-anchor="end">${name(c.channelId)}</text>${segments}${tickMark}
<text class="value" x="${labelAt.toFixed(1)}" y="${y + row / 2}">${money(c.total)}</text></g>`;
  });
  const summary = channels
    .map(
      (c) =>
        `${name(c.channelId)} ${money(c.total)} (base ${money(c.base)}, performance ${money(c.performance)}, exploration ${money(c.exploration)})`,
    )
    .join('; ');
  return html`<ul class="legend">${TRACKS.map((t) => html`<li><span class="swatch" style="background:${t.colour}"></span>${term(t.key, t.label)}</li>`)}<li id="bars-previous"><span class="swatch" style="background:repeating-linear-gradient(90deg,#000 0 3px,#fff 3px 5px)"></span>${term('previous', 'Previous total')}: ${previousWords(previous)}</li></ul>
<svg id="bars" class="wide-only" role="img" aria-labelledby="bars-title bars-desc" viewBox="0 0 ${left + width + 100} ${height}"><title id="bars-title">Latest allocation per channel</title><desc id="bars-desc">${summary}</desc>${axis}${rows}</svg>${narrowBars(snapshot, portfolio, money, scale, summary)}`;
};

/**
 * A channel's stacked tracks (base, performance, exploration) as rectangles from 0 along `x`, at `y`, each
 * with its title when `title` gives one.
 */
const trackSegments = (
  channel: ChannelAllocation,
  x: (v: number) => number,
  y: number,
  height: number,
  title?: (track: (typeof TRACKS)[number], value: number) => string,
): Markup[] => {
  let start = 0;
  return TRACKS.map((t) => {
    const value = channel[t.key];
    const from = start;
    start += value;
    if (value <= 0) return html``;
    const width = (x(from + value) - x(from)).toFixed(1);
    return title
      ? html`<rect x="${x(from).toFixed(1)}" y="${y}" width="${width}" height="${height}" fill="${t.colour}"><title>${title(t, value)}</title></rect>`
      : html`<rect x="${x(from).toFixed(1)}" y="${y}" width="${width}" height="${height}" fill="${t.colour}"/>`;
  });
};

/**
 * The same bars for a phone: about as wide in units as the screen in pixels, so its text keeps its size;
 * each channel's name and total on a line above its bar.
 */
const narrowBars = (snapshot: Snapshot, portfolio: Portfolio, money: (n: number) => string, scale: number, summary: string): Markup => {
  const [w, row, bar] = [360, 44, 14];
  const x = (v: number) => 2 + (v / scale) * (w - 4);
  const rows = snapshot.allocation.channels.map((c, i) => {
    const y = i * row;
    const segments = trackSegments(c, x, y + 22, bar);
    const tickMark =
      c.previousTotal === null
        ? ''
        : html`<line x1="${x(c.previousTotal).toFixed(1)}" x2="${x(c.previousTotal).toFixed(1)}" y1="${y + 19}" y2="${y + 22 + bar + 3}" stroke="#000" stroke-width="2" stroke-dasharray="3 2"/>`;
    return html`<g data-channel="${c.channelId}"><text x="2" y="${y + 15}">${channelName(portfolio, c.channelId)}</text><text x="${w - 2}" y="${y + 15}" text-anchor="end">${money(c.total)}</text>${segments}${tickMark}</g>`;
  });
  return html`<svg id="bars-narrow" class="phone-only" role="img" aria-labelledby="bars-narrow-title bars-narrow-desc" viewBox="0 0 ${w} ${snapshot.allocation.channels.length * row}"><title id="bars-narrow-title">Latest allocation per channel</title><desc id="bars-narrow-desc">${summary}</desc>${rows}</svg>`;
};

/** Each channel's total across the snapshots shown, oldest to newest. */
const lines = (snapshots: readonly Snapshot[], portfolio: Portfolio, money: (n: number) => string): Markup => {
  const currency = portfolio.currency;
  const name = (id: string) => channelName(portfolio, id);
  const ordered = [...snapshots].reverse();
  const ids = [...new Set(ordered.flatMap((s) => s.allocation.channels.map((c) => c.channelId)))];
  const ticks = niceTicks(Math.max(1, ...ordered.flatMap((s) => s.allocation.channels.map((c) => c.total))), 4);
  const top = ticks.at(-1)!;
  const tick = currencyTick(currency);
  const [w, h, left, bottom] = [760, 240, 60, 24];
  const x = (i: number) => left + (ordered.length === 1 ? (w - left) / 2 : (i / (ordered.length - 1)) * (w - left - 10));
  const y = (v: number) => 8 + (1 - v / top) * (h - bottom - 8);
  const grid = ticks.map(
    (t) =>
      html`<line x1="${left}" x2="${w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${tick(t)}</text>`,
  );
  const series = ids.map((id, k) => {
    const points = ordered.flatMap((s, i) => {
      const c = s.allocation.channels.find((ch) => ch.channelId === id);
      return c ? [{ i, v: c.total, s }] : [];
    });
    const colour = PALETTE[k % PALETTE.length]!;
    const path = points.map((p) => `${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    const dots = points.map(
      (p) =>
        html`<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="3" fill="${colour}"><title>${name(id)} ${money(p.v)} in snapshot ${p.s.snapshotId}</title></circle>`,
    );
    return html`<g data-channel="${id}"><polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}</g>`;
  });
  // At phone width the lines give way to a table: first and latest totals, and the range between.
  const table = html`<table id="history-table" class="cards phone-only"><caption class="meta">From snapshot ${snapshotLabel(ordered[0]!)} to ${snapshotLabel(ordered.at(-1)!)}</caption><thead><tr><th scope="col">channel</th><th scope="col">first</th><th scope="col">latest</th><th scope="col">lowest</th><th scope="col">highest</th></tr></thead><tbody>${ids.map(
    (id) => {
      const totals = ordered.flatMap((s) => s.allocation.channels.filter((c) => c.channelId === id).map((c) => c.total));
      return html`<tr data-channel="${id}"><th scope="row">${name(id)}</th><td data-label="first">${money(totals[0]!)}</td><td data-label="latest">${money(totals.at(-1)!)}</td><td data-label="lowest">${money(Math.min(...totals))}</td><td data-label="highest">${money(Math.max(...totals))}</td></tr>`;
    },
  )}</tbody></table>`;
  return html`${table}<div class="wide-only"><ul class="legend">${ids.map((id, k) => html`<li><span class="swatch" style="background:${PALETTE[k % PALETTE.length]}"></span>${name(id)}</li>`)}</ul>
<svg id="history" role="img" aria-labelledby="history-title" viewBox="0 0 ${w} ${h}"><title id="history-title">Total per channel across the last ${ordered.length} snapshots, oldest to newest</title>${grid}${series}
<text x="${left}" y="${h - 4}">${ordered[0]!.createdAt.slice(0, 16).replace('T', ' ')}</text><text x="${w}" y="${h - 4}" text-anchor="end">${ordered.at(-1)!.createdAt.slice(0, 16).replace('T', ' ')}</text></svg></div>`;
};

/** The allocation table's columns that name a glossary term. */
const COLUMN_TERMS: Partial<Record<(typeof TABLE_COLUMNS)[number], string>> = {
  base: 'base',
  performance: 'performance',
  exploration: 'exploration',
  previous: 'previous',
  'expected conversions': 'expected',
  'marginal CPA': 'marginal-cpa',
};

const allocationTable = (
  snapshot: Snapshot,
  previous: Snapshot | undefined,
  portfolio: Portfolio,
  money: (n: number | null) => string,
): Markup => {
  const rows = financeRows(snapshot).map((c) => {
    const percent = c.changePercent === null ? '' : `${formatShare(c.changePercent)}%`;
    // People read the channel's name here; the CSV keeps its id.
    const [, ...tracks] = allocationCells(c, money);
    const cells = [
      channelName(portfolio, c.channelId),
      ...tracks,
      money(c.change),
      percent,
      displayCount(c.expectedConversions),
      money(c.marginalCpa),
      kilograms(c.carbonKg),
    ];
    return html`<tr>${cells.map((cell, i) => html`<td data-label="${TABLE_COLUMNS[i]}">${cell}</td>`)}<td class="reason" data-label="reason">${c.reason}</td></tr>`;
  });
  const foot = summaryLines(snapshot.allocation, reserveRelease(snapshot)).map((line) => {
    const cells = summaryCells(line, { money, count: displayCount, kg: kilograms });
    // The change % as the channel rows show it (the CSV keeps two decimals).
    if (line.changePercent !== null) cells[TABLE_COLUMNS.indexOf('change %')] = `${formatShare(line.changePercent)}%`;
    const note = cells.pop()!;
    return html`<tr data-line="${line.label}">${cells.map((cell, i) => (cell === '' ? html`<td></td>` : html`<td data-label="${TABLE_COLUMNS[i]}">${cell}</td>`))}<td class="reason">${note}</td></tr>`;
  });
  return html`<div><table id="allocation" class="cards"><caption class="meta">Snapshot ${snapshotLabel(snapshot)}; previous is ${previousWords(previous)}.</caption><thead><tr>${TABLE_COLUMNS.map((c) => html`<th scope="col"${c === 'reason' ? trusted(' class="reason"') : ''}>${COLUMN_TERMS[c] ? term(COLUMN_TERMS[c], c) : c}</th>`)}</tr></thead><tbody>${rows}</tbody><tfoot>${foot}</tfoot></table></div>`;
};

const kilograms = (value: number | null | undefined) => (value === null || value === undefined ? '' : displayCount(value));

/** A percentage already in percent (12.345 → "12.3"), as every share on the page reads. */
const formatShare = (percent: number) => displayCount(percent);

/** A binding limit in people's words, channels by name: "Cap on Google Search", "Daily budget". */
const constraintLabel = (id: string, portfolio: Portfolio): string => {
  const [kind, rest] = [id.split(':')[0], id.slice(id.indexOf(':') + 1)];
  switch (kind) {
    case 'budget':
      return 'Daily budget';
    case 'targetCpa':
      return 'Target CPA';
    case 'minRoas':
      return 'Minimum ROAS';
    case 'carbon':
      return 'Carbon cap';
    case 'max':
      return `Cap on ${channelName(portfolio, rest)}`;
    case 'change':
      return `Daily change limit on ${channelName(portfolio, rest)}`;
    case 'group':
      return `Group ${rest}`;
    default:
      return id;
  }
};

/**
 * The reserve: held back (an operator can release it), or released into this plan, with who released it, when
 * and the reason they gave, as the snapshot's trigger records them (the amount it held back is then 0).
 */
const reserveFact = (snapshot: Snapshot, money: (n: number | null) => string): Markup => {
  const { reserve } = snapshot.allocation;
  const release = reserveRelease(snapshot);
  if (release) {
    return html`<li id="reserve" data-amount="${attr(reserve)}" data-released-by="${release.by}" data-released-at="${release.at}">${term('reserve', 'Reserve')} <strong>released</strong> into this plan by <strong>${release.by}</strong> at ${displayInstant(release.at)}: <q>${release.reason}</q>; nothing held back</li>`;
  }
  return html`<li id="reserve" data-amount="${attr(reserve)}">${term('reserve', 'Reserve')} held back: <strong>${money(reserve)}</strong>${reserve > 0 ? ' (an operator can release it with a reason)' : ''}</li>`;
};

/** The constraints that bind, with what relaxing each would buy, dearest first. */
const constraintsSection = (snapshot: Snapshot, portfolio: Portfolio, money: (n: number | null) => string): Markup => {
  const { constraints, unallocated, carbonKg } = snapshot.allocation;
  const facts = html`<ul class="facts">${reserveFact(snapshot, money)}${
    unallocated
      ? html`<li id="unallocated" data-amount="${attr(unallocated.amount)}">Unallocated: <strong>${money(unallocated.amount)}</strong>: ${unallocated.reasons.join(' ')}</li>`
      : ''
  }${carbonKg === undefined ? '' : html`<li id="carbon" data-kg="${attr(carbonKg)}">Carbon: <strong>${carbonKg.toFixed(1)} kg CO2e</strong> a day</li>`}</ul>`;
  if (constraints.length === 0)
    return html`${facts}<p class="meta" id="constraints">No constraint binds: every channel sits where its curve says.</p>`;
  return html`${facts}<p class="meta">Each limit that binds, with its ${term('shadow-price', 'shadow price')}: what relaxing it by one unit would add. A target CPA or minimum ROAS is read with ${term('caution', 'caution')}.</p><ul id="constraints">${constraints.map(
    (c) =>
      html`<li data-constraint="${c.id}" data-shadow-price="${c.shadowPrice}"><strong>${constraintLabel(c.id, portfolio)}</strong>${c.unmet === undefined ? '' : html` <em>(unmet)</em>`}: ${c.explanation}</li>`,
  )}</ul>`;
};

const snapshotOption = (s: Snapshot, selected: string | undefined) =>
  html`<option value="${s.snapshotId}"${s.snapshotId === selected ? trusted(' selected') : ''}>${s.createdAt.slice(0, 19).replace('T', ' ')} · ${s.allocation.status} · ${s.snapshotId}</option>`;

/** The snapshots a comparison can pick from: those shown, and older ones asked for by id, newest first. */
export const comparable = (snapshots: readonly Snapshot[], older: readonly Snapshot[] = []): Snapshot[] =>
  [...snapshots, ...older.filter((s) => !snapshots.some((shown) => shown.snapshotId === s.snapshotId))].sort((a, b) =>
    b.snapshotId.localeCompare(a.snapshotId),
  );

const diffSection = (model: DashboardModel, money: (n: number | null) => string): Markup => {
  const snapshots = comparable(model.snapshots, model.diff.older);
  const pair = comparedPair(snapshots, model.diff);
  const missing = (model.diff.missing ?? []).map(
    (id) =>
      html`<p class="notice" role="status" data-missing="${id}">Portfolio ${model.portfolio.name} has no snapshot <code>${id}</code>.</p>`,
  );
  if (!pair) return html`${missing}<p>A comparison needs two snapshots.</p>`;
  const { from, to } = pair;
  const diff = diffSnapshots(from, to);
  const rows = diff.channels.map((c) => {
    const cls = c.change > 0 ? 'up' : c.change < 0 ? 'down' : '';
    return html`<tr data-channel="${c.channelId}" data-change="${c.change}"><td>${channelName(model.portfolio, c.channelId)}</td><td data-label="from">${money(c.from?.total ?? null)}</td><td data-label="to">${money(c.to?.total ?? null)}</td><td class="${cls}" data-label="change">${c.change > 0 ? '+' : ''}${money(c.change)}</td><td class="${cls}" data-label="change %">${c.changePercent === null ? '' : `${formatShare(c.changePercent)}%`}</td></tr>`;
  });
  const [before, after] = [from.allocation.total, to.allocation.total];
  const totalRow = html`<tr class="total" data-line="(total)"><td>(total)</td><td data-label="from">${money(before)}</td><td data-label="to">${money(after)}</td><td data-label="change">${after - before > 0 ? '+' : ''}${money(after - before)}</td><td data-label="change %">${before > 0 ? `${formatShare(((after - before) / before) * 100)}%` : ''}</td></tr>`;
  return html`${missing}<form method="get" action="/dashboard" id="diff-form">${hidden({ ...model.carry, portfolio: model.portfolio.id })}
<label for="diff-from">From</label><select id="diff-from" name="from">${snapshots.map((s) => snapshotOption(s, from.snapshotId))}</select>
<label for="diff-to">To</label><select id="diff-to" name="to">${snapshots.map((s) => snapshotOption(s, to.snapshotId))}</select>
<button type="submit">Compare</button></form>
<p class="meta" id="diff-pair">From snapshot ${snapshotLabel(from)} to snapshot ${snapshotLabel(to)}.</p>
<table id="diff" class="cards" data-from="${from.snapshotId}" data-to="${to.snapshotId}"><thead><tr><th scope="col">channel</th><th scope="col">from</th><th scope="col">to</th><th scope="col">change</th><th scope="col">change %</th></tr></thead><tbody>${rows}</tbody><tfoot>${totalRow}</tfoot></table>
<h3>Why it changed</h3>${whySection(from, to, model.portfolio, model.inputs)}`;
};

const alertsSection = (alerts: readonly Alert[], portfolio: Portfolio): Markup =>
  alerts.length === 0
    ? html`<p>No open alerts.</p>`
    : html`<ul id="alerts">${alerts.map(
        (a) =>
          html`<li><span class="sev sev-${a.severity}">${a.severity}</span> <strong>${channelName(portfolio, a.channelId)}</strong>: ${alertValue(a, minorUnitOf(portfolio.currency).format)}${breachedWindows(a)} (rule <code>${a.ruleId}</code>)${a.action ? html` — <em>${term('stop-loss', 'stop-loss')}: held at base</em>` : ''} (since ${displayInstant(a.openedAt)}${a.observedAt && a.observedAt !== a.openedAt ? `; read ${displayInstant(a.observedAt)}` : ''})</li>`,
      )}</ul>`;

/** The daily budget a plan was made under: what it placed, what it held back, and what it left unplaced. */
const budgetOfPlan = (snapshot: Snapshot) =>
  snapshot.allocation.total + snapshot.allocation.reserve + (snapshot.allocation.unallocated?.amount ?? 0);

/** Said above the plan when it was made under a config other than the one in force (a deploy since). */
const staleConfigNotice = (latest: Snapshot, configHash: string, money: (value: number | null) => string): Markup | '' =>
  latest.configHash === configHash
    ? ''
    : html`<p class="notice" id="config-notice" role="status">This plan was made under an earlier config (<code>${latest.configHash}</code>, a daily budget of ${money(budgetOfPlan(latest))}); the config in force since (<code>${configHash}</code>) applies from the next run.</p>`;

/** What needs a person, at the top of the page: most severe first, each linking to its detail below. */
const attentionSection = (model: DashboardModel): Markup => {
  const items = attentionItems({
    latest: model.snapshots[0],
    alerts: model.alerts,
    daily: model.daily,
    allocated: model.allocated,
    today: model.today,
    configHash: model.configHash,
    diagnostics: model.diagnostics,
    names: new Map(model.portfolio.channels.map((c) => [c.id, c.name ?? c.id])),
    money: minorUnitOf(model.portfolio.currency).format,
    // Stopped applies need a person only where plans are applied at all (approve or auto).
    appliesStopped:
      model.applies?.state?.stoppedAt && (model.applies.mode === 'approve' || model.applies.mode === 'auto')
        ? { at: model.applies.state.stoppedAt, failures: model.applies.state.consecutiveFailures }
        : undefined,
  });
  const body =
    items.length === 0
      ? html`<p id="attention-none">Nothing needs attention: no open alert, the plan is solved, spend is within 20% of plan and the data is fresh.</p>`
      : html`<ol id="attention">${items.map(
          (item) =>
            html`<li data-severity="${item.severity}"><span class="sev sev-${item.severity}">${item.severity}</span> ${item.text} <a href="#${item.detail}">Details</a></li>`,
        )}</ol>`;
  return html`<section aria-labelledby="h-attention"><h2 id="h-attention">Needs attention</h2>${body}</section>`;
};

/**
 * The words the page uses, defined where its links land (`#term-<id>`): on the page itself, so they work
 * locally and behind the deployed API alike; docs/finance-guide.md carries the same definitions.
 */
const glossarySection = () =>
  html`<section aria-labelledby="h-glossary"><h2 id="h-glossary">Glossary</h2><dl id="glossary">${GLOSSARY.map(
    (t) => html`<dt id="term-${t.id}">${t.term}</dt><dd>${t.definition}</dd>`,
  )}</dl></section>`;

/** The finance dashboard: plain HTML and SVG, no script or network beyond this page. */
export const renderDashboard = (model: DashboardModel): string => {
  const { portfolio, snapshots } = model;
  const money = displayMoney(portfolio.currency);
  const picker = html`<form method="get" action="/dashboard">${hidden(model.carry)}<label for="portfolio">Portfolio</label><select id="portfolio" name="portfolio">${model.portfolios.map(
    (p) => html`<option value="${p.id}"${p.id === portfolio.id ? trusted(' selected') : ''}>${p.name} (${p.id})</option>`,
  )}</select><button type="submit">Show</button></form>`;
  const latest = snapshots[0];
  const previous = latest ? previousOf(latest, snapshots) : undefined;
  const body = latest
    ? html`${staleConfigNotice(latest, model.configHash, money)}<p class="meta" id="meta">${term('snapshot', 'Snapshot')} <code>${latest.snapshotId}</code> · <strong>${latest.allocation.status}</strong>${latest.allocation.reason ? ` (${latest.allocation.reason})` : ''} · ${term('watermark', 'metrics up to')} <strong id="watermark">${latest.watermark ?? 'none'}</strong> · config <code id="config-hash">${latest.configHash}</code> · ${latest.computation} ${latest.createdAt.slice(0, 19).replace('T', ' ')} UTC · daily budget ${money(portfolio.budget.daily)} ${portfolio.currency}</p>
<section aria-labelledby="h-outcome"><h2 id="h-outcome">Expected outcome</h2>${outcomeSection(latest, snapshots.find((s) => s.allocation.asOf < latest.allocation.asOf) ?? snapshots[1], money)}</section>
<section aria-labelledby="h-bars"><h2 id="h-bars">Latest allocation</h2>${bars(latest, previous, portfolio, money)}</section>
<section aria-labelledby="h-table"><h2 id="h-table">Allocation table</h2>
<p><a class="button" id="csv" download="${`${portfolio.id}-${latest.snapshotId}.csv`}" href="data:text/csv;charset=utf-8,${encodeURIComponent(wellFormed(snapshotCsv(latest, portfolio.currency)))}">Download CSV</a></p>${allocationTable(latest, previous, portfolio, money)}</section>
<section aria-labelledby="h-planner"><h2 id="h-planner">What if the budget were different?</h2>${plannerMarkup(model.planner, latest, portfolio.budget.daily, portfolio.currency, money)}</section>
${
  model.applies
    ? html`<section aria-labelledby="h-applied"><h2 id="h-applied">Applied to the platforms</h2>${trusted(appliesSection(model.applies))}</section>
`
    : ''
}<section aria-labelledby="h-curves"><h2 id="h-curves">Response curves</h2>${curvesSection(latest, portfolio, money)}</section>
<section aria-labelledby="h-model-health"><h2 id="h-model-health">Model health</h2>${modelHealthSection(model.diagnostics, portfolio.id)}</section>
<section aria-labelledby="h-constraints"><h2 id="h-constraints">What holds the plan back</h2>${constraintsSection(latest, portfolio, money)}</section>
<section aria-labelledby="h-diff"><h2 id="h-diff">Compare snapshots</h2>${diffSection(model, money)}</section>
<section aria-labelledby="h-pacing"><h2 id="h-pacing">Plan against actual, last ${PACING_DAYS} days</h2>${pacingSection(portfolio, model.daily, model.allocated, model.today, money)}</section>
<section aria-labelledby="h-contribution"><h2 id="h-contribution">Channel contribution</h2>${contributionSection(latest, portfolio, model.daily, money)}</section>
<section aria-labelledby="h-history"><h2 id="h-history">Total per channel across snapshots</h2>${lines(snapshots, portfolio, money)}</section>`
    : html`<section class="empty" id="empty"><h2>No allocation yet for ${portfolio.name}</h2>
<p>Snapshots appear after the first reallocation. Send metrics to <code>POST /webhooks/{source}</code>, then either wait for the schedule or run one now:</p>
<pre><code>curl -X POST -H 'Authorization: Bearer &lt;token&gt;' &lt;api&gt;/portfolios/${portfolio.id}/reallocate</code></pre></section>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Budget allocation · ${portfolio.name}</title><style>${trusted(STYLE)}</style></head>
<body><header><h1>Budget allocation · ${portfolio.name}</h1>${picker}${viewerBox(model.viewer)}</header>
<main>${attentionSection(model)}${operatorsForm(model)}${body}
<section aria-labelledby="h-alerts"><h2 id="h-alerts">Open alerts</h2>${alertsSection(model.alerts, portfolio)}</section>
${glossarySection()}</main>
</body></html>`.value;
};

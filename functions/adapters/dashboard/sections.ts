import type { ChannelAllocation } from '../../domain/allocation/schemas.js';
import { type ComparedInputs, whyItChanged } from '../../domain/changeDrivers.js';
import type { Portfolio } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import { channelName, curveAt, displayCount, displayInstant, displayOutcome, displayShare } from '../../domain/financeViews.js';
import type { DailyTotal } from '../../domain/metrics.js';
import { formatAmount } from '../../domain/money.js';
import type { Snapshot } from '../../domain/snapshots.js';
import { html, type Markup, trusted } from './html.js';
import { attr, chart, countTick, currencyTick, gridColumn, gridRow, niceTicks, placeLabels } from './svg.js';

/**
 * The dashboard's explanatory sections: expected outcome and lift, response curves with their bands, why
 * each channel changed, pacing against plan, the channel contribution matrix. Each renders from the
 * snapshots and metrics the handler read; numbers a test compares are also in `data-` attributes.
 */

type Money = (value: number | null) => string;

const nameOf = channelName;
/** A term on the page, linked to its definition in the page's glossary. */
const term = (id: string, text: string) => html`<a class="term" href="#term-${id}">${text}</a>`;
const when = (s: Snapshot) => displayInstant(s.createdAt);

const unitWord = (unit: 'conversions' | 'revenue') => (unit === 'revenue' ? 'revenue' : 'conversions');
const percent = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}%`;

/** Expected outcome with its interval, against the previous snapshot and against the recent split. */
export const outcomeSection = (latest: Snapshot, previous: Snapshot | undefined, money: Money): Markup => {
  const outcome = latest.allocation.outcome;
  if (!outcome) return html`<p class="meta" id="outcome">This allocation was held, so it has no new outlook.</p>`;
  const value = (v: number) => (outcome.unit === 'revenue' ? money(v) : displayCount(v));
  const before = previous?.allocation.outcome;
  const versus =
    before && before.unit === outcome.unit
      ? html`<li id="versus-previous" data-previous="${attr(before.expected)}" data-snapshot="${previous!.snapshotId}">The previous day's last snapshot, <code>${previous!.snapshotId}</code> (${when(previous!)}), expected ${value(before.expected)}: <strong>${percent(outcome.expected / Math.max(before.expected, 1e-9) - 1)}</strong> now.</li>`
      : '';
  const lift =
    outcome.lift === null
      ? ''
      : html`<li id="lift" data-expected="${attr(outcome.expected)}" data-fixed-share="${attr(outcome.fixedShare)}" data-lift="${attr(outcome.lift)}">Split as it was spent over the last 14 days, the same money would bring ${value(outcome.fixedShare)}: the plan's ${term('lift', 'lift')} is <strong>${percent(outcome.lift)}</strong>.</li>`;
  const shown = displayOutcome(outcome, outcome.unit, money);
  return html`<div id="outcome" data-expected="${attr(outcome.expected)}" data-low="${attr(outcome.low)}" data-high="${attr(outcome.high)}">
<p class="headline">Expected today: <strong>${shown.expected}</strong> ${term('expected', `incremental ${unitWord(outcome.unit)}`)} (${term('interval', '80% interval')} ${shown.interval}) for ${money(latest.allocation.total)} of spend.</p>
<ul>${versus}${lift}</ul></div>`;
};

/** One channel's curve: the band, the mean, and the current and planned spends marked, on round axes. */
const curveChart = (c: ChannelAllocation, portfolio: Portfolio, unit: 'conversions' | 'revenue', money: Money): Markup => {
  const points = c.curve!;
  const [w, h, left, bottom, top, right] = [300, 190, 46, 34, 10, 26];
  const maxSpend = points.at(-1)![0];
  const xTicks = niceTicks(maxSpend, 3);
  const yTicks = niceTicks(Math.max(...points.map((p) => p[3])), 3);
  const x = (v: number) => left + (v / xTicks.at(-1)!) * (w - left - right);
  const y = (v: number) => top + (1 - v / yTicks.at(-1)!) * (h - top - bottom);
  const currency = currencyTick(portfolio.currency);
  const yLabel = unit === 'revenue' ? currency : countTick;
  const band = `${points.map((p) => `${x(p[0]).toFixed(1)},${y(p[3]).toFixed(1)}`).join(' ')} ${[...points]
    .reverse()
    .map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
    .join(' ')}`;
  const mean = points.map((p) => `${x(p[0]).toFixed(1)},${y(p[2]).toFixed(1)}`).join(' ');
  const grid = [
    ...xTicks.map((t) => gridColumn(x(t), top, h - bottom, h - bottom + 14, currency(t))),
    ...yTicks.map((t) => gridRow(y(t), left, w - right, yLabel(t))),
  ];
  const at = (spend: number) => points.find((p) => p[0] === spend);
  const planned = at(c.total);
  const current = c.previousTotal === null ? undefined : at(c.previousTotal);
  const mark = (p: (typeof points)[number], cls: string, label: string, colour: string) =>
    html`<circle class="${cls}" cx="${x(p[0]).toFixed(1)}" cy="${y(p[2]).toFixed(1)}" r="5" fill="${colour}" stroke="#fff" stroke-width="1.5" data-spend="${attr(p[0])}" data-value="${attr(p[2])}"><title>${label}: ${money(p[0])} → ${displayCount(p[2])}</title></circle>`;
  const body = html`${grid}<polygon class="band" points="${band}" fill="#1f4e79" fill-opacity="0.18"/><polyline points="${mean}" fill="none" stroke="#1f4e79" stroke-width="2"/>${
    current && c.previousTotal !== c.total ? mark(current, 'current', 'previous total', '#555') : ''
  }${planned ? mark(planned, 'planned', 'planned spend', '#a64d00') : ''}<text x="${left}" y="${h - 4}" class="axis">daily spend</text>`;
  const marginal = c.marginalCpa === null ? 'more spend buys nothing more' : `next conversion costs ${money(c.marginalCpa)} at the plan`;
  const desc = `${nameOf(portfolio, c.channelId)}: planned ${money(c.total)} expects ${displayCount(planned?.[2] ?? 0)} incremental ${unitWord(unit)}; ${marginal}.`;
  return html`<figure class="curve" data-channel="${c.channelId}" data-total="${attr(c.total)}">${chart(
    `curve-${c.channelId}`,
    w,
    h,
    `${nameOf(portfolio, c.channelId)} response curve`,
    desc,
    body,
  )}<figcaption><strong>${nameOf(portfolio, c.channelId)}</strong>: ${marginal}${
    c.evidenceDays !== undefined && c.evidenceDays < 1 ? html` · <em>no data yet: the band is the prior</em>` : ''
  }</figcaption></figure>`;
};

/** Response curves per channel, small multiples that reflow with the page's width. */
export const curvesSection = (latest: Snapshot, portfolio: Portfolio, money: Money): Markup => {
  const withCurves = latest.allocation.channels.filter((c) => c.curve && c.curve.length > 1);
  if (withCurves.length === 0) return html`<p class="meta">No curves on this snapshot (held, or too many channels to draw).</p>`;
  const unit = latest.allocation.outcome?.unit ?? 'conversions';
  return html`<ul class="legend"><li><span class="swatch" style="background:#1f4e79"></span>${term('expected', `Expected ${unitWord(unit)} (incremental)`)}</li><li><span class="swatch" style="background:#c5d3e0"></span>${term('interval', '80% band')}</li><li><span class="swatch" style="background:#555;border-radius:50%"></span>${term('previous', 'Previous total')} (as in the allocation table)</li><li><span class="swatch" style="background:#a64d00;border-radius:50%"></span>Planned spend</li></ul>
<div class="curves" id="curves">${withCurves.map((c) => curveChart(c, portfolio, unit, money))}</div>`;
};

/** Why each channel changed between the two snapshots compared, in sentences. */
export const whySection = (from: Snapshot, to: Snapshot, portfolio: Portfolio, inputs?: ComparedInputs): Markup =>
  html`<p class="meta">From <code>${from.snapshotId}</code> to <code>${to.snapshotId}</code>, biggest change first. ${
    inputs?.from && inputs.to
      ? html`Each cause's amount comes from solving the earlier snapshot's input again with that cause swapped in (config, ${term('stop-loss', 'stop-losses')}, data, then the day), so the amounts add up to the change; ${term('restatement', 'restated')} rows are named. How the money moved follows: ${term('exploration', 'exploration')}, and the ${term('change-limit', 'daily change limit')} or a cap that stopped a channel.`
      : 'The inputs of these snapshots were not kept, so the causes are read from the snapshots and carry no amounts.'
  }</p><ul id="why">${whyItChanged(from, to, portfolio, inputs).map(
    (c) =>
      html`<li data-channel="${c.channelId}" data-change="${attr(c.change)}" data-drivers="${c.drivers.map((d) => d.kind).join(' ')}" data-causes="${JSON.stringify(c.drivers.filter((d) => d.role === 'cause').map((d) => [d.kind, d.amount]))}">${c.summary}</li>`,
  )}</ul>`;

/** The allocation in force at the end of each day: the newest snapshot made for it. */
export const allocatedByDay = (snapshots: readonly Snapshot[]): Map<string, Map<string, number>> => {
  const byDay = new Map<string, Map<string, number>>();
  for (const s of snapshots) {
    // Newest first: the first seen for a day is the one in force at its end.
    if (!byDay.has(s.allocation.asOf)) byDay.set(s.allocation.asOf, new Map(s.allocation.channels.map((c) => [c.channelId, c.total])));
  }
  return byDay;
};

export const PACING_DAYS = 14;

/** Last 14 days per channel: actual spend (bars) against the allocation for each day (ticks), and CPA or ROAS against target. */
export const pacingSection = (
  portfolio: Portfolio,
  daily: readonly DailyTotal[],
  allocated: Map<string, Map<string, number>>,
  today: string,
  money: Money,
): Markup => {
  const days = Array.from({ length: PACING_DAYS }, (_, i) => addDays(today, i - PACING_DAYS));
  const actual = new Map(daily.map((d) => [`${d.channelId}#${d.date}`, d]));
  const target =
    portfolio.objective.targetCpa !== null && portfolio.objective.targetCpa !== undefined
      ? { label: 'CPA', goal: portfolio.objective.targetCpa, better: 'lower' as const }
      : portfolio.objective.minRoas !== null && portfolio.objective.minRoas !== undefined
        ? { label: 'ROAS', goal: portfolio.objective.minRoas, better: 'higher' as const }
        : null;
  const rows = portfolio.channels.map((channel) => {
    const spends = days.map((date) => actual.get(`${channel.id}#${date}`)?.spend ?? null);
    const plans = days.map((date) => allocated.get(date)?.get(channel.id) ?? null);
    const scale = niceTicks(Math.max(1, ...spends.map((v) => v ?? 0), ...plans.map((v) => v ?? 0)), 2).at(-1)!;
    const [w, h] = [PACING_DAYS * 12, 40];
    const bars = days.map((date, i) => {
      const s = spends[i] ?? null;
      const p = plans[i] ?? null;
      const bar =
        s === null
          ? ''
          : html`<rect x="${i * 12 + 1}" y="${(h - (s / scale) * h).toFixed(1)}" width="9" height="${((s / scale) * h).toFixed(1)}" fill="#2e7d32"><title>${date}: spent ${money(s)}${p === null ? '' : ` of ${money(p)} planned`}</title></rect>`;
      const tick =
        p === null
          ? ''
          : html`<line x1="${i * 12}" x2="${i * 12 + 11}" y1="${(h - (p / scale) * h).toFixed(1)}" y2="${(h - (p / scale) * h).toFixed(1)}" stroke="#1a1a1a" stroke-width="2"/>`;
      return html`<g class="day" data-date="${date}" data-actual="${s === null ? '' : attr(s)}" data-allocated="${p === null ? '' : attr(p)}">${bar}${tick}</g>`;
    });
    const spent = spends.reduce<number>((a, b) => a + (b ?? 0), 0);
    // Pace compares like with like: spend and plan over the days that have both.
    const both = days.map((_, i) => spends[i] !== null && plans[i] !== null);
    const planned = days.reduce((a, _, i) => a + (both[i] ? plans[i]! : 0), 0);
    const spentOnPlan = days.reduce((a, _, i) => a + (both[i] ? spends[i]! : 0), 0);
    const planDays = both.filter(Boolean).length;
    const totals = days.map((date) => actual.get(`${channel.id}#${date}`)).filter((d): d is DailyTotal => d !== undefined);
    const conversions = totals.reduce((a, d) => a + d.conversions, 0);
    const revenue = totals.reduce((a, d) => a + d.revenue, 0);
    const metric = target?.label === 'ROAS' ? (spent > 0 ? revenue / spent : null) : conversions > 0 ? spent / conversions : null;
    const onTarget =
      target === null || metric === null ? '' : (target.better === 'lower' ? metric <= target.goal : metric >= target.goal) ? 'up' : 'down';
    const metricText = metric === null ? '—' : target?.label === 'ROAS' ? metric.toFixed(2) : money(metric);
    return html`<tr data-channel="${channel.id}"><th scope="row">${channel.name ?? channel.id}</th><td data-label="last ${PACING_DAYS} days">${chart(
      `pacing-${channel.id}`,
      w,
      h,
      `${channel.name ?? channel.id}: spend against plan, last ${PACING_DAYS} days`,
      `Spent ${money(spentOnPlan)} against ${money(planned)} planned on the ${planDays} days with a plan.`,
      bars,
      'spark',
    )}</td><td data-label="days with a plan">${planDays}</td><td data-label="spent on them">${money(spentOnPlan)}</td><td data-label="planned">${money(planned)}</td><td data-label="pace">${
      planned > 0 ? `${formatAmount((spentOnPlan / planned) * 100, 0)}%` : '—'
    }</td><td data-label="${target?.label ?? 'CPA'}" class="${onTarget}">${metricText}</td></tr>`;
  });
  const metricTerm = term(target?.label === 'ROAS' ? 'roas' : 'cpa', target?.label ?? 'CPA');
  const head = html`<tr><th scope="col">channel</th><th scope="col">spend (bars) vs plan (ticks)</th><th scope="col">days with a plan</th><th scope="col">spent on them</th><th scope="col">planned</th><th scope="col">${term('pace', 'pace')}</th><th scope="col">${
    target
      ? html`${metricTerm}, ${PACING_DAYS} d (target ${target.label === 'ROAS' ? target.goal.toFixed(2) : money(target.goal)})`
      : html`${metricTerm} (reported, ${PACING_DAYS} d)`
  }</th></tr>`;
  return html`<table id="pacing" class="cards"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
};

/** Quadrant colours: neither the tracks' blue, green and orange, nor the alerts' red. */
const ABOVE = '#00695c';
const BELOW = '#6a1b9a';

/**
 * The channel contribution matrix on one basis: over the same 14 days of actuals, each channel's share of
 * spend and its share of contribution (the incremental conversions, or revenue, its fitted curve credits to
 * each day's actual spend), with the plan's share of today's budget in its own column; exposure (impressions,
 * CPM) beside. Channels without a curve (a held plan) fall back to reported conversions, and the table says so.
 */
export const contributionSection = (latest: Snapshot, portfolio: Portfolio, daily: readonly DailyTotal[], money: Money): Markup => {
  const channels = latest.allocation.channels;
  const unit = latest.allocation.outcome?.unit ?? 'conversions';
  const modelled = channels.every((c) => c.curve && c.curve.length > 1);
  const sums = new Map(channels.map((c) => [c.channelId, { spend: 0, impressions: 0, contribution: 0, days: 0 }]));
  for (const d of daily) {
    const sum = sums.get(d.channelId);
    const c = channels.find((ch) => ch.channelId === d.channelId);
    if (!sum || !c) continue;
    sum.spend += d.spend;
    sum.impressions += d.impressions;
    sum.days += 1;
    sum.contribution += modelled ? curveAt(c.curve!, d.spend) : unit === 'revenue' ? d.revenue : d.conversions;
  }
  const total = (pick: (v: { spend: number; impressions: number; contribution: number }) => number) =>
    [...sums.values()].reduce((a, v) => a + pick(v), 0);
  const [allSpend, allContribution] = [total((v) => v.spend), total((v) => v.contribution)];
  const planned = channels.reduce((a, c) => a + c.total, 0);
  const rows = channels.map((c) => {
    const sum = sums.get(c.channelId)!;
    return {
      c,
      name: nameOf(portfolio, c.channelId),
      ...sum,
      cpm: sum.impressions > 0 ? (sum.spend / sum.impressions) * 1000 : null,
      spendShare: allSpend > 0 ? sum.spend / allSpend : 0,
      share: allContribution > 0 ? sum.contribution / allContribution : 0,
      plannedShare: planned > 0 ? c.total / planned : 0,
      cost: sum.contribution > 0 ? sum.spend / sum.contribution : null,
    };
  });
  const unitName = unit === 'revenue' ? 'revenue' : 'conversions';
  const basis = modelled
    ? `incremental ${unitName} the fitted curves credit to each day's actual spend`
    : `reported ${unitName} (this plan has no fitted curves)`;
  const costHead = unit === 'revenue' ? 'return per 1' : 'cost per contribution';
  const cost = (r: (typeof rows)[number]) =>
    unit === 'revenue' ? (r.spend > 0 ? (r.contribution / r.spend).toFixed(2) : '—') : money(r.cost);
  const head = html`<tr><th scope="col">channel</th><th scope="col">spend (${PACING_DAYS} d)</th><th scope="col">${term('spend-share', 'share of spend')}</th><th scope="col">${term('contribution', 'contribution')} (${PACING_DAYS} d)</th><th scope="col">${term('contribution', 'share of contribution')}</th><th scope="col">${unit === 'revenue' ? costHead : term('cost-per-contribution', costHead)}</th><th scope="col">impressions (${PACING_DAYS} d)</th><th scope="col">${term('cpm', 'CPM')}</th><th scope="col">${term('planned-share', 'planned share')} (today)</th></tr>`;
  const table = html`<table id="contribution" class="cards" data-basis="${modelled ? 'modelled' : 'reported'}"><caption class="meta">Spend and contribution over the same last ${PACING_DAYS} days of actuals; contribution is the ${basis}. The planned share is today's plan, for comparison.</caption><thead>${head}</thead><tbody>${rows.map(
    (r) =>
      html`<tr data-channel="${r.c.channelId}" data-spend="${attr(r.spend)}" data-contribution="${attr(r.contribution)}" data-spend-share="${attr(r.spendShare)}" data-contribution-share="${attr(r.share)}" data-planned-share="${attr(r.plannedShare)}"><th scope="row">${r.name}</th><td data-label="spend">${money(r.spend)}</td><td data-label="share of spend">${displayShare(r.spendShare)}</td><td data-label="contribution">${displayCount(r.contribution)}</td><td data-label="share of contribution">${displayShare(r.share)}</td><td data-label="${costHead}">${cost(r)}</td><td data-label="impressions">${displayCount(r.impressions)}</td><td data-label="CPM">${money(r.cpm)}</td><td data-label="planned share">${displayShare(r.plannedShare)}</td></tr>`,
  )}</tbody></table>`;
  const [w, h, pad] = [320, 320, 40];
  const top = niceTicks(Math.max(0.05, ...rows.flatMap((r) => [r.spendShare, r.share])), 4).at(-1)!;
  const pos = (v: number) => (v / top) * (w - 2 * pad);
  const grid = niceTicks(top, 4).map(
    (t) =>
      html`${gridColumn(pad + pos(t), pad, h - pad, h - pad + 14, `${(t * 100).toFixed(0)}%`)}${gridRow(h - pad - pos(t), pad, w - pad, `${(t * 100).toFixed(0)}%`)}`,
  );
  const centres = rows.map((r) => ({ x: pad + pos(r.spendShare), y: h - pad - pos(r.share) }));
  // Labels sit right of their dot; near the right edge, left of it. placeLabels keeps them apart.
  const flip = centres.map((c, i) => c.x + 9 + rows[i]!.name.length * 7.5 > w);
  const labelYs = placeLabels(
    centres.map((c, i) => {
      const text = rows[i]!.name;
      return { x: flip[i] ? c.x - 9 - text.length * 7.5 : c.x + 9, y: c.y + 4, text };
    }),
  );
  const dots = rows.map((r, i) => {
    const above = r.share >= r.spendShare;
    return html`<g class="channel" data-channel="${r.c.channelId}" data-side="${above ? 'above' : 'below'}"><circle cx="${centres[i]!.x.toFixed(1)}" cy="${centres[i]!.y.toFixed(1)}" r="6" fill="${above ? ABOVE : BELOW}"><title>${r.name}: ${displayShare(r.spendShare)} of spend, ${displayShare(r.share)} of contribution</title></circle><text class="label" x="${(centres[i]!.x + (flip[i] ? -9 : 9)).toFixed(1)}" y="${labelYs[i]!.toFixed(1)}"${flip[i] ? trusted(' text-anchor="end"') : ''}>${r.name}</text></g>`;
  });
  const quadrant = chart(
    'quadrant',
    w,
    h,
    `Share of contribution against share of spend, last ${PACING_DAYS} days`,
    'Channels above the diagonal returned more than their share of spend; below it, less.',
    html`${grid}<line x1="${pad}" y1="${h - pad}" x2="${(pad + pos(top)).toFixed(1)}" y2="${(h - pad - pos(top)).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"/><text x="${pad}" y="${pad - 24}">share of contribution ↑</text><text x="${w - pad}" y="${h - 6}" text-anchor="end">share of spend →</text>${dots}`,
  );
  const legend = html`<ul class="legend" id="quadrant-legend"><li><span class="swatch" style="background:${ABOVE};border-radius:50%"></span>More contribution than its share of spend (above the diagonal)</li><li><span class="swatch" style="background:${BELOW};border-radius:50%"></span>Less (below it)</li></ul>`;
  return html`<div class="matrix">${table}<figure class="quadrant">${legend}${quadrant}</figure></div>`;
};

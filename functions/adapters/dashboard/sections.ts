import type { ChannelAllocation } from '../../domain/allocation/schemas.js';
import { whyItChanged } from '../../domain/changeDrivers.js';
import type { Portfolio } from '../../domain/config.js';
import { addDays } from '../../domain/dates.js';
import type { DailyTotal } from '../../domain/metrics.js';
import type { Snapshot } from '../../domain/snapshots.js';
import { escapeHtml } from './html.js';
import { attr, countTick, currencyTick, niceTicks, placeLabels, svg } from './svg.js';

/**
 * The dashboard's explanatory sections: expected outcome and lift, response curves with their bands, why
 * each channel changed, pacing against plan, the channel contribution matrix. Each renders from the
 * snapshots and metrics the handler read; numbers a test compares are also in `data-` attributes.
 */

type Money = (value: number | null) => string;

const nameOf = (portfolio: Portfolio, channelId: string) => portfolio.channels.find((c) => c.id === channelId)?.name ?? channelId;
const unitWord = (unit: 'conversions' | 'revenue') => (unit === 'revenue' ? 'revenue' : 'conversions');
const percent = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}%`;

/** Expected outcome with its interval, against the previous snapshot and against the recent split. */
export const outcomeSection = (latest: Snapshot, previous: Snapshot | undefined, money: Money): string => {
  const outcome = latest.allocation.outcome;
  if (!outcome) return '<p class="meta" id="outcome">This allocation was held, so it has no new outlook.</p>';
  const value = (v: number) => (outcome.unit === 'revenue' ? money(v) : v.toLocaleString('en', { maximumFractionDigits: 1 }));
  const before = previous?.allocation.outcome;
  const versus =
    before && before.unit === outcome.unit
      ? `<li id="versus-previous" data-previous="${attr(before.expected)}">Previous snapshot expected ${value(before.expected)}: <strong>${percent(outcome.expected / Math.max(before.expected, 1e-9) - 1)}</strong> now.</li>`
      : '';
  const lift =
    outcome.lift === null
      ? ''
      : `<li id="lift" data-expected="${attr(outcome.expected)}" data-fixed-share="${attr(outcome.fixedShare)}" data-lift="${attr(outcome.lift)}">Split as it was spent over the last 14 days, the same money would bring ${value(outcome.fixedShare)}: the plan's lift is <strong>${percent(outcome.lift)}</strong>.</li>`;
  return `<div id="outcome" data-expected="${attr(outcome.expected)}" data-low="${attr(outcome.low)}" data-high="${attr(outcome.high)}">
<p class="headline">Expected today: <strong>${value(outcome.expected)}</strong> incremental ${unitWord(outcome.unit)} (80% interval ${value(outcome.low)} – ${value(outcome.high)}) for ${money(latest.allocation.total)} of spend.</p>
<ul>${versus}${lift}</ul></div>`;
};

/** One channel's curve: the band, the mean, and the current and planned spends marked, on round axes. */
const curveChart = (c: ChannelAllocation, portfolio: Portfolio, unit: 'conversions' | 'revenue', money: Money): string => {
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
    ...xTicks.map(
      (t) =>
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${h - bottom}" stroke="#e3e3e3"/><text x="${x(t).toFixed(1)}" y="${h - bottom + 14}" text-anchor="middle">${escapeHtml(currency(t))}</text>`,
    ),
    ...yTicks.map(
      (t) =>
        `<line x1="${left}" x2="${w - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e3e3e3"/><text x="${left - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(yLabel(t))}</text>`,
    ),
  ].join('');
  const at = (spend: number) => points.find((p) => p[0] === spend);
  const planned = at(c.total);
  const current = c.previousTotal === null ? undefined : at(c.previousTotal);
  const mark = (p: (typeof points)[number], cls: string, label: string, colour: string) =>
    `<circle class="${cls}" cx="${x(p[0]).toFixed(1)}" cy="${y(p[2]).toFixed(1)}" r="5" fill="${colour}" stroke="#fff" stroke-width="1.5" data-spend="${attr(p[0])}" data-value="${attr(p[2])}"><title>${escapeHtml(label)}: ${money(p[0])} → ${p[2].toFixed(1)}</title></circle>`;
  const body = `${grid}<polygon class="band" points="${band}" fill="#1f4e79" fill-opacity="0.18"/><polyline points="${mean}" fill="none" stroke="#1f4e79" stroke-width="2"/>${
    current && c.previousTotal !== c.total ? mark(current, 'current', 'current spend', '#555') : ''
  }${planned ? mark(planned, 'planned', 'planned spend', '#a64d00') : ''}<text x="${left}" y="${h - 4}" class="axis">daily spend</text>`;
  const marginal = c.marginalCpa === null ? 'more spend buys nothing more' : `next conversion costs ${money(c.marginalCpa)} at the plan`;
  const desc = `${nameOf(portfolio, c.channelId)}: planned ${money(c.total)} expects ${(planned?.[2] ?? 0).toFixed(1)} incremental ${unitWord(unit)}; ${marginal}.`;
  return `<figure class="curve" data-channel="${escapeHtml(c.channelId)}" data-total="${attr(c.total)}">${svg(
    `curve-${c.channelId}`,
    w,
    h,
    `${nameOf(portfolio, c.channelId)} response curve`,
    desc,
    body,
  )}<figcaption><strong>${escapeHtml(nameOf(portfolio, c.channelId))}</strong>: ${escapeHtml(marginal)}${
    c.evidenceDays !== undefined && c.evidenceDays < 1 ? ' · <em>no data yet: the band is the prior</em>' : ''
  }</figcaption></figure>`;
};

/** Response curves per channel, small multiples that reflow with the page's width. */
export const curvesSection = (latest: Snapshot, portfolio: Portfolio, money: Money): string => {
  const withCurves = latest.allocation.channels.filter((c) => c.curve && c.curve.length > 1);
  if (withCurves.length === 0) return '<p class="meta">No curves on this snapshot (held, or too many channels to draw).</p>';
  const unit = latest.allocation.outcome?.unit ?? 'conversions';
  return `<ul class="legend"><li><span class="swatch" style="background:#1f4e79"></span>Expected ${unitWord(unit)} (incremental)</li><li><span class="swatch" style="background:#c5d3e0"></span>80% band</li><li><span class="swatch" style="background:#555;border-radius:50%"></span>Current spend</li><li><span class="swatch" style="background:#a64d00;border-radius:50%"></span>Planned spend</li></ul>
<div class="curves" id="curves">${withCurves.map((c) => curveChart(c, portfolio, unit, money)).join('')}</div>`;
};

/** Why each channel changed between the two snapshots compared, in sentences. */
export const whySection = (from: Snapshot, to: Snapshot, portfolio: Portfolio): string =>
  `<ul id="why">${whyItChanged(from, to, portfolio)
    .map(
      (c) =>
        `<li data-channel="${escapeHtml(c.channelId)}" data-drivers="${escapeHtml(c.drivers.map((d) => d.kind).join(' '))}">${escapeHtml(c.summary)}</li>`,
    )
    .join('')}</ul>`;

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
): string => {
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
    const bars = days
      .map((date, i) => {
        const s = spends[i] ?? null;
        const p = plans[i] ?? null;
        const bar =
          s === null
            ? ''
            : `<rect x="${i * 12 + 1}" y="${(h - (s / scale) * h).toFixed(1)}" width="9" height="${((s / scale) * h).toFixed(1)}" fill="#2e7d32"><title>${date}: spent ${money(s)}${p === null ? '' : ` of ${money(p)} planned`}</title></rect>`;
        const tick =
          p === null
            ? ''
            : `<line x1="${i * 12}" x2="${i * 12 + 11}" y1="${(h - (p / scale) * h).toFixed(1)}" y2="${(h - (p / scale) * h).toFixed(1)}" stroke="#1a1a1a" stroke-width="2"/>`;
        return `<g class="day" data-date="${date}" data-actual="${s === null ? '' : attr(s)}" data-allocated="${p === null ? '' : attr(p)}">${bar}${tick}</g>`;
      })
      .join('');
    const spent = spends.reduce<number>((a, b) => a + (b ?? 0), 0);
    const planned = days.reduce((a, _, i) => a + (spends[i] === null ? 0 : (plans[i] ?? 0)), 0);
    const totals = days.map((date) => actual.get(`${channel.id}#${date}`)).filter((d): d is DailyTotal => d !== undefined);
    const conversions = totals.reduce((a, d) => a + d.conversions, 0);
    const revenue = totals.reduce((a, d) => a + d.revenue, 0);
    const metric = target?.label === 'ROAS' ? (spent > 0 ? revenue / spent : null) : conversions > 0 ? spent / conversions : null;
    const onTarget =
      target === null || metric === null ? '' : (target.better === 'lower' ? metric <= target.goal : metric >= target.goal) ? 'up' : 'down';
    const metricText = metric === null ? '—' : target?.label === 'ROAS' ? metric.toFixed(2) : money(metric);
    return `<tr data-channel="${escapeHtml(channel.id)}"><th scope="row">${escapeHtml(channel.name ?? channel.id)}</th><td data-label="last ${PACING_DAYS} days">${svg(
      `pacing-${channel.id}`,
      w,
      h,
      `${channel.name ?? channel.id}: spend against plan, last ${PACING_DAYS} days`,
      `Spent ${money(spent)} against ${money(planned)} planned on the same days.`,
      bars,
      'spark',
    )}</td><td data-label="spent">${money(spent)}</td><td data-label="planned">${money(planned)}</td><td data-label="pace">${
      planned > 0 ? `${((spent / planned) * 100).toFixed(0)}%` : '—'
    }</td><td data-label="${target?.label ?? 'CPA'}" class="${onTarget}">${metricText}</td></tr>`;
  });
  const head = `<tr><th scope="col">channel</th><th scope="col">spend (bars) vs plan (ticks)</th><th scope="col">spent</th><th scope="col">planned</th><th scope="col">pace</th><th scope="col">${
    target ? `${target.label} (target ${target.label === 'ROAS' ? target.goal.toFixed(2) : money(target.goal)})` : 'CPA'
  }</th></tr>`;
  return `<table id="pacing" class="cards"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
};

/**
 * The channel contribution matrix: exposure (impressions, impression share, CPM), conversion efficiency
 * (incremental conversions per 1,000 of spend, from the fitted curve at the plan) and cost (CPA or ROAS),
 * with each channel's share of contribution against its share of spend, as a table and a quadrant chart.
 */
export const contributionSection = (latest: Snapshot, portfolio: Portfolio, daily: readonly DailyTotal[], money: Money): string => {
  const channels = latest.allocation.channels;
  const impressions = new Map<string, number>();
  const spendSeen = new Map<string, number>();
  for (const d of daily) {
    impressions.set(d.channelId, (impressions.get(d.channelId) ?? 0) + d.impressions);
    spendSeen.set(d.channelId, (spendSeen.get(d.channelId) ?? 0) + d.spend);
  }
  const allImpressions = [...impressions.values()].reduce((a, b) => a + b, 0);
  const totalSpend = channels.reduce((a, c) => a + c.total, 0);
  const contribution = (c: ChannelAllocation) => c.incrementalConversions ?? c.expectedConversions;
  const totalContribution = channels.reduce((a, c) => a + contribution(c), 0);
  const rows = channels.map((c) => {
    const shown = impressions.get(c.channelId) ?? 0;
    const spend = spendSeen.get(c.channelId) ?? 0;
    const spendShare = totalSpend > 0 ? c.total / totalSpend : 0;
    const share = totalContribution > 0 ? contribution(c) / totalContribution : 0;
    const efficiency = c.total > 0 ? (contribution(c) / c.total) * 1000 : 0;
    return {
      c,
      shown,
      cpm: shown > 0 ? (spend / shown) * 1000 : null,
      impressionShare: allImpressions > 0 ? shown / allImpressions : null,
      spendShare,
      share,
      efficiency,
    };
  });
  const table = `<table id="contribution" class="cards"><thead><tr><th scope="col">channel</th><th scope="col">impressions (14 d)</th><th scope="col">impression share</th><th scope="col">CPM</th><th scope="col">incr. conv. per ${money(1000)}</th><th scope="col">cost per incr. conv.</th><th scope="col">share of spend</th><th scope="col">share of contribution</th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr data-channel="${escapeHtml(r.c.channelId)}" data-spend-share="${attr(r.spendShare)}" data-contribution-share="${attr(r.share)}"><th scope="row">${escapeHtml(nameOf(portfolio, r.c.channelId))}</th><td data-label="impressions">${r.shown.toLocaleString('en')}</td><td data-label="impression share">${r.impressionShare === null ? '—' : `${(r.impressionShare * 100).toFixed(1)}%`}</td><td data-label="CPM">${money(r.cpm)}</td><td data-label="efficiency">${r.efficiency.toFixed(2)}</td><td data-label="cost">${money(contribution(r.c) > 0 ? r.c.total / contribution(r.c) : null)}</td><td data-label="spend share">${(r.spendShare * 100).toFixed(1)}%</td><td data-label="contribution share">${(r.share * 100).toFixed(1)}%</td></tr>`,
    )
    .join('')}</tbody></table>`;
  const [w, h, pad] = [320, 320, 40];
  const top = niceTicks(Math.max(0.05, ...rows.flatMap((r) => [r.spendShare, r.share])), 4).at(-1)!;
  const pos = (v: number) => (v / top) * (w - 2 * pad);
  const grid = niceTicks(top, 4)
    .map(
      (t) =>
        `<line x1="${(pad + pos(t)).toFixed(1)}" x2="${(pad + pos(t)).toFixed(1)}" y1="${pad}" y2="${h - pad}" stroke="#e3e3e3"/><text x="${(pad + pos(t)).toFixed(1)}" y="${h - pad + 14}" text-anchor="middle">${(t * 100).toFixed(0)}%</text><line x1="${pad}" x2="${w - pad}" y1="${(h - pad - pos(t)).toFixed(1)}" y2="${(h - pad - pos(t)).toFixed(1)}" stroke="#e3e3e3"/><text x="${pad - 4}" y="${(h - pad - pos(t) + 4).toFixed(1)}" text-anchor="end">${(t * 100).toFixed(0)}%</text>`,
    )
    .join('');
  const centres = rows.map((r) => ({ x: pad + pos(r.spendShare), y: h - pad - pos(r.share) }));
  // Labels sit right of their dot; near the right edge, left of it.
  const flip = centres.map((c, i) => c.x + 9 + rows[i]!.c.channelId.length * 7.5 > w);
  const labelYs = placeLabels(
    centres.map((c, i) => {
      const text = rows[i]!.c.channelId;
      return { x: flip[i] ? c.x - 9 - text.length * 7.5 : c.x + 9, y: c.y + 4, text };
    }),
  );
  const dots = rows
    .map(
      (r, i) =>
        `<g class="channel" data-channel="${escapeHtml(r.c.channelId)}"><circle cx="${centres[i]!.x.toFixed(1)}" cy="${centres[i]!.y.toFixed(1)}" r="6" fill="${i % 2 ? '#a64d00' : '#1f4e79'}"><title>${escapeHtml(nameOf(portfolio, r.c.channelId))}: ${(r.spendShare * 100).toFixed(1)}% of spend, ${(r.share * 100).toFixed(1)}% of contribution</title></circle><text class="label" x="${(centres[i]!.x + (flip[i] ? -9 : 9)).toFixed(1)}" y="${labelYs[i]!.toFixed(1)}"${flip[i] ? ' text-anchor="end"' : ''}>${escapeHtml(r.c.channelId)}</text></g>`,
    )
    .join('');
  const chart = svg(
    'quadrant',
    w,
    h,
    'Share of contribution against share of spend',
    'Channels above the diagonal return more than their share of spend; below it, less.',
    `${grid}<line x1="${pad}" y1="${h - pad}" x2="${(pad + pos(top)).toFixed(1)}" y2="${(h - pad - pos(top)).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"/><text x="${w - pad}" y="${pad - 8}" text-anchor="end">above: more than its share</text><text x="${pad}" y="${h - 6}">share of spend →</text>${dots}`,
  );
  return `<div class="matrix">${table}<figure class="quadrant">${chart}</figure></div>`;
};

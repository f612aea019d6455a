import type { Allocation } from '../../domain/allocation/schemas.js';
import { displayCount, displayOutcome, marginalCost } from '../../domain/financeViews.js';
import { formatAmount } from '../../domain/money.js';
import type { Snapshot } from '../../domain/snapshots.js';
import { html, type Markup, trusted } from './html.js';
import { attr, countTick, currencyTick, gridColumn, gridRow, niceTicks, svg } from './svg.js';

type Money = (value: number | null) => string;

/** One budget the planner solved, with what it expects and what its last money buys. */
export interface PlannerPoint {
  readonly budget: number;
  readonly allocation: Allocation;
}

/** What the dashboard's planner shows: the plans for 25 budgets, or why there are none. */
export type PlannerView = { readonly plans: readonly PlannerPoint[]; readonly asOf: string } | { readonly error: string };

/** The planner's two panels share the budget axis: expected outcome with its 80% interval above, marginal cost below. */
const [W, LEFT, RIGHT, TOP_H, GAP, LOW_H, AXIS] = [480, 58, 26, 170, 48, 96, 38];

const glossary = (term: string, text: string) => html`<a class="term" href="#term-${term}">${text}</a>`;
const at = (v: number) => v.toFixed(1);

/** Where the caps and the change limit start leaving budget unplaced: past it, more budget buys nothing today. */
const unplaced = (points: readonly PlannerPoint[], money: Money): Markup | '' => {
  const first = points.find((p) => (p.allocation.unallocated?.amount ?? 0) >= 0.01);
  if (!first) return '';
  const last = points.at(-1)!;
  return html`<p class="meta" id="planner-unplaced">From ${money(first.budget)} a day, today's caps and daily change limit leave money unplaced (${money(last.allocation.unallocated?.amount ?? 0)} of the ${money(last.budget - last.allocation.reserve)} a plan may place at ${money(last.budget)}${last.allocation.reserve > 0 ? ', the reserve held back' : ''}), so the curve flattens and there is no marginal cost. That is today's limit on moving money, not saturation: the channels may well respond to more, which a budget raised over several days would place.</p>`;
};

/** The outline of a band: its upper edge left to right, then its lower edge back. */
const bandPoints = (xs: readonly number[], lows: readonly number[], highs: readonly number[]) =>
  [...xs.map((x, i) => `${at(x)},${at(highs[i]!)}`), ...xs.map((x, i) => `${at(x)},${at(lows[i]!)}`).reverse()].join(' ');

/**
 * The what-if planner (issue 23, item 5): for total daily budgets from half to twice today's, the expected
 * outcome with its 80% interval and the portfolio's marginal cost, each budget re-solved with today's
 * constraints from the latest data; today's plan (the latest snapshot) is marked on the curve. Built with
 * the escaping {@link html} template.
 */
export const plannerMarkup = (view: PlannerView | undefined, latest: Snapshot, today: number, currency: string, money: Money): Markup => {
  if (!view) return html`<p class="meta" id="planner">The what-if planner is not available here.</p>`;
  if ('error' in view) return html`<p class="meta" id="planner">The what-if planner could not solve today's budgets: ${view.error}</p>`;
  const points = view.plans.filter((p) => p.allocation.outcome);
  if (points.length < 2)
    return html`<p class="meta" id="planner">The what-if planner has no outlook: the plans for these budgets are held.</p>`;
  // A budget too small for the bases gets a held plan, which has no outlook: said under the chart.
  const held = view.plans.filter((p) => !p.allocation.outcome);
  const outcome = (p: PlannerPoint) => p.allocation.outcome!;
  const unit = outcome(points[0]!).unit;
  const value = (v: number) => (unit === 'revenue' ? money(v) : displayCount(v));
  const shownOf = (o: Allocation['outcome'] & {}) => displayOutcome(o, unit, money);
  const costText = (c: number | null) => (c === null ? '—' : unit === 'revenue' ? formatAmount(c, 2, 2) : money(c));
  const budgets = points.map((p) => p.budget);
  const [minB, maxB] = [Math.min(...budgets), Math.max(...budgets)];
  const x = (b: number) => LEFT + ((b - minB) / Math.max(maxB - minB, 1e-9)) * (W - LEFT - RIGHT);
  const yTicks = niceTicks(Math.max(...points.map((p) => outcome(p).high)), 4);
  const y = (v: number) => 10 + (1 - v / yTicks.at(-1)!) * (TOP_H - 10);
  const costs = points.map((p) => marginalCost(p.allocation, unit));
  const cTicks = niceTicks(Math.max(1e-9, ...costs.filter((c): c is number => c !== null)), 2);
  const lowTop = TOP_H + GAP;
  const yc = (v: number) => lowTop + (1 - v / cTicks.at(-1)!) * LOW_H;
  const H = lowTop + LOW_H + AXIS;
  const tick = currencyTick(currency);
  const yLabel = unit === 'revenue' ? tick : countTick;
  const cLabel = unit === 'revenue' ? (v: number) => v.toFixed(1) : tick;
  const grid = [
    ...niceTicks(maxB, 4)
      .filter((t) => t >= minB - 1e-9)
      .map((t) => gridColumn(x(t), 10, lowTop + LOW_H, lowTop + LOW_H + 16, tick(t))),
    ...yTicks.map((t) => gridRow(y(t), LEFT, W - RIGHT, yLabel(t), 5)),
    ...cTicks.map((t) => gridRow(yc(t), LEFT, W - RIGHT, cLabel(t), 5)),
  ];
  const xs = points.map((p) => x(p.budget));
  const band = bandPoints(
    xs,
    points.map((p) => y(outcome(p).low)),
    points.map((p) => y(outcome(p).high)),
  );
  const mean = points.map((p, i) => `${at(xs[i]!)},${at(y(outcome(p).expected))}`).join(' ');
  // The marginal cost line breaks where the budget does not bind (no marginal cost).
  const runs: string[][] = [[]];
  costs.forEach((c, i) => {
    if (c === null) runs.push([]);
    else runs.at(-1)!.push(`${at(xs[i]!)},${at(yc(c))}`);
  });
  const costLines = runs
    .filter((r) => r.length > 1)
    .map((r) => html`<polyline class="marginal" points="${r.join(' ')}" fill="none" stroke="#6a1b9a" stroke-width="2"/>`);
  const dots = points.map((p, i) => {
    const o = outcome(p);
    const c = costs[i] ?? null;
    const shown = shownOf(o);
    const title = `${money(p.budget)} a day: ${shown.expected} expected (80% interval ${shown.interval})${c === null ? '' : `; marginal cost ${costText(c)}`}`;
    return html`<circle class="plan-point" cx="${at(xs[i]!)}" cy="${at(y(o.expected))}" r="2.5" fill="#1f4e79" data-budget="${attr(p.budget)}" data-expected="${attr(o.expected)}" data-low="${attr(o.low)}" data-high="${attr(o.high)}" data-marginal="${c === null ? '' : attr(c)}"><title>${title}</title></circle>`;
  });
  const planned = latest.allocation.outcome;
  const todayMark = planned
    ? html`<g class="today" data-budget="${attr(today)}" data-expected="${attr(planned.expected)}"><line x1="${at(x(today))}" x2="${at(x(today))}" y1="10" y2="${lowTop + LOW_H}" stroke="#1a1a1a" stroke-dasharray="4 3"/><circle cx="${at(x(today))}" cy="${at(y(planned.expected))}" r="6" fill="none" stroke="#1a1a1a" stroke-width="2.5"><title>Today's plan: ${money(today)} a day, ${value(planned.expected)} expected</title></circle><text x="${at(x(today) + 6)}" y="22">today</text></g>`
    : '';
  const labels = html`<text x="${LEFT}" y="${lowTop - 8}">marginal cost${unit === 'revenue' ? ` (return per ${money(1)})` : ''}</text><text x="${W - RIGHT}" y="${H - 4}" text-anchor="end">total daily budget</text>`;
  const body = html`${grid}<polygon class="band" points="${band}" fill="#1f4e79" fill-opacity="0.18"/><polyline class="expected" points="${mean}" fill="none" stroke="#1f4e79" stroke-width="2"/>${costLines}${dots}${todayMark}${labels}`;
  const [first, last] = [points[0]!, points.at(-1)!];
  const desc = `Between ${money(first.budget)} and ${money(last.budget)} a day, the expected ${unit} rise from ${value(outcome(first).expected)} to ${value(outcome(last).expected)}.`;
  // svg() escapes its title and description and takes the body as markup.
  const chart = trusted(
    svg('planner-chart', W, H, `Expected ${unit} and marginal cost for daily budgets from 50% to 200% of today's`, desc, body.value, 'fit'),
  );
  // A few budgets in words, for a phone, a screen reader and a print: half, three quarters, today, and up to double.
  const isToday = (p: PlannerPoint) => Math.abs(p.budget - today) < 0.005;
  const rows = [0.5, 0.75, 1, 1.25, 1.5, 2]
    .map((share) => points.find((p) => Math.abs(p.budget - today * share) < 0.005))
    .filter((p): p is PlannerPoint => p !== undefined)
    .map((p) => {
      const shown = shownOf(outcome(p));
      return html`<tr${isToday(p) ? trusted(' class="today"') : ''}><td data-label="daily budget">${money(p.budget)}${isToday(p) ? ' (today)' : ''}</td><td data-label="expected">${shown.expected}</td><td data-label="80% interval">${shown.interval}</td><td data-label="marginal cost">${costText(marginalCost(p.allocation, unit))}</td></tr>`;
    });
  const legend = html`<ul class="legend"><li><span class="swatch" style="background:#1f4e79"></span>Expected ${unit}</li><li><span class="swatch" style="background:#c5d3e0"></span>${glossary('interval', '80% interval')}</li><li><span class="swatch" style="background:#6a1b9a"></span>${glossary('marginal-cost', 'Marginal cost')}</li><li><span class="swatch" style="background:#fff;border:2px solid #1a1a1a;border-radius:50%"></span>Today's plan</li></ul>`;
  const heldNote =
    held.length > 0
      ? html`<p class="meta" id="planner-held">Not drawn: ${held.map((p) => money(p.budget)).join(', ')} a day, where the plan is held (${held[0]!.allocation.reason ?? 'no solvable plan'}).</p>`
      : '';
  return html`<div id="planner" data-held="${held.length}" data-as-of="${view.asOf}"><p class="meta">Each budget re-solved from the latest data with today's bases, caps, targets, reserve and change limit; nothing is written. The same answers as <code>GET /portfolios/${latest.portfolioId}/plan?budgets=…</code>.</p>${legend}<figure class="planner">${chart}</figure>
${unplaced(points, money)}${heldNote}
<table id="planner-table" class="cards"><thead><tr><th scope="col">daily budget</th><th scope="col">expected ${unit}</th><th scope="col">${glossary('interval', '80% interval')}</th><th scope="col">${glossary('marginal-cost', 'marginal cost')}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
};

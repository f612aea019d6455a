import { escapeHtml, type HtmlValue, html, type Markup, trusted } from './html.js';

/** The colour of every chart's grid lines. */
const GRID = '#e3e3e3';

/** A horizontal grid line at `y` from `left` to `right`, its label `gap` units left of it. */
export const gridRow = (y: number, left: number, right: number, label: HtmlValue, gap = 4): Markup =>
  html`<line x1="${left}" x2="${right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${GRID}"/><text x="${left - gap}" y="${(y + 4).toFixed(1)}" text-anchor="end">${label}</text>`;

/** A vertical grid line at `x` from `top` to `bottom`, its label centred under it at `labelY`. */
export const gridColumn = (x: number, top: number, bottom: number, labelY: number, label: HtmlValue): Markup =>
  html`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="${GRID}"/><text x="${x.toFixed(1)}" y="${labelY}" text-anchor="middle">${label}</text>`;

/**
 * Round axis ticks: steps of 1, 2 or 5 × 10^k, from 0 to at least `max`, about `count` of them. The last
 * tick is the axis's end, so every mark sits on a round number.
 */
export const niceTicks = (max: number, count = 4): number[] => {
  // An axis up to infinity would never end: a value that is not a finite amount gets the unit axis.
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Math.round(v / power) * power);
  if (ticks.at(-1)! < max - 1e-9) ticks.push(ticks.at(-1)! + step);
  return ticks;
};

/** Axis labels in the portfolio's currency, compact (`$1.5K`, `€20K`). */
export const currencyTick = (currency: string) => {
  const format = new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    notation: 'compact',
    minimumFractionDigits: 0,
    maximumFractionDigits: 1,
  });
  return (value: number) => format.format(value);
};

/** Counts for axes: `1.2K`, `350`. */
export const countTick = (value: number) => new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(value);

/** A number for a data attribute: what a test reads back and compares. */
export const attr = (value: number) => String(value);

/** The narrowest a chart is drawn on a phone (390 px less the page's padding), in pixels. */
export const PHONE_CHART_PX = 350;

/** Text on a phone at least this size, in pixels (issue 23, item 10: 11 px, with room for rounding). */
const PHONE_TEXT_PX = 11.5;

/**
 * The text size, in the chart's own units, that renders at {@link PHONE_TEXT_PX} when a chart `width` units
 * wide is drawn {@link PHONE_CHART_PX} pixels wide; null when the default 12 units already do.
 */
export const phoneTextSize = (width: number): number | null => {
  const size = Math.ceil((PHONE_TEXT_PX * width) / PHONE_CHART_PX);
  return size > 12 ? size : null;
};

/**
 * An accessible SVG: a title and a description a screen reader reads instead of the marks. A chart wider
 * than a phone carries the text size that keeps its text readable there (the page's style applies it at
 * phone width).
 */
export const svg = (id: string, width: number, height: number, title: string, desc: string, body: string, className = '') => {
  const phone = phoneTextSize(width);
  return `<svg id="${escapeHtml(id)}"${className ? ` class="${className}"` : ''}${phone === null ? '' : ` data-phone-text style="--phone-text:${phone}px"`} role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMinYMin meet"><title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(desc)}</desc>${body}</svg>`;
};

/**
 * Vertical positions for point labels so that none overlaps another. Each label starts at its point's
 * height and is pushed down past any label already placed whose box it would touch; boxes are the label's
 * estimated width (about 7.5 units a character at 12 px) by `height` (a 12 px line with its ascent and descent).
 */
export const placeLabels = (labels: readonly { x: number; y: number; text: string }[], height = 16): number[] => {
  const width = (text: string) => text.length * 7.5 + 4;
  const placed: { x: number; y: number; w: number }[] = [];
  const ys = new Array<number>(labels.length);
  const order = labels.map((l, i) => ({ ...l, i })).sort((a, b) => a.y - b.y || a.x - b.x);
  for (const label of order) {
    const w = width(label.text);
    let y = label.y;
    let moved = true;
    while (moved) {
      moved = false;
      for (const q of placed) {
        // Touching by more than rounding: moved to q.y + height, a label sits (q.y + height) − q.y = 15.999999999999972
        // from q in floating point, and a plain `< height` moved it there again for ever, freezing the server.
        if (label.x < q.x + q.w && q.x < label.x + w && height - Math.abs(q.y - y) > 1e-9 * height) {
          y = q.y + height;
          moved = true;
        }
      }
    }
    placed.push({ x: label.x, y, w });
    ys[label.i] = y;
  }
  return ys;
};

/** {@link svg} as markup for the {@link html} template (its title and description are escaped; its body is markup). */
export const chart = (id: string, width: number, height: number, title: string, desc: string, body: HtmlValue, className = ''): Markup =>
  trusted(svg(id, width, height, title, desc, html`${body}`.value, className));

import type { ChannelDiagnostics, Diagnostics } from '../../domain/diagnostics/schemas.js';
import { percent } from '../../domain/diagnostics/words.js';
import { html, type Markup, trusted } from './html.js';
import { attr, countTick, gridRow, niceTicks, svg } from './svg.js';

/**
 * The dashboard's "Model health" section (docs/diagnostics.md): the verdict in words, a table of each
 * channel's one-day-ahead error and band coverage, and per channel a chart of reported against fitted over
 * the fit window, with the held-out days' forecasts and 80% bands. Built with the escaping {@link html} template.
 */

/**
 * Portfolios up to this many channels show model health on the page. Diagnostics refit the model 15 times,
 * about 20 ms per channel on a quiet core (`npm run bench -- --only diagnostics`: 2 s at 100 channels), and
 * the page's function has a third of a vCPU; a larger portfolio reads them from the API.
 */
export const MAX_CHANNELS_WITH_HEALTH = 60;

/** Charts drawn: the flagged channels first, then the biggest; the table lists every channel. */
const MAX_CHARTS = 12;

/**
 * The chart's drawing width. It is never drawn narrower than this (the grid's columns are at least this
 * wide, or the whole width on a phone, 358 px at 390), so its 12-unit text is at least 12 px on screen.
 */
const WIDTH = 340;
const HEIGHT = 170;
const [LEFT, RIGHT, TOP, BOTTOM] = [36, 8, 16, 30];

const COLOURS = { reported: '#1a1a1a', fitted: '#6a1b9a', forecast: '#1f4e79', missed: '#c62828' } as const;

const shown = (value: number | null) => (value === null ? '–' : percent(value));
const shortDate = (date: string) => date.slice(5);
const outside = (d: ChannelDiagnostics['days'][number]) => d.low !== undefined && (d.reported < d.low || d.reported > d.high!);

/** One channel's chart: reported dots, the latest fit's line, and the held-out days' forecast with its band. */
const chart = (channel: ChannelDiagnostics, heldOutFrom: string): Markup => {
  const { days } = channel;
  if (days.length === 0) return html`<p class="meta">No data in the fit window.</p>`;
  const ticks = niceTicks(Math.max(1, ...days.flatMap((d) => [d.reported, d.fitted, d.high ?? 0])), 3);
  const top = ticks.at(-1)!;
  const x = (i: number) => LEFT + (days.length === 1 ? 0 : (i / (days.length - 1)) * (WIDTH - LEFT - RIGHT));
  const y = (v: number) => TOP + (1 - v / top) * (HEIGHT - TOP - BOTTOM);
  const at = (i: number, v: number) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  const grid = ticks.map((t) => gridRow(y(t), LEFT, WIDTH - RIGHT, countTick(t)));
  const first = days.findIndex((d) => d.date >= heldOutFrom);
  const heldOut = first < 0 ? [] : days.slice(first).map((d, k) => ({ d, i: first + k }));
  const forecasts = heldOut.filter(({ d }) => d.predicted !== undefined);
  const shade =
    first < 0
      ? ''
      : html`<rect x="${x(first).toFixed(1)}" y="${TOP}" width="${(x(days.length - 1) - x(first)).toFixed(1)}" height="${HEIGHT - TOP - BOTTOM}" fill="#f1f3f5"/><text x="${x(first).toFixed(1)}" y="${TOP - 4}">held out</text>`;
  const band =
    forecasts.length === 0
      ? ''
      : html`<polygon class="band" points="${[...forecasts.map(({ d, i }) => at(i, d.high!)), ...[...forecasts].reverse().map(({ d, i }) => at(i, d.low!))].join(' ')}" fill="${COLOURS.forecast}" fill-opacity="0.18"/><polyline class="forecast" points="${forecasts.map(({ d, i }) => at(i, d.predicted!)).join(' ')}" fill="none" stroke="${COLOURS.forecast}" stroke-width="2" stroke-dasharray="4 3"/>`;
  const fitted = html`<polyline class="fitted" points="${days.map((d, i) => at(i, d.fitted)).join(' ')}" fill="none" stroke="${COLOURS.fitted}" stroke-width="1.5"/>`;
  const dots = days.map((d, i) => {
    const missed = outside(d);
    const forecast = d.predicted === undefined ? '' : `; forecast ${d.predicted} (80% band ${d.low}–${d.high})`;
    return html`<circle cx="${x(i).toFixed(1)}" cy="${y(d.reported).toFixed(1)}" r="${missed ? 3.2 : 2.2}" fill="${missed ? COLOURS.missed : COLOURS.reported}"${missed ? html` class="missed"` : ''}><title>${`${d.date}: reported ${d.reported}, fitted ${d.fitted}${forecast}`}</title></circle>`;
  });
  const labels = [
    html`<text x="${LEFT}" y="${HEIGHT - 8}">${shortDate(days[0]!.date)}</text>`,
    first > 0 && first < days.length - 6
      ? html`<text x="${x(first).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">${shortDate(days[first]!.date)}</text>`
      : '',
    html`<text x="${WIDTH - RIGHT}" y="${HEIGHT - 8}" text-anchor="end">${shortDate(days.at(-1)!.date)}</text>`,
  ];
  const desc = `Conversions reported each day from ${days[0]!.date} to ${days.at(-1)!.date} against the latest fit; on the ${forecasts.length} held-out days, the one-day-ahead forecast held ${channel.coverage.held} of ${channel.coverage.days} reported values in its 80% band.`;
  // svg() escapes its id, title and description itself.
  return trusted(
    svg(
      `health-${channel.channelId}`,
      WIDTH,
      HEIGHT,
      `${channel.name}: reported against fitted conversions`,
      desc,
      html`${shade}${grid}${band}${fitted}${dots}${labels}`.value,
    ),
  );
};

const flagsText = (channel: ChannelDiagnostics) => channel.flags.map((f) => f.text).join(' ');

/** The table: every channel's numbers, in the order the diagnostics give them. */
const table = (diagnostics: Diagnostics): Markup => {
  const rows = diagnostics.channels.map(
    (c) =>
      html`<tr data-channel="${c.channelId}" data-error="${attr(c.error ?? -1)}" data-held="${c.coverage.held}" data-days="${c.coverage.days}"><th scope="row">${c.name}</th><td data-label="one-day-ahead error">${shown(c.error)}</td><td data-label="noise alone">${shown(c.noiseError)}</td><td data-label="last 7 days (usual)">${shown(c.recentError)} (${shown(c.usualError)})</td><td data-label="80% band held">${c.coverage.held} of ${c.coverage.days}</td><td class="reason" data-label="flags">${flagsText(c) || 'none'}</td></tr>`,
  );
  return html`<table id="model-health-table" class="cards"><thead><tr><th scope="col">channel</th><th scope="col">one-day-ahead error</th><th scope="col">noise alone</th><th scope="col">last 7 days (usual)</th><th scope="col">80% band held</th><th scope="col" class="reason">flags</th></tr></thead><tbody>${rows}</tbody></table>`;
};

const legend = html`<ul class="legend"><li><span class="swatch" style="background:${COLOURS.reported};border-radius:50%"></span>Reported</li><li><span class="swatch" style="background:${COLOURS.fitted}"></span>Fitted by the latest model</li><li><span class="swatch" style="background:${COLOURS.forecast};opacity:.5"></span>One-day-ahead forecast and its 80% band</li><li><span class="swatch" style="background:${COLOURS.missed};border-radius:50%"></span>Reported outside the band</li></ul>`;

/** The section's body: verdict, how to read it, the table and the charts. */
export const modelHealthSection = (diagnostics: Diagnostics | undefined, portfolioId = '{id}'): Markup => {
  if (!diagnostics)
    return html`<p class="meta" id="model-health-none">Model health is shown here for portfolios of up to ${MAX_CHANNELS_WITH_HEALTH} channels; <code>GET /portfolios/${portfolioId}/diagnostics</code> gives it for any.</p>`;
  const { summary, heldOut } = diagnostics;
  const charted = [...diagnostics.channels]
    .sort((a, b) => Number(b.flags.length > 0) - Number(a.flags.length > 0) || b.reported - a.reported)
    .slice(0, MAX_CHARTS);
  const more =
    diagnostics.channels.length > charted.length
      ? html`<p class="meta">Charts for ${charted.length} of ${diagnostics.channels.length} channels (flagged first, then the largest); GET /portfolios/${diagnostics.portfolioId}/diagnostics has every one.</p>`
      : '';
  const figures = charted.map(
    (c) =>
      html`<figure data-channel="${c.channelId}">${chart(c, heldOut.from)}<figcaption><strong>${c.name}</strong>: error ${shown(c.error)} (noise alone ${shown(c.noiseError)}), band held ${c.coverage.held} of ${c.coverage.days} days.${c.flags.length > 0 ? ` ${flagsText(c)}` : ''}</figcaption></figure>`,
  );
  return html`<p class="headline" id="model-verdict" data-verdict="${summary.verdict}">${summary.text}</p>
<p class="meta">Each day from ${heldOut.from} to ${heldOut.to}, the model fitted on the data known the day before predicted the day's conversions. The error is the share of reported conversions the forecast missed (wMAPE); "noise alone" is what a model that is exactly right would miss, given how much days scatter; the 80% band should hold about 8 days in 10.</p>
${table(diagnostics)}${legend}${more}<div class="health-charts" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,${WIDTH}px),1fr));gap:1rem">${figures}</div>`;
};

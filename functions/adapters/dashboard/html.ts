/** Text made safe to place in HTML, in element content and in quoted attributes. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Markup that is already safe: built by {@link html}, or marked trusted with {@link trusted}. */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * Marks a string as trusted markup, inserted by {@link html} unescaped: only for markup this code built
 * itself (an older renderer's output), never for data.
 */
export const trusted = (markup: string): Markup => new Markup(markup);

/** A value interpolated into {@link html}: markup as it is, text escaped, lists joined, nothing for null, undefined or false. */
export type HtmlValue = Markup | string | number | boolean | null | undefined | readonly HtmlValue[];

const render = (value: HtmlValue): string => {
  if (value instanceof Markup) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
};

/**
 * The page's template: every interpolation is escaped unless it is {@link Markup} (another `html` template,
 * or {@link trusted}), the way lit-html and React treat text, so a forgotten escape cannot inject markup.
 *
 * @example html`<li title="${name}">${name}</li>` escapes `name` in both places.
 */
export const html = (strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Markup =>
  new Markup(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]!) : ''), ''));

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, trusted } from '../../../functions/adapters/dashboard/html.js';

describe('the page template', () => {
  it('escapes every interpolation, in content and in attributes', () => {
    const name = `<script>alert("x")</script> & 'y'`;
    expect(html`<li title="${name}">${name}</li>`.value).toBe(
      '<li title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</li>',
    );
  });

  it('keeps markup it built, joins lists, writes numbers, and drops null, undefined and false', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${3.5}`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>3.5');
    expect(html`<p>${trusted('<em>kept</em>')}</p>`.value).toBe('<p><em>kept</em></p>');
  });

  it('never lets text open a tag or end an attribute, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const out = html`<p title="${text}">${text}</p>`.value;
        expect(out).toBe(`<p title="${escapeHtml(text)}">${escapeHtml(text)}</p>`);
        expect(escapeHtml(text)).not.toMatch(/[<>"']/);
      }),
      { numRuns: 2000 },
    );
  });
});

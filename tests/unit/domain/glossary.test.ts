import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GLOSSARY } from '../../../functions/domain/glossary.js';

const guide = readFileSync('docs/finance-guide.md', 'utf8');

describe('the finance glossary', () => {
  it('says the same in docs/finance-guide.md as on the dashboard, term by term', () => {
    for (const { term, definition } of GLOSSARY) expect(guide, term).toContain(`### ${term}\n\n${definition}\n`);
    const headings = [...guide.slice(guide.indexOf('## Glossary')).matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(GLOSSARY.map((t) => t.term));
  });

  it('defines each term the issue asks for, once', () => {
    const ids = GLOSSARY.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['marginal-cpa', 'exploration', 'reserve', 'pace', 'contribution', 'shadow-price', 'interval'])
      expect(ids).toContain(id);
  });

  it('says the base wins over the change limit: a channel below its base goes to it at once', () => {
    const limit = GLOSSARY.find((t) => t.term === 'Change limit')!;
    expect(limit.definition).toMatch(/below its base.* goes to its base/);
  });
});

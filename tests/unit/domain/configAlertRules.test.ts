import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { validate } from '../../../functions/domain/issues.js';

const shipped = JSON.parse(readFileSync('config/budget.config.json', 'utf8'));

/** The shipped config whose demo portfolio (six channels) has `rules`. */
const withRules = (rules: object[]) => {
  const copy = structuredClone(shipped);
  copy.portfolios[0].alerts.rules = rules;
  return copy;
};
const spendRule = (r: number, channels?: string[]) => ({
  id: `r${r}`,
  metric: 'spend',
  op: '>',
  threshold: 1,
  ...(channels ? { channels } : {}),
});
const issuesOf = (config: unknown) => {
  const result = validate(BudgetConfig, config);
  return result.ok ? [] : result.issues;
};

describe('alert rules one evaluation can run inside its timeout', () => {
  it('accepts rules that judge exactly the limit (66 rules × 6 channels + 4 on one channel)', () => {
    const rules = [
      ...Array.from({ length: 66 }, (_, r) => spendRule(r)),
      ...Array.from({ length: 4 }, (_, r) => spendRule(100 + r, ['search'])),
    ];
    expect(issuesOf(withRules(rules))).toEqual([]);
  });

  it('refuses one pair more, at the rules, saying how many they judge', () => {
    const rules = [
      ...Array.from({ length: 66 }, (_, r) => spendRule(r)),
      ...Array.from({ length: 5 }, (_, r) => spendRule(100 + r, ['search'])),
    ];
    expect(issuesOf(withRules(rules))).toEqual([
      {
        path: 'portfolios[0].alerts.rules',
        message:
          "these rules judge 401 rule × channel pairs; one evaluation judges at most 400 well inside the alerts function's timeout: use fewer rules, or name the channels each rule watches",
      },
    ]);
  });

  it('counts a rule on the channels it names, not on every channel', () => {
    const rules = Array.from({ length: 300 }, (_, r) => spendRule(r, ['search']));
    expect(issuesOf(withRules(rules))).toEqual([]);
  });
});

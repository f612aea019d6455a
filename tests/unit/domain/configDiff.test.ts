import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { diffConfigs, formatConfigChanges } from '../../../functions/domain/configDiff.js';

const shipped = BudgetConfig.parse(JSON.parse(readFileSync('config/budget.config.json', 'utf8')));
const edit = (change: (c: any) => void) => {
  const copy = structuredClone(shipped);
  change(copy);
  return BudgetConfig.parse(copy);
};

describe('config diff for operators', () => {
  it('reports nothing for the same config, or the same channels and rules in another order', () => {
    expect(diffConfigs(shipped, shipped)).toEqual([]);
    expect(
      diffConfigs(
        shipped,
        edit((c) => {
          c.portfolios[0].channels.reverse();
          c.portfolios[0].alerts.rules.reverse();
        }),
      ),
    ).toEqual([]);
  });

  it('names each changed budget, base, rule and schedule by id, and what was added or removed', () => {
    const after = edit((c) => {
      c.schedules.alerts = 'rate(5 minutes)';
      c.portfolios[0].budget.daily = 12000;
      c.portfolios[0].channels.find((ch: any) => ch.id === 'video').base = 900;
      c.portfolios[0].alerts.rules = c.portfolios[0].alerts.rules.filter((r: any) => r.id !== 'overspend');
      c.portfolios[0].alerts.rules.push({ id: 'ctr-low', metric: 'ctr', op: '<', threshold: 0.005, window: 'day', consecutive: 1 });
    });
    expect(formatConfigChanges(diffConfigs(shipped, after))).toEqual([
      '~ schedules.alerts: "rate(15 minutes)" → "rate(5 minutes)"',
      '~ demo.budget.daily: 10000 → 12000',
      '~ demo.channels.video.base: 800 → 900',
      '- demo.alerts.rules.overspend',
      '+ demo.alerts.rules.ctr-low: {"id":"ctr-low","metric":"ctr","op":"<","threshold":0.005,"window":"day","consecutive":1}',
    ]);
  });
});

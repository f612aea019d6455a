import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BudgetConfig } from '../../../functions/domain/config.js';
import { CREDENTIALS_RULE } from '../../../functions/domain/connectors/credentialsAlert.js';
import { REFUSED_RULE } from '../../../functions/domain/connectors/refusedRowsAlert.js';
import { configHash } from '../../../functions/domain/hash.js';
import { validate } from '../../../functions/domain/issues.js';

const shipped = JSON.parse(readFileSync('config/budget.config.json', 'utf8'));

/** The shipped config with one change applied to its first portfolio. */
const withDemo = (change: (portfolio: any) => void) => {
  const copy = structuredClone(shipped);
  change(copy.portfolios[0]);
  return copy;
};

const pathsOf = (input: unknown) => {
  const result = validate(BudgetConfig, input);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

describe('operator config', () => {
  it('accepts the shipped config, whose demo has six channels with bases inside the non-exploration budget', () => {
    const result = validate(BudgetConfig, shipped);
    expect(result.ok).toBe(true);
    const demo = result.ok ? result.value.portfolios[0]! : undefined;
    expect(demo?.channels.map((c) => c.id)).toEqual(['search', 'social', 'video', 'display', 'affiliate', 'podcast']);
    const bases = demo!.channels.reduce((s, c) => s + c.base, 0);
    expect(bases).toBeLessThan(demo!.budget.daily * (1 - demo!.budget.explorationShare));
  });

  it.each([
    ['a base above its max', (p: any) => (p.channels[0].base = 7000), 'portfolios[0].channels[0].base'],
    ['bases above daily × (1 − explorationShare)', (p: any) => (p.budget.daily = 5000), 'portfolios[0].channels'],
    ['a negative daily budget', (p: any) => (p.budget.daily = -1), 'portfolios[0].budget.daily'],
    ['money with 7 decimals', (p: any) => (p.channels[1].base = 1.1234567), 'portfolios[0].channels[1].base'],
    ['an unknown time zone', (p: any) => (p.timezone = 'Mars/Olympus'), 'portfolios[0].timezone'],
    ['a duplicate channel id', (p: any) => (p.channels[1].id = 'search'), 'portfolios[0].channels[1].id'],
    ['an unknown alert metric', (p: any) => (p.alerts.rules[0].metric = 'vibes'), 'portfolios[0].alerts.rules[0].metric'],
    ['consecutive below 1', (p: any) => (p.alerts.rules[0].consecutive = 0), 'portfolios[0].alerts.rules[0].consecutive'],
    ['a threshold of the wrong kind', (p: any) => (p.alerts.rules[0].threshold = '45'), 'portfolios[0].alerts.rules[0].threshold'],
    ['a duplicate rule id', (p: any) => (p.alerts.rules[1].id = 'cpa-high'), 'portfolios[0].alerts.rules[1].id'],
    ['stop-loss on hoursSinceData', (p: any) => (p.alerts.rules[2].action = 'stop-loss'), 'portfolios[0].alerts.rules[2].action'],
    // Pointed the other way, a stop-loss would hold the best channels at their bases.
    [
      'a stop-loss on a ROAS above its threshold',
      (p: any) => Object.assign(p.alerts.rules[0], { metric: 'roas', op: '>', threshold: 2, action: 'stop-loss' }),
      'portfolios[0].alerts.rules[0].op',
    ],
    [
      'a stop-loss on a CPA below its threshold',
      (p: any) => Object.assign(p.alerts.rules[0], { metric: 'cpa', op: '<', threshold: 10, action: 'stop-loss' }),
      'portfolios[0].alerts.rules[0].op',
    ],
    [
      'a rule that can never fire (conversions < 0)',
      (p: any) => Object.assign(p.alerts.rules[0], { metric: 'conversions', op: '<', threshold: 0 }),
      'portfolios[0].alerts.rules[0].threshold',
    ],
    ['a rule naming an unknown channel', (p: any) => (p.alerts.rules[0].channels = ['tv']), 'portfolios[0].alerts.rules[0].channels[0]'],
    [
      'a rule naming a channel twice',
      (p: any) => (p.alerts.rules[0].channels = ['search', 'search']),
      'portfolios[0].alerts.rules[0].channels[1]',
    ],
    [
      'a platform id claimed by two channels',
      (p: any) => (p.channels[3].sourceIds = { 'google-ads': ['1234567890'] }),
      'portfolios[0].channels[3].sourceIds.google-ads[0]',
    ],
    ['a misspelt field', (p: any) => (p.budget.dialy = 1), 'portfolios[0].budget.dialy'],
    ['a currency that is no ISO 4217 code', (p: any) => (p.currency = '=1+'), 'portfolios[0].currency'],
    ['a three-digit currency', (p: any) => (p.currency = '123'), 'portfolios[0].currency'],
    ['markup for a currency', (p: any) => (p.currency = '<B>'), 'portfolios[0].currency'],
    ['a reserve above 30%', (p: any) => (p.budget.reserveShare = 0.4), 'portfolios[0].budget.reserveShare'],
    [
      'bases above daily × (1 − exploration − reserve)',
      (p: any) => {
        p.budget.reserveShare = 0.3;
        p.channels[0].base = 3000;
      },
      'portfolios[0].channels',
    ],
    ['a group naming an unknown channel', (p: any) => (p.groups[0].channels = ['tv']), 'portfolios[0].groups[0].channels[0]'],
    // Named twice, a channel's base and max counted twice: a group that cannot reach its minShare passed.
    [
      'a group naming a channel twice',
      (p: any) => (p.groups[0].channels = [p.groups[0].channels[0], p.groups[0].channels[0]]),
      'portfolios[0].groups[0].channels[1]',
    ],
    ['a group whose minShare exceeds its maxShare', (p: any) => (p.groups[0].minShare = 0.5), 'portfolios[0].groups[0].minShare'],
    [
      'a group whose caps cannot reach its minShare',
      (p: any) => {
        p.groups[0].channels = ['podcast'];
        p.groups[0].minShare = 0.3;
      },
      'portfolios[0].groups[0].minShare',
    ],
    ['a group whose bases exceed its maxShare', (p: any) => (p.groups[0].maxShare = 0.05), 'portfolios[0].groups[0].maxShare'],
    [
      // 0.85 × the allocatable 8,500 for search, and 3,100 of bases for the other five: 10,325 of 8,500.
      'a group whose minShare leaves too little for the bases of the channels outside it',
      (p: any) => {
        p.channels[0].max = 9000;
        p.groups = [{ id: 'search-first', channels: ['search'], minShare: 0.85 }];
      },
      'portfolios[0].groups[0].minShare',
    ],
    [
      'disjoint groups whose minShares sum above 1',
      (p: any) => {
        for (const c of p.channels) c.max = 9000;
        p.channels[1].base = 0;
        p.groups = [
          { id: 'a', channels: ['search'], minShare: 0.6 },
          { id: 'b', channels: ['social'], minShare: 0.6 },
        ];
      },
      'portfolios[0].groups',
    ],
    ['a carbon cap the bases already exceed', (p: any) => (p.carbon.maxDailyKg = 100), 'portfolios[0].carbon.maxDailyKg'],
    ['a negative carbon intensity', (p: any) => (p.channels[0].carbonPerUnit = -1), 'portfolios[0].channels[0].carbonPerUnit'],
    // Counted as clean, it would take the money the cap holds back from the others.
    [
      'a channel without a carbon intensity under a cap',
      (p: any) => delete p.channels[3].carbonPerUnit,
      'portfolios[0].channels[3].carbonPerUnit',
    ],
    ['a name with a lone surrogate, which no page can encode', (p: any) => (p.name = 'Caf\ud800'), 'portfolios[0].name'],
    ['a name of spaces', (p: any) => (p.name = '   '), 'portfolios[0].name'],
    ['a channel name of zero-width spaces', (p: any) => (p.channels[0].name = '\u200b\u200b'), 'portfolios[0].channels[0].name'],
    ['a budget in fractions of a cent', (p: any) => (p.budget.daily = 10000.005), 'portfolios[0].budget.daily'],
    ['a base in fractions of a cent', (p: any) => (p.channels[1].base = 1200.005), 'portfolios[0].channels[1].base'],
  ])('rejects %s, naming the path', (_name, change, path) => {
    expect(pathsOf(withDemo(change))).toContain(path);
  });

  it.each([CREDENTIALS_RULE, REFUSED_RULE])('refuses a rule named %s, the id a connector alert goes under', (id) => {
    const result = validate(
      BudgetConfig,
      withDemo((p) => (p.alerts.rules[0].id = id)),
    );
    expect(result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "portfolios[0].alerts.rules[0].id: is reserved for the connectors' own alerts (credentials, refused-rows)",
    ]);
  });

  it("holds money to the currency's minor unit: whole yen, cents, fils", () => {
    const issues = (currency: string, daily: number, max: number) => {
      const result = validate(
        BudgetConfig,
        withDemo((p) => {
          p.currency = currency;
          p.budget.daily = daily;
          p.channels[0].max = max;
        }),
      );
      return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues('JPY', 10000.5, 6000.25)).toEqual([
      'portfolios[0].budget.daily: must be a whole amount: JPY has no minor unit',
      'portfolios[0].channels[0].max: must be a whole amount: JPY has no minor unit',
    ]);
    expect(issues('JPY', 10000, 6000)).toEqual([]);
    // Refused once: not summed again into the bases (past the budget) nor held against the max.
    const once = validate(
      BudgetConfig,
      withDemo((p) => {
        p.currency = 'JPY';
        p.channels[0].base = 9000.5;
      }),
    );
    expect(once.ok ? [] : once.issues.map((i) => i.path)).toEqual(['portfolios[0].channels[0].base']);
    expect(issues('USD', 10000.25, 6000.5)).toEqual([]);
    // Whole cents, though × 100 it is 29,075,585,260.000004 (the group's minimum share is out of reach at that budget).
    expect(issues('USD', 290_755_852.6, 6000).filter((i) => i.includes('budget.daily'))).toEqual([]);
    expect(issues('KWD', 10000.125, 6000)).toEqual([]);
    expect(issues('KWD', 10000.1255, 6000)).toEqual(["portfolios[0].budget.daily: must have at most 3 decimals, KWD's minor unit"]);
  });

  it('accepts overlapping groups whose minShares sum above 1 when the channels they share can satisfy both', () => {
    const overlapping = withDemo((p) => {
      p.channels[0].max = 9000;
      p.groups = [
        { id: 'search', channels: ['search'], minShare: 0.6 },
        { id: 'paid', channels: ['search', 'social'], minShare: 0.6 },
      ];
    });
    expect(pathsOf(overlapping)).toEqual([]);
  });

  it('reads the older google_ads spelling as google-ads, in platform and in sourceIds alike', () => {
    const legacy = withDemo((p) => {
      p.channels[0].platform = 'google_ads';
      p.channels[0].sourceIds = { google_ads: ['1234567890'] };
    });
    const result = validate(BudgetConfig, legacy);
    expect(result.ok && result.value.portfolios[0]!.channels[0]).toMatchObject({
      platform: 'google-ads',
      sourceIds: { 'google-ads': ['1234567890'] },
    });
    expect(result.ok && configHash(result.value)).toBe(configHash(BudgetConfig.parse(shipped)));
  });

  it('rejects schedules that EventBridge Scheduler would refuse', () => {
    const config = structuredClone(shipped);
    config.schedules = { reallocate: 'rate(1 fortnight)', alerts: 'cron(0 12 * * * *)' };
    expect(pathsOf(config)).toEqual(['schedules.reallocate', 'schedules.alerts']);
  });

  it('reports every problem at once', () => {
    const config = withDemo((p) => {
      p.currency = 'usd';
      p.channels[0].max = -5;
    });
    expect(pathsOf(config)).toEqual(expect.arrayContaining(['portfolios[0].currency', 'portfolios[0].channels[0].max']));
  });

  it('hashes equal configs equally, whatever their key order, and different configs differently', () => {
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverseKeys(v)]),
            )
          : value;
    const reordered = reverseKeys(shipped);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(shipped));
    expect(configHash(reordered)).toBe(configHash(shipped));
    expect(configHash(withDemo((p) => (p.budget.daily = 10001)))).not.toBe(configHash(shipped));
  });
});

describe('config errors for operators', () => {
  it('names each problem by id, cross-field ones in the same pass, and a JSON syntax error by line and column', async () => {
    const { ConfigError, loadConfigFile, parseConfig } = await import('../../../functions/adapters/configFile.js');
    const broken = withDemo((p) => {
      p.alerts.rules[0].threshold = '45';
      p.alerts.rules[1].channels = ['tv'];
      p.channels[0].base = -1;
    });
    const issues = (() => {
      try {
        parseConfig(broken, 'broken.json');
        return [];
      } catch (error) {
        return error instanceof ConfigError ? error.issues.map((i) => i.path) : [];
      }
    })();
    expect(issues).toEqual([
      'portfolios[demo].channels[search].base',
      'portfolios[demo].alerts.rules[cpa-high].threshold',
      'portfolios[demo].alerts.rules[stop-loss].channels[0]',
    ]);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const file = `${mkdtempSync('/tmp/config-')}/bad.json`;
    writeFileSync(file, '{\n  "schedules": {\n    "reallocate": "rate(1 hour)",\n  }\n}\n');
    expect(() => loadConfigFile(file)).toThrow(/line 4, column 3/);
  });
});

describe('one mistake, one error', () => {
  const reported = async (config: unknown): Promise<string[]> => {
    const { ConfigError, parseConfig } = await import('../../../functions/adapters/configFile.js');
    try {
      parseConfig(config, 'one-mistake.json');
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.issues.map((i) => i.path);
    }
  };

  it.each([
    ['a base that is no number', (p: any) => (p.channels[0].base = 'abc'), ['portfolios[demo].channels[search].base']],
    // Not summed again into the bases, the group beside it and the carbon at the bases.
    ['a base above its max', (p: any) => (p.channels[0].base = 99_999), ['portfolios[demo].channels[search].base']],
    // Not read again as a negative allocatable budget by every sum of bases and group share.
    ['a reserve share of 2', (p: any) => (p.budget.reserveShare = 2), ['portfolios[demo].budget.reserveShare']],
    ['a daily budget that is no number', (p: any) => (p.budget.daily = 'x'), ['portfolios[demo].budget.daily']],
    // "expected >= 0" alone, not also "must be positive".
    ['a negative daily budget', (p: any) => (p.budget.daily = -5), ['portfolios[demo].budget.daily']],
    ['a daily budget of 0', (p: any) => (p.budget.daily = 0), ['portfolios[demo].budget.daily']],
    [
      'a group naming an unknown channel',
      (p: any) => p.groups[0].channels.push('nope'),
      ['portfolios[demo].groups[upper-funnel].channels[2]'],
    ],
    ['a group share that is no number', (p: any) => (p.groups[0].minShare = 'x'), ['portfolios[demo].groups[upper-funnel].minShare']],
    // The copy's source ids are not claimed a second time, and its path names its position, not an id two channels share.
    ['a channel pasted twice', (p: any) => p.channels.push(structuredClone(p.channels[1])), ['portfolios[demo].channels[6].id']],
    // One rule for an id, not a length issue beside a pattern issue.
    ['an empty channel id', (p: any) => (p.channels[3].id = ''), ['portfolios[demo].channels[3].id']],
    [
      'two channels without an id (no "duplicate id undefined")',
      (p: any) => {
        delete p.channels[0].id;
        delete p.channels[1].id;
      },
      ['portfolios[demo].channels[0].id', 'portfolios[demo].channels[1].id'],
    ],
    [
      'a carbon intensity that is no number',
      (p: any) => (p.channels[2].carbonPerUnit = 'x'),
      ['portfolios[demo].channels[video].carbonPerUnit'],
    ],
    ['a warning band that is no number', (p: any) => (p.alerts.bands.warning = 'x'), ['portfolios[demo].alerts.bands.warning']],
    ['an alert metric misspelt', (p: any) => (p.alerts.rules[1].metric = 'rooas'), ['portfolios[demo].alerts.rules[stop-loss].metric']],
  ])('reports %s once, at its own path', async (_name, change, paths) => {
    expect(await reported(withDemo(change))).toEqual(paths);
  });

  it('says what bands.warning is when critical must exceed it and it was left out', () => {
    const config = withDemo((p) => {
      p.alerts.bands = { critical: 0.05 };
    });
    const result = validate(BudgetConfig, config);
    expect(result.ok ? [] : result.issues).toEqual([
      { path: 'portfolios[0].alerts.bands.critical', message: 'must be greater than bands.warning (0.1, its default when left out)' },
    ]);
  });
});

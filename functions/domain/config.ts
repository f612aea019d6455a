import { isTimeZone } from './dates.js';
import { currencyDigits, Money, minorUnitOf, roundTo } from './money.js';
import { parseSchedule } from './schedule.js';
import * as z from './schema.js';
import { Text } from './text.js';

/** Ad platforms a channel's metrics can come from; each id is also its webhook source (`/webhooks/<id>`). */
export const PLATFORMS = ['google-ads', 'meta', 'tiktok', 'generic'] as const;

/**
 * Earlier configs spelt Google Ads `google_ads`; it is still read, and means `google-ads`, so one spelling
 * reaches the code, the routes and the secrets.
 */
const LEGACY_SPELLING: Readonly<Record<string, (typeof PLATFORMS)[number]>> = { google_ads: 'google-ads' };
const canonicalPlatform = (id: string) => LEGACY_SPELLING[id] ?? id;

const Platform = z.pipe(
  z.enum([...PLATFORMS, ...(Object.keys(LEGACY_SPELLING) as ['google_ads'])]),
  z.transform((id) => canonicalPlatform(id) as (typeof PLATFORMS)[number]),
);

/** `sourceIds` with legacy platform keys renamed, before the record is checked. */
const withCanonicalKeys = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([key, ids]) => [canonicalPlatform(key), ids]))
    : value;

/** ISO 4217 codes the runtime knows (and so can format in CSV and on the dashboard). */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const isCurrency = (code: string): boolean => /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);

/** Metrics an alert rule can watch (docs/config.md). */
export const ALERT_METRICS = ['spend', 'conversions', 'revenue', 'cpa', 'roas', 'cvr', 'ctr', 'hoursSinceData', 'pacing'] as const;

/** Metrics whose breach says a channel loses money, the only ones a stop-loss may act on. */
export const STOP_LOSS_METRICS = ['cpa', 'roas'] as const;
type StopLossMetric = (typeof STOP_LOSS_METRICS)[number];
/** The direction in which each of them says a channel loses money: a CPA above its threshold, a ROAS below. */
const LOSING: Readonly<Record<StopLossMetric, '>' | '<'>> = { cpa: '>', roas: '<' };

/**
 * The most rule × channel pairs (each rule counted on the channels it applies to) one portfolio's alert
 * evaluation may judge. An evaluation runs in the alerts function (lib/api.ts `alerts`: the on-demand route,
 * budget-function's default 29 s timeout; the queue worker has 120 s), and its worst case is every pair
 * opening at once (one transaction, one event, one outbox delete each, in sequence), as when a feed stops.
 * Measured (`npx tsx bench/alertRules.ts`, AlertEvaluator on DynamoDB Local, 2 shared cores, three runs):
 * 400 pairs all opening took 1.8–2.3 s (4.4–5.8 ms a pair, 6–8% of 29 s); 1,000 pairs 3.6–4.7 s; re-evaluating
 * with nothing changed 0.8–2.4 ms a pair. 400 keeps the worst case under 10% of the timeout, a margin for
 * DynamoDB and EventBridge round trips in the cloud being several times DynamoDB Local's.
 */
export const MAX_RULE_CHANNEL_PAIRS = 400;

/** Metrics that are fractions in [0, 1]. */
const RATE_METRICS = new Set(['cvr', 'ctr']);

/** An id: one rule, one message, so an empty or over-long id is one mistake, not a length issue beside a pattern issue. */
const Id = z
  .string()
  .check(
    z.refine(
      (id) => /^[a-z0-9][a-z0-9-_]{0,63}$/.test(id),
      'must be 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
    ),
  );

const ScheduleExpression = z.string().check(
  z.superRefine((expression, ctx) => {
    try {
      parseSchedule(expression);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
);

/** An IANA time zone this runtime knows. */
const TimeZone = z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'));

export const Channel = z.strictObject({
  id: Id,
  name: z.optional(Text(200)),
  platform: Platform,
  base: Money,
  max: Money,
  explore: z._default(z.boolean(), true),
  /** Platform ids (campaigns, ad accounts) whose rows belong to this channel, per platform. */
  sourceIds: z._default(
    z.pipe(
      z.transform(withCanonicalKeys),
      z.partialRecord(z.enum(PLATFORMS), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
    ),
    {},
  ),
  /** Meta only: the one action type counted as a conversion (Meta repeats a purchase under several). */
  actionType: z.optional(z.string().check(z.minLength(1))),
  /** kg CO2e emitted per currency unit spent on the channel; counted against `carbon.maxDailyKg`. */
  carbonPerUnit: z.optional(z.number().check(z.nonnegative(), z.lte(1000))),
  /** The attribution window in days: the prior for how a day's conversions mature when revisions are few. */
  conversionLagDays: z.optional(z.int().check(z.gte(0), z.lte(90))),
  /** Prior adstock decay (the share of a day's effect carried to the next), e.g. 0.5 for video. */
  adstockPrior: z.optional(z.number().check(z.gte(0), z.lte(0.95))),
  /** Share of reported conversions a lift test found incremental, in (0, 1]: what the optimizer counts. */
  incrementality: z.optional(z.number().check(z.gt(0), z.lte(1))),
});

/** Platforms whose reporting and budget APIs the system connects to (pull metrics, apply plans). */
export const CONNECTED_PLATFORMS = ['google-ads', 'meta', 'tiktok'] as const;
export type ConnectedPlatform = (typeof CONNECTED_PLATFORMS)[number];

/**
 * How many trailing days each pull re-reads when an account does not say, within 7–28: Google Ads
 * attributes a conversion to the click's day up to its conversion window (30 days by default, most of it in
 * the first two weeks); Meta's and TikTok's default attribution settings are 7-day click, 1-day view.
 */
export const DEFAULT_RESTATEMENT_DAYS: Readonly<Record<ConnectedPlatform, number>> = { 'google-ads': 14, meta: 7, tiktok: 7 };

/**
 * An ad platform account a portfolio pulls metrics from and applies budgets to. `secret` names the Secrets
 * Manager secret holding its credentials (docs/connectors.md); the credentials never sit in config.
 */
export const Account = z.strictObject({
  platform: z.enum(CONNECTED_PLATFORMS),
  accountId: z.string().check(z.minLength(1), z.maxLength(32)),
  secret: z.string().check(z.regex(/^[\w/+=.@-]{1,512}$/, 'a Secrets Manager secret name: letters, digits and /_+=.@-')),
  /** Google Ads only: the manager (MCC) customer id the credentials sign in through, 10 digits. */
  loginCustomerId: z.optional(z.string().check(z.regex(/^\d{10}$/, 'a Google Ads customer id is 10 digits, without dashes'))),
  /** Trailing days each pull re-reads, because attribution restates them (default per platform). */
  restatementDays: z.optional(z.int().check(z.gte(7), z.lte(28))),
});

/** What happens to a published plan on the platforms: nothing (`off`), recorded only, after approval, or at once. */
export const APPLY_MODES = ['off', 'dry-run', 'approve', 'auto'] as const;
export const Apply = z.strictObject({
  mode: z._default(z.enum(APPLY_MODES), 'off'),
  /** Consecutive failed applies after which the portfolio's applies stop (and alert) until an operator applies one. */
  maxConsecutiveFailures: z._default(z.int().check(z.gte(1), z.lte(20)), 3),
});

/** Where a channel's platform campaign id sits in its account: `accountId/campaignId`, or a bare id. */
export interface CampaignRef {
  readonly accountId: string | undefined;
  readonly campaignId: string;
}

/** Splits a `sourceIds` entry: `"1234567890/555"` names account 1234567890's campaign 555; `"555"` names no account. */
export const campaignRef = (sourceId: string): CampaignRef => {
  const slash = sourceId.indexOf('/');
  return slash < 0
    ? { accountId: undefined, campaignId: sourceId }
    : { accountId: sourceId.slice(0, slash), campaignId: sourceId.slice(slash + 1) };
};

/** A campaign of a connected platform, with the account it belongs to and the channel that owns it. */
export interface AccountCampaign {
  readonly platform: ConnectedPlatform;
  readonly accountId: string;
  readonly campaignId: string;
  readonly channelId: string;
}

/**
 * Every campaign of a portfolio's connected accounts, each with its account: an `accountId/campaignId`
 * entry names it, a bare id belongs to the platform's only account (config checks that there is one).
 * Entries whose account is missing are left out; the config check reports them.
 */
export const accountCampaigns = (portfolio: Pick<Portfolio, 'channels' | 'accounts'>): AccountCampaign[] =>
  portfolio.channels.flatMap((channel) =>
    CONNECTED_PLATFORMS.flatMap((platform) => {
      const accounts = portfolio.accounts.filter((a) => a.platform === platform);
      return (channel.sourceIds[platform] ?? []).flatMap((sourceId) => {
        const ref = campaignRef(sourceId);
        const accountId = ref.accountId ?? (accounts.length === 1 ? accounts[0]!.accountId : undefined);
        if (accountId === undefined || !accounts.some((a) => a.accountId === accountId)) return [];
        return [{ platform, accountId, campaignId: ref.campaignId, channelId: channel.id }];
      });
    }),
  );

/** The days an account's pulls re-read: its own `restatementDays`, else its platform's default. */
export const restatementDays = (account: Pick<Account, 'platform' | 'restatementDays'>): number =>
  account.restatementDays ?? DEFAULT_RESTATEMENT_DAYS[account.platform];

/** Channels whose combined total must stay within shares of the day's allocatable budget. */
export const ChannelGroup = z.strictObject({
  id: Id,
  channels: z.array(Id).check(z.minLength(1)),
  minShare: z._default(z.number().check(z.gte(0), z.lte(1)), 0),
  maxShare: z._default(z.number().check(z.gte(0), z.lte(1)), 1),
});

/**
 * The rule ids the connectors' own alerts go under (functions/domain/connectors: refused credentials, refused
 * rows). A config rule of the same id would share their alerts: the evaluation would resolve the poller's,
 * and the poller rewrite the rule's.
 */
const CONNECTOR_RULES: readonly string[] = ['credentials', 'refused-rows'];

export const AlertRule = z.strictObject({
  id: Id.check(z.refine((id) => !CONNECTOR_RULES.includes(id), "is reserved for the connectors' own alerts (credentials, refused-rows)")),
  metric: z.enum(ALERT_METRICS),
  op: z.enum(['>', '>=', '<', '<=']),
  threshold: z.number(),
  window: z._default(z.enum(['hour', 'day', 'week']), 'day'),
  consecutive: z._default(z.int().check(z.gte(1), z.lte(52)), 1),
  channels: z.optional(z.array(Id).check(z.minLength(1))),
  action: z.optional(z.literal('stop-loss')),
});

export const Portfolio = z
  .strictObject({
    id: Id,
    name: Text(200),
    currency: z.string().check(z.refine(isCurrency, 'must be an ISO 4217 code this runtime formats, such as USD or EUR')),
    timezone: TimeZone,
    budget: z.strictObject({
      daily: Money.check(z.refine((v) => v !== 0, 'must be positive, not 0')), // a negative one is Money's own issue
      explorationShare: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0.1),
      maxDailyChange: z._default(z.number().check(z.gt(0), z.lte(10)), 0.25),
      /** Held back from the day's allocation (finance's reserve pool); released only on demand, with a reason. */
      reserveShare: z._default(z.number().check(z.gte(0), z.lte(0.3)), 0),
    }),
    objective: z._default(
      z.strictObject({
        maximize: z._default(z.enum(['conversions', 'revenue']), 'conversions'),
        targetCpa: z._default(z.nullable(z.number().check(z.positive())), null),
        minRoas: z._default(z.nullable(z.number().check(z.positive())), null),
      }),
      { maximize: 'conversions', targetCpa: null, minRoas: null },
    ),
    channels: z.array(Channel).check(z.minLength(1), z.maxLength(5000)),
    groups: z._default(z.array(ChannelGroup), []),
    carbon: z.optional(z.strictObject({ maxDailyKg: z.number().check(z.positive()) })),
    /** Ad platform accounts to pull metrics from and apply plans to (docs/connectors.md). */
    accounts: z._default(z.array(Account).check(z.maxLength(100)), []),
    /** Whether and how published plans reach the platforms' budgets. */
    apply: z._default(Apply, { mode: 'off', maxConsecutiveFailures: 3 }),
    alerts: z._default(
      z.strictObject({
        bands: z._default(
          z.strictObject({
            warning: z._default(z.number().check(z.positive()), 0.1),
            critical: z._default(z.number().check(z.positive()), 0.2),
          }),
          { warning: 0.1, critical: 0.2 },
        ),
        weekStartsOn: z._default(z.enum(['monday', 'sunday']), 'monday'),
        rules: z._default(z.array(AlertRule), []),
      }),
      { bands: { warning: 0.1, critical: 0.2 }, weekStartsOn: 'monday', rules: [] },
    ),
  })
  .check(
    z.check(
      (payload) => {
        const ctx: Ctx = { addIssue: (issue) => payload.issues.push({ ...issue, input: payload.value }) };
        try {
          checkPortfolio(payload.value as PortfolioShape, ctx, failedUnder(payload.issues));
        } catch {
          // A part too malformed to cross-check is already reported by its own schema.
        }
      },
      // Cross-field checks run even when a field elsewhere is wrong, so one pass reports every problem;
      // each reads only fields that passed their own schema, so no mistake is reported twice (failedUnder).
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    ),
  );

/** Where a cross-field check reports: a custom issue at a path. */
interface Ctx {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}
type PortfolioShape = z.output<typeof Portfolio>;

/**
 * Whether the field at a path (or anything inside it) already failed its own schema. A cross-field check
 * reading such a field would only restate that mistake as another (a reserveShare of 2 making every
 * budget sum negative), so it skips what it would read from there.
 */
type Failed = (...path: (string | number)[]) => boolean;
const failedUnder = (issues: readonly { readonly path?: readonly PropertyKey[] | undefined }[]): Failed => {
  const failed = issues.map((issue) => (issue.path ?? []).map(String));
  return (...path) => failed.some((at) => path.every((key, i) => at[i] === String(key)));
};

/** A sum or product as a message shows it: to the micro, without a float's last bits (255005.94999999998). */
const shown = (value: number) => roundTo(value, 6);

/** Channels whose base and max are each valid and agree (base ≤ max): the ones sums of bases and maxes may read. */
const soundChannels = (portfolio: PortfolioShape, failed: Failed): boolean[] =>
  portfolio.channels.map((c, i) => !failed('channels', i, 'base') && !failed('channels', i, 'max') && c.base <= c.max);

/**
 * Each group names known channels, keeps min ≤ max, and can hold on its own: its channels' bases within its
 * maxShare, their maxes up to its minShare, and its minShare beside the bases of the channels outside it.
 * Whether groups that share channels hold together takes solving them together, which the checks before a
 * deploy do (functions/domain/allocation/groupChecks.ts), out of every function's cold start.
 */
const checkGroups = (portfolio: PortfolioShape, ctx: Ctx, failed: Failed, sound: readonly boolean[]): void => {
  duplicateIds(portfolio.groups, ctx, ['groups'], 'group', failed);
  const channels = new Map(portfolio.channels.map((c) => [c.id, c]));
  const allBases = portfolio.channels.reduce((s, c) => s + c.base, 0);
  const allocatable = portfolio.budget.daily * (1 - portfolio.budget.reserveShare);
  // The sums below read every channel's base and max, the budget and the group's shares: none may be wrong already.
  const sumsSound = sound.every(Boolean) && !failed('budget', 'daily') && !failed('budget', 'reserveShare');
  for (const [g, group] of portfolio.groups.entries()) {
    const path = ['groups', g];
    if (failed(...path, 'channels')) continue;
    const issue = (field: string | number | (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path: [...path, ...[field].flat()], message });
    group.channels.forEach((id, c) => {
      if (!channels.has(id)) issue(['channels', c], `unknown channel "${id}"`);
      // A channel named twice would count its base and max twice in the checks below.
      const first = group.channels.indexOf(id);
      if (first < c) issue(['channels', c], `channel "${id}" appears twice in the group (also at index ${first})`);
    });
    if (failed(...path, 'minShare') || failed(...path, 'maxShare')) continue;
    if (group.minShare > group.maxShare) issue('minShare', `minShare ${group.minShare} exceeds maxShare ${group.maxShare}`);
    if (!sumsSound) continue;
    const members = [...new Set(group.channels)].flatMap((id) => channels.get(id) ?? []);
    const bases = members.reduce((s, c) => s + c.base, 0);
    const caps = members.reduce((s, c) => s + c.max, 0);
    if (bases > group.maxShare * allocatable + 1e-9) {
      issue('maxShare', `the group's bases sum to ${shown(bases)}, more than maxShare × the allocatable ${shown(allocatable)}`);
    }
    if (caps < group.minShare * allocatable - 1e-9) {
      issue('minShare', `the group's maxes sum to ${shown(caps)}, less than minShare × the allocatable ${shown(allocatable)}`);
    }
    const outside = allBases - bases;
    if (group.minShare * allocatable + outside > allocatable + 1e-9) {
      issue(
        'minShare',
        `minShare × the allocatable ${shown(allocatable)} (${shown(group.minShare * allocatable)}) and the bases of the channels outside the group (${shown(outside)}) sum to more than the allocatable`,
      );
    }
  }
  // Groups with no channel in common each need their own minimum; groups that share channels may meet theirs together.
  if (portfolio.groups.some((_, g) => failed('groups', g, 'channels') || failed('groups', g, 'minShare'))) return;
  const disjoint = portfolio.groups.every((g, i) =>
    portfolio.groups.slice(i + 1).every((h) => !h.channels.some((id) => g.channels.includes(id))),
  );
  const minimum = portfolio.groups.reduce((s, g) => s + g.minShare, 0);
  if (disjoint && minimum > 1 + 1e-9)
    ctx.addIssue({ code: 'custom', path: ['groups'], message: `minShares sum to ${shown(minimum)}, more than 1` });
};

/**
 * Money a platform can set: the daily budget and each channel's base and max in whole minor units of the
 * portfolio's currency (cents for USD, whole yen for JPY), as every plan is rounded to them. Returns the paths
 * it refused, which the checks after it leave alone.
 */
const checkMinorUnits = (portfolio: PortfolioShape, ctx: Ctx, failed: Failed): (string | number)[][] => {
  if (failed('currency')) return [];
  const refused: (string | number)[][] = [];
  const { currency } = portfolio;
  const digits = currencyDigits(currency);
  const unit = minorUnitOf(currency);
  const message =
    digits === 0
      ? `must be a whole amount: ${currency} has no minor unit`
      : `must have at most ${digits} decimals, ${currency}'s minor unit`;
  const check = (amount: number, ...path: (string | number)[]) => {
    if (failed(...path) || unit.whole(amount)) return;
    ctx.addIssue({ code: 'custom', path, message });
    refused.push(path);
  };
  check(portfolio.budget.daily, 'budget', 'daily');
  portfolio.channels.forEach((channel, c) => {
    check(channel.base, 'channels', c, 'base');
    check(channel.max, 'channels', c, 'max');
  });
  return refused;
};

/**
 * A carbon cap counts every channel: each declares its intensity (0 for one that emits none), since a channel
 * left without one would read as clean and take the money the cap holds back from the others. And the cap must
 * leave room for the bases.
 */
const checkCarbon = (portfolio: PortfolioShape, ctx: Ctx, failed: Failed, sound: readonly boolean[]): void => {
  if (!portfolio.carbon || failed('carbon')) return;
  portfolio.channels.forEach((channel, c) => {
    if (typeof channel === 'object' && channel !== null && channel.carbonPerUnit === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['channels', c, 'carbonPerUnit'],
        message: 'is required while carbon.maxDailyKg is set (0 for a channel that emits none)',
      });
    }
  });
  if (!sound.every(Boolean) || portfolio.channels.some((_, c) => failed('channels', c, 'carbonPerUnit'))) return;
  const atBases = portfolio.channels.reduce((s, c) => s + (c.carbonPerUnit ?? 0) * c.base, 0);
  if (atBases > portfolio.carbon.maxDailyKg + 1e-9) {
    ctx.addIssue({
      code: 'custom',
      path: ['carbon', 'maxDailyKg'],
      message: `the bases alone emit ${shown(atBases)} kg CO2e a day, more than maxDailyKg ${portfolio.carbon.maxDailyKg}`,
    });
  }
};

/**
 * Each item whose id an earlier item already has, at its id; the indexes of those repeats. Ids that failed
 * their own schema are left to it (two channels without an id are not "duplicates of undefined").
 */
const duplicateIds = (
  items: readonly { id: string }[],
  ctx: Ctx,
  path: (string | number)[],
  what: string,
  failed: Failed = () => false,
): Set<number> => {
  const seen = new Map<string, number>();
  const repeats = new Set<number>();
  items.forEach((item, index) => {
    if (failed(...path, index, 'id')) return;
    const first = seen.get(item.id);
    if (first === undefined) seen.set(item.id, index);
    else {
      repeats.add(index);
      ctx.addIssue({ code: 'custom', path: [...path, index, 'id'], message: `duplicate ${what} id "${item.id}" (also at index ${first})` });
    }
  });
  return repeats;
};

const checkRules = (portfolio: PortfolioShape, ctx: Ctx, failed: Failed): void => {
  if (failed('alerts', 'rules') && !Array.isArray(portfolio.alerts.rules)) return;
  const { bands, rules } = portfolio.alerts;
  if (!failed('alerts', 'bands') && bands.critical <= bands.warning) {
    // A warning left out is its default, which the operator did not write: say what it is.
    ctx.addIssue({
      code: 'custom',
      path: ['alerts', 'bands', 'critical'],
      message: `must be greater than bands.warning (${bands.warning}${bands.warning === 0.1 ? ', its default when left out' : ''})`,
    });
  }
  duplicateIds(rules, ctx, ['alerts', 'rules'], 'rule', failed);
  const channelIds = new Set(portfolio.channels.map((c) => c.id));
  const pairs = rules.reduce(
    (n, rule, r) => n + (failed('alerts', 'rules', r, 'channels') ? 0 : (rule.channels?.length ?? portfolio.channels.length)),
    0,
  );
  if (pairs > MAX_RULE_CHANNEL_PAIRS) {
    ctx.addIssue({
      code: 'custom',
      path: ['alerts', 'rules'],
      message:
        `these rules judge ${pairs} rule × channel pairs; one evaluation judges at most ${MAX_RULE_CHANNEL_PAIRS} well inside ` +
        `the alerts function's timeout: use fewer rules, or name the channels each rule watches`,
    });
  }
  rules.forEach((rule, r) => {
    const path = ['alerts', 'rules', r];
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [...path, field], message });
    // A rule's checks read its metric with its threshold, consecutive or action: each pair only when both are valid.
    const ok = (...fields: string[]) => fields.every((field) => !failed(...path, field));
    if (!ok('metric', 'threshold')) {
      // Its metric or threshold is wrong already: what they would say together is unknown.
    } else if (RATE_METRICS.has(rule.metric) && (rule.threshold < 0 || rule.threshold > 1)) {
      issue('threshold', `${rule.metric} is a fraction: threshold must be between 0 and 1`);
    } else if (rule.metric === 'pacing' && rule.threshold <= -1) {
      issue('threshold', 'pacing is actual/allocated − 1: threshold must be greater than -1');
    } else if (rule.metric !== 'pacing' && rule.threshold < 0) {
      issue('threshold', `${rule.metric} cannot be negative: threshold must be ≥ 0`);
    } else if (ok('op') && rule.metric !== 'pacing' && rule.op === '<' && rule.threshold === 0) {
      issue('threshold', `${rule.metric} is never below 0: this rule could never fire`);
    }
    if (ok('metric', 'consecutive') && rule.metric === 'hoursSinceData' && rule.consecutive !== 1) {
      issue('consecutive', 'hoursSinceData is measured now, not per window: leave consecutive at 1');
    }
    if (ok('metric', 'action') && rule.action === 'stop-loss' && !(STOP_LOSS_METRICS as readonly string[]).includes(rule.metric)) {
      issue('action', `stop-loss needs an efficiency metric (${STOP_LOSS_METRICS.join(', ')}), not ${rule.metric}`);
    } else if (ok('metric', 'op', 'action') && rule.action === 'stop-loss' && LOSING[rule.metric as StopLossMetric] !== rule.op.charAt(0)) {
      // Pointed the other way, a stop-loss would hold the best channels at their bases.
      const losing = LOSING[rule.metric as StopLossMetric];
      issue(
        'op',
        `a stop-loss holds a channel that loses money: ${rule.metric} ${losing} threshold (${losing} or ${losing}=), not ${rule.op}`,
      );
    }
    if (!ok('channels')) return;
    rule.channels?.forEach((id, c) => {
      if (!channelIds.has(id)) ctx.addIssue({ code: 'custom', path: [...path, 'channels', c], message: `unknown channel "${id}"` });
      else if (rule.channels!.indexOf(id) < c)
        ctx.addIssue({ code: 'custom', path: [...path, 'channels', c], message: `channel "${id}" is named twice` });
    });
  });
};

/**
 * The checks across a portfolio's fields, each reported once at its own path: a check reads only fields that
 * passed their own schema and that no earlier check here already found wrong (a base above its max is not
 * summed again into the bases, the groups or the carbon at the bases; a repeated channel's source ids are not
 * claimed twice), so one mistake never shows up as several.
 */
function checkPortfolio(portfolio: PortfolioShape, ctx: Ctx, schemaFailed: Failed): void {
  if (schemaFailed('channels') && !Array.isArray(portfolio.channels)) return;
  const { daily, explorationShare, reserveShare } = portfolio.budget;
  const repeated = duplicateIds(portfolio.channels, ctx, ['channels'], 'channel', schemaFailed);
  // An amount finer than the currency's minor unit is not summed again into the bases, the groups or the carbon.
  const notWhole = checkMinorUnits(portfolio, ctx, schemaFailed);
  const failed: Failed = (...path) => schemaFailed(...path) || notWhole.some((at) => path.every((key, i) => String(at[i]) === String(key)));
  portfolio.channels.forEach((channel, c) => {
    if (!failed('channels', c, 'base') && !failed('channels', c, 'max') && channel.base > channel.max) {
      ctx.addIssue({ code: 'custom', path: ['channels', c, 'base'], message: `base ${channel.base} exceeds max ${channel.max}` });
    }
  });
  const sound = soundChannels(portfolio, failed);
  const bases = portfolio.channels.reduce((sum, c) => sum + c.base, 0);
  const room = daily * (1 - explorationShare - reserveShare);
  const budgetSound = ['daily', 'explorationShare', 'reserveShare'].every((field) => !failed('budget', field));
  if (sound.every(Boolean) && budgetSound && bases > room + 1e-9) {
    ctx.addIssue({
      code: 'custom',
      path: ['channels'],
      message: `bases sum to ${shown(bases)}, more than daily × (1 − explorationShare − reserveShare) = ${shown(room)}`,
    });
  }
  checkGroups(portfolio, ctx, failed, sound);
  checkCarbon(portfolio, ctx, failed, sound);
  const owners = new Map<string, string>();
  portfolio.channels.forEach((channel, c) => {
    // A repeated channel (a copy pasted twice) would claim its own source ids again: its id is the one mistake.
    if (repeated.has(c) || failed('channels', c, 'sourceIds')) return;
    for (const [platform, ids] of Object.entries(channel.sourceIds)) {
      ids?.forEach((sourceId, i) => {
        // A platform's campaign ids are unique across its accounts: "acct/555" and "555" are one campaign.
        const key = `${platform}:${(CONNECTED_PLATFORMS as readonly string[]).includes(platform) ? campaignRef(sourceId).campaignId : sourceId}`;
        const owner = owners.get(key);
        if (owner) {
          ctx.addIssue({
            code: 'custom',
            path: ['channels', c, 'sourceIds', platform, i],
            message: `${platform} id "${sourceId}" already belongs to channel "${owner}"`,
          });
        }
        owners.set(key, channel.id);
      });
    }
  });
  checkRules(portfolio, ctx, failed);
}

/** The operator config (`config/budget.config.json`), docs/config.md. */
/** A company identity provider people may sign in through, besides the user pool's own accounts. */
export const Federation = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('saml'),
    name: z.string().check(z.regex(/^[\w.-]{1,32}$/, 'letters, digits, . _ - (at most 32)')),
    /** The provider's SAML metadata document URL. */
    metadataUrl: z.url({ protocol: /^https$/ }),
  }),
  z.strictObject({
    type: z.literal('oidc'),
    name: z.string().check(z.regex(/^[\w.-]{1,32}$/, 'letters, digits, . _ - (at most 32)')),
    issuerUrl: z.url({ protocol: /^https$/ }),
    clientId: z.string().check(z.minLength(1)),
    /** The Secrets Manager secret holding the OIDC client secret (never the secret itself in config). */
    clientSecretName: z.string().check(z.minLength(1)),
  }),
]);

/** Browser sign-in for finance and operators: the hosted sign-in's domain prefix, and optional federation. */
export const SignIn = z.strictObject({
  /** `<prefix>.auth.<region>.amazoncognito.com`; unique in the region, so one per environment. */
  domainPrefix: z.optional(
    z.string().check(
      z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens, not at either end'),
      z.refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'may not contain aws, amazon or cognito'),
    ),
  ),
  federation: z._default(z.array(Federation).check(z.maxLength(10)), []),
});

export const BudgetConfig = z
  .strictObject({
    $schema: z.optional(z.string()),
    schedules: z.strictObject({
      reallocate: z._default(ScheduleExpression, 'rate(1 hour)'),
      alerts: z._default(ScheduleExpression, 'rate(15 minutes)'),
      /** How often the pollers pull the portfolios' accounts (docs/connectors.md). */
      poll: z._default(ScheduleExpression, 'rate(1 hour)'),
      /** The IANA zone `cron()` fields are read in (EventBridge Scheduler's `ScheduleExpressionTimezone`). */
      timezone: z._default(TimeZone, 'UTC'),
    }),
    signIn: z._default(SignIn, { federation: [] }),
    portfolios: z.array(Portfolio).check(z.minLength(1)),
  })
  .check(
    z.superRefine((config, ctx) => {
      duplicateIds(config.portfolios, ctx, ['portfolios'], 'portfolio');
      config.signIn.federation.forEach((provider, i) => {
        if (config.signIn.federation.findIndex((p) => p.name === provider.name) < i) {
          ctx.addIssue({
            code: 'custom',
            path: ['signIn', 'federation', i, 'name'],
            message: `duplicate identity provider "${provider.name}"`,
          });
        }
      });
    }),
  );

export type BudgetConfig = z.infer<typeof BudgetConfig>;
export type Federation = z.infer<typeof Federation>;
export type Portfolio = z.infer<typeof Portfolio>;
export type Channel = z.infer<typeof Channel>;
export type Account = z.infer<typeof Account>;
export type ApplyMode = (typeof APPLY_MODES)[number];
export type AlertRule = z.infer<typeof AlertRule>;
export type Platform = (typeof PLATFORMS)[number];

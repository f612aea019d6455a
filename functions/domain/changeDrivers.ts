import { allocate } from './allocation/allocate.js';
import type { AllocationInput, ChannelAllocation, HistoryDay } from './allocation/schemas.js';
import type { Portfolio } from './config.js';
import { channelName, displayMoney } from './financeViews.js';
import { formatAmount, roundTo } from './money.js';
import { reserveRelease, type Snapshot } from './snapshots.js';

/**
 * Why a channel's money moved between two snapshots, cause by cause, in sentences a finance reader can
 * follow, the biggest mover first.
 *
 * With the inputs both snapshots were solved from (kept for replay), the change is attributed: starting
 * from the earlier input, the allocator is solved again with one cause swapped in at a time, in a fixed
 * order (the config, then the stop-losses, then the data with the day they are as of, then the rest: a
 * new day's change-limit reference, a released reserve), and each step's move in the
 * channel's total is that cause's amount. The amounts add up to the change. The data cause names its rows ("2026-11-21 restated:
 * Google Search conversions 96 → 101"), the config cause its settings. How the money moved follows: the
 * exploration track's share, and the change limit or a cap that stopped it.
 *
 * Without the inputs (snapshots made before they were kept, or a pair the allocator cannot re-solve), the
 * causes are read from the snapshots alone, without amounts.
 */
export type DriverKind =
  | 'config'
  | 'data'
  | 'stop-loss'
  | 'day'
  | 'reserve'
  | 'new-channel'
  | 'exploration'
  | 'change-limit'
  | 'constraint'
  | 'optimizer';

export interface Driver {
  readonly kind: DriverKind;
  /** What this driver moved in the channel's total, in currency; null when it cannot be told apart. */
  readonly amount: number | null;
  /** A cause of the change (its amounts add up to it), or how the money moved (exploration, a limit). */
  readonly role: 'cause' | 'how';
  readonly sentence: string;
}

export interface ChannelChange {
  readonly channelId: string;
  readonly change: number;
  readonly drivers: readonly Driver[];
  /** The drivers in one paragraph: "Google Search fell by 323.00 to 2,196.00: new or restated data −310.00 (…)". */
  readonly summary: string;
}

/** The inputs the two snapshots were solved from; null where one was not kept. */
export interface ComparedInputs {
  readonly from: AllocationInput | null;
  readonly to: AllocationInput | null;
}

/** Below this, in currency, a move is rounding. */
const CENT = 0.01;
/** A marginal cost moved enough to say the curve moved (not rounding). */
const NOTICEABLE = 0.05;
/** Data rows named in one sentence; the rest are counted. */
const NAMED_ROWS = 3;

const stopLossOpen = (c: ChannelAllocation | undefined) => c?.reason.startsWith('Stop-loss') ?? false;
const signed = (money: (v: number) => string, v: number) => `${v >= 0 ? '+' : '−'}${money(Math.abs(v))}`;
const percentOf = (share: number) => `${formatAmount(share * 100, 1)}%`;
const count = (v: number) => formatAmount(v, 2);

/** One stored row that differs between the two inputs' histories. */
export interface DataChange {
  readonly kind: 'new' | 'restated' | 'dropped';
  readonly channelId: string;
  readonly date: string;
  readonly before?: HistoryDay;
  readonly after?: HistoryDay;
}

const rowKey = (d: Pick<HistoryDay, 'channelId' | 'date'>) => `${d.channelId}#${d.date}`;
const sameValues = (a: HistoryDay, b: HistoryDay) =>
  a.spend === b.spend && a.conversions === b.conversions && (a.revenue ?? 0) === (b.revenue ?? 0);

/** The rows of history that are new, restated (other values for the same channel-day) or gone from the window. */
export const dataChanges = (before: readonly HistoryDay[], after: readonly HistoryDay[]): DataChange[] => {
  const was = new Map(before.map((d) => [rowKey(d), d]));
  const is = new Map(after.map((d) => [rowKey(d), d]));
  const changes: DataChange[] = [];
  for (const d of after) {
    const old = was.get(rowKey(d));
    if (!old) changes.push({ kind: 'new', channelId: d.channelId, date: d.date, after: d });
    else if (!sameValues(old, d)) changes.push({ kind: 'restated', channelId: d.channelId, date: d.date, before: old, after: d });
  }
  for (const d of before) if (!is.has(rowKey(d))) changes.push({ kind: 'dropped', channelId: d.channelId, date: d.date, before: d });
  return changes;
};

/** "2026-11-21 restated: Google Search conversions 96 → 101, spend 2,900.00 → 2,950.50". */
const restatedSentence = (c: DataChange, portfolio: Portfolio, money: (v: number) => string) => {
  const [a, b] = [c.before!, c.after!];
  const fields = [
    a.conversions !== b.conversions ? `conversions ${count(a.conversions)} → ${count(b.conversions)}` : '',
    a.spend !== b.spend ? `spend ${money(a.spend)} → ${money(b.spend)}` : '',
    (a.revenue ?? 0) !== (b.revenue ?? 0) ? `revenue ${money(a.revenue ?? 0)} → ${money(b.revenue ?? 0)}` : '',
  ].filter((f) => f !== '');
  return `${c.date} restated: ${channelName(portfolio, c.channelId)} ${fields.join(', ')}`;
};

const dateSpan = (dates: readonly string[]) => {
  const sorted = [...new Set(dates)].sort();
  return sorted.length === 1 ? sorted[0]! : `${sorted[0]} to ${sorted.at(-1)}`;
};

/** The data behind a data cause, this channel's rows first: restatements by name, new days by date. */
const dataSentence = (changes: readonly DataChange[], channelId: string, portfolio: Portfolio, money: (v: number) => string): string => {
  const restated = changes
    .filter((c) => c.kind === 'restated')
    .sort((a, b) => Number(b.channelId === channelId) - Number(a.channelId === channelId) || a.date.localeCompare(b.date));
  const parts = restated.slice(0, NAMED_ROWS).map((c) => restatedSentence(c, portfolio, money));
  if (restated.length > NAMED_ROWS) parts.push(`${restated.length - NAMED_ROWS} more rows restated`);
  const added = changes.filter((c) => c.kind === 'new');
  if (added.length > 0) {
    const days = new Set(added.map((c) => c.date)).size;
    parts.push(`new data for ${days} day${days === 1 ? '' : 's'} (${dateSpan(added.map((c) => c.date))})`);
  }
  const dropped = changes.filter((c) => c.kind === 'dropped');
  if (dropped.length > 0) parts.push(`${dateSpan(dropped.map((c) => c.date))} left the fitted window`);
  return parts.join('; ');
};

/** The settings that shape an allocation, as people name them, with their values in two configs. */
const configChanges = (a: Portfolio, b: Portfolio, channelId: string, money: (v: number) => string): string[] => {
  const changed: string[] = [];
  const compare = (label: string, x: unknown, y: unknown, show: (v: never) => string) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) changed.push(`${label} ${show(x as never)} → ${show(y as never)}`);
  };
  const orNone = (format: (v: number) => string) => (v: number | null | undefined) => (v === null || v === undefined ? 'none' : format(v));
  compare('the daily budget', a.budget.daily, b.budget.daily, money);
  compare('the reserve', a.budget.reserveShare, b.budget.reserveShare, percentOf);
  compare('the exploration share', a.budget.explorationShare, b.budget.explorationShare, percentOf);
  compare('the daily change limit', a.budget.maxDailyChange, b.budget.maxDailyChange, percentOf);
  compare('the target CPA', a.objective.targetCpa, b.objective.targetCpa, orNone(money));
  compare(
    'the minimum ROAS',
    a.objective.minRoas,
    b.objective.minRoas,
    orNone((v) => formatAmount(v, 2, 2)),
  );
  const before = new Map(a.channels.map((c) => [c.id, c]));
  // This channel's own settings first, then the others'.
  const channels = [...b.channels].sort((x, y) => Number(y.id === channelId) - Number(x.id === channelId));
  for (const c of channels) {
    const old = before.get(c.id);
    const name = c.name ?? c.id;
    if (!old) {
      changed.push(`${name} added`);
      continue;
    }
    compare(`${name}'s base`, old.base, c.base, money);
    compare(`${name}'s cap`, old.max, c.max, money);
    compare(`${name}'s exploration`, old.explore, c.explore, (v: boolean) => (v ? 'on' : 'off'));
  }
  for (const c of a.channels) if (!b.channels.some((n) => n.id === c.id)) changed.push(`${c.name ?? c.id} removed`);
  if (JSON.stringify(a.groups) !== JSON.stringify(b.groups)) changed.push('the channel groups changed');
  compare(
    'the carbon cap',
    a.carbon?.maxDailyKg,
    b.carbon?.maxDailyKg,
    orNone((v) => `${formatAmount(v, 1)} kg`),
  );
  return changed;
};

/** "restated data", "new data", or both. */
const dataLabel = (changes: readonly DataChange[]) => {
  const restated = changes.some((c) => c.kind === 'restated');
  const added = changes.some((c) => c.kind !== 'restated');
  return restated && added ? 'restated and new data' : restated ? 'restated data' : 'new data';
};

const listed = (items: readonly string[], most = NAMED_ROWS) =>
  items.length > most ? `${items.slice(0, most).join(', ')} and ${items.length - most} more` : items.join(', ');

/** A cause that one step of the re-solve isolates: what to swap into the input, and how to say it. */
interface Step {
  readonly kind: DriverKind;
  readonly apply: (input: AllocationInput) => AllocationInput;
  readonly sentence: (channelId: string) => string;
}

/** The causes between two inputs, in the order they are swapped in; the last step always lands on `to`. */
const stepsBetween = (from: AllocationInput, to: AllocationInput, portfolio: Portfolio, money: (v: number) => string): Step[] => {
  const steps: Step[] = [];
  if (JSON.stringify(from.portfolio) !== JSON.stringify(to.portfolio)) {
    steps.push({
      kind: 'config',
      apply: (input) => ({ ...input, portfolio: to.portfolio }),
      sentence: (id) => {
        const changes = configChanges(from.portfolio, to.portfolio, id, money);
        return `a config change (${changes.length > 0 ? listed(changes) : 'settings other than budgets, caps and targets'})`;
      },
    });
  }
  const [opened, closed] = [
    to.stopLoss.filter((id) => !from.stopLoss.includes(id)),
    from.stopLoss.filter((id) => !to.stopLoss.includes(id)),
  ];
  if (opened.length + closed.length > 0) {
    const names = (ids: string[]) => listed(ids.map((id) => channelName(portfolio, id)));
    steps.push({
      kind: 'stop-loss',
      apply: (input) => ({ ...input, stopLoss: to.stopLoss }),
      sentence: () =>
        [opened.length ? `a stop-loss opened on ${names(opened)}` : '', closed.length ? `the stop-loss on ${names(closed)} closing` : '']
          .filter((s) => s !== '')
          .join(' and '),
    });
  }
  const changes = dataChanges(from.history, to.history);
  if (changes.length > 0 || from.asOf !== to.asOf) {
    // The data are as of their day: the fit reads recency from it, so the day moves with them.
    steps.push({
      kind: 'data',
      apply: (input) => ({ ...input, history: to.history, asOf: to.asOf }),
      sentence: (id) =>
        changes.length === 0 ? `the data seen from ${to.asOf}` : `${dataLabel(changes)} (${dataSentence(changes, id, portfolio, money)})`,
    });
  }
  const rest = [
    JSON.stringify(from.dayStart ?? null) !== JSON.stringify(to.dayStart ?? null)
      ? `the change limit counted from the plan in force when ${to.asOf} began`
      : '',
    from.asOf === to.asOf && JSON.stringify(from.previous) !== JSON.stringify(to.previous)
      ? 'the plan in force moved on since the earlier run'
      : '',
  ].filter((s) => s !== '');
  // A release lasts its own run: the next one holds the reserve back again, and that is a cause too.
  const reserve =
    Boolean(from.releaseReserve) === Boolean(to.releaseReserve)
      ? ''
      : to.releaseReserve
        ? 'the reserve released into the plan'
        : 'the reserve held back again (the earlier run had released it)';
  if (reserve !== '') {
    steps.push({ kind: 'reserve', apply: () => to, sentence: () => [reserve, ...rest].join('; ') });
  } else {
    steps.push({ kind: 'day', apply: () => to, sentence: () => (rest.length > 0 ? rest.join('; ') : 'the plan in force and the day') });
  }
  return steps;
};

const totalsOf = (channels: readonly Pick<ChannelAllocation, 'channelId' | 'total'>[]) =>
  new Map(channels.map((c) => [c.channelId, c.total]));

/**
 * Each step's channel totals, solving the input with the causes so far swapped in; the last step is `to`
 * itself. Null when an intermediate input cannot be solved to a plan (it is held or refused), so the
 * attribution would not add up.
 */
const attribute = (from: Snapshot, to: Snapshot, steps: readonly Step[], start: AllocationInput): Map<string, number>[] | null => {
  const totals = [totalsOf(from.allocation.channels)];
  let input = start;
  for (const [i, step] of steps.entries()) {
    input = step.apply(input);
    if (i === steps.length - 1) {
      totals.push(totalsOf(to.allocation.channels));
      break;
    }
    try {
      const solved = allocate(input);
      if (solved.status !== 'optimal') return null;
      totals.push(totalsOf(solved.channels));
    } catch {
      return null;
    }
  }
  return totals;
};

/** How the money moved in `to`: the exploration track, and a limit that stopped the channel. */
const howDrivers = (
  to: Snapshot,
  after: ChannelAllocation,
  was: ChannelAllocation | undefined,
  portfolio: Portfolio,
  money: (v: number) => string,
): Driver[] => {
  const drivers: Driver[] = [];
  if (was) {
    const explored = after.exploration - was.exploration;
    if (Math.abs(explored) >= CENT) {
      drivers.push({
        kind: 'exploration',
        amount: explored,
        role: 'how',
        sentence:
          explored > 0
            ? `exploration gave it ${money(explored)} more to learn its curve`
            : `exploration moved ${money(-explored)} away to channels with more to learn`,
      });
    }
  }
  const groups = portfolio.groups.filter((g) => g.channels.includes(after.channelId)).map((g) => `group:${g.id}`);
  for (const c of to.allocation.constraints) {
    if (!c.binding) continue;
    if (c.id === `change:${after.channelId}`) {
      drivers.push({ kind: 'change-limit', amount: null, role: 'how', sentence: 'the daily change limit stopped it moving further' });
    } else if (c.id === `max:${after.channelId}`) {
      drivers.push({ kind: 'constraint', amount: null, role: 'how', sentence: `it sits at its cap of ${money(after.total)}` });
    } else if (groups.includes(c.id)) {
      drivers.push({ kind: 'constraint', amount: null, role: 'how', sentence: `its group's limit binds (${c.id.slice(6)})` });
    } else if (c.id === 'carbon') {
      drivers.push({ kind: 'constraint', amount: null, role: 'how', sentence: 'the carbon cap binds' });
    }
  }
  // The allocator says so in the reason when the limit, not a constraint row, held the channel.
  if (!drivers.some((d) => d.kind === 'change-limit') && /daily change limit/.test(after.reason)) {
    drivers.push({ kind: 'change-limit', amount: null, role: 'how', sentence: 'the daily change limit stopped it moving further' });
  }
  return drivers;
};

/** Causes read from the snapshots alone, without amounts: for snapshots whose inputs were not kept. */
const causesFromSnapshots = (
  from: Snapshot,
  to: Snapshot,
  after: ChannelAllocation,
  was: ChannelAllocation | undefined,
  money: (v: number) => string,
): Driver[] => {
  const causes: Driver[] = [];
  const change = roundTo(after.total - (was?.total ?? 0), 6); // money to the micro, as the finance diff reads it
  if (was && stopLossOpen(after) !== stopLossOpen(was)) {
    causes.push({
      kind: 'stop-loss',
      amount: null,
      role: 'cause',
      sentence: stopLossOpen(after) ? 'a stop-loss alert opened, holding it at its base' : 'its stop-loss alert closed',
    });
  }
  if (from.configHash !== to.configHash) {
    const baseMoved = was && was.base !== after.base;
    causes.push({
      kind: 'config',
      amount: null,
      role: 'cause',
      sentence: baseMoved
        ? `the operators changed its base from ${money(was.base)} to ${money(after.base)}`
        : `the operator config changed (${from.configHash.slice(0, 8)} → ${to.configHash.slice(0, 8)})`,
    });
  }
  const [fromRelease, toRelease] = [reserveRelease(from), reserveRelease(to)];
  if (toRelease) {
    causes.push({
      kind: 'reserve',
      amount: null,
      role: 'cause',
      sentence: `the reserve was released into the plan ("${toRelease.reason}")`,
    });
  } else if (fromRelease) {
    causes.push({
      kind: 'reserve',
      amount: null,
      role: 'cause',
      sentence: `the reserve was held back again, where the earlier plan had released it ("${fromRelease.reason}")`,
    });
  }
  const newData = from.watermark !== to.watermark || from.inputHash !== to.inputHash;
  if (
    was &&
    newData &&
    was.marginalCpa !== null &&
    after.marginalCpa !== null &&
    Math.abs(after.marginalCpa - was.marginalCpa) / was.marginalCpa >= NOTICEABLE
  ) {
    causes.push({
      kind: 'data',
      amount: null,
      role: 'cause',
      sentence: `new data moved its curve: the next conversion costs ${money(after.marginalCpa)} (was ${money(was.marginalCpa)})`,
    });
  } else if (was && newData && Math.abs(change) >= CENT) {
    causes.push({ kind: 'data', amount: null, role: 'cause', sentence: `new data arrived (up to ${to.watermark ?? 'none'})` });
  }
  if (was) {
    const performance = after.performance - was.performance;
    if (Math.abs(performance) >= CENT) {
      causes.push({
        kind: 'optimizer',
        amount: performance,
        role: 'how',
        sentence:
          performance > 0
            ? `the optimizer moved ${money(performance)} of performance budget here, where the next unit returns more`
            : `the optimizer moved ${money(-performance)} of performance budget away, to where the next unit returns more`,
      });
    }
  }
  return causes;
};

/**
 * The drivers of each channel's change from `from` to `to`, biggest mover first (ties in `to`'s order). With
 * both inputs, causes carry amounts that add up to the change (see the module's comment).
 */
export const whyItChanged = (
  from: Snapshot,
  to: Snapshot,
  portfolio: Portfolio,
  inputs: ComparedInputs = { from: null, to: null },
): ChannelChange[] => {
  const money = displayMoney(portfolio.currency);
  const before = new Map(from.allocation.channels.map((c) => [c.channelId, c]));
  const steps = inputs.from && inputs.to ? stepsBetween(inputs.from, inputs.to, portfolio, money) : [];
  const totals = inputs.from && steps.length > 0 ? attribute(from, to, steps, inputs.from) : null;
  const changes = to.allocation.channels.map((after, order) => {
    const was = before.get(after.channelId);
    const change = roundTo(after.total - (was?.total ?? 0), 6); // money to the micro, as the finance diff reads it
    const causes: Driver[] = [];
    if (!was) causes.push({ kind: 'new-channel', amount: after.total, role: 'cause', sentence: 'its first plan' });
    else if (totals) {
      for (const [i, step] of steps.entries()) {
        const amount = (totals[i + 1]!.get(after.channelId) ?? 0) - (totals[i]!.get(after.channelId) ?? 0);
        if (Math.abs(amount) >= CENT) causes.push({ kind: step.kind, amount, role: 'cause', sentence: step.sentence(after.channelId) });
      }
      causes.sort((a, b) => Math.abs(b.amount!) - Math.abs(a.amount!));
    }
    const drivers = [
      ...(totals || !was ? causes : causesFromSnapshots(from, to, after, was, money)),
      ...howDrivers(to, after, was, portfolio, money),
    ];
    const name = channelName(portfolio, after.channelId);
    const headline =
      Math.abs(change) < CENT
        ? `${name} is unchanged at ${money(after.total)}`
        : `${name} ${change > 0 ? 'rose' : 'fell'} by ${money(Math.abs(change))} to ${money(after.total)}`;
    const phrase = (d: Driver) => (d.role === 'cause' && d.amount !== null ? `${signed(money, d.amount)} from ${d.sentence}` : d.sentence);
    const because = drivers.length > 0 ? `: ${drivers.map(phrase).join('; ')}` : '';
    return { order, change: { channelId: after.channelId, change, drivers, summary: `${headline}${because}.` } };
  });
  return changes.sort((a, b) => Math.abs(b.change.change) - Math.abs(a.change.change) || a.order - b.order).map((c) => c.change);
};

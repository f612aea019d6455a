import type { ChannelAllocation } from './allocation/schemas.js';
import type { Portfolio } from './config.js';
import { displayMoney } from './financeViews.js';
import type { Snapshot } from './snapshots.js';

/**
 * Why a channel's money moved between two snapshots, driver by driver, with amounts where they can be
 * computed, in sentences a finance reader can follow. Read from the snapshots alone (and the portfolio's
 * groups), so any two snapshots can be compared after the fact.
 */
export type DriverKind = 'config' | 'data' | 'constraint' | 'exploration' | 'optimizer' | 'stop-loss' | 'reserve' | 'new-channel';

export interface Driver {
  readonly kind: DriverKind;
  /** The amount this driver moved, in currency, when it can be told apart. */
  readonly amount: number | null;
  readonly sentence: string;
}

export interface ChannelChange {
  readonly channelId: string;
  readonly change: number;
  readonly drivers: readonly Driver[];
  /** The drivers in one paragraph: "Search fell by $323.00: …". */
  readonly summary: string;
}

/** A marginal cost moved enough to say the curve moved (not rounding). */
const NOTICEABLE = 0.05;

const stopLossOpen = (c: ChannelAllocation | undefined) => c?.reason.startsWith('Stop-loss') ?? false;

const constraintDrivers = (to: Snapshot, channel: ChannelAllocation, portfolio: Portfolio, money: (v: number) => string): Driver[] => {
  const groups = portfolio.groups.filter((g) => g.channels.includes(channel.channelId)).map((g) => `group:${g.id}`);
  return to.allocation.constraints
    .filter((c) => c.binding && (c.id.endsWith(`:${channel.channelId}`) || groups.includes(c.id) || c.id === 'carbon'))
    .map((c) => {
      const kind = c.id.split(':')[0];
      const sentence =
        kind === 'max'
          ? `it sits at its cap of ${money(channel.total)}`
          : kind === 'change'
            ? 'the daily change limit stopped it moving further'
            : kind === 'group'
              ? `its group's limit binds (${c.id.slice(6)})`
              : 'the carbon cap binds';
      return { kind: 'constraint' as const, amount: null, sentence };
    });
};

/** The drivers of each channel's change from `from` to `to`, channels of `to` in its order. */
export const whyItChanged = (from: Snapshot, to: Snapshot, portfolio: Portfolio): ChannelChange[] => {
  const money = displayMoney(portfolio.currency);
  const before = new Map(from.allocation.channels.map((c) => [c.channelId, c]));
  const configChanged = from.configHash !== to.configHash;
  const newData = from.watermark !== to.watermark || from.inputHash !== to.inputHash;
  const released =
    to.trigger.kind === 'on-demand' && to.trigger.releaseReserve !== undefined ? to.trigger.releaseReserve.reason : undefined;
  return to.allocation.channels.map((after) => {
    const was = before.get(after.channelId);
    const change = after.total - (was?.total ?? 0);
    const drivers: Driver[] = [];
    if (!was) drivers.push({ kind: 'new-channel', amount: after.total, sentence: 'it is new in the plan' });
    if (was && stopLossOpen(after) !== stopLossOpen(was)) {
      drivers.push({
        kind: 'stop-loss',
        amount: change,
        sentence: stopLossOpen(after) ? 'a stop-loss alert opened, holding it at its base' : 'its stop-loss alert resolved',
      });
    }
    if (configChanged) {
      const baseMoved = was && was.base !== after.base;
      drivers.push({
        kind: 'config',
        amount: baseMoved ? after.base - was.base : null,
        sentence: baseMoved
          ? `the operators changed its base from ${money(was.base)} to ${money(after.base)}`
          : `the operator config changed (${from.configHash.slice(0, 8)} → ${to.configHash.slice(0, 8)})`,
      });
    }
    if (released) drivers.push({ kind: 'reserve', amount: null, sentence: `the reserve was released into the plan ("${released}")` });
    if (was) {
      // A track that moved: its amount, and the sentence for money coming here or going away.
      const track = (kind: 'exploration' | 'optimizer', amount: number, here: (m: string) => string, away: (m: string) => string) => {
        if (Math.abs(amount) >= 0.01) drivers.push({ kind, amount, sentence: amount > 0 ? here(money(amount)) : away(money(-amount)) });
      };
      track(
        'exploration',
        after.exploration - was.exploration,
        (m) => `exploration moved ${m} here to learn more about it`,
        (m) => `exploration moved ${m} away to channels with more to learn`,
      );
      track(
        'optimizer',
        after.performance - was.performance,
        (m) => `the optimizer moved ${m} of performance budget here, where the next unit returns more`,
        (m) => `the optimizer moved ${m} of performance budget away, to where the next unit returns more`,
      );
      if (newData && was.marginalCpa !== null && after.marginalCpa !== null) {
        const moved = Math.abs(after.marginalCpa - was.marginalCpa) / was.marginalCpa;
        if (moved >= NOTICEABLE) {
          drivers.push({
            kind: 'data',
            amount: null,
            sentence: `new data moved its curve: the next conversion costs ${money(after.marginalCpa)} (was ${money(was.marginalCpa)})`,
          });
        }
      } else if (newData && Math.abs(change) >= 0.01) {
        drivers.push({ kind: 'data', amount: null, sentence: 'new data arrived for the portfolio' });
      }
    }
    drivers.push(...constraintDrivers(to, after, portfolio, money));
    const name = portfolio.channels.find((c) => c.id === after.channelId)?.name ?? after.channelId;
    const headline =
      Math.abs(change) < 0.01
        ? `${name} is unchanged at ${money(after.total)}`
        : `${name} ${change > 0 ? 'rose' : 'fell'} by ${money(Math.abs(change))} to ${money(after.total)}`;
    const because = drivers.length > 0 ? `: ${drivers.map((d) => d.sentence).join('; ')}` : '';
    return { channelId: after.channelId, change, drivers, summary: `${headline}${because}.` };
  });
};

import { awsCronExpressionValidator } from 'aws-cron-expression-validator';
import awsCronParser from 'aws-cron-parser';
import ms from 'ms';

/**
 * A parsed EventBridge Scheduler expression. `rate()` bodies are read by `ms`, `cron()` bodies are
 * validated by `aws-cron-expression-validator` and stepped by `aws-cron-parser`, so the local runtime
 * fires on the same instants the cloud schedule would.
 */
export type Schedule =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly cron: ReturnType<typeof awsCronParser.parse> };

/** The units EventBridge Scheduler accepts in `rate(value unit)`. */
const RATE_UNITS = new Set(['minute', 'minutes', 'hour', 'hours', 'day', 'days']);

const inside = (expression: string, name: 'rate' | 'cron'): string | undefined =>
  expression.startsWith(`${name}(`) && expression.endsWith(')') ? expression.slice(name.length + 1, -1).trim() : undefined;

/** Parses `rate(…)` or `cron(…)`; throws an Error whose message says what is wrong. */
export const parseSchedule = (expression: string): Schedule => {
  const rate = inside(expression, 'rate');
  if (rate !== undefined) {
    const [value, unit, ...rest] = rate.split(' ').filter(Boolean);
    const everyMs = ms(rate as ms.StringValue);
    if (rest.length > 0 || !unit || !RATE_UNITS.has(unit) || !Number.isInteger(Number(value)) || !everyMs || everyMs <= 0) {
      throw new Error(`"${expression}" is not a rate: use rate(<positive integer> minute(s)|hour(s)|day(s))`);
    }
    return { kind: 'rate', everyMs };
  }
  const cron = inside(expression, 'cron');
  if (cron !== undefined) {
    try {
      awsCronExpressionValidator(cron);
    } catch (error) {
      throw new Error(`"${expression}" is not a valid cron: ${(error as Error).message}`);
    }
    return { kind: 'cron', cron: awsCronParser.parse(cron) };
  }
  throw new Error(`"${expression}" must be rate(…) or cron(…)`);
};

/** The first instant strictly after `from` at which the schedule fires (UTC, as the Scheduler does by default). */
export const nextFiring = (schedule: Schedule, from: Date): Date | null => {
  if (schedule.kind === 'rate') {
    return new Date((Math.floor(from.getTime() / schedule.everyMs) + 1) * schedule.everyMs);
  }
  return awsCronParser.next(schedule.cron, new Date(from.getTime() + 1000));
};

/**
 * The schedule window an instant belongs to: the start of the firing period containing it. Deliveries of the
 * same window (at-least-once) share it, which makes it half of a scheduled run's idempotency key.
 */
export const windowStart = (schedule: Schedule, at: Date): Date => {
  if (schedule.kind === 'rate') {
    return new Date(Math.floor(at.getTime() / schedule.everyMs) * schedule.everyMs);
  }
  return awsCronParser.prev(schedule.cron, new Date(at.getTime() + 1000)) ?? at;
};

import type { BudgetConfig } from './config.js';
import { parseSchedule } from './schedule.js';
import { windowStart } from './scheduleTimes.js';
import * as z from './schema.js';

/** The scheduled jobs; each has a schedule in config (`schedules.<job>`), a queue and a worker. */
export const JOBS = ['reallocate', 'alerts', 'poll'] as const;
export const Job = z.enum(JOBS);
export type Job = z.infer<typeof Job>;

/** The environment variable that gives a job's queue URL to the functions that send to it. */
export const queueUrlVariable = (job: Job): string => `${job.toUpperCase()}_QUEUE_URL`;

/** What EventBridge Scheduler sends the fan-out function (the schedule target's input). */
export const ScheduledInvocation = z.strictObject({
  job: Job,
  /** `<aws.scheduler.scheduled-time>`: the instant the schedule fired for, the same on every retry. */
  scheduledTime: z.iso.datetime(),
});

/** One portfolio's share of a scheduled run, one SQS message. */
export const PortfolioJob = z.strictObject({
  job: Job,
  portfolioId: z.string().check(z.minLength(1)),
  /** The schedule window the run belongs to: with the portfolio, the run's idempotency key. */
  window: z.iso.datetime(),
});

export type ScheduledInvocation = z.infer<typeof ScheduledInvocation>;
export type PortfolioJob = z.infer<typeof PortfolioJob>;

/** One message per portfolio for a firing of a job's schedule. */
export const fanOut = (config: BudgetConfig, { job, scheduledTime }: ScheduledInvocation): PortfolioJob[] => {
  const window = windowStart(parseSchedule(config.schedules[job]), new Date(scheduledTime), config.schedules.timezone).toISOString();
  // Only portfolios with ad platform accounts have anything to pull.
  const portfolios = job === 'poll' ? config.portfolios.filter((p) => p.accounts.length > 0) : config.portfolios;
  return portfolios.map((p) => ({ job, portfolioId: p.id, window }));
};

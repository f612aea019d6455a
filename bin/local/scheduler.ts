import type { BudgetConfig } from '../../functions/domain/config.js';
import { JOBS, type Job, type ScheduledInvocation } from '../../functions/domain/jobs.js';
import { parseSchedule } from '../../functions/domain/schedule.js';
import { nextFiring } from '../../functions/domain/scheduleTimes.js';

/** Fires a job as EventBridge Scheduler would: the schedule target's input for that instant. */
export type Fire = (invocation: ScheduledInvocation) => Promise<void>;

/**
 * Runs every job's schedule from config in-process, on the instants the cloud schedule fires (the same
 * `rate()`/`cron()` parsing as config validation). Returns a function that stops them.
 */
export const startLocalSchedules = (schedules: BudgetConfig['schedules'], fire: Fire, now: () => Date = () => new Date()): (() => void) => {
  const timers = new Map<Job, NodeJS.Timeout>();
  const arm = (job: Job) => {
    const at = nextFiring(parseSchedule(schedules[job]), now(), schedules.timezone);
    if (at === null) return;
    // setTimeout holds at most ~24.8 days; a later firing re-arms when the shorter wait ends.
    const wait = Math.min(at.getTime() - now().getTime(), 2 ** 31 - 1);
    const timer = setTimeout(
      () => {
        if (now() >= at) {
          fire({ job, scheduledTime: at.toISOString() }).catch((error: unknown) => console.error(`scheduled ${job} failed:`, error));
        }
        arm(job);
      },
      Math.max(0, wait),
    );
    timer.unref();
    timers.set(job, timer);
  };
  for (const job of JOBS) arm(job);
  return () => {
    for (const timer of timers.values()) clearTimeout(timer);
  };
};

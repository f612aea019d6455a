import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { LoadedConfig } from '../adapters/configFile.js';
import { logger, tracer } from '../adapters/observability.js';
import type { WorkQueue } from '../application/ports.js';
import { fanOut, type Job, ScheduledInvocation } from '../domain/jobs.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedWorkQueues } from '../wiring/workQueues.js';

export interface ScheduleDependencies {
  readonly config: LoadedConfig;
  readonly queues: Readonly<Record<Job, WorkQueue>>;
}

/**
 * EventBridge Scheduler's target: one message per portfolio on the job's queue, so thousands of portfolios
 * run in parallel and one failing portfolio retries alone. A bad invocation throws: the Scheduler retries it
 * and then sends it to the schedule's dead-letter queue.
 */
export const createScheduleHandler = ({ config, queues }: ScheduleDependencies) =>
  middy<unknown, { job: Job; window: string; portfolios: number }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .handler(async (event) => {
      const invocation = ScheduledInvocation.parse(event);
      const messages = fanOut(config, invocation);
      await queues[invocation.job].send(messages);
      const window = messages[0]?.window ?? invocation.scheduledTime;
      logger.info('fanned out', { job: invocation.job, window, portfolios: messages.length });
      return { job: invocation.job, window, portfolios: messages.length };
    });

export const handler = createScheduleHandler({
  config: deployedConfig,
  queues: deployedWorkQueues(),
});

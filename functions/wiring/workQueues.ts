import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../adapters/awsClients.js';
import { tracer } from '../adapters/observability.js';
import { LocalWorkQueue, localQueues, SqsWorkQueue } from '../adapters/workQueue.js';
import type { WorkQueue } from '../application/ports.js';
import { JOBS, type Job, queueUrlVariable } from '../domain/jobs.js';
import { isLocalRuntime, optional } from './environment.js';

/** The queue for a job: SQS from `<JOB>_QUEUE_URL`, or the local queue in the local runtime. */
export const workQueue = (job: Job): WorkQueue => {
  const variable = queueUrlVariable(job);
  const url = optional(variable);
  if (url) return new SqsWorkQueue(tracer.captureAWSv3Client(new SQSClient(awsClientConfig())), url);
  if (!isLocalRuntime()) throw new Error(`${variable} is not set`);
  const queue = localQueues.get(job) ?? new LocalWorkQueue(job);
  localQueues.set(job, queue);
  return queue;
};

/** Every job's queue, for the fan-out. */
export const deployedWorkQueues = (): Readonly<Record<Job, WorkQueue>> =>
  Object.fromEntries(JOBS.map((job) => [job, workQueue(job)])) as Record<Job, WorkQueue>;

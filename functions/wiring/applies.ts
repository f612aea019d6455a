import { setTimeout as sleep } from 'node:timers/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import { APPLIES_TABLE } from '../../lib/tables.js';
import { AppliesRepository } from '../adapters/appliesRepository.js';
import { awsClientConfig } from '../adapters/awsClients.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { tracer } from '../adapters/observability.js';
import { LocalWorkQueue, localQueues, SqsWorkQueue } from '../adapters/workQueue.js';
import { Actuator, APPLY_LEASE_MS } from '../application/applyAllocation.js';
import type { BudgetPlatform } from '../application/applyPorts.js';
import type { EventPublisher, WorkQueue } from '../application/ports.js';
import { parseSchedule } from '../domain/schedule.js';
import { deployedConfig } from './config.js';
import { allocationsRepository, dynamoClient } from './dynamo.js';
import { tableName } from './dynamoConnection.js';
import { isLocalRuntime, optional } from './environment.js';

/**
 * What the apply worker and the approvals route share: the apply queue, the Applies table, the schedule's
 * period. Apart from actuator.ts so the approvals route (and the dashboard) bundle no platform client and no
 * EventBridge SDK.
 */

/** The environment variable naming the apply queue (the EventBridge rule's target, and approvals'). */
export const APPLY_QUEUE_URL = 'APPLY_QUEUE_URL';
/** The local runtime's name for the apply queue. */
export const LOCAL_APPLY_QUEUE = 'apply';

/** The apply queue: SQS from `APPLY_QUEUE_URL`, or the local queue in the local runtime. */
export const applyQueue = (): WorkQueue => {
  const url = optional(APPLY_QUEUE_URL);
  if (url) return new SqsWorkQueue(tracer.captureAWSv3Client(new SQSClient(awsClientConfig())), url);
  if (!isLocalRuntime()) throw new Error(`${APPLY_QUEUE_URL} is not set`);
  // A retry waits out half a lease, so a lease left by a runtime that died mid-apply runs out before the
  // last of the message's three tries.
  const queue = localQueues.get(LOCAL_APPLY_QUEUE) ?? new LocalWorkQueue(LOCAL_APPLY_QUEUE, APPLY_LEASE_MS / 2);
  localQueues.set(LOCAL_APPLY_QUEUE, queue);
  return queue;
};

/**
 * The reallocation schedule's period: a rate's own interval. A cron schedule counts as a day, its longest
 * usual spacing: stepping a cron expression needs croner (32 KB and its load time in both apply functions),
 * and a plan older than a day is refused either way.
 */
export const reallocationPeriodMs = (expression = deployedConfig.schedules.reallocate): number => {
  const schedule = parseSchedule(expression);
  return schedule.kind === 'rate' ? schedule.everyMs : 24 * 3_600_000;
};

/** The Applies table on the table the environment names. */
export const appliesRepository = (client = createDocumentClient(dynamoClient())) => new AppliesRepository(client, tableName(APPLIES_TABLE));

/** For the approvals route, which records and queues an approval and never calls a platform itself. */
const NO_PLATFORM: BudgetPlatform = {
  read: () => Promise.reject(new Error('the approvals function calls no platform; the apply worker does')),
  write: () => Promise.reject(new Error('the approvals function calls no platform; the apply worker does')),
};

const NO_EVENTS: EventPublisher = {
  publish: () => Promise.reject(new Error('the approvals function publishes nothing; the apply worker does')),
};

/** The actuator of the approvals route: it records and queues approvals; the worker applies them. */
export const deployedApprovals = (): Actuator => {
  const client = createDocumentClient(dynamoClient());
  return new Actuator({
    snapshots: allocationsRepository(client),
    applies: appliesRepository(client),
    platforms: { 'google-ads': NO_PLATFORM, meta: NO_PLATFORM, tiktok: NO_PLATFORM },
    events: NO_EVENTS,
    queue: applyQueue(),
    clock: () => new Date(),
    periodMs: reallocationPeriodMs(),
    configHash: deployedConfig.hash,
    sleep,
  });
};

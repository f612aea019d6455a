import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { logger, metrics, tracer } from '../adapters/observability.js';
import type { Actuator, ApplyMessage } from '../application/applyAllocation.js';
import * as z from '../domain/schema.js';
import { deployedActuator } from '../wiring/actuator.js';
import { deployedConfig } from '../wiring/config.js';

export interface ApplyWorkerDependencies {
  readonly config: LoadedConfig;
  readonly actuator: Pick<Actuator, 'published' | 'approved'>;
}

/** What arrives on the apply queue: the EventBridge rule's `AllocationPublished` event, or an approval. */
const QueueMessage = z.union([
  z.object({
    'detail-type': z.literal('AllocationPublished'),
    detail: z.object({ portfolioId: z.string(), snapshotId: z.string() }),
  }),
  z.strictObject({ kind: z.literal('approved'), portfolioId: z.string(), applyId: z.string() }),
]);

const messageOf = (record: SQSRecord): ApplyMessage => {
  const message = QueueMessage.parse(JSON.parse(record.body));
  return 'kind' in message ? message : { kind: 'published', ...message.detail };
};

/**
 * The apply queue's consumer: per message, the actuator records a dry run or a pending approval, or applies
 * the plan (auto, or approved). Each message succeeds or fails alone; a failing one is retried, then
 * dead-lettered, and a retry never writes a budget twice (the claims in the Applies table).
 */
export const createApplyWorkerHandler = ({ config, actuator }: ApplyWorkerDependencies) => {
  const processor = new BatchProcessor(EventType.SQS);
  const runOne = async (record: SQSRecord) => {
    const message = messageOf(record);
    const portfolio = config.portfolios.find((p) => p.id === message.portfolioId);
    if (!portfolio) {
      logger.warn('apply message for a portfolio not in the deployed config', { portfolioId: message.portfolioId });
      return;
    }
    const outcome =
      message.kind === 'published'
        ? await actuator.published(portfolio, message.snapshotId)
        : await actuator.approved(portfolio, message.applyId);
    metrics.addMetric('ApplyMessages', MetricUnit.Count, 1);
    if (outcome?.status === 'applied') metrics.addMetric('AppliesSucceeded', MetricUnit.Count, 1);
    if (outcome?.status === 'failed' || outcome?.status === 'partial') metrics.addMetric('AppliesFailed', MetricUnit.Count, 1);
    logger.info('apply message handled', {
      portfolioId: portfolio.id,
      kind: message.kind,
      mode: portfolio.apply.mode,
      snapshotId: outcome?.snapshotId ?? null,
      status: outcome?.status ?? 'off',
      reason: outcome?.reason ?? null,
    });
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler((event, context) => processPartialResponse(event, runOne, processor, { context, throwOnFullBatchFailure: false }));
};

export const handler = createApplyWorkerHandler({ config: deployedConfig, actuator: deployedActuator() });

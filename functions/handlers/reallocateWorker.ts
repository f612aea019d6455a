import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { deployedConfig } from '../adapters/deployedConfig.js';
import { logger } from '../adapters/observability.js';
import type { ReallocationRunner } from '../adapters/reallocator.js';
import { deployedReallocator } from '../adapters/wiring.js';
import { PortfolioJob } from '../domain/jobs.js';

export interface WorkerDependencies {
  readonly config: LoadedConfig;
  readonly reallocator: ReallocationRunner;
}

/**
 * The reallocate queue's consumer: one scheduled run per message. Each message succeeds or fails alone
 * (Powertools partial batch response), so one bad portfolio is retried and then dead-lettered without
 * holding back the rest of its batch.
 */
export const createWorkerHandler = ({ config, reallocator }: WorkerDependencies) => {
  const processor = new BatchProcessor(EventType.SQS);
  const runOne = async (record: SQSRecord) => {
    const job = PortfolioJob.parse(JSON.parse(record.body));
    const portfolio = config.config.portfolios.find((p) => p.id === job.portfolioId);
    if (!portfolio) throw new Error(`no portfolio "${job.portfolioId}" in the deployed config`);
    const { snapshot, created } = await reallocator.run(portfolio, { kind: 'schedule', window: job.window });
    logger.info(created ? 'reallocated on schedule' : 'schedule window already done', { portfolioId: portfolio.id, window: job.window, snapshotId: snapshot.snapshotId });
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) => processPartialResponse(event, runOne, processor, { context, throwOnFullBatchFailure: false }));
};

export const handler = createWorkerHandler({ config: deployedConfig, reallocator: deployedReallocator() });

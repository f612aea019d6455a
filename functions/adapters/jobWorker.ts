import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Portfolio } from '../domain/config.js';
import { type Job, PortfolioJob } from '../domain/jobs.js';
import type { LoadedConfig } from './configFile.js';
import { logger, metrics, tracer } from './observability.js';

/**
 * A job queue's consumer: one portfolio per message. Each message succeeds or fails alone (Powertools
 * partial batch response), so a bad portfolio is retried and then dead-lettered without holding back the
 * rest of its batch.
 */
export const portfolioJobWorker = (config: LoadedConfig, job: Job, run: (portfolio: Portfolio, message: PortfolioJob) => Promise<void>) => {
  const processor = new BatchProcessor(EventType.SQS);
  const runOne = async (record: SQSRecord) => {
    const message = PortfolioJob.parse(JSON.parse(record.body));
    if (message.job !== job) throw new Error(`a ${message.job} message on the ${job} queue`);
    const portfolio = config.portfolios.find((p) => p.id === message.portfolioId);
    if (!portfolio) throw new Error(`no portfolio "${message.portfolioId}" in the deployed config`);
    await run(portfolio, message);
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler((event, context) => processPartialResponse(event, runOne, processor, { context, throwOnFullBatchFailure: false }));
};

import { deployedConfig } from '../adapters/deployedConfig.js';
import { portfolioJobWorker } from '../adapters/jobWorker.js';
import { logger } from '../adapters/observability.js';
import { deployedAlertEvaluator } from '../adapters/deployedAlertEvaluator.js';

const evaluator = deployedAlertEvaluator();

/** The alerts queue's consumer: evaluates one portfolio's rules per message (re-evaluating is harmless). */
export const handler = portfolioJobWorker(deployedConfig, 'alerts', async (portfolio) => {
  const { opened, escalated, resolved } = await evaluator.evaluate(portfolio);
  logger.info('alerts evaluated', { portfolioId: portfolio.id, opened: opened.length, escalated: escalated.length, resolved: resolved.length });
});

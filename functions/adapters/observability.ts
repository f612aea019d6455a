import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = 'budget-optimizer';

/** The one logger: JSON lines with the request's correlation id. Secrets and bodies are never logged. */
export const logger = new Logger({ serviceName });

/** CloudWatch metrics in Embedded Metric Format, flushed after each invocation. */
export const metrics = new Metrics({ serviceName, namespace: 'BudgetOptimizer' });

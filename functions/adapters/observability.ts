import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Snapshot } from '../domain/snapshots.js';

const serviceName = 'budget-optimizer';

/** The one logger: JSON lines with the request's correlation id. Secrets and bodies are never logged. */
export const logger = new Logger({ serviceName });

/** CloudWatch metrics in Embedded Metric Format, flushed after each invocation. */
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'BudgetOptimizer' });

/** Counts a held allocation: the `AllocationsHeld` alarm watches this metric. */
export const recordSnapshot = (snapshot: Snapshot): void => {
  metrics.addMetric(snapshot.allocation.status === 'held' ? 'AllocationsHeld' : 'AllocationsPublished', MetricUnit.Count, 1);
};

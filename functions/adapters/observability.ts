import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EvaluationResult } from '../application/evaluateAlerts.js';
import type { Snapshot } from '../domain/snapshots.js';

const serviceName = 'budget-optimizer';

/** The one logger: JSON lines with the request's correlation id. Secrets and bodies are never logged. */
export const logger = new Logger({ serviceName });

/**
 * CloudWatch metrics in Embedded Metric Format, flushed after each invocation; its own warnings go through
 * the logger. The namespace comes from `POWERTOOLS_METRICS_NAMESPACE`, which the stack sets.
 */
export const metrics = new Metrics({ serviceName, logger });

/** Counts a held allocation: the `AllocationsHeld` alarm watches this metric. */
export const recordSnapshot = (snapshot: Snapshot): void => {
  metrics.addMetric(snapshot.allocation.status === 'held' ? 'AllocationsHeld' : 'AllocationsPublished', MetricUnit.Count, 1);
};

/** Counts what an alert evaluation changed, so operators can graph and alarm on alerts opened. */
export const recordAlertTransitions = ({ opened, escalated, resolved }: EvaluationResult): void => {
  metrics.addMetric('AlertsOpened', MetricUnit.Count, opened.length);
  metrics.addMetric('AlertsEscalated', MetricUnit.Count, escalated.length);
  metrics.addMetric('AlertsResolved', MetricUnit.Count, resolved.length);
};

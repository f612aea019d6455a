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

/**
 * Counts a published or held allocation: service-wide (the `AllocationsHeld` alarm), and per portfolio in a
 * metric of its own, which a portfolio's silence alarm watches (no publication within two schedule periods).
 */
export const recordSnapshot = (snapshot: Snapshot): void => {
  const name = snapshot.allocation.status === 'held' ? 'AllocationsHeld' : 'AllocationsPublished';
  metrics.addMetric(name, MetricUnit.Count, 1);
  const perPortfolio = metrics.singleMetric();
  perPortfolio.addDimension('portfolioId', snapshot.portfolioId);
  perPortfolio.addMetric(name, MetricUnit.Count, 1);
};

/** Counts what an alert evaluation changed, so operators can graph and alarm on alerts opened. */
export const recordAlertTransitions = ({ opened, escalated, resolved }: EvaluationResult): void => {
  metrics.addMetric('AlertsOpened', MetricUnit.Count, opened.length);
  metrics.addMetric('AlertsEscalated', MetricUnit.Count, escalated.length);
  metrics.addMetric('AlertsResolved', MetricUnit.Count, resolved.length);
};

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
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
 * X-Ray traces of every invocation, with each AWS SDK call as a subsegment (the clients are captured where
 * they are built). Outside Lambda it does nothing. Annotations make traces searchable by portfolio and snapshot.
 */
export const tracer = new Tracer({ serviceName });

/** Marks the current trace with the portfolio (and snapshot) it worked on. */
export const annotate = (portfolioId: string, snapshotId?: string): void => {
  tracer.putAnnotation('portfolioId', portfolioId);
  if (snapshotId) tracer.putAnnotation('snapshotId', snapshotId);
};

/**
 * Counts a published or held allocation: service-wide (the `AllocationsHeld` alarm), and per portfolio in a
 * metric of its own, which a portfolio's silence alarm watches (no publication within two schedule periods).
 */
export const recordSnapshot = (snapshot: Snapshot): void => {
  annotate(snapshot.portfolioId, snapshot.snapshotId);
  const name = snapshot.allocation.status === 'held' ? 'AllocationsHeld' : 'AllocationsPublished';
  metrics.addMetric(name, MetricUnit.Count, 1);
  const perPortfolio = metrics.singleMetric();
  perPortfolio.addDimension('portfolioId', snapshot.portfolioId);
  perPortfolio.addMetric(name, MetricUnit.Count, 1);
};

/** Counts what an alert evaluation changed, so operators can graph and alarm on alerts opened. */
export const recordAlertTransitions = (portfolioId: string, { opened, escalated, resolved }: EvaluationResult): void => {
  annotate(portfolioId);
  metrics.addMetric('AlertsOpened', MetricUnit.Count, opened.length);
  metrics.addMetric('AlertsEscalated', MetricUnit.Count, escalated.length);
  metrics.addMetric('AlertsResolved', MetricUnit.Count, resolved.length);
};

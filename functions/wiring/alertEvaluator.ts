import { onFirstPublish } from '../adapters/eventBus.js';
import { AlertEvaluator } from '../application/evaluateAlerts.js';
import { deployedConfig } from './config.js';
import { deployedRepositories } from './dynamo.js';
import { eventPublisher } from './events.js';

/**
 * Alert evaluations seldom publish, so the EventBridge SDK loads on the first event rather than at cold
 * start; this module is kept apart from the reallocator's so alert bundles carry no LP solver either.
 */
const connectOnFirstPublish = (busName: string) =>
  onFirstPublish(async () => (await import('../adapters/eventBridgePublisher.js')).connectEventBridge(busName));

/** The alert evaluator a deployed function uses. */
export const deployedAlertEvaluator = (repositories = deployedRepositories()): AlertEvaluator =>
  new AlertEvaluator({
    ...repositories,
    pulls: repositories.metrics,
    events: eventPublisher(connectOnFirstPublish),
    clock: () => new Date(),
    configHash: deployedConfig.hash,
  });

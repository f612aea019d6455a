import { AlertEvaluator } from './alertEvaluator.js';
import { systemClock } from './clock.js';
import { deployedConfig } from './deployedConfig.js';
import { deployedRepositories } from './deployedRepositories.js';
import { createEventPublisher, onFirstPublish } from './eventBus.js';

/** Alert evaluations seldom publish, so the EventBridge SDK loads on the first event rather than at cold start. */
const connectOnFirstPublish = (busName: string) =>
  onFirstPublish(async () => (await import('./eventBridgePublisher.js')).connectEventBridge(busName));

/** The alert evaluator a deployed function uses. */
export const deployedAlertEvaluator = (repositories = deployedRepositories()): AlertEvaluator =>
  new AlertEvaluator({
    ...repositories,
    events: createEventPublisher(connectOnFirstPublish),
    clock: systemClock,
    configHash: deployedConfig.hash,
  });

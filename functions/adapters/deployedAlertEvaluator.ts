import { AlertEvaluator } from './alertEvaluator.js';
import { systemClock } from './clock.js';
import { deployedConfig } from './deployedConfig.js';
import { createEventPublisher } from './eventBus.js';
import { deployedRepositories } from './deployedRepositories.js';

/** The alert evaluator a deployed function uses. */
export const deployedAlertEvaluator = (repositories = deployedRepositories()): AlertEvaluator =>
  new AlertEvaluator({ ...repositories, events: createEventPublisher(), clock: systemClock, configHash: deployedConfig.hash });

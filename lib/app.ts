import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BudgetConfig } from '../functions/domain/config.js';
import { BudgetDataStack } from './data-stack.js';
import { BudgetServiceStack } from './service-stack.js';

/**
 * Wires the stateful and stateless stacks; `bin/app.ts` and the infrastructure tests both call it. The
 * cdk-nag AwsSolutions pack runs on every synth: an unacknowledged finding fails it.
 */
export const buildApp = (app: App, config: BudgetConfig) => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const data = new BudgetDataStack(app, 'BudgetData', { description: 'Budget optimizer: tables and secrets' });
  const service = new BudgetServiceStack(app, 'BudgetService', {
    description: 'Budget optimizer: functions and HTTP API',
    tables: data.tables,
    webhookSecrets: data.webhookSecrets,
    fingerprintKey: data.fingerprintKey,
    schedules: config.schedules,
    signIn: config.signIn,
    portfolios: config.portfolios.map((p) => p.id),
    platformSecrets: config.portfolios.flatMap((p) => p.accounts.map((a) => a.secret)),
  });
  return { data, service };
};

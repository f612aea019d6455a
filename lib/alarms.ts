import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseSchedule, type Schedule } from '../functions/domain/schedule.js';

export interface BudgetAlarmsProps {
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Dead-letter queues by name. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /** The namespace the functions' Powertools metrics go to. */
  readonly metricsNamespace: string;
  /** Portfolio ids, each alarmed when it publishes no allocation within two reallocation periods. */
  readonly portfolios: readonly string[];
  /** The reallocation schedule, whose period sets how long silence is tolerated. */
  readonly reallocateSchedule: string;
}

/** Rejected webhook or reallocate requests in five minutes that mean a misconfigured or hostile sender. */
export const REJECTION_BURST = 100;

/** Two periods of the reallocation schedule, within CloudWatch's limits (1 minute to 1 day); a cron counts a day. */
export const silencePeriod = (schedule: Schedule): Duration => {
  const ms = schedule.kind === 'rate' ? 2 * schedule.everyMs : 86_400_000;
  return Duration.seconds(Math.min(86_400, Math.max(60, Math.ceil(ms / 60_000) * 60)));
};

/**
 * What operators are paged for, all on one encrypted SNS topic (output `AlarmTopicArn`; subscribe to it):
 * a message in any dead-letter queue, any function error or throttle, any held allocation, a portfolio that
 * published nothing for two reallocation periods, and a burst of rejected requests. A CloudWatch dashboard
 * (`BudgetOptimizer`) graphs the same signals.
 */
export class BudgetAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    { functions, deadLetterQueues, metricsNamespace, portfolios, reallocateSchedule }: BudgetAlarmsProps,
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Budget optimizer alarms',
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    for (const [name, queue] of deadLetterQueues) {
      this.alarm(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        `${name} holds messages that failed every retry; inspect, then redrive`,
      );
    }
    for (const [name, fn] of functions) {
      this.alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5) }), `${name} raised errors`);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5) }), `${name} was throttled`);
    }
    this.alarm(
      'AllocationsHeld',
      new Metric({
        namespace: metricsNamespace,
        metricName: 'AllocationsHeld',
        dimensionsMap: { service: 'budget-optimizer' },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      'an allocation was held (infeasible constraints, stale data or a solver failure); see the snapshot reason',
    );
    this.alarm(
      'AppliesFailed',
      new Metric({
        namespace: metricsNamespace,
        metricName: 'AppliesFailed',
        dimensionsMap: { service: 'budget-optimizer' },
        statistic: 'Sum',
        period: Duration.minutes(15),
      }),
      'a plan did not reach the ad platforms (see the AllocationApplyFailed event and GET /portfolios/{id}/applies); applies stop after apply.maxConsecutiveFailures',
    );
    const service = (metricName: string, period = Duration.minutes(5)) =>
      new Metric({ namespace: metricsNamespace, metricName, dimensionsMap: { service: 'budget-optimizer' }, statistic: 'Sum', period });
    const rejections = new Alarm(this, 'RequestsRejectedBurst', {
      metric: service('RequestsRejected'),
      threshold: REJECTION_BURST,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `more than ${REJECTION_BURST} webhook or reallocate requests rejected in 5 minutes: a misconfigured or hostile sender`,
    });
    rejections.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(rejections);
    const period = silencePeriod(parseSchedule(reallocateSchedule));
    for (const portfolioId of portfolios) {
      const silent = new Alarm(this, `Silent-${portfolioId}`, {
        metric: new Metric({
          namespace: metricsNamespace,
          metricName: 'AllocationsPublished',
          dimensionsMap: { service: 'budget-optimizer', portfolioId },
          statistic: 'Sum',
          period,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data is the silence this alarm is for.
        treatMissingData: TreatMissingData.BREACHING,
        alarmDescription: `portfolio ${portfolioId} published no allocation in ${period.toHumanString()} (two reallocation periods)`,
      });
      silent.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(silent);
    }
    this.dashboard(metricsNamespace, service, functions, deadLetterQueues);
  }

  /** One page an operator opens first: ingest, reallocations, alerts, dead letters, function health. */
  private dashboard(
    namespace: string,
    service: (name: string, period?: Duration) => Metric,
    functions: ReadonlyMap<string, IFunction>,
    deadLetterQueues: ReadonlyMap<string, IQueue>,
  ): void {
    const graph = (title: string, metrics: IMetric[]) => new GraphWidget({ title, left: metrics, width: 12 });
    new Dashboard(this, 'Dashboard', {
      dashboardName: namespace,
      widgets: [
        [
          graph('Ingest: records accepted, stale, requests rejected', [
            service('RecordsAccepted'),
            service('RecordsStale'),
            service('RequestsRejected'),
          ]),
          graph('Reallocations: published and held', [service('AllocationsPublished'), service('AllocationsHeld')]),
        ],
        [
          graph('Alerts: opened, escalated, resolved', [service('AlertsOpened'), service('AlertsEscalated'), service('AlertsResolved')]),
          graph(
            'Dead-letter queue depth',
            [...deadLetterQueues.values()].map((q) => q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })),
          ),
        ],
        [
          graph(
            'Function errors',
            [...functions.values()].map((fn) => fn.metricErrors({ period: Duration.minutes(5) })),
          ),
          graph(
            'Function duration (p99)',
            [...functions.values()].map((fn) => fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' })),
          ),
        ],
      ],
    });
  }

  /** Alarms when the metric is above zero in one period; no data is fine. */
  private alarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface BudgetAlarmsProps {
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Dead-letter queues by name. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /** The namespace the functions' Powertools metrics go to. */
  readonly metricsNamespace: string;
}

/**
 * What operators are paged for, all on one encrypted SNS topic (output `AlarmTopicArn`; subscribe to it):
 * a message in any dead-letter queue, any function error or throttle, and any held allocation.
 */
export class BudgetAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, { functions, deadLetterQueues, metricsNamespace }: BudgetAlarmsProps) {
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

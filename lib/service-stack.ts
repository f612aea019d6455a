import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { BudgetConfig } from '../functions/domain/config.js';
import { EVENT_SOURCE } from '../functions/domain/events.js';
import { JOBS, type Job, queueUrlVariable } from '../functions/domain/jobs.js';
import { BudgetAlarms } from './alarms.js';
import { FUNCTIONS, type FunctionDefinition, type FunctionName, ROUTES, type RouteAuth } from './api.js';
import { BudgetFunction, LOG_RETENTION, METRICS_NAMESPACE } from './budget-function.js';
import { SignIn } from './sign-in.js';

export interface BudgetServiceStackProps extends StackProps {
  readonly tables: ReadonlyMap<string, TableV2>;
  readonly webhookSecrets: ReadonlyMap<string, Secret>;
  /** The key credentials are fingerprinted with, for the functions marked `fingerprintKey`. */
  readonly fingerprintKey: Secret;
  /** The validated config's schedule expressions, one per job. */
  readonly schedules: BudgetConfig['schedules'];
  /** Browser sign-in: the hosted sign-in's domain prefix and federation. */
  readonly signIn: BudgetConfig['signIn'];
  /** The configured portfolios' ids: each gets an alarm when it stops publishing allocations. */
  readonly portfolios: readonly string[];
  /**
   * The Secrets Manager secret names the config's ad platform accounts name (created and filled by
   * operators, docs/connectors.md): the pollers may read exactly these.
   */
  readonly platformSecrets?: readonly string[];
}

/** How many times a portfolio's message is tried before it goes to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 3;

/**
 * Requests per second the API serves before answering 429, and the burst above it: far above what ad
 * platforms send (a delivery per platform per hour or so), low enough that a flood cannot run up the bill.
 */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

/** Why a route without a gateway authorizer is safe, per kind (cdk-nag asks for every such route). */
const PUBLIC_ROUTE_REASONS: Partial<Record<RouteAuth, string>> = {
  signature:
    'Ad platforms cannot sign with SigV4: the handler authenticates every request by its HMAC-SHA256 signature (per-source secret, ±300 s) before reading it.',
  public:
    'The sign-in steps themselves (start, callback, sign-out, signed-out page) and the OpenAPI description: they read no data, the callback only sets a session from a code redeemed with its PKCE verifier, and sign-out needs the CSRF token.',
};

/** An SQS queue encrypted at rest that refuses plain HTTP. */
const secureQueue = (scope: Construct, id: string, props: ConstructorParameters<typeof Queue>[2] = {}) =>
  new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });

/**
 * The stateless half: functions and the HTTP API built from the shared route and function tables, the
 * event bus, and per job a schedule (with a dead-letter queue) that fans out through a queue (with a
 * dead-letter queue) to its worker.
 */
export class BudgetServiceStack extends Stack {
  readonly api: HttpApi;
  readonly bus: EventBus;
  readonly functions: ReadonlyMap<FunctionName, BudgetFunction>;
  readonly queues: ReadonlyMap<Job, { queue: Queue; deadLetters: Queue }>;
  /** Published plans and approvals on their way to the apply worker (docs/connectors.md). */
  readonly applyQueue: { queue: Queue; deadLetters: Queue };
  readonly signIn: SignIn;

  constructor(scope: Construct, id: string, props: BudgetServiceStackProps) {
    super(scope, id, props);
    this.bus = new EventBus(this, 'Bus', { description: 'Budget optimizer: allocation and alert events' });
    this.queues = new Map(JOBS.map((job) => [job, this.jobQueue(job)]));
    this.applyQueue = this.applyQueues();
    this.functions = new Map(
      (Object.entries(FUNCTIONS) as [FunctionName, FunctionDefinition][]).map(([name, definition]) => [
        name,
        this.function(definition, props),
      ]),
    );
    this.api = new HttpApi(this, 'Api', {
      description: 'Budget optimizer: signed webhooks, finance reads and operations',
      createDefaultStage: false,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'ApiAccessLogs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY }),
        ),
      },
    });
    this.signIn = new SignIn(this, 'People', { api: this.api, config: props.signIn });
    for (const [name, fn] of this.functions) {
      if ((FUNCTIONS[name] as FunctionDefinition).signIn)
        for (const [key, value] of Object.entries(this.signIn.environment)) fn.addEnvironment(key, value);
    }
    const authorizers = {
      iam: new HttpIamAuthorizer(),
      session: new HttpLambdaAuthorizer('Session', this.functions.get('sessionAuthorizer')!, {
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        // The route, which every request has: with the Cookie header here instead, API Gateway would answer a
        // request without cookies 401 itself, and the dashboard could not send a new browser to sign-in.
        identitySource: ['$context.routeKey'],
        // Every request is checked (the JWKS is cached in the function), so a signed-out cookie stops at once.
        resultsCacheTtl: Duration.seconds(0),
      }),
    };
    for (const route of ROUTES) {
      const fn = this.functions.get(route.fn)!;
      const routes = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.method}${route.path}`, fn),
        ...(route.auth === 'iam' || route.auth === 'session' ? { authorizer: authorizers[route.auth] } : {}),
      });
      const open = PUBLIC_ROUTE_REASONS[route.auth];
      if (open) for (const r of routes) Validations.of(r).acknowledge({ id: 'AwsSolutions::AwsSolutions-APIG4', reason: open });
    }
    const scheduleDeadLetters = secureQueue(this, 'ScheduleDeadLetters', { retentionPeriod: Duration.days(14) });
    Validations.of(scheduleDeadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This is itself a dead-letter queue: the one the EventBridge Scheduler schedules send failed invocations to.',
    });
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets the schedules invoke the fan-out function',
    });
    const fanOut = this.getLogicalId(this.functions.get('schedule')!.node.defaultChild as CfnFunction);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${fanOut}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the fan-out function and its versions (<arn>:*), the grant the Scheduler target needs; nothing else.',
    });
    for (const job of JOBS) this.schedule(job, props.schedules[job], props.schedules.timezone, scheduleDeadLetters, schedulerRole);
    const alarms = new BudgetAlarms(this, 'Alarms', {
      functions: new Map([...this.functions].map(([name, fn]) => [FUNCTIONS[name].id, fn])),
      deadLetterQueues: new Map([
        ['ScheduleDeadLetters', scheduleDeadLetters],
        ...[...this.queues].map(([job, q]) => [`${job}DeadLetters`, q.deadLetters] as const),
        ['ApplyDeadLetters', this.applyQueue.deadLetters],
      ]),
      metricsNamespace: METRICS_NAMESPACE,
      portfolios: props.portfolios,
      reallocateSchedule: props.schedules.reallocate,
    });
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'DashboardUrl', { value: `${this.api.apiEndpoint}/`, description: 'Finance and operators sign in here' });
    new CfnOutput(this, 'UserPoolId', { value: this.signIn.userPool.userPoolId });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
  }

  /** A job's queue; its visibility outlasts the worker's timeout six times, as AWS advises for event sources. */
  private jobQueue(job: Job) {
    const worker = (Object.values(FUNCTIONS) as FunctionDefinition[]).find((f) => f.consumes === job)!;
    const deadLetters = secureQueue(this, `${job}DeadLetters`, { retentionPeriod: Duration.days(14) });
    const queue = secureQueue(this, `${job}Queue`, {
      visibilityTimeout: Duration.seconds(6 * (worker.timeoutSeconds ?? 29)),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    return { queue, deadLetters };
  }

  /**
   * The apply queue and its dead-letter queue, and the rule that puts every `AllocationPublished` on it (an
   * event the rule cannot deliver goes to the same dead-letter queue). Approvals are sent to it too.
   */
  private applyQueues() {
    const worker = (Object.values(FUNCTIONS) as FunctionDefinition[]).find((f) => f.applyQueue === 'consumes')!;
    const deadLetters = secureQueue(this, 'ApplyDeadLetters', { retentionPeriod: Duration.days(14) });
    const queue = secureQueue(this, 'ApplyQueue', {
      visibilityTimeout: Duration.seconds(6 * (worker.timeoutSeconds ?? 29)),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    new Rule(this, 'ApplyOnPublished', {
      description: 'Puts each published allocation on the apply queue (apply.mode decides what the worker does)',
      eventBus: this.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: ['AllocationPublished'] },
      targets: [new SqsQueue(queue, { deadLetterQueue: deadLetters, retryAttempts: 3, maxEventAge: Duration.hours(1) })],
    });
    return { queue, deadLetters };
  }

  /** The job's schedule, invoking the fan-out with the firing instant; failed invocations are retried, then dead-lettered. */
  private schedule(job: Job, expression: string, timeZone: string, deadLetterQueue: Queue, role: Role) {
    new Schedule(this, `${job}Schedule`, {
      description: `Fans out ${job} to every portfolio (${expression}, ${timeZone})`,
      schedule: ScheduleExpression.expression(expression, TimeZone.of(timeZone)),
      target: new LambdaInvoke(this.functions.get('schedule')!, {
        input: ScheduleTargetInput.fromObject({ job, scheduledTime: ContextAttribute.scheduledTime }),
        role,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        deadLetterQueue,
      }),
    });
  }

  /** A function with exactly the grants its definition asks for, and their names in its environment. */
  private function(
    definition: FunctionDefinition,
    { tables, webhookSecrets, fingerprintKey, platformSecrets }: BudgetServiceStackProps,
  ): BudgetFunction {
    const table = (id: string) => tables.get(id)!;
    const environment: Record<string, string> = {};
    for (const t of [...definition.reads, ...definition.writes, ...(definition.items ?? []).map((i) => i.table)]) {
      environment[t.envVar] = table(t.id).tableName;
    }
    if (definition.webhookSecrets) {
      environment.WEBHOOK_SECRET_ARNS = this.toJsonString(
        Object.fromEntries([...webhookSecrets].map(([source, secret]) => [source, secret.secretArn])),
      );
    }
    if (definition.fingerprintKey) environment.FINGERPRINT_KEY_ARN = fingerprintKey.secretArn;
    if (definition.publishesEvents) environment.EVENT_BUS_NAME = this.bus.eventBusName;
    for (const job of definition.sendsTo ?? []) environment[queueUrlVariable(job)] = this.queues.get(job)!.queue.queueUrl;
    if (definition.applyQueue) environment.APPLY_QUEUE_URL = this.applyQueue.queue.queueUrl;
    const fn = new BudgetFunction(this, definition, environment);
    for (const t of definition.reads) table(t.id).grantReadData(fn);
    for (const t of definition.writes) table(t.id).grantReadWriteData(fn);
    for (const { table: t, actions } of definition.items ?? []) table(t.id).grant(fn, ...actions);
    if (definition.webhookSecrets) for (const secret of webhookSecrets.values()) secret.grantRead(fn);
    if (definition.fingerprintKey) fingerprintKey.grantRead(fn);
    // By name (`arn:…:secret:<name>-??????`, the suffix Secrets Manager appends): each named secret, no other.
    if (definition.platformSecrets) {
      for (const [i, name] of [...new Set(platformSecrets ?? [])].entries()) {
        Secret.fromSecretNameV2(this, `${definition.id}PlatformSecret${i}`, name).grantRead(fn);
        Validations.of(fn.role!).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}-??????]`,
          reason: `Reads the one secret named "${name}" in config: an operator creates it, so its ARN ends in the six random characters Secrets Manager appends, which "-??????" matches and nothing more.`,
        });
      }
    }
    if (definition.publishesEvents) this.bus.grantPutEventsTo(fn);
    for (const job of definition.sendsTo ?? []) this.queues.get(job)!.queue.grantSendMessages(fn);
    if (definition.applyQueue === 'sends') this.applyQueue.queue.grantSendMessages(fn);
    if (definition.applyQueue === 'consumes') {
      // One message a call: each applies one portfolio's plan and may wait out a platform's throttling.
      fn.addEventSource(new SqsEventSource(this.applyQueue.queue, { batchSize: 1, reportBatchItemFailures: true }));
    }
    if (definition.consumes) {
      fn.addEventSource(new SqsEventSource(this.queues.get(definition.consumes)!.queue, { batchSize: 10, reportBatchItemFailures: true }));
    }
    return fn;
  }
}

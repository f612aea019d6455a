import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../functions/adapters/configFile.js';
import { DEFAULT_CONFIG_PATH, DEPLOYED_CONFIG_FILE } from '../../functions/adapters/loadedConfig.js';
import { SIGN_IN_PAGES } from '../../functions/adapters/session.js';
import { JOBS } from '../../functions/domain/jobs.js';
import { WEBHOOK_SOURCES } from '../../functions/domain/platforms/mappers.js';
import { FUNCTIONS, type ItemAccess, ROUTES } from '../../lib/api.js';
import { buildApp } from '../../lib/app.js';
import { API_THROTTLE } from '../../lib/service-stack.js';
import { APPLIES_TABLE, REVOKED_SESSIONS_TABLE, TABLES } from '../../lib/tables.js';

let data: Template;
let service: Template;
let outdir: string;
beforeAll(() => {
  const app = new App();
  outdir = app.outdir;
  const stacks = buildApp(app, loadConfigFile());
  data = Template.fromStack(stacks.data);
  service = Template.fromStack(stacks.service);
}, 120_000);

/** The IAM actions granted by the policy attached to a function's role. */
const actionsOf = (template: Template, functionId: string): string[] => {
  const policies = template.findResources('AWS::IAM::Policy');
  const policy = Object.entries(policies).find(([id]) => id.startsWith(`${functionId}RoleDefaultPolicy`));
  return (policy![1].Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action);
};

describe('data stack', () => {
  it('creates every shared table on demand, encrypted, with point-in-time recovery and deletion protection', () => {
    data.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLES.length);
    for (const table of TABLES) {
      data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: Match.arrayWith([{ AttributeName: table.partitionKey, KeyType: 'HASH' }]),
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true }),
        ],
      });
    }
  });

  it('gives the idempotency table its TTL on `expiration`', () => {
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });

  it('keeps one Secrets Manager secret per webhook source, the credentials fingerprint key, and no other', () => {
    const secrets = Object.keys(data.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(WEBHOOK_SOURCES.length + 1);
    expect(secrets.filter((id) => id.startsWith('CredentialsFingerprintKey'))).toHaveLength(1);
    for (const source of WEBHOOK_SOURCES) {
      const logicalPrefix = `WebhookSecret${source.replaceAll('-', '')}`;
      expect(
        secrets.filter((id) => id.startsWith(logicalPrefix)),
        source,
      ).toHaveLength(1);
    }
  });
});

describe('service stack', () => {
  it('runs every function on nodejs24.x arm64 with a log retention', () => {
    const functions = Object.values(service.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    service.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gives every function a bundle of its own handler (CDK would otherwise reuse the first bundle for all of them), and the validated config beside it', () => {
    const functions = Object.entries(service.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    const assets = JSON.parse(readFileSync(join(outdir, 'BudgetService.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    for (const definition of Object.values(FUNCTIONS)) {
      const [, fn] = functions.find(([logicalId]) => new RegExp(`^${definition.id}[0-9A-F]{8}$`).test(logicalId))!;
      expect(fn.Properties.Handler).toBe('index.handler');
      const asset = join(outdir, assets.files[fn.Properties.Code.S3Key.replace(/\.zip$/, '')]!.source.path);
      const { sources } = JSON.parse(readFileSync(join(asset, 'index.js.map'), 'utf8')) as { sources: string[] };
      expect(sources.map((source) => resolve(asset, source)).filter((file) => file.includes('/functions/handlers/'))).toEqual([
        resolve(definition.entry),
      ]);
      expect(readFileSync(join(asset, DEPLOYED_CONFIG_FILE), 'utf8')).toBe(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
    }
  });

  it('exposes every route: webhooks by signature, machines by IAM, people by the session authorizer, only sign-in open', () => {
    const authorization = { signature: 'NONE', public: 'NONE', iam: 'AWS_IAM', session: 'CUSTOM' } as const;
    for (const route of ROUTES) {
      service.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: authorization[route.auth],
      });
    }
    // Every route without an authorizer is a webhook, a sign-in step or the API's description.
    const open = ROUTES.filter((r) => r.auth === 'signature' || r.auth === 'public').map((r) => r.path);
    expect(
      open.every((path) => path.startsWith('/webhooks/') || path === '/' || path.startsWith('/auth/') || path === '/openapi.json'),
    ).toBe(true);
    service.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      // Every request reaches the authorizer, cookies or not, so a page can send a new browser to sign-in.
      IdentitySource: ['$context.routeKey'],
      AuthorizerResultTtlInSeconds: 0,
    });
    // The pages the authorizer lets through as nobody are exactly the session routes a browser navigates to.
    expect([...SIGN_IN_PAGES].sort()).toEqual(
      ROUTES.filter((r) => r.auth === 'session' && r.method === 'GET')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
  });

  it('keeps signed-out sessions in a table whose entries expire with their tokens, read and written item by item', () => {
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: REVOKED_SESSIONS_TABLE.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const revocations = (statement: { Resource: unknown }) => JSON.stringify(statement.Resource).includes(REVOKED_SESSIONS_TABLE.id);
    const granted = (fn: string) => {
      const policy = Object.entries(service.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith(`${fn}RoleDefaultPolicy`))!;
      const statements = policy[1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
      return statements
        .filter(revocations)
        .flatMap((s) => [s.Action].flat())
        .sort();
    };
    // The authorizer only looks an id up; sign-in looks up and records one. Neither may query, scan or delete.
    expect(granted('SessionAuthorizer')).toEqual(['dynamodb:GetItem']);
    expect(granted('SignIn')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    for (const definition of Object.values(FUNCTIONS)) {
      if (definition.id !== 'SessionAuthorizer' && definition.id !== 'SignIn') expect(granted(definition.id), definition.id).toEqual([]);
    }
    // Both find the table by name in their environment, as the local runtime sets it.
    const functions = Object.entries(service.findResources('AWS::Lambda::Function'));
    for (const fn of ['SessionAuthorizer', 'SignIn']) {
      const [, resource] = functions.find(([logicalId]) => new RegExp(`^${fn}[0-9A-F]{8}$`).test(logicalId))!;
      expect(Object.keys(resource.Properties.Environment.Variables), fn).toContain(REVOKED_SESSIONS_TABLE.envVar);
    }
  });

  it('signs people in through a company identity provider when the config lists one', () => {
    const config = loadConfigFile();
    const app = new App();
    const federated = buildApp(app, {
      ...config,
      signIn: {
        domainPrefix: 'acme-budget',
        federation: [
          { type: 'saml', name: 'AcmeOkta', metadataUrl: 'https://acme.okta.com/app/metadata' },
          {
            type: 'oidc',
            name: 'AcmeEntra',
            issuerUrl: 'https://login.microsoftonline.com/t/v2.0',
            clientId: 'abc',
            clientSecretName: 'acme/entra',
          },
        ],
      },
    });
    const template = Template.fromStack(federated.service);
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { ProviderName: 'AcmeOkta', ProviderType: 'SAML' });
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { ProviderName: 'AcmeEntra', ProviderType: 'OIDC' });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-budget' });
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0]!.Properties;
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO', 'AcmeOkta', 'AcmeEntra']);
    // The OIDC client secret comes from Secrets Manager at deploy, never from the config file.
    expect(JSON.stringify(template.toJSON())).toMatch(/resolve:secretsmanager:acme\/entra/);
  }, 120_000);

  it('signs people in with Cognito: code flow with PKCE only, callbacks on this API, two groups, MFA, no self sign-up', () => {
    service.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14 }) },
    });
    const clients = Object.values(service.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const client = clients[0]!.Properties;
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email']));
    expect(JSON.stringify(client.CallbackURLs)).toMatch(/\/auth\/callback/);
    expect(JSON.stringify(client.LogoutURLs)).toMatch(/\/auth\/signed-out/);
    // The callback is this API's own endpoint, not a hand-typed URL.
    expect(JSON.stringify(client.CallbackURLs)).toMatch(/ApiEndpoint|Ref/);
    const groups = Object.values(service.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['finance', 'operators']);
    service.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    // The sign-in function and the authorizer know the pool, its client and the hosted domain.
    const withPool = Object.values(service.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.USER_POOL_CLIENT_ID,
    );
    expect(withPool).toHaveLength(2);
    for (const fn of withPool)
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['USER_POOL_ID', 'SIGN_IN_DOMAIN']));
  });

  it('passes secret ARNs, never secret values, to the ingest function', () => {
    const ingest = Object.values(service.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment.Variables.WEBHOOK_SECRET_ARNS,
    );
    expect(ingest).toBeDefined();
    expect(JSON.stringify(ingest!.Properties.Environment)).not.toMatch(/SecretString/);
  });

  it('lets the metrics reader read, and not write, the metrics table', () => {
    const actions = actionsOf(service, 'MetricsRead');
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions.some((a) => a.startsWith('secretsmanager:'))).toBe(false);
  });
});

describe('reallocation pipeline', () => {
  const config = loadConfigFile();

  it('runs each job on its configured expression through EventBridge Scheduler, with retries and a dead-letter queue', () => {
    service.resourceCountIs('AWS::Scheduler::Schedule', 3);
    for (const job of ['reallocate', 'alerts', 'poll'] as const) {
      service.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: config.schedules[job],
        // cron() fields are read in the config's zone (UTC unless schedules.timezone says otherwise).
        ScheduleExpressionTimezone: config.schedules.timezone,
        Target: Match.objectLike({
          Input: Match.serializedJson({ job, scheduledTime: '<aws.scheduler.scheduled-time>' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      });
    }
  });

  it('fans out through an encrypted queue whose failures go to a dead-letter queue after 3 receives', () => {
    service.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 },
      VisibilityTimeout: 720,
    });
    const consumers = Object.values(FUNCTIONS).filter((f) => 'consumes' in f || ('applyQueue' in f && f.applyQueue === 'consumes'));
    service.resourceCountIs('AWS::Lambda::EventSourceMapping', consumers.length);
    for (const worker of Object.values(FUNCTIONS).filter((f) => 'consumes' in f)) {
      service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: Match.stringLikeRegexp(`^${worker.id}`) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });

  it('has a custom event bus that only the publishing functions (reallocators and alert evaluators) may put events on', () => {
    service.resourceCountIs('AWS::Events::EventBus', 1);
    const publishers = Object.values(FUNCTIONS).filter((f) => 'publishesEvents' in f && f.publishesEvents);
    expect(publishers.map((f) => f.id).sort()).toEqual(
      expect.arrayContaining(['Alerts', 'AlertsWorker', 'PollWorker', 'Reallocate', 'ReallocateWorker']),
    );
    for (const fn of Object.values(FUNCTIONS)) {
      const mayPublish = publishers.includes(fn);
      expect(actionsOf(service, fn.id).includes('events:PutEvents'), fn.id).toBe(mayPublish);
    }
  });

  it('grants each pipeline function only what it uses', () => {
    const reader = actionsOf(service, 'AllocationsRead');
    expect(reader).toContain('dynamodb:Query');
    expect(reader).not.toContain('dynamodb:PutItem');
    const schedule = actionsOf(service, 'Schedule');
    expect(schedule).toContain('sqs:SendMessage');
    expect(schedule.some((a) => a.startsWith('dynamodb:'))).toBe(false);
    const worker = actionsOf(service, 'ReallocateWorker');
    expect(worker).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'sqs:DeleteMessage', 'events:PutEvents']));
    expect(worker).not.toContain('sqs:SendMessage');
  });

  it('serves fit diagnostics, like what-if plans, from PlanRead, which may read metrics, plans and alerts and write nothing', () => {
    expect(ROUTES.filter((r) => r.fn === 'plan').map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /portfolios/{id}/plan',
      'GET /portfolios/{id}/diagnostics',
    ]);
    const actions = actionsOf(service, 'PlanRead');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
    const writes = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'events:PutEvents',
      'sqs:SendMessage',
    ];
    expect(actions.filter((a) => writes.includes(a))).toEqual([]);
  });

  it('lets the reallocators read alerts (stop-loss) without writing them, and only the alert functions write them', () => {
    const alertsTable = (statement: { Resource: unknown }) => JSON.stringify(statement.Resource).includes('Alerts');
    const statements = (fn: string) => {
      const policies = service.findResources('AWS::IAM::Policy');
      const policy = Object.entries(policies).find(([id]) => id.startsWith(`${fn}RoleDefaultPolicy`))!;
      return (policy[1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter(alertsTable);
    };
    for (const fn of ['Reallocate', 'ReallocateWorker']) {
      const actions = statements(fn).flatMap((s) => s.Action);
      expect(actions).toContain('dynamodb:Query');
      expect(actions).not.toContain('dynamodb:PutItem');
    }
    for (const fn of ['Alerts', 'AlertsWorker']) expect(statements(fn).flatMap((s) => s.Action)).toContain('dynamodb:PutItem');
  });
});

describe('pollers', () => {
  const config = loadConfigFile();
  const secretNames = config.portfolios.flatMap((p) => p.accounts.map((a) => a.secret));
  const statementsOf = (fn: string) => {
    const policy = Object.entries(service.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith(`${fn}RoleDefaultPolicy`))!;
    return policy[1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  };

  it("lets the poll worker (and only the functions marked platformSecrets) read the accounts' secrets, exactly those the config names", () => {
    expect(secretNames.length).toBeGreaterThan(0);
    expect((FUNCTIONS.pollWorker as { platformSecrets?: boolean }).platformSecrets).toBe(true);
    const secretStatements = statementsOf('PollWorker').filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const resources = secretStatements
      .flatMap((s) => [s.Resource].flat())
      .map((r) => JSON.stringify(r))
      .filter((r) => !r.includes('CredentialsFingerprintKey'));
    expect(resources).toHaveLength(secretNames.length);
    for (const name of secretNames)
      expect(
        resources.some((r) => r.includes(`:secret:${name}-??????`)),
        name,
      ).toBe(true);
    expect([...new Set(secretStatements.flatMap((s) => [s.Action].flat()))].sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    for (const definition of Object.values(FUNCTIONS).filter((f) => !('platformSecrets' in f && f.platformSecrets))) {
      const text = JSON.stringify(statementsOf(definition.id));
      for (const name of secretNames) expect(text.includes(name), definition.id).toBe(false);
    }
  });

  it('lets the poll worker, and no other function, read the credentials fingerprint key, named in its environment', () => {
    const reads = (fn: string) => JSON.stringify(statementsOf(fn)).includes('CredentialsFingerprintKey');
    expect(reads('PollWorker')).toBe(true);
    for (const definition of Object.values(FUNCTIONS).filter((f) => f.id !== 'PollWorker'))
      expect(reads(definition.id), definition.id).toBe(false);
    const worker = Object.entries(service.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('PollWorker'))!;
    expect(JSON.stringify(worker[1].Properties.Environment.Variables.FINGERPRINT_KEY_ARN)).toContain('CredentialsFingerprintKey');
  });

  it('consumes the poll queue (dead-lettered after 3 receives) and stores what it pulls as the webhook does, without reading plans', () => {
    const worker = service.findResources('AWS::Lambda::Function', { Properties: { Timeout: 600 } });
    expect(Object.keys(worker).some((id) => id.startsWith('PollWorker'))).toBe(true);
    service.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 },
      VisibilityTimeout: 3600,
    });
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^PollWorker') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const text = JSON.stringify(statementsOf('PollWorker'));
    expect(text).not.toMatch(/Allocations/);
    expect(actionsOf(service, 'Schedule')).toContain('sqs:SendMessage');
    expect(JSON.stringify(service.findResources('AWS::Lambda::Function'))).toContain('POLL_QUEUE_URL');
  });
});

describe('apply path (issue 24)', () => {
  const config = loadConfigFile();
  const secretNames = config.portfolios.flatMap((p) => p.accounts.map((a) => a.secret));
  const statementsOf = (fn: string) => {
    const policy = Object.entries(service.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith(`${fn}RoleDefaultPolicy`))!;
    return policy[1].Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  };

  it('keeps the Applies table as long as the snapshots: no expiry, retained, keyed by portfolio and item', () => {
    data.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: Match.absent(),
      }),
      DeletionPolicy: 'Retain',
    });
    expect(TABLES.map((t) => t.id)).toContain(APPLIES_TABLE.id);
  });

  it('puts every AllocationPublished on an encrypted apply queue through an EventBridge rule, both failing into a dead-letter queue', () => {
    service.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['budget-optimizer'], 'detail-type': ['AllocationPublished'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApplyQueue'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApplyDeadLetters'), 'Arn'] } },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
        }),
      ],
    });
    const queues = service.findResources('AWS::SQS::Queue');
    const applyQueue = Object.entries(queues).find(([id]) => id.startsWith('ApplyQueue'))![1];
    expect(applyQueue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 720,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^ApplyDeadLetters/), 'Arn'] }, maxReceiveCount: 3 },
    });
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ApplyWorker') },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Only the events service may send to the apply queue by policy, and only from the rule.
    service.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: Match.anyValue() },
          }),
        ]),
      },
    });
  });

  it("lets the apply worker read exactly the accounts' named secrets and write the Applies table; the approvals function only queues", () => {
    const worker = statementsOf('ApplyWorker');
    const secretResources = worker
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')))
      .flatMap((s) => [s.Resource].flat())
      .map((r) => JSON.stringify(r));
    expect(secretResources).toHaveLength(secretNames.length);
    for (const name of secretNames)
      expect(
        secretResources.some((r) => r.includes(`:secret:${name}-??????`)),
        name,
      ).toBe(true);
    expect(JSON.stringify(worker)).toMatch(/Applies/);
    expect(actionsOf(service, 'ApplyWorker')).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'events:PutEvents']),
    );
    const approvals = statementsOf('Applies');
    expect(JSON.stringify(approvals)).not.toMatch(/secretsmanager|events:PutEvents/);
    expect(actionsOf(service, 'Applies')).toContain('sqs:SendMessage');
    expect(JSON.stringify(service.findResources('AWS::Lambda::Function'))).toContain('APPLY_QUEUE_URL');
  });
});

describe('security posture', () => {
  it('passes the cdk-nag AwsSolutions checks, every acknowledgement carrying a specific reason', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'nag-')) });
    buildApp(app, loadConfigFile());
    expect(() => app.synth()).not.toThrow();
    // Each acknowledgement is recorded as metadata { "<pack>::<rule>[finding]": "<reason>" }.
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.map((m) => m.data))
      .filter(
        (data): data is Record<string, string> =>
          typeof data === 'object' && data !== null && Object.keys(data).some((k) => k.startsWith('AwsSolutions::')),
      )
      .flatMap((data) => Object.entries(data));
    expect(acknowledged.map(([rule]) => rule.replace(/\[.*$/, ''))).toEqual(
      expect.arrayContaining(['AwsSolutions::AwsSolutions-APIG4', 'AwsSolutions::AwsSolutions-SMG4', 'AwsSolutions::AwsSolutions-IAM5']),
    );
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThanOrEqual(40);
  }, 120_000);

  it('uses "*" resources only for X-Ray, which accepts nothing else', () => {
    const policies = Object.values(service.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const starred = statements.filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
    expect(starred.length).toBeGreaterThan(0);
    for (const s of starred) for (const action of [s.Action].flat()) expect(action).toMatch(/^xray:/);
  });

  it('gives each function access to exactly the tables its definition lists', () => {
    for (const definition of Object.values(FUNCTIONS)) {
      const policy = Object.entries(service.findResources('AWS::IAM::Policy')).find(([id]) =>
        id.startsWith(`${definition.id}RoleDefaultPolicy`),
      )!;
      const text = JSON.stringify(policy[1].Properties.PolicyDocument);
      const reached = TABLES.filter(
        (t) => text.includes(`:${t.id}`) || new RegExp(`BudgetData:ExportsOutputFnGetAtt${t.id}[A-Z0-9]+Arn`).test(text),
      ).map((t) => t.id);
      const items: readonly ItemAccess[] = 'items' in definition ? definition.items : [];
      const allowed = [...definition.reads, ...definition.writes, ...items.map((i) => i.table)].map((t) => t.id);
      expect(reached.sort(), definition.id).toEqual([...new Set(allowed)].sort());
    }
  });

  it('throttles the API and writes stage access logs', () => {
    service.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: API_THROTTLE.rateLimit, ThrottlingBurstLimit: API_THROTTLE.burstLimit },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
  });

  it('alarms on every dead-letter queue, every function error and throttle, and held allocations, to one topic', () => {
    const functions = Object.keys(FUNCTIONS).length;
    // The schedules' and each queue's: the queues nothing redrives from.
    const deadLetterQueues = Object.values(service.findResources('AWS::SQS::Queue')).filter((q) => !q.Properties.RedrivePolicy).length;
    expect(deadLetterQueues).toBeGreaterThanOrEqual(1 + JOBS.length);
    const portfolios = loadConfigFile().portfolios.length;
    // One per DLQ, two per function, held allocations, failed applies, the rejection burst, and one silence alarm per portfolio.
    service.resourceCountIs('AWS::CloudWatch::Alarm', deadLetterQueues + 2 * functions + 1 + 1 + 1 + portfolios);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AppliesFailed', Namespace: 'BudgetOptimizer' });
    for (const alarm of Object.values(service.findResources('AWS::CloudWatch::Alarm')))
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AllocationsHeld', Namespace: 'BudgetOptimizer' });
    service.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const queues = Object.values(service.findResources('AWS::SQS::Queue'));
    // Each job's queue, and the apply queue.
    expect(queues.filter((q) => q.Properties.RedrivePolicy).length).toBe(JOBS.length + 1);
  });

  it('alarms when a portfolio publishes no allocation for two reallocation periods, and on a burst of rejected requests', () => {
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AllocationsPublished',
      Dimensions: Match.arrayWith([{ Name: 'portfolioId', Value: 'demo' }]),
      Period: 7200, // rate(1 hour), twice
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RequestsRejected',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 100,
    });
  });

  it('keeps a CloudWatch dashboard of ingest, reallocations, alerts, dead letters and function health', () => {
    const [dashboard] = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toBeDefined();
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const title of ['Ingest', 'Reallocations', 'Alerts', 'Dead-letter queue depth', 'Function errors', 'Function duration']) {
      expect(body).toContain(title);
    }
    for (const metric of ['RecordsAccepted', 'RequestsRejected', 'AllocationsHeld', 'AlertsOpened', 'ApproximateNumberOfMessagesVisible']) {
      expect(body).toContain(metric);
    }
  });
});

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { FUNCTIONS, ROUTES, type FunctionDefinition, type FunctionName } from './api.js';
import { BudgetFunction } from './budget-function.js';

export interface BudgetServiceStackProps extends StackProps {
  readonly tables: ReadonlyMap<string, TableV2>;
  readonly webhookSecrets: ReadonlyMap<string, Secret>;
}

/** The stateless half: functions and the HTTP API, built from the shared route and function tables. */
export class BudgetServiceStack extends Stack {
  readonly api: HttpApi;
  readonly functions: ReadonlyMap<FunctionName, BudgetFunction>;

  constructor(scope: Construct, id: string, props: BudgetServiceStackProps) {
    super(scope, id, props);
    this.functions = new Map(
      (Object.entries(FUNCTIONS) as [FunctionName, FunctionDefinition][]).map(([name, definition]) => [name, this.function(definition, props)]),
    );
    this.api = new HttpApi(this, 'Api', {
      description: 'Budget optimizer: signed webhooks, finance reads and operations',
      createDefaultStage: true,
    });
    const iam = new HttpIamAuthorizer();
    for (const route of ROUTES) {
      const fn = this.functions.get(route.fn)!;
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.method}${route.path}`, fn),
        // Webhooks authenticate by their HMAC signature; everything else needs SigV4.
        ...(route.auth === 'iam' ? { authorizer: iam } : {}),
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
  }

  /** A function with exactly the grants its definition asks for, and their table names in its environment. */
  private function(definition: FunctionDefinition, { tables, webhookSecrets }: BudgetServiceStackProps): BudgetFunction {
    const table = (id: string) => tables.get(id)!;
    const environment: Record<string, string> = {};
    for (const t of [...definition.reads, ...definition.writes]) environment[t.envVar] = table(t.id).tableName;
    if (definition.webhookSecrets) {
      environment.WEBHOOK_SECRET_ARNS = this.toJsonString(Object.fromEntries([...webhookSecrets].map(([source, secret]) => [source, secret.secretArn])));
    }
    const fn = new BudgetFunction(this, definition, environment);
    for (const t of definition.reads) table(t.id).grantReadData(fn);
    for (const t of definition.writes) table(t.id).grantReadWriteData(fn);
    if (definition.webhookSecrets) for (const secret of webhookSecrets.values()) secret.grantRead(fn);
    return fn;
  }
}

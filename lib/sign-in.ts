import { Aws, Duration, Fn, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ProviderAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolIdentityProviderOidc,
  UserPoolIdentityProviderSaml,
  UserPoolIdentityProviderSamlMetadata,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { GROUPS } from '../functions/adapters/session.js';
import type { BudgetConfig } from '../functions/domain/config.js';

export interface SignInProps {
  /** The API whose `/auth/callback` the hosted sign-in returns to. */
  readonly api: HttpApi;
  readonly config: BudgetConfig['signIn'];
}

/** What each group may do, said once for the groups' descriptions. */
const GROUP_DESCRIPTIONS = {
  finance: 'Reads the dashboard: allocations, metrics and alerts',
  operators: 'Reads the dashboard, and may reallocate, evaluate alerts and release the reserve',
} as const;

/**
 * Browser sign-in for finance and operators: a Cognito user pool (no self sign-up, MFA, strong passwords),
 * its `finance` and `operators` groups, the hosted sign-in on a Cognito domain, optional SAML/OIDC
 * federation from config, and one public app client that may only use the authorization code flow (the
 * dashboard sends a PKCE challenge with each sign-in; there is no implicit flow and no client secret).
 */
export class SignIn extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;

  constructor(scope: Construct, id: string, { api, config }: SignInProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Users', {
      userPoolName: 'budget-optimizer-people',
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG8',
      reason:
        'Threat protection (the Plus feature plan) is a paid per-user add-on; the pool has no self sign-up, requires MFA and 14-character passwords, and company users can come through federation.',
    });
    for (const group of GROUPS) {
      new CfnUserPoolGroup(this, `${group}Group`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: GROUP_DESCRIPTIONS[group],
      });
    }
    this.domain = this.userPool.addDomain('HostedSignIn', {
      cognitoDomain: { domainPrefix: config.domainPrefix ?? Fn.join('-', ['budget-optimizer', Aws.ACCOUNT_ID]) },
    });
    const federated = config.federation.map((provider) =>
      provider.type === 'saml'
        ? new UserPoolIdentityProviderSaml(this, `Saml${provider.name}`, {
            userPool: this.userPool,
            name: provider.name,
            metadata: UserPoolIdentityProviderSamlMetadata.url(provider.metadataUrl),
            attributeMapping: { email: ProviderAttribute.other('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress') },
          })
        : new UserPoolIdentityProviderOidc(this, `Oidc${provider.name}`, {
            userPool: this.userPool,
            name: provider.name,
            issuerUrl: provider.issuerUrl,
            clientId: provider.clientId,
            clientSecret: SecretValue.secretsManager(provider.clientSecretName).unsafeUnwrap(),
            scopes: ['openid', 'email'],
            attributeMapping: { email: ProviderAttribute.other('email') },
          }),
    );
    this.client = this.userPool.addClient('Dashboard', {
      userPoolClientName: 'finance-dashboard',
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${api.apiEndpoint}/auth/callback`],
        logoutUrls: [`${api.apiEndpoint}/auth/signed-out`],
      },
      supportedIdentityProviders: [
        UserPoolClientIdentityProvider.COGNITO,
        ...config.federation.map((p) => UserPoolClientIdentityProvider.custom(p.name)),
      ],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    for (const provider of federated) this.client.node.addDependency(provider);
  }

  /** The environment a sign-in function or the session authorizer reads (`functions/wiring/signIn.ts`). */
  get environment(): Record<string, string> {
    return {
      USER_POOL_ID: this.userPool.userPoolId,
      USER_POOL_CLIENT_ID: this.client.userPoolClientId,
      SIGN_IN_DOMAIN: this.domain.baseUrl(),
    };
  }
}

import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { WEBHOOK_SOURCES } from '../functions/domain/platforms/mappers.js';
import { TABLES, type TableDefinition } from './tables.js';

/**
 * The stateful half: tables and secrets, retained on stack deletion. Deployed apart from the functions so
 * that a code deploy can never replace data.
 */
export class BudgetDataStack extends Stack {
  /** Tables by their definition id. */
  readonly tables: ReadonlyMap<string, TableV2>;
  /** One Secrets Manager secret per webhook source. */
  readonly webhookSecrets: ReadonlyMap<string, Secret>;
  /** The key the pollers fingerprint accounts' credentials with (functions/adapters/platforms/credentials.ts). */
  readonly fingerprintKey: Secret;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.tables = new Map(TABLES.map((table) => [table.id, this.table(table)]));
    this.webhookSecrets = new Map(WEBHOOK_SOURCES.map((source) => [source, this.webhookSecret(source)]));
    this.fingerprintKey = this.credentialsFingerprintKey();
  }

  /**
   * The deployment's own HMAC key for the fingerprints a credentials alert keeps: the alert is read through
   * the API and the bus, and a fingerprint without a key would let its readers test guessed tokens offline.
   * Retained with the tables, so an open alert's fingerprint still matches after a deploy.
   */
  private credentialsFingerprintKey(): Secret {
    return this.retainedSecret(
      'CredentialsFingerprintKey',
      'HMAC key of the credentials fingerprints in credentials alerts; used by the pollers only, never shared',
      64,
      'Rotating it only changes fingerprints: an account whose credentials were refused is tried once more, then remembered under the new key. Rotate by putting a new value when wanted.',
    );
  }

  private webhookSecret(source: string): Secret {
    return this.retainedSecret(
      `WebhookSecret-${source}`,
      `HMAC signing secret for POST /webhooks/${source}; share it with the ${source} sender`,
      48,
      'The secret is shared with an external ad-platform sender, so rotation is coordinated by hand: put the new value, let the sender sign with both (several v1 signatures are accepted), then retire the old.',
    );
  }

  /** A generated secret kept when the stack goes, with why it is rotated by hand rather than on a schedule. */
  private retainedSecret(id: string, description: string, passwordLength: number, rotation: string): Secret {
    const secret = new Secret(this, id, {
      description,
      generateSecretString: { passwordLength, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: rotation });
    return secret;
  }

  private table(table: TableDefinition): TableV2 {
    return new TableV2(this, table.id, {
      partitionKey: { name: table.partitionKey, type: AttributeType.STRING },
      ...(table.sortKey ? { sortKey: { name: table.sortKey, type: AttributeType.STRING } } : {}),
      ...(table.timeToLiveAttribute ? { timeToLiveAttribute: table.timeToLiveAttribute } : {}),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

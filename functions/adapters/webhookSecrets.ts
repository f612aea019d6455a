import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** Where a webhook source's secrets come from; the result lists every secret currently accepted. */
export type SecretSource = (source: string) => Promise<string[]>;

/** The default secret of every source in local mode only, as the README says. */
export const LOCAL_DEV_SECRET = 'local-dev-secret';

/** A secret value is one string, or a JSON array of strings while a rotation is in progress. */
export const parseSecretValue = (value: string): string[] => {
  if (value.startsWith('[')) {
    const list = JSON.parse(value) as unknown;
    if (Array.isArray(list) && list.every((s) => typeof s === 'string' && s.length > 0)) return list as string[];
    throw new Error('a webhook secret list must be a JSON array of non-empty strings');
  }
  return [value];
};

/** The local env variable for a source's secret: `WEBHOOK_SECRET_<SOURCE>` with `-` as `_`. */
export const localSecretVariable = (source: string): string => `WEBHOOK_SECRET_${source.toUpperCase().replaceAll('-', '_')}`;

/** Local mode: secrets from `WEBHOOK_SECRET_<SOURCE>` as `lookup` finds them, defaulting to {@link LOCAL_DEV_SECRET}. */
export const envSecrets =
  (lookup: (variable: string) => string | undefined): SecretSource =>
  async (source) =>
    parseSecretValue(lookup(localSecretVariable(source)) ?? LOCAL_DEV_SECRET);

/**
 * AWS: one Secrets Manager secret per source, named by `WEBHOOK_SECRET_ARNS` (a JSON map of source → ARN;
 * ARNs, not values, so nothing secret sits in the environment). Values are cached for 5 minutes, so a
 * rotation is picked up without a deploy.
 */
export const secretsManagerSecrets =
  (arns: Record<string, string>): SecretSource =>
  async (source) => {
    const arn = arns[source];
    if (!arn) throw new Error(`no secret configured for webhook source "${source}"`);
    const value = await getSecret(arn, { maxAge: 300 });
    if (typeof value !== 'string') throw new Error(`secret for "${source}" is not a string`);
    return parseSecretValue(value);
  };

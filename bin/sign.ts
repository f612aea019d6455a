import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signatureHeader } from '../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET, localSecretVariable } from '../functions/adapters/webhookSecrets.js';

/**
 * `npm run sign -- --source generic FILE`: prints a curl command that POSTs FILE with a valid X-Signature,
 * the way an ad-platform sender signs. The secret comes from WEBHOOK_SECRET_<SOURCE> (or the local default).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    source: { type: 'string', default: 'generic' },
    url: { type: 'string', default: `http://localhost:${process.env.PORT ?? 3000}` },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npm run sign -- [--source generic] [--url http://localhost:3000] FILE');
  process.exit(2);
}
const body = readFileSync(file, 'utf8');
const secret = process.env[localSecretVariable(values.source)] ?? LOCAL_DEV_SECRET;
const header = signatureHeader([secret], body, Math.floor(Date.now() / 1000));
console.log(
  `curl -sS -X POST '${values.url}/webhooks/${values.source}' -H 'content-type: application/json' -H 'x-signature: ${header}' --data-binary @${file}`,
);

import { readFileSync } from 'node:fs';
import { signatureHeader } from '../functions/adapters/signature.js';
import { LOCAL_DEV_SECRET, localSecretVariable } from '../functions/adapters/webhookSecrets.js';
import { WEBHOOK_SOURCES } from '../functions/domain/platforms/mappers.js';
import { httpUrl, parseCli } from './cli.js';
import { recordedServer } from './local/serverFile.js';

/**
 * `npm run sign -- --source generic FILE`: prints a curl command that POSTs FILE with a valid X-Signature,
 * the way an ad-platform sender signs. The secret comes from WEBHOOK_SECRET_<SOURCE> (or the local default).
 */
// The server `npm start` runs: PORT when this terminal sets it, else the URL a running npm start recorded,
// else npm start's default port.
const running = recordedServer();
const LOCAL_URL = process.env.PORT ? `http://localhost:${process.env.PORT}` : (running?.url ?? 'http://localhost:3000');
const LOCAL_WHY = process.env.PORT
  ? 'from PORT'
  : running
    ? `the npm start running as process ${running.pid}`
    : 'npm start’s default port (PORT unset)';
const { values, positionals } = parseCli(
  `npm run sign -- [--source generic|meta|google-ads|tiktok] [--url ${LOCAL_URL}] FILE

Prints a curl command that POSTs FILE to /webhooks/<source> with a valid X-Signature, signed with
WEBHOOK_SECRET_<SOURCE> (or the local default secret). The URL defaults to the local server's:
http://localhost:$PORT, as npm start listens (3000 when PORT is unset).`,
  {
    source: { type: 'string', default: 'generic' },
    url: { type: 'string', default: LOCAL_URL },
  },
  true,
);
const file = positionals[0];
if (!file) {
  console.error(`usage: npm run sign -- [--source generic] [--url ${LOCAL_URL}] FILE`);
  process.exit(2);
}
httpUrl(values.url!);
const source = values.source ?? 'generic';
if (!(WEBHOOK_SOURCES as readonly string[]).includes(source)) {
  console.error(`unknown source "${source}"; use one of ${WEBHOOK_SOURCES.join(', ')}`);
  process.exit(2);
}
// The bytes curl sends (--data-binary), so a file that is not UTF-8 is signed as sent and told so with a 400.
let body: Buffer;
try {
  body = readFileSync(file);
} catch (error) {
  // A missing or unreadable file is the caller's mistake: one line and exit 2, as every CLI here, no stack trace.
  console.error(`cannot read ${file}: ${(error as Error).message}`);
  process.exit(2);
}
const secret = process.env[localSecretVariable(source)] ?? LOCAL_DEV_SECRET;
const header = signatureHeader([secret], body, Math.floor(Date.now() / 1000));
// On stderr, so that `$(npm run sign …)` still captures the command alone: which server it targets, and why.
if (values.url === LOCAL_URL) {
  console.error(`Targets ${LOCAL_URL}, ${LOCAL_WHY}; use --url or PORT for another server.`);
}
/** One shell word, whatever it holds: single-quoted, each ' closed, escaped and reopened (POSIX sh). */
const word = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
// Every part is quoted: the command is meant to be pasted or piped into sh, and a path or URL with spaces,
// quotes or $( ) must reach curl as one argument, never as shell syntax.
console.log(
  `curl -sS -X POST ${word(`${values.url}/webhooks/${source}`)} -H 'content-type: application/json' -H ${word(`x-signature: ${header}`)} --data-binary ${word(`@${file}`)}`,
);

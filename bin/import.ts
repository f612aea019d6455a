import { readFileSync } from 'node:fs';
import { LOCAL_DEV_SECRET, localSecretVariable } from '../functions/adapters/webhookSecrets.js';
import { parseCli, usageError } from './cli.js';
import { type HistoryFile, HistoryHeaderError, readHistory } from './local/historyCsv.js';
import { ImportStopped, type ImportSummary, importHistory } from './local/importHistory.js';
import { recordedServer } from './local/serverFile.js';
import { progress } from './progress.js';

/**
 * `npm run import -- --portfolio ID [--url URL] [--revision N] FILE.csv`: backfills daily history through
 * `POST /webhooks/generic`, signed like any sender, so the webhook's validation, idempotency and restatement
 * rules decide every line (docs/import.md). Exit 0 when every line was accepted, a duplicate or stale; 1 when
 * some lines were refused; 2 on a usage error.
 */
// The server npm start runs, found as `npm run sign` finds it: PORT, else the running npm start's record.
const LOCAL_URL = process.env.PORT ? `http://localhost:${process.env.PORT}` : (recordedServer()?.url ?? 'http://localhost:3000');

const { values, positionals } = parseCli(
  `npm run import -- --portfolio ID [--url ${LOCAL_URL}] [--revision N] FILE.csv

Backfills daily history from FILE.csv (header channelId,date,spend,conversions, then any of revenue,
impressions, clicks, revision) as signed deliveries of at most 1000 records to /webhooks/generic.
The URL defaults to the local server's; with --url a deployed API, signed with WEBHOOK_SECRET_GENERIC.
--revision N is the revision of lines without a revision value (default: none, the webhook's 0).
Exit 0 when every line was accepted, a duplicate or stale; 1 when some were refused; 2 on usage errors.`,
  {
    portfolio: { type: 'string' },
    url: { type: 'string', default: LOCAL_URL },
    revision: { type: 'string' },
  },
  true,
);

const file = positionals[0];
if (!values.portfolio) usageError('--portfolio ID is required');
if (!file) usageError('FILE.csv is required');
if (positionals.length > 1) usageError(`one file at a time, not ${positionals.length}`);
if (values.revision !== undefined && !/^\d+$/.test(values.revision))
  usageError(`--revision must be a whole number ≥ 0, not "${values.revision}"`);

let text = '';
try {
  text = readFileSync(file as string, 'utf8');
} catch (error) {
  usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
}

let history: HistoryFile = { lines: [], refused: [] };
try {
  history = readHistory(text, values.revision === undefined ? undefined : Number(values.revision));
} catch (error) {
  if (!(error instanceof HistoryHeaderError)) throw error;
  usageError(`${file}: ${error.message}`);
}

const report = progress();
let summary: ImportSummary = { accepted: 0, duplicates: 0, stale: 0, refused: [] };
try {
  summary = await importHistory(
    {
      baseUrl: (values.url ?? LOCAL_URL).replace(/\/+$/, ''),
      secret: process.env[localSecretVariable('generic')] ?? LOCAL_DEV_SECRET,
      portfolioId: values.portfolio as string,
      fileText: text,
      lines: history.lines,
      onProgress: (done, total) => report.step(done, total, `Importing ${file}`),
    },
    history.refused,
  );
} catch (error) {
  report.end();
  if (!(error instanceof ImportStopped)) throw error;
  console.error(`${error.message}`);
  process.exit(2);
}
report.end();

const lineCount = history.lines.length + history.refused.length;
console.log(`Imported ${file} into portfolio ${values.portfolio}: ${lineCount} line${lineCount === 1 ? '' : 's'}`);
console.log(`  accepted    ${summary.accepted}`);
console.log(`  duplicates  ${summary.duplicates}`);
console.log(`  stale       ${summary.stale}`);
console.log(`  refused     ${summary.refused.length}`);
for (const { line, reason } of summary.refused) console.log(`    line ${line}: ${reason}`);
if (summary.refused.length > 0) {
  console.error(
    `${summary.refused.length} line${summary.refused.length === 1 ? ' was' : 's were'} refused and not stored; fix them and import the file again (the other lines count as duplicates then).`,
  );
  process.exit(1);
}

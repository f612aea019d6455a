import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../functions/adapters/configFile.js';
import type { Allocation } from '../functions/domain/allocation/schemas.js';
import { answerAllocation, printedAllocation, printedRefusal } from './allocateAnswer.js';
import { answerLines } from './allocateLines.js';
import { isLoopback, MAX_BODY_BYTES, startAllocateServer } from './allocateServer.js';
import { fetchSnapshot, localServerUrl, ReplayError, totalsDiffer } from './allocateSnapshot.js';
import { httpUrl, parseCli, usageError } from './cli.js';

/**
 * `npm run allocate -- --input FILE`: reads an AllocationInput and prints the Allocation as JSON.
 * Exit 0 on any allocation (held included); exit 2 naming each problem's path on invalid input, and on an
 * input the allocator cannot honour (a result that is not a finite number), without a stack trace.
 * `--serve PORT` and `--ndjson` answer many inputs from one process, each exactly as `--input` would.
 * `--snapshot ID` replays a snapshot of the running local server: its stored input, solved again.
 */
const { values } = parseCli(
  `npm run allocate -- --input FILE
npm run allocate -- --serve [127.0.0.1:]PORT
npm run allocate -- --ndjson < inputs.ndjson > allocations.ndjson
npm run allocate -- --snapshot ID [--portfolio ID] [--url URL] [--print-input]

Reads an AllocationInput (docs/allocation.md) and prints the Allocation as JSON.
Exit 0 on any allocation, a held one included; exit 2 naming each problem's path on invalid input.

Batch mode (one process, many inputs, each answered exactly as --input answers it; docs/allocation.md):
  --serve PORT  listen on 127.0.0.1 only (PORT 0 picks a free port) and print the URL on one line.
                POST / with an AllocationInput body: 200 and the Allocation as --input prints it; a
                refusal is 400 {"error":{"code","message","issues"}} with the same message and paths;
                a body over ${MAX_BODY_BYTES / 1024 / 1024} MB 413, not JSON 400, not a POST 405.
                Stops on SIGINT or SIGTERM.
  --ndjson      one AllocationInput per line on stdin, one Allocation per line on stdout, in order; a
                refusal is {"error":{...}} on its line. Exit 0 once stdin ends.

Replay (docs/allocation.md):
  --snapshot ID   reads the input snapshot ID was decided from (GET /portfolios/{id}/allocations/ID/input
                  of the running npm start: PORT, else the server it recorded, else http://localhost:3000;
                  the bearer token is LOCAL_API_TOKEN, default local-dev-token), solves it again and prints
                  the Allocation as --input does. Exit 0 when every channel total equals the snapshot's, 1
                  when one differs (each listed on stderr) or no server answers, 2 when the server refuses.
  --portfolio ID  the snapshot's portfolio (default: each portfolio of config/budget.config.json in turn)
  --url URL       another server
  --print-input   print the stored input instead of solving it`,
  {
    input: { type: 'string' },
    serve: { type: 'string' },
    ndjson: { type: 'boolean' },
    snapshot: { type: 'string' },
    portfolio: { type: 'string' },
    url: { type: 'string' },
    'print-input': { type: 'boolean' },
  },
);
const modes = [values.input !== undefined, values.serve !== undefined, values.ndjson === true, values.snapshot !== undefined].filter(
  Boolean,
).length;
if (modes !== 1) usageError('give one of --input FILE, --serve PORT, --ndjson or --snapshot ID');
if (values.snapshot === undefined && (values.portfolio !== undefined || values.url !== undefined || values['print-input']))
  usageError('--portfolio, --url and --print-input go with --snapshot ID');

if (values.serve !== undefined) {
  const [, host = '127.0.0.1', port] = /^(?:(.*):)?(\d{1,5})$/.exec(values.serve) ?? [];
  if (port === undefined || Number(port) > 65535) usageError(`--serve takes a port (0 for a free one), not "${values.serve}"`);
  if (!isLoopback(host)) usageError(`--serve listens on 127.0.0.1 only, not on "${host}"`);
  const server = await startAllocateServer(Number(port)).catch((error: Error) =>
    usageError(`--serve cannot listen on 127.0.0.1:${port}: ${error.message.split('\n')[0]}`),
  );
  console.log(server.url);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else if (values.ndjson) {
  await answerLines(process.stdin, process.stdout);
} else if (values.snapshot !== undefined) {
  const id = values.snapshot;
  const portfolios = values.portfolio ? [values.portfolio] : loadConfigFile().portfolios.map((p) => p.id);
  const token = process.env.LOCAL_API_TOKEN ?? 'local-dev-token';
  const stored = await fetchSnapshot(values.url !== undefined ? httpUrl(values.url) : localServerUrl(), token, portfolios, id).catch(
    (error: unknown) => {
      if (!(error instanceof ReplayError)) throw error;
      console.error(error.message);
      return process.exit(error.exitCode);
    },
  );
  if (values['print-input']) {
    process.stdout.write(`${JSON.stringify(JSON.parse(stored.inputText), null, 2)}\n`);
    process.exit(0);
  }
  const answer = answerAllocation(stored.inputText, `snapshot ${id}'s input`);
  if (!answer.ok) {
    process.stderr.write(printedRefusal(answer.refusal));
    process.exit(2);
  }
  process.stdout.write(printedAllocation(answer.allocation));
  const differences = totalsDiffer(stored.totals, (answer.allocation as Allocation).channels);
  if (differences.length > 0) {
    console.error(
      `replaying snapshot ${id} of portfolio ${stored.portfolioId} gave other channel totals:\n${differences.map((d) => `  - ${d}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.error(`replayed snapshot ${id} of portfolio ${stored.portfolioId}: every channel total equals the snapshot's`);
} else {
  const file = values.input!;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    console.error(`${file}: ${(error as Error).message}`);
    process.exit(2);
  }
  const answer = answerAllocation(text, file);
  if (!answer.ok) {
    process.stderr.write(printedRefusal(answer.refusal));
    process.exit(2);
  }
  process.stdout.write(printedAllocation(answer.allocation));
}

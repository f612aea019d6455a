import { httpUrl, parseCli, usageError } from './cli.js';
import { recordedServer } from './local/serverFile.js';

/**
 * `npm run plan -- --portfolio ID --budget N`: what the allocator would place for a daily budget of N, from
 * the latest data, asked of a running server's `GET /portfolios/{id}/plan`. Prints the route's JSON.
 */
// The server `npm start` runs: PORT when this terminal sets it, else the URL a running npm start recorded,
// else npm start's default port (as bin/sign.ts finds it).
const LOCAL_URL = process.env.PORT ? `http://localhost:${process.env.PORT}` : (recordedServer()?.url ?? 'http://localhost:3000');

const { values } = parseCli(
  `npm run plan -- --portfolio ID (--budget N | --budgets A,B,C) [--url ${LOCAL_URL}]

Prints the allocation the latest data gives for a daily budget of N (or one plan per budget, up to 25, for
drawing a curve), as GET /portfolios/ID/plan answers it: today's bases, caps, targets, reserve, groups and
change limits, only the daily budget changed. Nothing is written and nothing is published.
The URL defaults to the running npm start's (PORT, else the one it recorded, else http://localhost:3000);
the bearer token is LOCAL_API_TOKEN (default local-dev-token).
Exit 0 with the plan on stdout; 2 when the server refuses the request (the error on stderr); 1 when no
server answers.`,
  {
    portfolio: { type: 'string' },
    budget: { type: 'string' },
    budgets: { type: 'string' },
    url: { type: 'string', default: LOCAL_URL },
  },
);
if (!values.portfolio) usageError('--portfolio is required');
if ((values.budget === undefined) === (values.budgets === undefined)) usageError('give exactly one of --budget N or --budgets A,B,C');
httpUrl(values.url!);

// The server validates the budget (one rule for the route and the CLI): it is passed on as typed.
const query: Record<string, string> = values.budget !== undefined ? { budget: values.budget } : { budgets: values.budgets! };
const url = `${values.url!.replace(/\/+$/, '')}/portfolios/${encodeURIComponent(values.portfolio!)}/plan?${new URLSearchParams(query)}`;
const token = process.env.LOCAL_API_TOKEN ?? 'local-dev-token';

let response: Response;
try {
  response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
} catch (error) {
  console.error(`no server answered at ${values.url} (${(error as Error).cause ?? (error as Error).message}); start one with npm start`);
  process.exit(1);
}
const body = await response.text();
if (!response.ok) {
  console.error(`${response.status}: ${body}`);
  process.exit(response.status >= 500 ? 1 : 2);
}
console.log(JSON.stringify(JSON.parse(body), null, 2));

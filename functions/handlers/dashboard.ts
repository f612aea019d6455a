import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { renderDashboard } from '../adapters/dashboard/page.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { httpHandler, parseQuery } from '../adapters/http.js';
import { findPortfolio } from '../adapters/portfolios.js';
import { csrfToken, readCookies, SESSION_COOKIE } from '../adapters/session.js';
import type { AlertStore, SnapshotStore } from '../application/ports.js';
import * as z from '../domain/schema.js';
import { deployedConfig } from '../wiring/config.js';
import { alertsRepository, allocationsRepository, dynamoClient } from '../wiring/dynamo.js';

export interface DashboardDependencies {
  readonly config: LoadedConfig;
  readonly allocations: SnapshotStore;
  readonly alerts: AlertStore;
}

/** Snapshots the page charts and offers for comparison. */
const SNAPSHOTS_SHOWN = 30;

/** `token` is the local runtime's stand-in for IAM in a browser; it is carried on links, never used here. */
const DashboardQuery = z.object({
  portfolio: z.optional(z.string().check(z.minLength(1))),
  from: z.optional(z.string().check(z.minLength(1))),
  to: z.optional(z.string().check(z.minLength(1))),
  token: z.optional(z.string()),
});

/** The session authorizer's context: who is signed in, and their groups. */
const viewerOf = (event: APIGatewayProxyEventV2) => {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, string> } }).authorizer?.lambda;
  if (!context?.user) return undefined;
  const token = readCookies(event.cookies, event.headers.cookie).get(SESSION_COOKIE);
  return { user: context.user, groups: (context.groups ?? '').split(',').filter(Boolean), ...(token ? { csrf: csrfToken(token) } : {}) };
};

/** `GET /dashboard`: the finance dashboard for one portfolio, rendered on the server from the tables. */
export const createDashboardHandler = ({ config, allocations, alerts }: DashboardDependencies) =>
  httpHandler(async (event) => {
    const { portfolio: id, from, to, token } = parseQuery(DashboardQuery, event);
    const viewer = viewerOf(event);
    const portfolio = findPortfolio(config, id ?? config.portfolios[0]!.id);
    // Snapshots up to the one LATEST points at: a run that died before publishing never shows as the latest.
    const [latest, open] = await Promise.all([allocations.latest(portfolio.id), alerts.open(portfolio.id)]);
    const page = latest ? await allocations.list(portfolio.id, { limit: SNAPSHOTS_SHOWN, to: latest.snapshotId }) : { snapshots: [] };
    const html = renderDashboard({
      portfolios: config.portfolios,
      portfolio,
      snapshots: page.snapshots,
      alerts: open,
      diff: { ...(from ? { from } : {}), ...(to ? { to } : {}) },
      carry: token ? { token } : {},
      ...(viewer ? { viewer } : {}),
    });
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Server-rendered SVG and inline styles only: no script runs, no frame embeds the page.
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
      },
      body: html,
    };
  });

const client = createDocumentClient(dynamoClient());

export const handler = createDashboardHandler({
  config: deployedConfig,
  allocations: allocationsRepository(client),
  alerts: alertsRepository(client),
});

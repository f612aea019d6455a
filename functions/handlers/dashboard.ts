import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { APPLIES_TABLE } from '../../lib/tables.js';
import { AppliesRepository } from '../adapters/appliesRepository.js';
import type { LoadedConfig } from '../adapters/configFile.js';
import { APPROVAL_NOTICES, type ApprovalNotice, withAppliedBudgets } from '../adapters/dashboard/applies.js';
import { MAX_CHANNELS_WITH_HEALTH } from '../adapters/dashboard/modelHealth.js';
import { comparable, comparedPair, OPERATE_NOTICES, type OperateNotice, renderDashboard } from '../adapters/dashboard/page.js';
import type { PlannerView } from '../adapters/dashboard/planner.js';
import { allocatedByDay, PACING_DAYS } from '../adapters/dashboard/sections.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { httpHandler, parseQuery, redirect } from '../adapters/http.js';
import { findPortfolio } from '../adapters/portfolios.js';
import { csrfToken, readCookies, SESSION_COOKIE, signedInPerson, signInLocation } from '../adapters/session.js';
import type { ApplyStore } from '../application/applyPorts.js';
import { coveringRange, readMetricsOnce } from '../application/metricsWindow.js';
import { modelDiagnostics } from '../application/modelDiagnostics.js';
import { planBudgets } from '../application/planBudgets.js';
import type { AlertStore, Clock, MetricsReader, SnapshotStore } from '../application/ports.js';
import { stopLossChannels, withActionsInForce } from '../domain/alerts/lifecycle.js';
import { AllocationInput } from '../domain/allocation/schemas.js';
import { SNAPSHOT_ID } from '../domain/allocationsQuery.js';
import type { Portfolio } from '../domain/config.js';
import { addDays, dateInZone } from '../domain/dates.js';
import { diagnosticsRange } from '../domain/diagnostics/diagnose.js';
import { channelName, displayMoney, plannerBudgets } from '../domain/financeViews.js';
import { rollupDaily } from '../domain/metrics.js';
import * as z from '../domain/schema.js';
import { historyRange, type Snapshot, snapshotIdBound } from '../domain/snapshots.js';
import { deployedConfig } from '../wiring/config.js';
import { alertsRepository, allocationsRepository, dynamoClient, metricsRepository } from '../wiring/dynamo.js';
import { tableName } from '../wiring/dynamoConnection.js';

export interface DashboardDependencies {
  readonly config: LoadedConfig;
  readonly allocations: SnapshotStore;
  readonly alerts: AlertStore;
  readonly metrics: MetricsReader;
  readonly clock: Clock;
  /** What reached the ad platforms (the Applies table); absent, the page has no "Applied" section. */
  readonly applies?: Pick<ApplyStore, 'list' | 'state'>;
}

/** Snapshots the page charts and offers for comparison. */
const SNAPSHOTS_SHOWN = 30;
/** Snapshots read for pacing: the newest of each of the last 14 days, through hourly runs. */
const PACING_SNAPSHOTS = 400;

type Notice = ApprovalNotice | OperateNotice;
const isOperateNotice = (notice: Notice | undefined): notice is OperateNotice => notice !== undefined && notice in OPERATE_NOTICES;

/** `token` is the local runtime's stand-in for IAM in a browser; it is carried on links, never used here. */
const DashboardQuery = z.object({
  portfolio: z.optional(z.string().check(z.minLength(1))),
  from: z.optional(z.string().check(z.minLength(1))),
  to: z.optional(z.string().check(z.minLength(1))),
  token: z.optional(z.string()),
  /** Why a form posted from this page did nothing; an unknown code is dropped, never shown. */
  notice: z.catch(
    z.optional(z.enum([...Object.keys(APPROVAL_NOTICES), ...Object.keys(OPERATE_NOTICES)] as [Notice, ...Notice[]])),
    undefined,
  ),
});

/** The signed-in person, with the CSRF token their forms carry when the session is a cookie (not the local token). */
const viewerOf = (event: APIGatewayProxyEventV2) => {
  const person = signedInPerson(event);
  if (!person) return undefined;
  const token = readCookies(event.cookies, event.headers.cookie).get(SESSION_COOKIE);
  return { ...person, ...(token ? { csrf: csrfToken(token) } : {}) };
};

/**
 * `GET /dashboard`: the finance dashboard for one portfolio, rendered on the server from the tables. A
 * browser without a valid session (the authorizer lets this page through as nobody) is sent to sign-in,
 * which brings it back here.
 */
export const createDashboardHandler = ({ config, allocations, alerts, metrics, clock, applies }: DashboardDependencies) =>
  httpHandler(async (event) => {
    const viewer = viewerOf(event);
    if (!viewer) return redirect(signInLocation(event));
    const { portfolio: id, from, to, token, notice } = parseQuery(DashboardQuery, event);
    const portfolio = findPortfolio(config, id ?? config.portfolios[0]!.id, 'portfolio');
    // One instant for the whole page: pacing, the what-if plans and model health all see the same today.
    const now = clock();
    const at = () => now;
    const today = dateInZone(now, portfolio.timezone);
    const since = addDays(today, -PACING_DAYS);
    const spentOn = addDays(today, -1);
    const channelIds = portfolio.channels.map((c) => c.id);
    const withHealth = portfolio.channels.length <= MAX_CHANNELS_WITH_HEALTH;
    // Each dataset once: the metrics pacing, the what-if plans and model health read (the widest range of the
    // three, which model health's is), the plan in force and the open alerts; the parts are served from them.
    // Snapshots up to the one LATEST points at: a run that died before publishing never shows as the latest.
    const [latest, stored, metricsRead] = await Promise.all([
      allocations.latest(portfolio.id),
      alerts.open(portfolio.id),
      readMetricsOnce(
        metrics,
        portfolio.id,
        channelIds,
        coveringRange([{ from: since, to: spentOn }, historyRange(today), ...(withHealth ? [diagnosticsRange(today)] : [])]),
      ),
    ]);
    // Each alert says what its rule does under today's config: a deploy may have added a stop-loss or taken it away.
    const open = withActionsInForce(stored, portfolio);
    const rows = await metricsRead.portfolioRows(portfolio.id, channelIds, since, spentOn);
    const page = latest ? await allocations.list(portfolio.id, { limit: SNAPSHOTS_SHOWN, to: latest.snapshotId }) : { snapshots: [] };
    const recent = latest ? await recentSnapshots(allocations, portfolio.id, since, latest.snapshotId) : [];
    // Why it changed reads the inputs the compared snapshots were solved from; the planner solves 25 budgets.
    const compare = await askedFor(allocations, portfolio.id, page.snapshots, latest, [from, to]);
    const pair = comparedPair(comparable(page.snapshots, compare.older), { from, to });
    // What the planner reads, from what the page has read: the same metrics, plan in force and stop-losses.
    const planned = {
      metrics: metricsRead,
      allocations: { latest: async () => latest, list: allocations.list.bind(allocations) },
      stopLosses: { openStopLosses: async () => stopLossChannels(open, portfolio) },
      clock: at,
    };
    // Model health: the model the plan rests on, refitted for each of the last 14 days (about 0.1 s for six
    // channels), beside the what-if plans.
    const [fromInput, toInput, planner, diagnostics] = await Promise.all([
      pair ? keptInput(allocations, pair.from) : null,
      pair ? keptInput(allocations, pair.to) : null,
      latest ? whatIf(planned, portfolio) : undefined,
      latest && withHealth ? modelDiagnostics({ metrics: metricsRead, clock: at }, portfolio) : undefined,
    ]);
    // What reached the platforms: per channel applied budgets, and pacing against them where they exist.
    const [records, applyState] = applies
      ? // As many applies as pacing reads plans: hourly plans over 14 days, each day's applied budgets among them.
        await Promise.all([applies.list(portfolio.id, PACING_SNAPSHOTS), applies.state(portfolio.id)])
      : [[], undefined];
    const daily = rollupDaily(rows);
    const html = renderDashboard({
      portfolios: config.portfolios,
      portfolio,
      configHash: config.hash,
      snapshots: page.snapshots,
      alerts: open,
      diff: { ...(from ? { from } : {}), ...(to ? { to } : {}), ...compare },
      carry: token ? { token } : {},
      daily,
      allocated: withAppliedBudgets(allocatedByDay(recent), records, portfolio.timezone),
      today,
      ...(viewer ? { viewer } : {}),
      inputs: { from: fromInput, to: toInput },
      ...(planner ? { planner } : {}),
      ...(diagnostics ? { diagnostics } : {}),
      ...(isOperateNotice(notice) ? { operateNotice: notice } : {}),
      ...(applies
        ? {
            applies: {
              portfolioId: portfolio.id,
              mode: portfolio.apply.mode,
              records,
              latest: page.snapshots[0],
              spent: new Map(daily.filter((d) => d.date === spentOn).map((d) => [d.channelId, d.spend])),
              spentOn,
              money: displayMoney(portfolio.currency),
              name: (id: string) => channelName(portfolio, id),
              ...(notice && !isOperateNotice(notice) ? { notice } : {}),
              ...(applyState ? { state: applyState } : {}),
              ...(viewer ? { viewer } : {}),
            },
          }
        : {}),
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

/**
 * The input a snapshot was solved from, as replay keeps it (a reused snapshot's is its source's); null when it
 * was not kept or no longer parses.
 */
const keptInput = async (allocations: SnapshotStore, snapshot: Snapshot): Promise<AllocationInput | null> => {
  // An input that cannot be read (a part missing) costs the page its amounts, not the page itself.
  const raw = await allocations.input(snapshot.portfolioId, snapshot.reusedFrom ?? snapshot.snapshotId).catch(() => null);
  const parsed = raw === null ? null : z.safeParse(AllocationInput, raw);
  return parsed?.success ? parsed.data : null;
};

/**
 * The what-if planner's 25 plans around today's budget, solved as `GET /portfolios/{id}/plan?budgets=` does;
 * a plan that cannot be solved is said on the page instead of failing it.
 */
const whatIf = async (sources: Parameters<typeof planBudgets>[0], portfolio: Portfolio): Promise<PlannerView> => {
  try {
    const { plans, asOf } = await planBudgets(sources, portfolio, plannerBudgets(portfolio.budget.daily, portfolio.currency));
    return { plans, asOf };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

/**
 * Snapshots from `from` (a date) up to `to` (an id), newest first, at most {@link PACING_SNAPSHOTS}; none when
 * `to` is older than `from` (the latest run is older than the pacing window: the store answers crossed bounds
 * with an empty page).
 */
/**
 * The snapshots a comparison asks for by id that are not among those shown (older ones: the page reads the
 * latest 30, an hour apart on the default schedule), and the ids the portfolio has no snapshot of, which the
 * page names instead of comparing two others without a word. A snapshot newer than `LATEST` (a run that died
 * before publishing) counts as missing; an older one is compared, as the list shows it.
 */
const askedFor = async (
  allocations: SnapshotStore,
  portfolioId: string,
  shown: readonly Snapshot[],
  latest: Snapshot | null,
  ids: readonly (string | undefined)[],
): Promise<{ older: Snapshot[]; missing: string[] }> => {
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined && !shown.some((s) => s.snapshotId === id)))];
  const found = await Promise.all(
    wanted.map((id) => (latest && SNAPSHOT_ID.test(id) && id <= latest.snapshotId ? allocations.get(portfolioId, id) : null)),
  );
  return {
    older: found.filter((s): s is Snapshot => s !== null),
    missing: wanted.filter((_, i) => found[i] === null),
  };
};

const recentSnapshots = async (allocations: SnapshotStore, portfolioId: string, from: string, to: string): Promise<Snapshot[]> => {
  const lower = snapshotIdBound(from, 'from')!;
  const found: Snapshot[] = [];
  let cursor: string | undefined;
  do {
    const page = await allocations.list(portfolioId, {
      from: lower,
      to,
      limit: 100,
      // Pacing compares spend with plans that were in force: published ones.
      publishedOnly: true,
      ...(cursor ? { cursor } : {}),
    });
    found.push(...page.snapshots);
    cursor = page.next ?? undefined;
  } while (cursor && found.length < PACING_SNAPSHOTS);
  return found;
};

const client = createDocumentClient(dynamoClient());

export const handler = createDashboardHandler({
  config: deployedConfig,
  allocations: allocationsRepository(client),
  alerts: alertsRepository(client),
  metrics: metricsRepository(client),
  clock: () => new Date(),
  applies: new AppliesRepository(client, tableName(APPLIES_TABLE)),
});

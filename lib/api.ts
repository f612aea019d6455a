import { FUNCTION_BUNDLE_BUDGET_BYTES } from '../functions/adapters/configFile.js';
import type { Job } from '../functions/domain/jobs.js';
import {
  ALERTS_TABLE,
  ALLOCATIONS_TABLE,
  APPLIES_TABLE,
  IDEMPOTENCY_TABLE,
  METRICS_TABLE,
  REVOKED_SESSIONS_TABLE,
  type TableDefinition,
} from './tables.js';

/**
 * The functions and routes, defined once: the CDK stack builds Lambda functions and HTTP API routes from
 * these records, and the local runtime serves the same routes by invoking the same handler modules.
 */
export interface FunctionDefinition {
  /** Construct id and log name. */
  readonly id: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** Tables the function may read, and may write: its IAM grants and its environment. */
  readonly reads: readonly TableDefinition[];
  readonly writes: readonly TableDefinition[];
  /** Tables it touches one item at a time by key, granted exactly these actions (no Query, Scan or Delete). */
  readonly items?: readonly ItemAccess[];
  /** Whether it reads the webhook signing secrets. */
  readonly webhookSecrets?: boolean;
  /** Whether it publishes to the event bus. */
  readonly publishesEvents?: boolean;
  /** The job queues it sends to (the scheduled fan-out). */
  readonly sendsTo?: readonly Job[];
  /** The job queue it consumes (a worker). */
  readonly consumes?: Job;
  /** Whether it reads the ad platform accounts' credentials: exactly the secrets the config's accounts name. */
  readonly platformSecrets?: boolean;
  /** Whether it fingerprints those credentials: it reads the deployment's fingerprint key (`FINGERPRINT_KEY_ARN`). */
  readonly fingerprintKey?: boolean;
  /** The apply queue (lib/service-stack.ts): `consumes` it (the apply worker) or `sends` approvals to it. */
  readonly applyQueue?: 'consumes' | 'sends';
  /** Whether it signs people in or checks their sessions: it reads the user pool's ids and domain. */
  readonly signIn?: boolean;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /**
   * Its bundle budget in KB, when not the one every function is held to (FUNCTION_BUNDLE_BUDGET_BYTES). The
   * budget stands for module init time; an exception says why beside it, and `npm run bench -- --only
   * bundles` must still show its init within the 150 ms goal.
   */
  readonly bundleBudgetKb?: number;
}

/** The bytes a function's bundle may hold: its own budget, else the one every function is held to. */
export const bundleBudgetBytes = (definition: FunctionDefinition): number =>
  definition.bundleBudgetKb === undefined ? FUNCTION_BUNDLE_BUDGET_BYTES : definition.bundleBudgetKb * 1024;

/**
 * The functions that carry the allocator (reallocations and what-if plans): its learning (weekday factors
 * from sixteen weeks, the maturity's tail) took them past 350 KB; the shape read at its own half-life, the
 * forgotten prior, carbon-aware exploration, the planner's line on what no plan can place and the speed
 * work's column readers took them to 364 KB, plans in the currency's minor units, reasons in its decimals and
 * exploration priced by a binding carbon cap to 371 KB, the cold trials' reasons to 374.8 KB, and the LP's
 * guards against degenerate models (a pricing master that starts feasible, room read to its rounding) and
 * exploration's room inside capped groups to 376.1 KB. Measured init stayed at 114–118 ms at 357 KB; 23 KB more is noise beside the X-Ray SDK's 68 KB
 * and its semver's 28 that every function carries.
 */
const ALLOCATOR_BUNDLE_KB = 380;

/** Access to single items of a table by key: its IAM grant and its environment. */
export interface ItemAccess {
  readonly table: TableDefinition;
  readonly actions: readonly ('dynamodb:GetItem' | 'dynamodb:PutItem')[];
}

export const FUNCTIONS = {
  ingest: {
    id: 'Ingest',
    entry: 'functions/handlers/ingest.ts',
    reads: [],
    writes: [METRICS_TABLE, IDEMPOTENCY_TABLE],
    webhookSecrets: true,
    memoryMb: 1024,
    timeoutSeconds: 29,
  },
  metrics: { id: 'MetricsRead', entry: 'functions/handlers/metrics.ts', reads: [METRICS_TABLE], writes: [] },
  reallocate: {
    id: 'Reallocate',
    entry: 'functions/handlers/reallocate.ts',
    reads: [METRICS_TABLE, ALERTS_TABLE],
    writes: [ALLOCATIONS_TABLE],
    publishesEvents: true,
    memoryMb: 1024,
    bundleBudgetKb: ALLOCATOR_BUNDLE_KB,
  },
  allocations: { id: 'AllocationsRead', entry: 'functions/handlers/allocations.ts', reads: [ALLOCATIONS_TABLE], writes: [] },
  // What-if plans solve what a reallocation would, so they read what it reads (metrics, the plans in force,
  // stop-loss alerts), and write nothing: a function of their own keeps the finance reads on one table. Fit
  // diagnostics refit the same model on the same metrics, so they are served here too.
  plan: {
    id: 'PlanRead',
    entry: 'functions/handlers/plan.ts',
    reads: [METRICS_TABLE, ALLOCATIONS_TABLE, ALERTS_TABLE],
    writes: [],
    memoryMb: 1024,
    bundleBudgetKb: ALLOCATOR_BUNDLE_KB,
  },
  schedule: {
    id: 'Schedule',
    entry: 'functions/handlers/schedule.ts',
    reads: [],
    writes: [],
    sendsTo: ['reallocate', 'alerts', 'poll'],
    timeoutSeconds: 60,
  },
  reallocateWorker: {
    id: 'ReallocateWorker',
    entry: 'functions/handlers/reallocateWorker.ts',
    reads: [METRICS_TABLE, ALERTS_TABLE],
    writes: [ALLOCATIONS_TABLE],
    publishesEvents: true,
    consumes: 'reallocate',
    memoryMb: 1024,
    timeoutSeconds: 120,
    bundleBudgetKb: ALLOCATOR_BUNDLE_KB,
  },
  alerts: {
    id: 'Alerts',
    entry: 'functions/handlers/alerts.ts',
    reads: [METRICS_TABLE, ALLOCATIONS_TABLE],
    writes: [ALERTS_TABLE],
    publishesEvents: true,
  },
  // The page draws the what-if planner (25 solves), why each channel changed (the kept inputs re-solved one
  // cause at a time) and model health (refits), so it carries the allocator and the LP solver as well as
  // the page: 445 KB since the group shares' reasons and prices, the applies' rollback history and the strict
  // UTF-8 forms (425 KB before), 460 KB since plans in the currency's minor units, money in its decimals,
  // refused-rows alerts and the checks on free text; its measured init (115 ms at 425 KB) is the other
  // functions'. The memory is the allocator's.
  dashboard: {
    id: 'Dashboard',
    entry: 'functions/handlers/dashboard.ts',
    reads: [ALLOCATIONS_TABLE, ALERTS_TABLE, METRICS_TABLE, APPLIES_TABLE],
    writes: [],
    memoryMb: 1024,
    bundleBudgetKb: 470,
  },
  // Applies published plans to the platforms' budgets (docs/connectors.md): the only function holding
  // the accounts' credentials for writing, fed by the EventBridge rule on AllocationPublished and by approvals.
  applyWorker: {
    id: 'ApplyWorker',
    entry: 'functions/handlers/applyWorker.ts',
    reads: [ALLOCATIONS_TABLE],
    writes: [APPLIES_TABLE],
    publishesEvents: true,
    applyQueue: 'consumes',
    platformSecrets: true,
    timeoutSeconds: 120,
  },
  // Lists applies and takes approvals from the dashboard; it queues them for the worker and calls no platform.
  applies: {
    id: 'Applies',
    entry: 'functions/handlers/applies.ts',
    reads: [ALLOCATIONS_TABLE],
    writes: [APPLIES_TABLE],
    applyQueue: 'sends',
  },
  apiSpec: { id: 'ApiSpec', entry: 'functions/handlers/openapi.ts', reads: [], writes: [] },
  // Sign-out records the session's token id; every session check (here and in the authorizer) looks it up.
  signIn: {
    id: 'SignIn',
    entry: 'functions/handlers/signIn.ts',
    reads: [],
    writes: [],
    items: [{ table: REVOKED_SESSIONS_TABLE, actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] }],
    signIn: true,
  },
  sessionAuthorizer: {
    id: 'SessionAuthorizer',
    entry: 'functions/handlers/sessionAuthorizer.ts',
    reads: [],
    writes: [],
    items: [{ table: REVOKED_SESSIONS_TABLE, actions: ['dynamodb:GetItem'] }],
    signIn: true,
  },
  // Pulls each portfolio's ad platform accounts and stores the rows as the webhook does (deliveries, metrics),
  // and opens or resolves an alert naming an account whose credentials were refused.
  pollWorker: {
    id: 'PollWorker',
    entry: 'functions/handlers/pollWorker.ts',
    reads: [],
    writes: [METRICS_TABLE, IDEMPOTENCY_TABLE, ALERTS_TABLE],
    publishesEvents: true,
    consumes: 'poll',
    platformSecrets: true,
    fingerprintKey: true,
    // Each account's backoff waits at most 2 minutes; a portfolio's accounts are pulled one after another.
    timeoutSeconds: 600,
  },
  alertsWorker: {
    id: 'AlertsWorker',
    entry: 'functions/handlers/alertsWorker.ts',
    reads: [METRICS_TABLE, ALLOCATIONS_TABLE],
    writes: [ALERTS_TABLE],
    publishesEvents: true,
    consumes: 'alerts',
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

/**
 * Who may call a route:
 * - `signature`: a webhook sender, by its HMAC signature (checked in the handler);
 * - `iam`: a machine, by SigV4 (locally: the bearer token);
 * - `session`: a signed-in person, by the session authorizer (locally also the bearer token);
 * - `public`: anyone; only the sign-in steps, which lead to nothing without a session, and the API's description.
 */
export type RouteAuth = 'signature' | 'iam' | 'session' | 'public';

export interface RouteDefinition {
  readonly method: 'GET' | 'POST';
  /** API Gateway path template, `{name}` for a path parameter. */
  readonly path: string;
  readonly fn: FunctionName;
  readonly auth: RouteAuth;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'POST', path: '/webhooks/{source}', fn: 'ingest', auth: 'signature' },
  { method: 'GET', path: '/portfolios/{id}/metrics', fn: 'metrics', auth: 'iam' },
  { method: 'POST', path: '/portfolios/{id}/reallocate', fn: 'reallocate', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/allocations/latest', fn: 'allocations', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/allocations/diff', fn: 'allocations', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/allocations', fn: 'allocations', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/allocations/{snapshotId}', fn: 'allocations', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/allocations/{snapshotId}/input', fn: 'allocations', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/plan', fn: 'plan', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/diagnostics', fn: 'plan', auth: 'iam' },
  { method: 'GET', path: '/portfolios/{id}/alerts', fn: 'alerts', auth: 'iam' },
  { method: 'POST', path: '/portfolios/{id}/alerts/evaluate', fn: 'alerts', auth: 'iam' },
  { method: 'GET', path: '/dashboard', fn: 'dashboard', auth: 'session' },
  { method: 'POST', path: '/dashboard/reallocate', fn: 'reallocate', auth: 'session' },
  { method: 'POST', path: '/dashboard/alerts/evaluate', fn: 'alerts', auth: 'session' },
  { method: 'POST', path: '/dashboard/applies/approve', fn: 'applies', auth: 'session' },
  { method: 'GET', path: '/portfolios/{id}/applies', fn: 'applies', auth: 'iam' },
  { method: 'GET', path: '/', fn: 'signIn', auth: 'public' },
  { method: 'GET', path: '/auth/login', fn: 'signIn', auth: 'public' },
  { method: 'GET', path: '/auth/callback', fn: 'signIn', auth: 'public' },
  { method: 'POST', path: '/auth/logout', fn: 'signIn', auth: 'public' },
  { method: 'GET', path: '/auth/signed-out', fn: 'signIn', auth: 'public' },
  { method: 'GET', path: '/openapi.json', fn: 'apiSpec', auth: 'public' },
];

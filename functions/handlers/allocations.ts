import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import Negotiator from 'negotiator';
import { InvalidCursorError } from '../adapters/allocationsRepository.js';
import type { LoadedConfig } from '../adapters/configFile.js';
import { createDocumentClient } from '../adapters/dynamo.js';
import { HttpError, httpHandler, json, noQuery, parseQuery } from '../adapters/http.js';
import { findPortfolio } from '../adapters/portfolios.js';
import type { SnapshotStore } from '../application/ports.js';
import { DiffQuery, ListQuery, SNAPSHOT_ID, SnapshotQuery } from '../domain/allocationsQuery.js';
import type { Portfolio } from '../domain/config.js';
import { diffSnapshots, snapshotCsv } from '../domain/financeViews.js';
import type { Snapshot } from '../domain/snapshots.js';
import { deployedConfig } from '../wiring/config.js';
import { allocationsRepository, dynamoClient } from '../wiring/dynamo.js';

export interface AllocationsReadDependencies {
  readonly config: LoadedConfig;
  readonly allocations: SnapshotStore;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** A 404 for a snapshot (or its input) that is not there, naming where it was asked for: the path's `{snapshotId}` by default. */
const missing = (what: string, path = 'snapshotId') => new HttpError(404, 'unknown-snapshot', what, [{ path, message: what }]);

/**
 * Bytes of snapshots one list page carries: a Lambda answers at most 6 MB, and one snapshot of 5,000
 * channels is about 1.6 MB, so a page of large snapshots ends early and `next` carries on.
 */
const PAGE_BYTES = 5_000_000;

/** What a snapshot is served as: JSON first, so no Accept, any type, or a tie reads JSON. */
const REPRESENTATIONS = ['application/json', 'text/csv'];

/**
 * The representation the request's Accept prefers, by its q-values (RFC 9110 §12.5.1, read by `negotiator`):
 * `application/json, text/csv;q=0.1` is JSON and `text/csv;q=0` is never CSV, where matching the text alone
 * served CSV to both.
 */
const preferred = (event: Event) => new Negotiator({ headers: { accept: event.headers.accept } }).mediaType(REPRESENTATIONS);

/**
 * One snapshot as JSON, or as the finance CSV (an attachment named after the snapshot) when `?format=csv`
 * or, without `format`, the Accept header prefers `text/csv`: the same for a snapshot by id and for `latest`.
 */
const snapshotAnswer = (portfolio: Portfolio, snapshot: Snapshot, { format }: SnapshotQuery, event: Event): Result => {
  const wantsCsv = format === 'csv' || (format === undefined && preferred(event) === 'text/csv');
  if (!wantsCsv) return json(200, snapshot);
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${portfolio.id}-${snapshot.snapshotId}.csv"`,
    },
    body: snapshotCsv(snapshot, portfolio.currency),
  };
};

/** Finance reads of allocation snapshots: latest, list, one (JSON or CSV) and diff. */
export const createAllocationsHandler = ({ config, allocations }: AllocationsReadDependencies) => {
  // Anything not shaped like a snapshot id is no snapshot: answered without a lookup (DynamoDB keys cap at 1 KB).
  const lookUp = async (portfolio: Portfolio, snapshotId: string): Promise<Snapshot | null> =>
    SNAPSHOT_ID.test(snapshotId) ? await allocations.get(portfolio.id, snapshotId) : null;
  const found = async (portfolio: Portfolio, snapshotId: string): Promise<Snapshot> => {
    const snapshot = await lookUp(portfolio, snapshotId);
    if (!snapshot) throw missing(`no snapshot "${snapshotId}" for portfolio "${portfolio.id}"`);
    return snapshot;
  };
  /** The snapshot LATEST points at. */
  const latestOf = async (portfolio: Portfolio): Promise<Snapshot> => {
    const latest = await allocations.latest(portfolio.id);
    if (!latest)
      throw missing(`portfolio "${portfolio.id}" has no snapshot yet; POST /portfolios/${portfolio.id}/reallocate makes one`, 'id');
    return latest;
  };

  const routes: Record<string, (portfolio: Portfolio, event: Event) => Promise<Result>> = {
    'GET /portfolios/{id}/allocations/latest': async (portfolio, event) => {
      const query = parseQuery(SnapshotQuery, event);
      return snapshotAnswer(portfolio, await latestOf(portfolio), query, event);
    },
    'GET /portfolios/{id}/allocations': async (portfolio, event) => {
      const { from, to, limit, cursor, include } = parseQuery(ListQuery, event);
      try {
        const page = await allocations.list(portfolio.id, {
          limit,
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(cursor ? { cursor } : {}),
          publishedOnly: include !== 'unpublished',
          maxBytes: PAGE_BYTES,
        });
        const snapshots = page.snapshots.map((s) => ({ ...s, published: page.published?.has(s.snapshotId) ?? true }));
        return json(200, { portfolioId: portfolio.id, snapshots, next: page.next });
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new HttpError(400, 'invalid-query', error.message, [{ path: 'cursor', message: error.message }]);
        throw error;
      }
    },
    'GET /portfolios/{id}/allocations/diff': async (portfolio, event) => {
      const ids = parseQuery(DiffQuery, event);
      // Both named ids are looked up before either is refused, so one answer names each that is unknown.
      const [namedFrom, namedTo] = await Promise.all([ids.from, ids.to].map((id) => (id ? lookUp(portfolio, id) : null)));
      const unknown = (['from', 'to'] as const).flatMap((path, k) =>
        ids[path] && !(k === 0 ? namedFrom : namedTo)
          ? [{ path, message: `no snapshot "${ids[path]}" for portfolio "${portfolio.id}"` }]
          : [],
      );
      if (unknown.length > 0) throw new HttpError(404, 'unknown-snapshot', unknown.map((issue) => issue.message).join('; '), unknown);
      // By default the snapshot LATEST points at (never a newer one a run left unpublished) and the published one before it.
      const to = namedTo ?? (await allocations.latest(portfolio.id));
      const before =
        ids.from || !to ? [] : (await allocations.list(portfolio.id, { limit: 2, to: to.snapshotId, publishedOnly: true })).snapshots;
      const from = namedFrom ?? before.find((s) => s.snapshotId < (to?.snapshotId ?? ''));
      if (!to || !from)
        throw missing(`portfolio "${portfolio.id}" needs two snapshots to diff; pass from= and to= snapshot ids`, to ? 'from' : 'to');
      return json(200, diffSnapshots(from, to));
    },
    'GET /portfolios/{id}/allocations/{snapshotId}/input': async (portfolio, event) => {
      noQuery(event, "the input is the snapshot's, named in the path");
      const id = event.pathParameters?.snapshotId ?? '';
      // `latest` as GET …/allocations/latest reads it (that route answered, and its input was "no snapshot latest").
      const snapshot = id === 'latest' ? await latestOf(portfolio) : await found(portfolio, id);
      // A reused snapshot was decided from its source's input, which that snapshot keeps.
      const input = await allocations.input(portfolio.id, snapshot.reusedFrom ?? snapshot.snapshotId);
      if (input === null) throw missing(`snapshot ${snapshot.snapshotId} was made before the allocator's inputs were kept`);
      return json(200, input);
    },
    'GET /portfolios/{id}/allocations/{snapshotId}': async (portfolio, event) => {
      const snapshot = await found(portfolio, event.pathParameters?.snapshotId ?? '');
      return snapshotAnswer(portfolio, snapshot, parseQuery(SnapshotQuery, event), event);
    },
  };

  return httpHandler(async (event) => {
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, 'not-found', `no route ${event.routeKey}`);
    return route(portfolio, event);
  });
};

export const handler = createAllocationsHandler({
  config: deployedConfig,
  allocations: allocationsRepository(createDocumentClient(dynamoClient())),
});

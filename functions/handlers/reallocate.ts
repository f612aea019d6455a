import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { httpHandler, json, parseBody } from '../adapters/http.js';
import { logger, recordSnapshot } from '../adapters/observability.js';
import { findPortfolio } from '../adapters/portfolios.js';
import type { ReallocationRunner } from '../application/reallocatePortfolio.js';
import { ReallocateRequest } from '../domain/snapshots.js';
import { deployedConfig } from '../wiring/config.js';
import { deployedReallocator } from '../wiring/reallocator.js';

export interface ReallocateDependencies {
  readonly config: LoadedConfig;
  readonly reallocator: ReallocationRunner;
}

/**
 * `POST /portfolios/{id}/reallocate`: a run now, on behalf of the IAM caller; 201 with the new snapshot. A body
 * `{ "releaseReserve": true, "reason": "…" }` places the reserve too, and the reason goes into the snapshot's trigger.
 */
export const createReallocateHandler = ({ config, reallocator }: ReallocateDependencies) =>
  httpHandler<APIGatewayProxyEventV2WithIAMAuthorizer>(
    async (event) => {
      const portfolio = findPortfolio(config, event.pathParameters?.id);
      const by = event.requestContext.authorizer?.iam?.userArn ?? 'unknown';
      const request = parseBody(ReallocateRequest, event);
      const { snapshot, created } = await reallocator.run(portfolio, { kind: 'on-demand', by, ...request });
      if (created) recordSnapshot(snapshot);
      logger.info('reallocated on demand', {
        portfolioId: portfolio.id,
        snapshotId: snapshot.snapshotId,
        status: snapshot.allocation.status,
        by,
        reserveReleased: request.releaseReserve?.reason ?? null,
      });
      return json(201, snapshot, { location: `/portfolios/${portfolio.id}/allocations/${snapshot.snapshotId}` });
    },
    { metrics: true },
  );

export const handler = createReallocateHandler({ config: deployedConfig, reallocator: deployedReallocator() });

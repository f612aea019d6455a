import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import { HttpError, httpHandler, json, noQuery, parseBody } from '../adapters/http.js';
import { logger, recordSnapshot } from '../adapters/observability.js';
import { backToDashboard, operatorForm } from '../adapters/operatorForm.js';
import { findPortfolio, formPortfolio } from '../adapters/portfolios.js';
import type { ReallocationRunner } from '../application/reallocatePortfolio.js';
import { validate } from '../domain/issues.js';
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
      if (event.routeKey === 'POST /dashboard/reallocate') return fromDashboard(event, config, reallocator);
      const portfolio = findPortfolio(config, event.pathParameters?.id);
      const by = event.requestContext.authorizer?.iam?.userArn ?? 'unknown';
      noQuery(event, 'send releaseReserve and reason in the JSON body');
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

/**
 * `POST /dashboard/reallocate`: the dashboard's operator form (a browser session). Only `operators` may run
 * it, and only with the session's CSRF token; then 303 back to the dashboard, which shows the new snapshot.
 */
const fromDashboard = async (event: APIGatewayProxyEventV2, config: LoadedConfig, reallocator: ReallocationRunner) => {
  const { user, form } = operatorForm(event, ['csrf', 'portfolio', 'releaseReserve', 'reason']);
  const portfolio = formPortfolio(config, form);
  // The page's checkbox sends `on` or nothing: `releaseReserve=true` would otherwise read as unticked.
  const release = form.get('releaseReserve');
  if (release !== null && release !== 'on') {
    throw new HttpError(400, 'invalid-body', 'the form is invalid', [
      {
        path: 'releaseReserve',
        message: `is ${JSON.stringify(release.slice(0, 40))}: the checkbox sends "on" to release the reserve, or nothing`,
      },
    ]);
  }
  const parsed = validate(ReallocateRequest, {
    releaseReserve: form.get('releaseReserve') === 'on',
    ...(form.get('reason') ? { reason: form.get('reason') } : {}),
  });
  // A release whose reason the page's field left empty or blank, one whose reason is not one line of text (a
  // control character, past its length), or a reason without the release ticked: nothing runs, and the
  // browser goes back and is told which.
  if (!parsed.ok && parsed.issues.every((issue) => issue.path === 'reason')) {
    const written = (form.get('reason') ?? '').trim() !== '';
    return backToDashboard(portfolio.id, release !== 'on' ? 'reason-needs-release' : written ? 'reason-invalid' : 'reserve-needs-reason');
  }
  if (!parsed.ok) throw new HttpError(400, 'invalid-body', 'the form is invalid', parsed.issues);
  const { snapshot, created } = await reallocator.run(portfolio, { kind: 'on-demand', by: user, ...parsed.value });
  if (created) recordSnapshot(snapshot);
  logger.info('reallocated from the dashboard', { portfolioId: portfolio.id, snapshotId: snapshot.snapshotId, by: user });
  return backToDashboard(portfolio.id);
};

export const handler = createReallocateHandler({ config: deployedConfig, reallocator: deployedReallocator() });

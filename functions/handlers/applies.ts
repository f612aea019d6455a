import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LoadedConfig } from '../adapters/configFile.js';
import type { ApprovalNotice } from '../adapters/dashboard/applies.js';
import { HttpError, httpHandler, json, parseQuery } from '../adapters/http.js';
import { logger } from '../adapters/observability.js';
import { backToDashboard, checkCsrf, formFields } from '../adapters/operatorForm.js';
import { findPortfolio } from '../adapters/portfolios.js';
import { signedInPerson } from '../adapters/session.js';
import { type Actuator, ApprovalRefused } from '../application/applyAllocation.js';
import type { ApplyStore } from '../application/applyPorts.js';
import { AppliesQuery, ApprovalForm } from '../domain/apply/records.js';
import { appliesRepository, deployedApprovals } from '../wiring/applies.js';
import { deployedConfig } from '../wiring/config.js';

export interface AppliesDependencies {
  readonly config: LoadedConfig;
  readonly approvals: Pick<Actuator, 'approve'>;
  readonly applies: Pick<ApplyStore, 'list'>;
}

/**
 * The person posting an approval: in `finance` or `operators` to approve, in `operators` to roll back, and
 * the form carrying the session's CSRF token (the sign-out form's pattern); otherwise a 403.
 */
const approver = (event: APIGatewayProxyEventV2, form: URLSearchParams, action: 'approve' | 'rollback'): string => {
  const person = signedInPerson(event);
  const allowed = action === 'rollback' ? ['operators'] : ['finance', 'operators'];
  if (!person?.groups.some((g) => allowed.includes(g))) {
    throw new HttpError(
      403,
      'forbidden',
      action === 'rollback' ? 'only operators may re-apply an earlier plan' : 'only finance or operators may approve a plan',
    );
  }
  checkCsrf(event, form);
  return person.user;
};

/**
 * `GET /portfolios/{id}/applies`: the newest applies, each with every budget before and after, who approved
 * and when. `POST /dashboard/applies/approve`: a person approves the pending plan (approve mode), or an
 * operator re-applies an earlier one (`action=rollback`); the apply worker then applies it, and the
 * browser returns to the dashboard, with a notice when nothing was approved.
 */
export const createAppliesHandler = ({ config, approvals, applies }: AppliesDependencies) =>
  httpHandler(async (event) => {
    if (event.routeKey === 'POST /dashboard/applies/approve') {
      const form = formFields(event, ['csrf', 'portfolio', 'snapshotId', 'action']);
      const parsed = ApprovalForm.safeParse({
        csrf: form.get('csrf') ?? '',
        portfolio: form.get('portfolio') ?? '',
        snapshotId: form.get('snapshotId') ?? '',
        ...(form.get('action') ? { action: form.get('action') } : {}),
      });
      const action = parsed.success ? parsed.data.action : form.get('action') === 'rollback' ? 'rollback' : 'approve';
      const by = approver(event, form, action);
      if (!parsed.success) {
        throw new HttpError(
          400,
          'invalid-body',
          'the form is invalid',
          parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
      const portfolio = findPortfolio(config, parsed.data.portfolio, 'portfolio');
      try {
        const record = await approvals.approve(portfolio, parsed.data.snapshotId, by, { rollback: action === 'rollback' });
        logger.info('plan approved', { portfolioId: portfolio.id, snapshotId: record.snapshotId, mode: record.mode, by });
      } catch (error) {
        if (!(error instanceof ApprovalRefused)) throw error;
        // A second click, a plan gone stale behind its button, a guardrail, an id edited into the form: the
        // person is taken back to the page, which says which one, rather than shown a JSON error.
        logger.info('approval refused', { portfolioId: portfolio.id, snapshotId: parsed.data.snapshotId, code: error.code, by });
        return backToDashboard(portfolio.id, noticeOf(error));
      }
      return backToDashboard(portfolio.id);
    }
    const portfolio = findPortfolio(config, event.pathParameters?.id);
    const { limit = 20 } = parseQuery(AppliesQuery, event);
    return json(200, { portfolioId: portfolio.id, mode: portfolio.apply.mode, applies: await applies.list(portfolio.id, limit) });
  });

/** The dashboard's notice for a refused approval: the guardrail that refused it, when one did. */
const noticeOf = (error: ApprovalRefused): ApprovalNotice =>
  error.code === 'not-found' ? 'unknown-snapshot' : error.code === 'refused' && error.guardrail ? `refused-${error.guardrail}` : error.code;

export const handler = createAppliesHandler({ config: deployedConfig, approvals: deployedApprovals(), applies: appliesRepository() });

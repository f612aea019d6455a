import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlatforms, LOCAL_DEV_TOKENS, startFakePlatforms } from '../../bin/local/fakes/index.js';
import type { FakeSeed } from '../../bin/local/fakes/state.js';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { AppliesRepository } from '../../functions/adapters/appliesRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import type { LoadedConfig } from '../../functions/adapters/loadedConfig.js';
import { envCredentials, LOCAL_DEV_CREDENTIALS } from '../../functions/adapters/platforms/credentials.js';
import { GoogleAdsBudgets } from '../../functions/adapters/platforms/googleAdsBudgets.js';
import { MetaBudgets } from '../../functions/adapters/platforms/metaBudgets.js';
import { TikTokBudgets } from '../../functions/adapters/platforms/tiktokBudgets.js';
import { csrfToken, SESSION_COOKIE } from '../../functions/adapters/session.js';
import { Actuator, ApplyBusy, type ApplyMessage } from '../../functions/application/applyAllocation.js';
import type { EventPublisher } from '../../functions/application/ports.js';
import { type ApplyMode, Portfolio } from '../../functions/domain/config.js';
import type { BudgetEvent } from '../../functions/domain/events.js';
import { Snapshot, snapshotId } from '../../functions/domain/snapshots.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

const GOOGLE = '1112223333';
const META = '100200300400500';
const TIKTOK = '7000000000000000001';

let runtime: TestRuntime;
let fakes: FakePlatforms;
let allocations: AllocationsRepository;
let applies: AppliesRepository;
const documents = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));

beforeAll(async () => {
  runtime = await startTestRuntime();
  allocations = new AllocationsRepository(documents, runtime.tableName('Allocations'));
  applies = new AppliesRepository(documents, runtime.tableName('Applies'));
}, 60_000);
afterAll(async () => {
  await runtime?.close();
});
afterEach(async () => {
  await fakes?.close();
});

/** The three fakes, each account with one campaign at a daily budget of 100 (Meta under CBO), unless `seed` changes one. */
const startFakes = async (seed: { shared?: boolean; metaAdSets?: boolean } = {}) => {
  const one = (
    platform: keyof typeof LOCAL_DEV_TOKENS,
    account: string,
    campaign: FakeSeed['accounts'][number]['campaigns'][number],
  ): FakeSeed => ({
    accounts: [{ id: account, currency: 'USD', campaigns: [campaign] }],
    tokens: LOCAL_DEV_TOKENS[platform],
  });
  fakes = await startFakePlatforms({
    'google-ads': one('google-ads', GOOGLE, { id: '111', dailyBudget: 100, shared: seed.shared ?? false }),
    meta: one(
      'meta',
      META,
      seed.metaAdSets
        ? {
            id: '222',
            dailyBudget: null,
            adGroups: [
              { id: '2221', dailyBudget: 30 },
              { id: '2222', dailyBudget: 10 },
            ],
          }
        : { id: '222', dailyBudget: 100 },
    ),
    tiktok: one('tiktok', TIKTOK, { id: '333', dailyBudget: 100 }),
  });
  return fakes;
};

let portfolios = 0;
const portfolioOf = (mode: ApplyMode, budget: Partial<{ maxDailyChange: number }> = {}) =>
  Portfolio.parse({
    id: `p${++portfolios}-${randomBytes(3).toString('hex')}`,
    name: 'Applies test',
    currency: 'USD',
    timezone: 'UTC',
    budget: { daily: 10000, explorationShare: 0.1, maxDailyChange: budget.maxDailyChange ?? 10 },
    channels: [
      { id: 'search', platform: 'google-ads', base: 10, max: 6000, sourceIds: { 'google-ads': ['111'] } },
      { id: 'social', platform: 'meta', base: 10, max: 5000, sourceIds: { meta: ['222'] } },
      { id: 'video', platform: 'tiktok', base: 10, max: 4000, sourceIds: { tiktok: ['333'] } },
      { id: 'podcast', platform: 'generic', base: 10, max: 2000 },
    ],
    accounts: [
      { platform: 'google-ads', accountId: GOOGLE, secret: 'test/google' },
      { platform: 'meta', accountId: META, secret: 'test/meta' },
      { platform: 'tiktok', accountId: TIKTOK, secret: 'test/tiktok' },
    ],
    apply: { mode },
  });

/** A published snapshot of `portfolio` with these channel totals, made `ageMs` ago; LATEST moves to it. */
const publish = async (
  portfolio: Portfolio,
  totals: Record<string, number>,
  { ageMs = 0, status = 'optimal' as 'optimal' | 'held', releaseReason = undefined as string | undefined } = {},
) => {
  const createdAt = new Date(Date.now() - ageMs);
  const channels = Object.entries(totals).map(([channelId, total]) => ({
    channelId,
    base: 10,
    performance: total - 10,
    exploration: 0,
    total,
    previousTotal: null,
    expectedConversions: 1,
    marginalCpa: null,
    reason: 'test',
  }));
  const snapshot = Snapshot.parse({
    snapshotId: snapshotId(createdAt, randomBytes(3).toString('hex')),
    portfolioId: portfolio.id,
    createdAt: createdAt.toISOString(),
    configHash: 'test',
    watermark: null,
    inputHash: 'test',
    computation: 'solved',
    trigger: { kind: 'on-demand', by: 'test', ...(releaseReason ? { releaseReserve: { reason: releaseReason } } : {}) },
    allocation: {
      status,
      ...(status === 'held' ? { reason: 'stale data' } : {}),
      asOf: createdAt.toISOString().slice(0, 10),
      total: channels.reduce((s, c) => s + c.total, 0),
      channels,
      exploration: 0,
      expectedConversions: 3,
      solver: { name: 'test', ms: 0 },
    },
  });
  await allocations.create(snapshot);
  await allocations.advanceLatest(portfolio.id, snapshot.snapshotId);
  return snapshot;
};

/** The actuator on DynamoDB Local and the fakes, with the events and queued approvals it produced. */
const actuatorOn = (
  f: FakePlatforms,
  bus?: (events: readonly BudgetEvent[]) => Promise<void>,
  wait: (ms: number) => Promise<void> = sleep,
) => {
  const events: BudgetEvent[] = [];
  const queued: ApplyMessage[] = [];
  const common = {
    fetch,
    maxThrottleWaitMs: 50,
    sleep: async () => {},
    now: () => new Date(),
    credentials: envCredentials(() => undefined),
  };
  const platforms = {
    'google-ads': new GoogleAdsBudgets({
      ...common,
      apiUrl: f.environment.GOOGLE_ADS_API_URL!,
      tokenUrl: f.environment.GOOGLE_OAUTH_TOKEN_URL!,
    }),
    meta: new MetaBudgets({ ...common, graphUrl: f.environment.META_GRAPH_URL! }),
    tiktok: new TikTokBudgets({ ...common, apiUrl: f.environment.TIKTOK_API_URL! }),
  };
  const actuator = new Actuator({
    snapshots: allocations,
    applies,
    platforms,
    events: {
      publish: async (e) => {
        if (bus) await bus(e);
        events.push(...e);
      },
    } satisfies EventPublisher,
    queue: { send: async (messages) => void queued.push(...(messages as ApplyMessage[])) },
    clock: () => new Date(),
    periodMs: 3_600_000,
    configHash: 'test',
    sleep: wait,
  });
  return { actuator, events, queued, platforms };
};

/** A point `count` callers wait at until all arrive, or 300 ms pass: the first `count` calls meet, later ones pass. */
const meeting = (count: number) => {
  let arrived = 0;
  let met = () => {};
  const all = new Promise<void>((done) => (met = done));
  return async () => {
    if (++arrived >= count) met();
    await Promise.race([all, sleep(300)]);
  };
};

/** Each fake's budgets: Google's campaign, Meta's campaign (or ad sets), TikTok's campaign. */
const budgets = (f: FakePlatforms) => ({
  search: f.googleAds.state.campaign(GOOGLE, '111').dailyBudget,
  social: f.meta.state.campaign(META, '222').dailyBudget,
  video: f.tiktok.state.campaign(TIKTOK, '333').dailyBudget,
});
const writes = (f: FakePlatforms) =>
  [
    ...f.googleAds.state.served.filter((r) => r.path.endsWith('campaignBudgets:mutate')),
    ...f.meta.state.served.filter((r) => r.method === 'POST'),
    ...f.tiktok.state.served.filter((r) => r.method === 'POST'),
  ].length;

const PLAN = { search: 120.5, social: 80.25, video: 110, podcast: 40 };

/** The applies routes' handler over `portfolio` alone; imported once the runtime has set the environment its deployed handler reads at load. */
const appliesHandler = async (portfolio: Portfolio, actuator: Actuator) => {
  const { createAppliesHandler } = await import('../../functions/handlers/applies.js');
  return createAppliesHandler({
    config: { portfolios: [portfolio], hash: 'test' } as unknown as LoadedConfig,
    approvals: actuator,
    applies,
  });
};

/** An approve-mode portfolio with `plans` published in order, each awaiting approval, and the applies routes. */
const awaitingApproval = async (plans: readonly Record<string, number>[]) => {
  const f = await startFakes();
  const { actuator } = actuatorOn(f);
  const portfolio = portfolioOf('approve');
  const snapshots: Snapshot[] = [];
  for (const plan of plans) {
    const snapshot = await publish(portfolio, plan);
    await actuator.published(portfolio, snapshot.snapshotId);
    snapshots.push(snapshot);
  }
  return { f, portfolio, snapshots, handler: await appliesHandler(portfolio, actuator) };
};

/** Posts the dashboard's approve form for `snapshotId`, signed in with `groups`, as the browser does. */
const approveForm = async (
  handler: (event: APIGatewayProxyEventV2, context: never) => Promise<unknown>,
  portfolioId: string,
  snapshotId: string,
  groups: string,
  csrf?: string,
) => {
  const session = `session-${groups}`;
  const body = new URLSearchParams({ portfolio: portfolioId, snapshotId, csrf: csrf ?? csrfToken(session) }).toString();
  const event = {
    version: '2.0',
    routeKey: 'POST /dashboard/applies/approve',
    rawPath: '/dashboard/applies/approve',
    rawQueryString: '',
    cookies: [`${SESSION_COOKIE}=${session}`],
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requestContext: {
      requestId: 'r',
      http: { method: 'POST', path: '/dashboard/applies/approve' },
      authorizer: { lambda: { user: `${groups || 'nobody'}@example.com`, groups } },
    },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  return handler(event, { functionName: 'f', awsRequestId: 'a', getRemainingTimeInMillis: () => 1000 } as never);
};

describe('applying published plans to the platforms (issue 24)', () => {
  it('off: does nothing; dry-run: records each budget before and after the plan, and changes none', async () => {
    const f = await startFakes();
    const { actuator, events } = actuatorOn(f);
    const off = portfolioOf('off');
    expect(await actuator.published(off, (await publish(off, PLAN)).snapshotId)).toBeNull();
    const portfolio = portfolioOf('dry-run');
    const snapshot = await publish(portfolio, PLAN);
    const record = await actuator.published(portfolio, snapshot.snapshotId);
    expect(record).toMatchObject({ status: 'dry-run', mode: 'dry-run' });
    expect(record!.changes.map((c) => [c.channelId, c.before, c.target, c.status])).toEqual([
      ['search', 100, 120.5, 'proposed'],
      ['social', 100, 80.25, 'proposed'],
      ['video', 100, 110, 'proposed'],
    ]);
    expect(record!.channels.find((c) => c.channelId === 'podcast')).toMatchObject({ status: 'unconnected' });
    expect(budgets(f)).toEqual({ search: 100, social: 100, video: 100 });
    expect(writes(f)).toBe(0);
    expect(events).toEqual([]);
    expect((await applies.get(portfolio.id, snapshot.snapshotId))?.status).toBe('dry-run');
    expect((await applies.list(off.id, 10)).length).toBe(0);
    // Dry-run sends nothing, an operator's explicit apply included.
    await expect(actuator.approve(portfolio, snapshot.snapshotId, 'olga@example.com', { rollback: true })).rejects.toThrow(
      /nothing is applied/,
    );
    expect(writes(f)).toBe(0);
  });

  it('auto: sets every budget to the plan, reads it back, records before and after, and announces it once; a duplicate message writes nothing', async () => {
    const f = await startFakes();
    const { actuator, events } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    const snapshot = await publish(portfolio, PLAN);
    const record = await actuator.published(portfolio, snapshot.snapshotId);
    expect(record?.status).toBe('applied');
    expect(budgets(f)).toEqual({ search: 120.5, social: 80.25, video: 110 });
    expect(record!.changes.map((c) => [c.channelId, c.before, c.after, c.status])).toEqual([
      ['search', 100, 120.5, 'applied'],
      ['social', 100, 80.25, 'applied'],
      ['video', 100, 110, 'applied'],
    ]);
    expect(events.map((e) => e.detailType)).toEqual(['AllocationApplied']);
    expect(events[0]!.detail).toMatchObject({
      portfolioId: portfolio.id,
      applyId: snapshot.snapshotId,
      snapshotId: snapshot.snapshotId,
      mode: 'auto',
    });
    const written = writes(f);
    expect(written).toBe(3);
    // The same message again (SQS delivers at least once): the first decision stands, nothing is written twice.
    await actuator.published(portfolio, snapshot.snapshotId);
    expect(writes(f)).toBe(written);
    expect(events.length).toBe(1);
    expect((await applies.state(portfolio.id)).lastAppliedSnapshotId).toBe(snapshot.snapshotId);
  });

  it('sends the apply event on the retry when the bus refused it the first time, and still only once, with no second write', async () => {
    const f = await startFakes();
    let refusals = 1;
    const { actuator, events } = actuatorOn(f, async () => {
      if (refusals-- > 0) throw new Error('bus down');
    });
    const portfolio = portfolioOf('auto');
    const snapshot = await publish(portfolio, PLAN);
    await expect(actuator.published(portfolio, snapshot.snapshotId)).rejects.toThrow('bus down');
    expect(events).toEqual([]);
    const written = writes(f);
    await actuator.published(portfolio, snapshot.snapshotId);
    await actuator.published(portfolio, snapshot.snapshotId);
    expect(events.map((e) => e.detailType)).toEqual(['AllocationApplied']);
    expect(writes(f)).toBe(written);
  });

  it('sends the apply event again, never loses it, when the worker died after the bus took it and before recording that', async () => {
    const f = await startFakes();
    const { actuator, events } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    const snapshot = await publish(portfolio, PLAN);
    const mark = applies.markEventSent.bind(applies);
    applies.markEventSent = async () => {
      throw new Error('worker died');
    };
    try {
      await expect(actuator.published(portfolio, snapshot.snapshotId)).rejects.toThrow('worker died');
    } finally {
      applies.markEventSent = mark;
    }
    await actuator.published(portfolio, snapshot.snapshotId);
    await actuator.published(portfolio, snapshot.snapshotId);
    // At least once: the retry sends it again (consumers dedupe on applyId), and a later duplicate sends nothing.
    expect(events.map((e) => [e.detailType, (e.detail as { applyId: string }).applyId])).toEqual([
      ['AllocationApplied', snapshot.snapshotId],
      ['AllocationApplied', snapshot.snapshotId],
    ]);
  });

  it('approve: records the plan as pending; a finance user approves it on the dashboard, someone without the group is refused, and the worker applies it', async () => {
    const f = await startFakes();
    const { actuator, events, queued } = actuatorOn(f);
    const portfolio = portfolioOf('approve');
    const snapshot = await publish(portfolio, PLAN);
    expect((await actuator.published(portfolio, snapshot.snapshotId))?.status).toBe('pending');
    expect(writes(f)).toBe(0);
    const handler = await appliesHandler(portfolio, actuator);
    const post = (groups: string, csrf?: string) => approveForm(handler, portfolio.id, snapshot.snapshotId, groups, csrf);
    const outsider = (await post('')) as { statusCode: number; body: string };
    expect([outsider.statusCode, JSON.parse(outsider.body).error.code]).toEqual([403, 'forbidden']);
    const forged = (await post('finance', 'not-the-token')) as { statusCode: number; body: string };
    expect([forged.statusCode, JSON.parse(forged.body).error.code]).toEqual([403, 'csrf']);
    expect((await applies.get(portfolio.id, snapshot.snapshotId))?.status).toBe('pending');
    const approved = (await post('finance')) as { statusCode: number; headers: Record<string, string> };
    expect([approved.statusCode, approved.headers.location]).toEqual([303, `/dashboard?portfolio=${portfolio.id}`]);
    expect(queued).toEqual([{ kind: 'approved', portfolioId: portfolio.id, applyId: snapshot.snapshotId }]);
    // A second click goes back to the page, which says why nothing more happened.
    const again = (await post('finance')) as { statusCode: number; headers: Record<string, string> };
    expect([again.statusCode, again.headers.location]).toEqual([303, `/dashboard?portfolio=${portfolio.id}&notice=not-pending`]);
    const record = await actuator.approved(portfolio, snapshot.snapshotId);
    expect(record).toMatchObject({ status: 'applied', approvedBy: 'finance@example.com' });
    expect(budgets(f)).toEqual({ search: 120.5, social: 80.25, video: 110 });
    expect(events[0]).toMatchObject({ detailType: 'AllocationApplied', detail: { approvedBy: 'finance@example.com' } });
  });

  it('takes a refused approval back to the page with the guardrail that refused it, and an unknown plan likewise', async () => {
    const {
      f,
      portfolio,
      handler,
      snapshots: [older],
    } = await awaitingApproval([PLAN, { ...PLAN, search: 125 }]);
    const back = async (snapshotId: string) => {
      const answer = (await approveForm(handler, portfolio.id, snapshotId, 'finance')) as {
        statusCode: number;
        headers: Record<string, string>;
      };
      return [answer.statusCode, answer.headers.location];
    };
    expect(await back(older!.snapshotId)).toEqual([303, `/dashboard?portfolio=${portfolio.id}&notice=refused-superseded`]);
    expect(await back('20200101T000000000Z-abcdef')).toEqual([303, `/dashboard?portfolio=${portfolio.id}&notice=unknown-snapshot`]);
    expect(writes(f)).toBe(0);
  });

  it('answers anything a browser or machine sends to the applies routes with a 2xx, 3xx or a JSON 4xx, never a 5xx', async () => {
    const {
      portfolio,
      handler,
      snapshots: [snapshot],
    } = await awaitingApproval([PLAN]);
    const field = fc.oneof(fc.string(), fc.constantFrom(portfolio.id, snapshot!.snapshotId, 'approve', 'rollback', '', '%', '&&', '<b>'));
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { portfolio: field, snapshotId: field, action: field, csrf: fc.oneof(field, fc.constant(csrfToken('s'))) },
          { requiredKeys: [] },
        ),
        fc.constantFrom('', 'finance', 'operators', 'finance,operators'),
        fc.boolean(),
        async (form, groups, raw) => {
          const body = raw ? Object.values(form).join('&') : new URLSearchParams(form as Record<string, string>).toString();
          const answer = (await handler(
            {
              version: '2.0',
              routeKey: 'POST /dashboard/applies/approve',
              rawPath: '/dashboard/applies/approve',
              rawQueryString: '',
              cookies: [`${SESSION_COOKIE}=s`],
              headers: {},
              requestContext: {
                requestId: 'r',
                http: { method: 'POST', path: '/' },
                authorizer: { lambda: { user: 'u@example.com', groups } },
              },
              body,
              isBase64Encoded: false,
            } as unknown as APIGatewayProxyEventV2,
            { functionName: 'f', awsRequestId: 'a', getRemainingTimeInMillis: () => 1000 } as never,
          )) as { statusCode: number; body: string };
          expect(answer.statusCode).toBeLessThan(500);
          if (answer.statusCode >= 400) expect(JSON.parse(answer.body).error.code).toEqual(expect.any(String));
        },
      ),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), async (limit) => {
        const response = await runtime.get(`/portfolios/demo/applies?limit=${encodeURIComponent(limit)}`);
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 100 },
    );
  });

  it('a newer snapshot supersedes a queued older one, and an older plan never replaces a newer one applied', async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const portfolio = portfolioOf('approve');
    const older = await publish(portfolio, PLAN, { ageMs: 60_000 });
    expect((await actuator.published(portfolio, older.snapshotId))?.status).toBe('pending');
    const newer = await publish(portfolio, { ...PLAN, search: 150 });
    expect((await actuator.published(portfolio, newer.snapshotId))?.status).toBe('pending');
    expect(await applies.get(portfolio.id, older.snapshotId)).toMatchObject({ status: 'superseded' });
    await expect(actuator.approve(portfolio, older.snapshotId, 'ana@example.com')).rejects.toThrow(/a newer plan .* was published since/);
    // In auto mode a late message for an older plan is recorded as superseded, and no budget moves.
    const auto = portfolioOf('auto');
    const first = await publish(auto, PLAN, { ageMs: 60_000 });
    const second = await publish(auto, { ...PLAN, search: 130 });
    expect((await actuator.published(auto, second.snapshotId))?.status).toBe('applied');
    const late = await actuator.published(auto, first.snapshotId);
    expect(late).toMatchObject({ status: 'superseded' });
    expect(budgets(f).search).toBe(130);
    // The same plan again: every budget is already there, so nothing is written and each counts as applied.
    const written = writes(f);
    const same = await publish(auto, { ...PLAN, search: 130 });
    const again = await actuator.published(auto, same.snapshotId);
    expect(again?.status).toBe('applied');
    expect(again!.changes.map((c) => [c.status, c.before, c.after])).toEqual([
      ['unchanged', 130, 130],
      ['unchanged', 80.25, 80.25],
      ['unchanged', 110, 110],
    ]);
    expect(writes(f)).toBe(written);
  });

  it('an expired token fails that account only, is announced, counts as a failure, and repeated failures stop the applies', async () => {
    const f = await startFakes();
    const { actuator, events } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    f.meta.state.expire(LOCAL_DEV_CREDENTIALS.meta.accessToken);
    const snapshot = await publish(portfolio, PLAN);
    const record = await actuator.published(portfolio, snapshot.snapshotId);
    expect(record?.status).toBe('partial');
    expect(record!.channels.find((c) => c.channelId === 'social')).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining(`meta account ${META}: credentials expired or revoked`),
    });
    expect(budgets(f)).toEqual({ search: 120.5, social: 100, video: 110 });
    expect(events.at(-1)).toMatchObject({ detailType: 'AllocationApplyFailed', detail: { stopped: false } });
    // Expired for the whole account: every budget write to it fails, and after three in a row applies stop.
    f.googleAds.state.fail({ kind: 'expired-token', times: 100 });
    for (let i = 0; i < 3; i++) {
      const next = await publish(portfolio, { ...PLAN, search: 121 + i });
      await actuator.published(portfolio, next.snapshotId);
    }
    const state = await applies.state(portfolio.id);
    expect(state.stoppedAt).not.toBeNull();
    expect(events.at(-1)).toMatchObject({ detailType: 'AllocationApplyFailed', detail: { stopped: true } });
    const stopped = await actuator.published(portfolio, (await publish(portfolio, PLAN)).snapshotId);
    expect(stopped).toMatchObject({ status: 'refused', reason: expect.stringContaining('applies stopped') });
  });

  it('refuses a budget below the platform minimum, a shared Google budget, a held plan and a stale one, each with its reason', async () => {
    const f = await startFakes({ shared: true });
    const { actuator } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    const record = await actuator.published(portfolio, (await publish(portfolio, { ...PLAN, video: 30 })).snapshotId);
    const reasons = Object.fromEntries(record!.channels.map((c) => [c.channelId, c.reason ?? c.status]));
    expect(reasons.search).toContain('uses the shared budget');
    expect(reasons.video).toContain('below the platform minimum of 50.00 USD');
    expect(record!.status).toBe('partial');
    expect(budgets(f)).toEqual({ search: 100, social: 80.25, video: 100 });
    const held = portfolioOf('auto');
    expect(await actuator.published(held, (await publish(held, PLAN, { status: 'held' })).snapshotId)).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining('a held plan is never applied'),
    });
    const stale = portfolioOf('auto');
    expect(await actuator.published(stale, (await publish(stale, PLAN, { ageMs: 2 * 3_600_000 })).snapshotId)).toMatchObject({
      status: 'refused',
      reason: expect.stringContaining('older than the reallocation schedule'),
    });
  });

  it('moves a budget by at most the daily change limit, splits a Meta campaign without CBO over its ad sets, and an operator can roll back to an earlier plan', async () => {
    const f = await startFakes({ metaAdSets: true });
    const { actuator, queued, events } = actuatorOn(f);
    const portfolio = portfolioOf('auto', { maxDailyChange: 0.25 });
    const first = await publish(portfolio, { ...PLAN, search: 200, social: 48 }, { ageMs: 60_000 });
    const record = await actuator.published(portfolio, first.snapshotId);
    const search = record!.changes.find((c) => c.channelId === 'search')!;
    expect([search.after, search.note]).toEqual([125, expect.stringContaining('daily change limit')]);
    expect(f.meta.state.findAdGroup('2221')!.adGroup.dailyBudget).toBe(36);
    expect(f.meta.state.findAdGroup('2222')!.adGroup.dailyBudget).toBe(12);
    const second = await publish(portfolio, { ...PLAN, search: 110 });
    await actuator.published(portfolio, second.snapshotId);
    expect(budgets(f).search).toBe(110);
    // Roll back: an operator re-applies the first plan (older than the one applied, and than its period).
    await actuator.approve(portfolio, first.snapshotId, 'olga@example.com', { rollback: true });
    const message = queued.at(-1)!;
    expect(message.kind).toBe('approved');
    const rolledBack = await actuator.approved(portfolio, (message as { applyId: string }).applyId);
    expect(rolledBack).toMatchObject({ mode: 'rollback', status: 'applied', approvedBy: 'olga@example.com', snapshotId: first.snapshotId });
    expect(budgets(f).search).toBe(125);
    // Its event names the rollback's own apply, apart from the snapshot's first one.
    expect(events.at(-1)!.detail).toMatchObject({ applyId: (message as { applyId: string }).applyId, snapshotId: first.snapshotId });
    expect((events.at(-1)!.detail as { applyId: string }).applyId).not.toBe(first.snapshotId);
  });

  it('keeps every apply and every rollback as a record of its own, listed when it happened and naming the plan it replaced', async () => {
    // Prepare: three plans applied in turn (auto mode).
    const f = await startFakes();
    const { actuator, queued } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    const plans = [];
    for (const [i, search] of [120, 130, 140].entries()) {
      const plan = await publish(portfolio, { ...PLAN, search }, { ageMs: (3 - i) * 60_000 });
      await actuator.published(portfolio, plan.snapshotId);
      plans.push(plan.snapshotId);
    }
    const [first, second, third] = plans as [string, string, string];
    const firstApply = await applies.get(portfolio.id, first);
    const rollBack = async (to: string) => {
      await actuator.approve(portfolio, to, 'olga@example.com', { rollback: true });
      return actuator.approved(portfolio, (queued.at(-1) as { applyId: string }).applyId);
    };
    // Act: an operator rolls back to the first plan, then to the second.
    const toFirst = await rollBack(first);
    await new Promise((done) => setTimeout(done, 5));
    const toSecond = await rollBack(second);
    // Assess: each rollback names the plan it re-applies and the one it rolled back from, and is the newest in the list.
    const summary = (r: { applyId?: string; mode: string; snapshotId: string; replaces?: string | null; status: string }) => [
      r.applyId,
      r.mode,
      r.snapshotId,
      r.replaces,
      r.status,
    ];
    expect(summary(toFirst!)).toEqual([expect.stringContaining(`~rollback-${first}`), 'rollback', first, third, 'applied']);
    expect(summary(toSecond!)).toEqual([expect.stringContaining(`~rollback-${second}`), 'rollback', second, first, 'applied']);
    expect((await applies.list(portfolio.id, 3)).map(summary)).toEqual([
      summary(toSecond!),
      summary(toFirst!),
      [third, 'auto', third, second, 'applied'],
    ]);
    // The plans' own applies stand as they were; the platforms hold the second plan's search budget again.
    expect(await applies.get(portfolio.id, first)).toEqual(firstApply);
    expect(firstApply).toMatchObject({ applyId: first, mode: 'auto', replaces: null, status: 'applied' });
    expect(budgets(f).search).toBe(130);
    expect(await applies.state(portfolio.id)).toMatchObject({ lastAppliedSnapshotId: third, inForceSnapshotId: second });
  });

  it('runs the applies of a portfolio one at a time: two rollbacks asked a moment apart leave the platforms on the plan the record names', async () => {
    // Prepare: three plans applied in turn, the last two alike, and two rollbacks queued: to the first plan
    // (which moves every budget) and to the second (which the platforms already hold).
    const f = await startFakes();
    const { actuator, queued, platforms } = actuatorOn(f);
    const portfolio = portfolioOf('auto', { maxDailyChange: 1 });
    const plans = [];
    for (const [i, plan] of [{ ...PLAN, search: 150, social: 60 }, PLAN, PLAN].entries()) {
      const snapshot = await publish(portfolio, plan, { ageMs: (3 - i) * 60_000 });
      await actuator.published(portfolio, snapshot.snapshotId);
      plans.push(snapshot.snapshotId);
    }
    const [first, second] = plans as [string, string];
    await actuator.approve(portfolio, first, 'olga@example.com', { rollback: true });
    await actuator.approve(portfolio, second, 'olga@example.com', { rollback: true });
    const [toFirst, toSecond] = queued.slice(-2).map((m) => (m as { applyId: string }).applyId) as [string, string];
    // The interleaving that lost the first rollback's writes, unless something holds the two apart: both read
    // the budgets before either writes, and the rollback that writes nothing records its outcome last. Each
    // wait gives up after 300 ms, so applies that run one at a time only pass through slower.
    const bothRead = meeting(2);
    const read = platforms['google-ads'].read.bind(platforms['google-ads']);
    platforms['google-ads'].read = async (...args) => {
      await bothRead();
      return read(...args);
    };
    let firstRecorded = () => {};
    const firstDone = new Promise<void>((done) => (firstRecorded = done));
    const saveState = applies.saveState.bind(applies);
    applies.saveState = async (portfolioId, state, version) => {
      if (state.inForceSnapshotId === second) await Promise.race([firstDone, sleep(300)]);
      const saved = await saveState(portfolioId, state, version);
      if (state.inForceSnapshotId === first) firstRecorded();
      return saved;
    };
    try {
      // Act: the worker takes both messages at once.
      await Promise.all([actuator.approved(portfolio, toFirst), actuator.approved(portfolio, toSecond)]);
    } finally {
      applies.saveState = saveState;
    }
    // Assess: the platforms hold the plan the portfolio's state says is in force; the rollback that put it there
    // ran after the other (it names the other's plan as the one it replaced) and recorded the budgets it left.
    const { inForceSnapshotId } = await applies.state(portfolio.id);
    const [winner, other] = inForceSnapshotId === first ? [toFirst, second] : [toSecond, first];
    const inForce = inForceSnapshotId === first ? { search: 150, social: 60, video: 110 } : { search: 120.5, social: 80.25, video: 110 };
    expect(budgets(f)).toEqual(inForce);
    const record = (await applies.get(portfolio.id, winner))!;
    expect([record.status, record.replaces]).toEqual(['applied', other]);
    expect(Object.fromEntries(record.changes.map((c) => [c.channelId, c.after]))).toEqual(inForce);
  });

  it('leaves an apply to the queue while another holds the portfolio past the wait, and takes over the lease of a worker that died', async () => {
    const f = await startFakes();
    let waited = 0;
    const { actuator } = actuatorOn(f, undefined, async (ms) => {
      waited += ms;
    });
    const portfolio = portfolioOf('auto');
    const snapshot = await publish(portfolio, PLAN);
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    // Another apply holds the portfolio for the next ten minutes: this one waits 30 s, then fails to be retried.
    const other = (await applies.lease(portfolio.id, at(0), at(600_000)))!;
    expect(await applies.lease(portfolio.id, at(0), at(600_000))).toBeNull();
    await expect(actuator.published(portfolio, snapshot.snapshotId)).rejects.toThrow(ApplyBusy);
    expect(waited).toBeGreaterThanOrEqual(30_000);
    expect(budgets(f)).toEqual({ search: 100, social: 100, video: 100 });
    expect(await applies.get(portfolio.id, snapshot.snapshotId)).toMatchObject({ status: 'approved' });
    // A release by anyone but its holder leaves the lease; a worker that died leaves one that runs out.
    await applies.release(portfolio.id, 'not-the-holder');
    expect(await applies.lease(portfolio.id, at(0), at(600_000))).toBeNull();
    await applies.release(portfolio.id, other);
    expect(await applies.lease(portfolio.id, at(-600_000), at(-300_000))).not.toBeNull();
    // Assess: the retry takes the run-out lease over, applies the plan, and gives the lease back.
    expect(await actuator.published(portfolio, snapshot.snapshotId)).toMatchObject({ status: 'applied' });
    expect(budgets(f)).toEqual({ search: 120.5, social: 80.25, video: 110 });
    expect(await applies.lease(portfolio.id, at(0), at(1_000))).not.toBeNull();
  });

  it('applies an auto plan when its message is retried after the worker died mid-apply, each budget written once', async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const portfolio = portfolioOf('auto');
    const snapshot = await publish(portfolio, PLAN);
    const claim = applies.claim.bind(applies);
    let failing = true;
    applies.claim = async (...args) => {
      if (failing) {
        failing = false;
        throw new Error('ProvisionedThroughputExceededException');
      }
      return claim(...args);
    };
    try {
      await expect(actuator.published(portfolio, snapshot.snapshotId)).rejects.toThrow('ProvisionedThroughput');
    } finally {
      applies.claim = claim;
    }
    // The retry finds the record still approved: it applies it instead of answering with it.
    expect(await actuator.published(portfolio, snapshot.snapshotId)).toMatchObject({ status: 'applied' });
    expect(budgets(f)).toEqual({ search: 120.5, social: 80.25, video: 110 });
  });

  it("refuses a plan that breaks today's config: a rollback above a budget cut since, and an approval after the cut", async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const portfolio = portfolioOf('approve');
    const cut = Portfolio.parse({ ...portfolio, budget: { ...portfolio.budget, daily: 300 } });
    const old = await publish(portfolio, { search: 120, social: 110, video: 110, podcast: 40 }, { ageMs: 3 * 86_400_000 });
    const latest = await publish(portfolio, { search: 90, social: 90, video: 90, podcast: 40 });
    await actuator.published(portfolio, latest.snapshotId);
    await expect(actuator.approve(cut, old.snapshotId, 'olga@example.com', { rollback: true })).rejects.toThrow(
      /breaks today's config \(total: 380\.00 exceeds today's allocatable budget of 300\.00\)/,
    );
    await expect(actuator.approve(cut, latest.snapshotId, 'olga@example.com')).rejects.toThrow(/breaks today's config/);
    expect(budgets(f)).toEqual({ search: 100, social: 100, video: 100 });
  });

  it("proposes each budget within the day's change limit from where the day's first apply found it, as the apply then writes it", async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const auto = portfolioOf('auto', { maxDailyChange: 0.1 });
    const first = await publish(auto, { ...PLAN, search: 105 }, { ageMs: 60_000 });
    await actuator.published(auto, first.snapshotId);
    expect(budgets(f).search).toBe(105);
    // The same portfolio, now asking for approval: today's limit runs from the day's 100, not from the 105 now.
    const approve = Portfolio.parse({ ...auto, apply: { ...auto.apply, mode: 'approve' } });
    const second = await publish(approve, { ...PLAN, search: 120 });
    const pending = await actuator.published(approve, second.snapshotId);
    const proposed = pending!.changes.find((c) => c.channelId === 'search')!;
    expect([proposed.target, proposed.note]).toEqual([110, expect.stringContaining('10% of 100.00')]);
    await actuator.approve(approve, second.snapshotId, 'olga@example.com');
    const applied = await actuator.approved(approve, second.snapshotId);
    expect(applied!.changes.find((c) => c.channelId === 'search')).toMatchObject({ after: 110, status: 'applied' });
    expect(budgets(f).search).toBe(110);
  });

  it('applies a plan that released the reserve, explicitly too while it is the latest, and refuses a rollback to it once a newer plan held the reserve back', async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const base = portfolioOf('auto');
    // 3,500 a day with 15% held back: 2,975 allocatable, or the whole 3,500 when a run releases the reserve.
    const portfolio = Portfolio.parse({ ...base, budget: { ...base.budget, daily: 3500, reserveShare: 0.15 } });
    const released = await publish(portfolio, { search: 1000, social: 1000, video: 1000, podcast: 500 }, { releaseReason: 'launch week' });
    await actuator.published(portfolio, released.snapshotId);
    expect(budgets(f)).toEqual({ search: 1000, social: 1000, video: 1000 });
    // While it is the latest plan, the dashboard's "Apply now" (an explicit apply) still may apply it.
    await actuator.approve(portfolio, released.snapshotId, 'olga@example.com', { rollback: true });
    const next = await publish(portfolio, { search: 900, social: 800, video: 800, podcast: 400 });
    await actuator.published(portfolio, next.snapshotId);
    const refused = await actuator.approve(portfolio, released.snapshotId, 'olga@example.com', { rollback: true }).catch((error) => error);
    expect(refused).toMatchObject({ code: 'refused', guardrail: 'reserve-released' });
    expect(refused.message).toMatch(/places the reserve its run released, and a newer plan has held the reserve back since/);
    expect(budgets(f)).toEqual({ search: 900, social: 800, video: 800 });
  });

  it('lists the newest applies first, as many as asked for, reading past a page of DynamoDB', async () => {
    const f = await startFakes();
    const { actuator } = actuatorOn(f);
    const portfolio = portfolioOf('dry-run');
    // Each record carries a long reason, so that 40 of them pass DynamoDB's 1 MB a query.
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const snapshot = await publish(portfolio, PLAN, { ageMs: (40 - i) * 60_000 });
      const record = await actuator.published(portfolio, snapshot.snapshotId);
      await applies.save(snapshot.snapshotId, { ...record!, reason: 'x'.repeat(30_000) }, record!.status);
      ids.push(snapshot.snapshotId);
    }
    expect((await applies.list(portfolio.id, 3)).map((r) => r.snapshotId)).toEqual(ids.slice(-3).reverse());
    expect((await applies.list(portfolio.id, 400)).map((r) => r.snapshotId)).toEqual([...ids].reverse());
  }, 60_000);
});

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../bin/local/apiGateway.js';
import { Reallocator } from '../../../functions/application/reallocatePortfolio.js';
import type { Alert } from '../../../functions/domain/alerts/lifecycle.js';
import { addDays } from '../../../functions/domain/dates.js';
import { planDelivery } from '../../../functions/domain/delivery.js';
import { demoFeed } from '../../../functions/domain/demoFeed.js';
import { createDashboardHandler } from '../../../functions/handlers/dashboard.js';
import { deployedConfig } from '../../../functions/wiring/config.js';
import { InMemoryAlerts, InMemoryMetrics, InMemorySnapshots, RecordingBus, steppingClock } from '../application/inMemory.js';

// The module also builds the deployed handler at import, which reads its table names (never used here).
vi.hoisted(() =>
  Object.assign(process.env, { METRICS_TABLE: 'unused', ALLOCATIONS_TABLE: 'unused', ALERTS_TABLE: 'unused', APPLIES_TABLE: 'unused' }),
);

const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const NOW = '2026-03-01T08:00:00Z';
const yesterday = addDays(NOW.slice(0, 10), -1);

/** An open stop-loss on one channel, which the what-if plans must hold at its base. */
const stopLoss = (channelId: string): Alert => ({
  alertId: `stop-loss~${channelId}~2026-02-28T08:00:00.000Z`,
  portfolioId: demo.id,
  ruleId: 'stop-loss',
  channelId,
  metric: 'roas',
  op: '<',
  threshold: 1,
  window: 'week',
  consecutive: 2,
  action: 'stop-loss',
  status: 'open',
  severity: 'critical',
  observed: 0.5,
  windows: ['2026-02-16', '2026-02-23'],
  openedAt: '2026-02-28T08:00:00.000Z',
  configHash: deployedConfig.hash,
  history: [{ at: '2026-02-28T08:00:00.000Z', kind: 'opened', severity: 'critical', observed: 0.5 }],
});

/** A demo portfolio with twenty weeks of stored history (model health's reach), one published plan and an open stop-loss. */
const stores = async () => {
  const planned = planDelivery({ portfolioId: demo.id, records: demoFeed(demo, yesterday, 140, 42) }, demo, yesterday);
  if (!planned.ok) throw new Error('the demo feed does not plan');
  const metrics = new InMemoryMetrics(planned.plan.rows);
  const allocations = new InMemorySnapshots();
  const alerts = new InMemoryAlerts();
  const stopped = stopLoss(demo.channels[0]!.id);
  alerts.alerts.set(stopped.alertId, stopped);
  const reallocator = new Reallocator({
    metrics,
    allocations,
    stopLosses: alerts,
    events: new RecordingBus(),
    clock: steppingClock('2026-03-01T07:00:00Z'),
    configHash: deployedConfig.hash,
  });
  await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
  return { metrics, allocations, alerts, reallocator };
};

const signedIn = (query: Record<string, string>) =>
  ({
    rawPath: '/dashboard',
    rawQueryString: new URLSearchParams(query).toString(),
    queryStringParameters: query,
    headers: {},
    requestContext: { requestId: 'r1', authorizer: { lambda: { user: 'finance@example.com', groups: '' } } },
  }) as unknown as APIGatewayProxyEventV2;

describe('dashboard handler', () => {
  it('reads each dataset once per render: the metrics, their revisions, the plan in force and the open alerts', async () => {
    // Prepare
    const { metrics, allocations, alerts } = await stores();
    const reads = {
      rows: vi.spyOn(metrics, 'portfolioRows'),
      versions: vi.spyOn(metrics, 'portfolioVersions'),
      latest: vi.spyOn(allocations, 'latest'),
      open: vi.spyOn(alerts, 'open'),
      stopLosses: vi.spyOn(alerts, 'openStopLosses'),
    };
    const handler = createDashboardHandler({ config: deployedConfig, allocations, alerts, metrics, clock: () => new Date(NOW) });
    // Act
    const answer = (await handler(signedIn({ portfolio: demo.id }), lambdaContext('Dashboard'))) as APIGatewayProxyStructuredResultV2;
    // Assess: the page has every part that reads them (pacing, the what-if plans, model health, attention) ...
    expect(answer.statusCode).toBe(200);
    const page = String(answer.body);
    for (const part of ['id="planner-table"', 'id="model-health-table"', 'id="h-attention"', 'id="h-pacing"']) expect(page).toContain(part);
    // ... and each store was asked once.
    expect(reads.rows).toHaveBeenCalledTimes(1);
    expect(reads.versions).toHaveBeenCalledTimes(1);
    expect(reads.latest).toHaveBeenCalledTimes(1);
    expect(reads.open.mock.calls.length + reads.stopLosses.mock.calls.length).toBe(1);
  });

  it('compares any two snapshots asked for, older than the 30 it shows, and names an id it has none of', async () => {
    // Prepare: 32 more runs, so the first snapshot is older than the 30 the page shows
    const { metrics, allocations, alerts, reallocator } = await stores();
    for (let run = 0; run < 32; run += 1) await reallocator.run(demo, { kind: 'on-demand', by: 'test' });
    const { snapshots } = await allocations.list(demo.id, { limit: 100 });
    const [newest, oldest] = [snapshots[0]!.snapshotId, snapshots.at(-1)!.snapshotId];
    expect(snapshots).toHaveLength(33);
    const handler = createDashboardHandler({ config: deployedConfig, allocations, alerts, metrics, clock: () => new Date(NOW) });
    const pageFor = async (query: Record<string, string>) =>
      String(
        ((await handler(signedIn({ portfolio: demo.id, ...query }), lambdaContext('Dashboard'))) as APIGatewayProxyStructuredResultV2).body,
      );
    // Act
    const both = await pageFor({ from: oldest, to: newest });
    const unknown = await pageFor({ from: '20200101T000000000Z-abcdef', to: 'nope' });
    // Assess: the pair asked for, the older one among the choices; an unknown id said, the default pair shown
    expect(both).toContain(`<table id="diff" class="cards" data-from="${oldest}" data-to="${newest}">`);
    expect(both).toMatch(new RegExp(`<option value="${oldest}" selected>`));
    expect(both).not.toContain('data-missing');
    for (const id of ['20200101T000000000Z-abcdef', 'nope']) expect(unknown).toContain(`data-missing="${id}"`);
    expect(unknown).toContain(`data-from="${snapshots[1]!.snapshotId}" data-to="${newest}"`);
  });

  it('says the reserve was released into the plan, by whom, when and why, instead of only 0.00 held back', async () => {
    // Prepare: an operator releases the reserve with a reason that holds markup
    const { metrics, allocations, alerts, reallocator } = await stores();
    const reason = 'Q4 push <b>now</b> & "then"';
    const { snapshot } = await reallocator.run(demo, { kind: 'on-demand', by: 'operator@example.com', releaseReserve: { reason } });
    const handler = createDashboardHandler({ config: deployedConfig, allocations, alerts, metrics, clock: () => new Date(NOW) });
    // Act
    const answer = (await handler(signedIn({ portfolio: demo.id }), lambdaContext('Dashboard'))) as APIGatewayProxyStructuredResultV2;
    // Assess: the reserve fact and the table's reserve line say who released it, when, and why, escaped
    const page = String(answer.body);
    const fact = page.match(/<li id="reserve"[^>]*>.*?<\/li>/)?.[0] ?? '';
    const when = `${snapshot.createdAt.slice(0, 16).replace('T', ' ')} UTC`;
    expect(snapshot.allocation.reserve).toBe(0);
    expect(fact).toContain('<strong>released</strong> into this plan by <strong>operator@example.com</strong>');
    expect(fact).toContain(`at ${when}: <q>Q4 push &lt;b&gt;now&lt;/b&gt; &amp; &quot;then&quot;</q>`);
    expect(fact).not.toContain('held back: ');
    const line = page.match(/<tr data-line="\(reserve\)">.*?<\/tr>/)?.[0] ?? '';
    expect(line).toContain(`released into this plan by operator@example.com at ${when}: Q4 push &lt;b&gt;now&lt;/b&gt;`);
    expect(page).not.toContain('<b>now</b>');
  });

  it('shows a plan whose stored reason holds a lone surrogate, which its CSV link could not encode (a 500 until the next plan)', async () => {
    const { metrics, allocations, alerts, reallocator } = await stores();
    await reallocator.run(demo, { kind: 'on-demand', by: 'operator@example.com', releaseReserve: { reason: 'push \ud800' } });
    const handler = createDashboardHandler({ config: deployedConfig, allocations, alerts, metrics, clock: () => new Date(NOW) });
    const answer = (await handler(signedIn({ portfolio: demo.id }), lambdaContext('Dashboard'))) as APIGatewayProxyStructuredResultV2;
    expect(answer.statusCode).toBe(200);
    expect(String(answer.body)).toContain(encodeURIComponent('push \uFFFD'));
  });
});

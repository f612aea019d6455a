import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postDelivery } from '../../bin/local/webhookClient.js';
import { AlertsRepository } from '../../functions/adapters/alertsRepository.js';
import { AllocationsRepository } from '../../functions/adapters/allocationsRepository.js';
import { createDocumentClient, createDynamoClient } from '../../functions/adapters/dynamo.js';
import { MetricsRepository } from '../../functions/adapters/metricsRepository.js';
import { LOCAL_DEV_SECRET } from '../../functions/adapters/webhookSecrets.js';
import { AlertEvaluator } from '../../functions/application/evaluateAlerts.js';
import type { EventPublisher } from '../../functions/application/ports.js';
import { completeWindows } from '../../functions/domain/alerts/evaluate.js';
import { addDays, dateInZone } from '../../functions/domain/dates.js';
import type { BudgetEvent } from '../../functions/domain/events.js';
import type { Snapshot } from '../../functions/domain/snapshots.js';
import { deployedConfig } from '../../functions/wiring/config.js';
import { ALERTS_TABLE, ALLOCATIONS_TABLE, METRICS_TABLE } from '../../lib/tables.js';
import { startTestRuntime, type TestRuntime } from './harness.js';

let runtime: TestRuntime;
const demo = deployedConfig.portfolios.find((p) => p.id === 'demo')!;
const rule = (id: string) => demo.alerts.rules.find((r) => r.id === id)!;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

const post = async (path: string) => {
  const response = await fetch(`${runtime.url}/portfolios/demo${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  return { status: response.status, body: (await response.json()) as any };
};
const deliver = async (records: object[]) => {
  const answer = await postDelivery(runtime.url, 'generic', { portfolioId: 'demo', records }, LOCAL_DEV_SECRET);
  expect(answer.status).toBe(202);
};
const alertEvents = (ruleId: string, channelId: string) =>
  runtime.events.filter(
    (e) => (e.detail as { ruleId?: string }).ruleId === ruleId && (e.detail as { channelId?: string }).channelId === channelId,
  );

const today = dateInZone(new Date(), demo.timezone);

describe('CPA above 45 for 3 consecutive days, through the routes', () => {
  it('opens once with one event, stays quiet when re-evaluated, and resolves on a restated recovery', async () => {
    await deliver(
      [1, 2, 3].map((d) => ({ channelId: 'search', date: addDays(today, -d), spend: 600, conversions: 10, revenue: 2000, revision: 1 })),
    );
    const first = await post('/alerts/evaluate');
    expect(first.status).toBe(200);
    const opened = first.body.opened.find((a: any) => a.ruleId === 'cpa-high' && a.channelId === 'search');
    expect(opened).toMatchObject({
      status: 'open',
      severity: 'critical',
      observed: 60,
      threshold: 45,
      consecutive: 3,
      configHash: deployedConfig.hash,
    });
    expect(alertEvents('cpa-high', 'search')).toEqual([
      expect.objectContaining({
        'detail-type': 'ThresholdBreached',
        detail: expect.objectContaining({
          transition: 'opened',
          severity: 'critical',
          observed: 60,
          threshold: 45,
          windows: [3, 2, 1].map((d) => addDays(today, -d)),
          configHash: deployedConfig.hash,
        }),
      }),
    ]);

    const eventsBefore = runtime.events.length;
    const again = await post('/alerts/evaluate');
    expect(again.body).toMatchObject({ opened: [], escalated: [], resolved: [] });
    expect(runtime.events.length).toBe(eventsBefore);

    await deliver([{ channelId: 'search', date: addDays(today, -1), spend: 300, conversions: 10, revenue: 2000, revision: 2 }]);
    const recovered = await post('/alerts/evaluate');
    expect(recovered.body.resolved.map((a: any) => [a.ruleId, a.channelId])).toContainEqual(['cpa-high', 'search']);
    expect(alertEvents('cpa-high', 'search').map((e) => e['detail-type'])).toEqual(['ThresholdBreached', 'AlertResolved']);
    const resolved = (await runtime.get('/portfolios/demo/alerts?status=resolved')).body.alerts.find(
      (a: any) => a.alertId === opened.alertId,
    );
    expect(resolved.history.map((h: any) => h.kind)).toEqual(['opened', 'resolved']);
    const open = (await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts;
    expect(open.some((a: any) => a.ruleId === 'cpa-high' && a.channelId === 'search')).toBe(false);
  });

  it('opens one alert per silent channel: channels that never delivered are stale', async () => {
    const open = (await runtime.get('/portfolios/demo/alerts?status=open')).body.alerts;
    const stale = open
      .filter((a: any) => a.ruleId === 'stale-data')
      .map((a: any) => a.channelId)
      .sort();
    expect(stale).toEqual(
      demo.channels
        .map((c) => c.id)
        .filter((id) => id !== 'search')
        .sort(),
    );
  });

  it('answers 400 for an unknown status and 404 for an unknown portfolio', async () => {
    const bad = await runtime.get('/portfolios/demo/alerts?status=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('status');
    expect((await runtime.get('/portfolios/nope/alerts')).status).toBe(404);
  });

  it('refuses a query parameter where a route takes none, naming it, instead of running without it', async () => {
    // Read past, ?releaseReserve=true ran a plain reallocation with the reserve held back.
    const latest = (await runtime.get('/portfolios/demo/allocations/latest')).body.snapshotId;
    const routes = [
      ['/reallocate?releaseReserve=true', 'releaseReserve', 'send releaseReserve and reason in the JSON body'],
      ['/alerts/evaluate?channel=search', 'channel', 'the evaluation takes nothing but the portfolio in the path'],
    ] as const;
    for (const [path, name, hint] of routes) {
      const { status, body } = await post(path);
      expect(status, path).toBe(400);
      expect(body.error.issues).toEqual([{ path: name, message: `is not a parameter of this route: ${hint}` }]);
    }
    const diagnostics = await runtime.get('/portfolios/demo/diagnostics?days=7');
    expect([diagnostics.status, diagnostics.body.error.issues[0].path]).toEqual([400, 'days']);
    expect((await runtime.get('/portfolios/demo/allocations/latest')).body.snapshotId).toBe(latest);
  });
});

describe('stop-loss, end to end', () => {
  it('ROAS below 1 for two complete weeks gives the channel exactly its base in the next allocation', async () => {
    const weeks = completeWindows(rule('stop-loss'), demo, new Date());
    const dates = weeks.flatMap((w) => w.keys);
    await deliver(dates.map((date) => ({ channelId: 'social', date, spend: 1000, conversions: 30, revenue: 500, revision: 1 })));
    const evaluated = await post('/alerts/evaluate');
    expect(evaluated.body.opened).toContainEqual(
      expect.objectContaining({ ruleId: 'stop-loss', channelId: 'social', action: 'stop-loss', observed: 0.5, severity: 'critical' }),
    );
    expect(alertEvents('stop-loss', 'social')).toHaveLength(1);

    const snapshot = (await post('/reallocate')).body as Snapshot;
    const social = snapshot.allocation.channels.find((c) => c.channelId === 'social')!;
    const base = demo.channels.find((c) => c.id === 'social')!.base;
    expect(social.total).toBe(base);
    expect(social.exploration).toBe(0);
    expect(social.reason).toMatch(/stop-loss/i);
  });

  it("holds the channel while the alert's rule is a stop-loss in the config in force, not the config it opened under", async () => {
    const client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
    const alerts = new AlertsRepository(client, runtime.tableName(ALERTS_TABLE.id));
    // The alert opened above under a stop-loss rule; a deploy that takes the action away releases the channel.
    const released = { ...demo, alerts: { ...demo.alerts, rules: demo.alerts.rules.map(({ action: _, ...r }) => r) } };
    expect(await alerts.openStopLosses(demo)).toEqual(['social']);
    expect(await alerts.openStopLosses(released)).toEqual([]);
  });

  it('runs on the alerts schedule too, through the queue and its worker', async () => {
    const before = runtime.events.length;
    await runtime.fire('alerts');
    // Nothing changed since the last evaluation, so the scheduled run sends nothing.
    expect(runtime.events.length).toBe(before);
    // Restating the last day of the latest complete week lifts its ROAS to 8000 / 7000: the alert resolves.
    const lastDay = completeWindows(rule('stop-loss'), demo, new Date()).at(-1)!.keys.at(-1)!;
    await deliver([{ channelId: 'social', date: lastDay, spend: 1000, conversions: 30, revenue: 5000, revision: 2 }]);
    await runtime.fire('alerts');
    expect(alertEvents('stop-loss', 'social').map((e) => e['detail-type'])).toEqual(['ThresholdBreached', 'AlertResolved']);
    const snapshot = (await post('/reallocate')).body as Snapshot;
    expect(snapshot.allocation.channels.find((c) => c.channelId === 'social')!.reason).not.toMatch(/stop-loss/i);
  });
});

describe('alert events survive a failed publish', () => {
  /**
   * Fault: the bus refuses the event after the transition was written. Invariant: the transition's event
   * waits in the outbox and the next evaluation sends it, once; the transition is not applied twice.
   */
  it('sends the pending event on the next evaluation, exactly once', async () => {
    const client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
    const repositories = {
      metrics: new MetricsRepository(client, runtime.tableName(METRICS_TABLE.id)),
      allocations: new AllocationsRepository(client, runtime.tableName(ALLOCATIONS_TABLE.id)),
      alerts: new AlertsRepository(client, runtime.tableName(ALERTS_TABLE.id)),
    };
    const sent: BudgetEvent[] = [];
    let down = true;
    const bus: EventPublisher = {
      publish: async (events) => {
        if (down) throw new Error('EventBridge unavailable');
        sent.push(...events);
      },
    };
    const evaluator = new AlertEvaluator({
      ...repositories,
      pulls: repositories.metrics,
      events: bus,
      clock: () => new Date(),
      configHash: deployedConfig.hash,
    });
    await deliver([1, 2, 3].map((d) => ({ channelId: 'video', date: addDays(today, -d), spend: 900, conversions: 10, revision: 1 })));
    await expect(evaluator.evaluate(demo)).rejects.toThrow(/unavailable/);
    expect(await repositories.alerts.pending('demo')).toHaveLength(1);
    down = false;
    const next = await evaluator.evaluate(demo);
    expect(next.opened).toEqual([]);
    expect(
      sent.map((e) => [e.detailType, 'ruleId' in e.detail ? e.detail.ruleId : '', 'channelId' in e.detail ? e.detail.channelId : '']),
    ).toContainEqual(['ThresholdBreached', 'cpa-high', 'video']);
    expect(
      sent.filter(
        (e) => 'channelId' in e.detail && e.detail.channelId === 'video' && 'ruleId' in e.detail && e.detail.ruleId === 'cpa-high',
      ),
    ).toHaveLength(1);
    expect(await repositories.alerts.pending('demo')).toEqual([]);
    client.destroy();
  });

  it("records an open alert's latest reading, unless a transition moved it since", async () => {
    const client = createDocumentClient(createDynamoClient({ endpoint: inject('dynamoEndpoint') }));
    const alerts = new AlertsRepository(client, runtime.tableName(ALERTS_TABLE.id));
    const [alert] = await alerts.open('demo');
    expect(alert).toBeDefined();
    // Read after the evaluation that opened it (at the real clock's now).
    const at = new Date(Date.now() + 60_000).toISOString();
    expect(await alerts.observe({ ...alert!, observed: 123.5, observedAt: at })).toBe(true);
    expect(await alerts.get('demo', alert!.alertId)).toMatchObject({ observed: 123.5, observedAt: at, history: alert!.history });
    // Read from the alert as it stood one transition ago: the reading is stale, and nothing is written.
    expect(await alerts.observe({ ...alert!, history: alert!.history.slice(0, -1), observed: 1, observedAt: at })).toBe(false);
    expect((await alerts.get('demo', alert!.alertId))!.observed).toBe(123.5);
    // An overlapping evaluation's earlier reading does not overwrite a later one.
    expect(await alerts.observe({ ...alert!, observed: 99, observedAt: new Date(Date.now() + 30_000).toISOString() })).toBe(false);
    expect((await alerts.get('demo', alert!.alertId))!.observed).toBe(123.5);
    client.destroy();
  });
});

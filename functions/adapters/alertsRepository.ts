import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertStore, PendingEvent } from '../application/ports.js';
import { Alert, type AlertChange, type alertReadings, stopLossRuleIds } from '../domain/alerts/lifecycle.js';
import type { Portfolio } from '../domain/config.js';
import type { BudgetEvent } from '../domain/events.js';
import { queryAll } from './dynamo.js';
import { mapLimit } from './retry.js';

/**
 * Items of the Alerts table, all under `pk` = portfolio id:
 * - `ALERT#<alertId>`: the alert with its history of transitions;
 * - `OPEN#<ruleId>#<channelId>`: the pair's open alert; its conditional create is what keeps one open per pair;
 * - `OUTBOX#<alertId>#<n>`: the event of transition n, written in the same transaction as the transition and
 *   deleted once the bus accepted it, so an event is never lost between the two.
 */
const ALERT = 'ALERT#';
const OPEN = 'OPEN#';
const OUTBOX = 'OUTBOX#';

const openKey = (a: Pick<Alert, 'ruleId' | 'channelId'>) => `${OPEN}${a.ruleId}#${a.channelId}`;

const toAlert = (item: Record<string, unknown>): Alert => {
  const { pk: _pk, sk: _sk, ...body } = item;
  return Alert.parse(body);
};

/** Alerts, their open pointers and their event outbox (table: {@link ALERTS_TABLE}). */
export class AlertsRepository implements AlertStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The portfolio's open alerts. */
  async open(portfolioId: string): Promise<Alert[]> {
    const pointers = await this.query(portfolioId, OPEN);
    const alerts = await mapLimit(pointers, 8, (p) => this.get(portfolioId, p.alertId as string));
    return alerts.filter((a): a is Alert => a !== null);
  }

  /** Channels with an open alert whose rule is a stop-loss in the config in force: the allocator gives them their base. */
  async openStopLosses(portfolio: Portfolio): Promise<string[]> {
    const stopLoss = stopLossRuleIds(portfolio);
    const pointers = await this.query(portfolio.id, OPEN);
    // The pointer's key names its rule: OPEN#<ruleId>#<channelId>.
    const ruleOf = (p: Record<string, unknown>) => String(p.sk).slice(OPEN.length).split('#')[0]!;
    return [...new Set(pointers.filter((p) => stopLoss.has(ruleOf(p))).map((p) => p.channelId as string))];
  }

  /** Every alert of a portfolio, or those with a status, newest first. */
  async list(portfolioId: string, status?: Alert['status']): Promise<Alert[]> {
    const alerts = (await this.query(portfolioId, ALERT)).map(toAlert).filter((a) => status === undefined || a.status === status);
    return alerts.sort((a, b) => b.openedAt.localeCompare(a.openedAt) || a.alertId.localeCompare(b.alertId));
  }

  async get(portfolioId: string, alertId: string): Promise<Alert | null> {
    const answer = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: portfolioId, sk: `${ALERT}${alertId}` }, ConsistentRead: true }),
    );
    return answer.Item ? toAlert(answer.Item) : null;
  }

  /**
   * Applies a change and queues its event, in one transaction conditioned on the state the change was
   * computed from. Returns the outbox entry, or null when a concurrent evaluation already moved the alert.
   */
  async apply(change: AlertChange, event: BudgetEvent): Promise<PendingEvent | null> {
    const { alert } = change;
    const pk = alert.portfolioId;
    const outbox = { pk, sk: `${OUTBOX}${alert.alertId}#${String(alert.history.length).padStart(4, '0')}` };
    const put = (condition: string, values?: Record<string, unknown>) => ({
      Put: {
        TableName: this.tableName,
        Item: { pk, sk: `${ALERT}${alert.alertId}`, ...alert },
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      },
    });
    const unchanged = { ':n': change.kind === 'open' ? 0 : change.before.history.length };
    const items =
      change.kind === 'open'
        ? [
            put('attribute_not_exists(pk)'),
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk,
                  sk: openKey(alert),
                  alertId: alert.alertId,
                  channelId: alert.channelId,
                  ...(alert.action ? { action: alert.action } : {}),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ]
        : change.kind === 'escalate'
          ? [put('size(history) = :n', unchanged)]
          : [
              put('size(history) = :n', unchanged),
              {
                Delete: {
                  TableName: this.tableName,
                  Key: { pk, sk: openKey(alert) },
                  ConditionExpression: 'alertId = :id',
                  ExpressionAttributeValues: { ':id': alert.alertId },
                },
              },
            ];
    try {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: [...items, { Put: { TableName: this.tableName, Item: { ...outbox, event } } }] }),
      );
      return { key: outbox, event };
    } catch (error) {
      const lostRace =
        error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
      if (lostRace) return null;
      throw error;
    }
  }

  /**
   * Records an open alert's latest reading ({@link alertReadings}): its value and when it was read, unless a
   * transition moved the alert since (its history grew) or an overlapping evaluation recorded a later reading.
   * No event: it is no transition.
   */
  async observe(alert: Alert): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: alert.portfolioId, sk: `${ALERT}${alert.alertId}` },
          UpdateExpression: 'SET observed = :observed, observedAt = :at, severity = :severity, windows = :windows',
          ConditionExpression: 'size(history) = :n AND (attribute_not_exists(observedAt) OR observedAt < :at)',
          ExpressionAttributeValues: {
            ':observed': alert.observed,
            ':at': alert.observedAt,
            ':severity': alert.severity,
            ':windows': alert.windows,
            ':n': alert.history.length,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Events of transitions whose publishing did not finish, oldest transition first per alert. */
  async pending(portfolioId: string): Promise<PendingEvent[]> {
    return (await this.query(portfolioId, OUTBOX)).map((item) => ({
      key: { pk: item.pk as string, sk: item.sk as string },
      event: item.event as BudgetEvent,
    }));
  }

  async published(entry: PendingEvent): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: entry.key }));
  }

  private query(pk: string, prefix: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
    });
  }
}

import type { BudgetConfig } from '../domain/config.js';
import { dateInZone } from '../domain/dates.js';
import { Delivery, type DeliveryPlan, MAX_RECORDS, planDelivery } from '../domain/delivery.js';
import { sha256 } from '../domain/hash.js';
import { type Rejection, rejection, validate } from '../domain/issues.js';
import { firstDuplicateKey } from '../domain/jsonKeys.js';
import { fromPlatform, ROWS_AT, rowCount, type WebhookSource } from '../domain/platforms/mappers.js';

/** One accepted delivery, ready to store. */
export interface DeliveryToStore {
  /** The idempotency key: the source and `deliveryId`, or the body hash when there is none. */
  readonly key: string;
  /** Hash of the raw body: the same key with another body is refused, not silently answered. */
  readonly bodyHash: string;
  readonly plan: DeliveryPlan;
  readonly receivedAt: string;
}

export type Prepared = { readonly ok: true; readonly delivery: DeliveryToStore } | { readonly ok: false; readonly rejection: Rejection };

const refuse = (value: Rejection): Prepared => ({ ok: false, rejection: value });

const parseJson = (body: string): { ok: true; json: unknown } | { ok: false; rejection: Rejection } => {
  try {
    const json: unknown = JSON.parse(body);
    const repeated = firstDuplicateKey(body);
    if (repeated !== null) {
      const issue = { path: repeated, message: 'this key appears more than once in its object' };
      return { ok: false, rejection: { ...rejection('invalid-delivery', [issue]), message: 'the body repeats a key' } };
    }
    return { ok: true, json };
  } catch (error) {
    return {
      ok: false,
      rejection: {
        ...rejection('malformed-json', [{ path: '$', message: (error as Error).message }]),
        message: 'the body is not valid JSON',
      },
    };
  }
};

/** The body as a canonical delivery: parsed as one (`generic`) or mapped from a platform's report. */
const canonical = (source: WebhookSource, json: unknown, config: BudgetConfig, now: Date) => {
  if (source !== 'generic') return fromPlatform(source, json, config.portfolios, now);
  const parsed = validate(Delivery, json);
  return parsed.ok
    ? ({ ok: true, delivery: parsed.value } as const)
    : // Worded as a platform body's refusal is: its one issue, or a count pointing at the list.
      ({ ok: false, rejection: rejection('invalid-delivery', parsed.issues) } as const);
};

/**
 * A platform report states its rows whole: a metric it leaves out is none (Meta drops the purchase entry of
 * a day without purchases), so a later pull replaces the whole row. A generic record's restatement keeps
 * the optional values it does not resend.
 */
const wholeRows = (plan: DeliveryPlan): DeliveryPlan => ({ ...plan, rows: plan.rows.map((row) => ({ ...row, wholeRow: true })) });

/**
 * Turns an authenticated body into a delivery ready to store, or the rejection that explains why not:
 * malformed JSON, more than {@link MAX_RECORDS} records, an invalid record (every issue with its path), or
 * an unknown portfolio or channel. Nothing is stored unless all of it passes.
 */
export const prepareDelivery = (body: string, source: WebhookSource, config: BudgetConfig, now: Date): Prepared => {
  const parsed = parseJson(body);
  if (!parsed.ok) return refuse(parsed.rejection);
  const count = rowCount(source, parsed.json);
  if (count !== undefined && count > MAX_RECORDS) {
    const message = `a delivery may carry at most ${MAX_RECORDS} records, not ${count}`;
    return refuse({
      kind: 'too-many-records',
      message,
      issues: [{ path: ROWS_AT[source], message: `has ${count} records; send at most ${MAX_RECORDS} per delivery` }],
    });
  }
  const mapped = canonical(source, parsed.json, config, now);
  if (!mapped.ok) return refuse(mapped.rejection);
  const { delivery } = mapped;
  const portfolio = config.portfolios.find((p) => p.id === delivery.portfolioId);
  const planned = planDelivery(delivery, portfolio, dateInZone(now, portfolio?.timezone ?? 'UTC'));
  if (!planned.ok) return refuse(planned.rejection);
  const plan = source === 'generic' ? planned.plan : wholeRows(planned.plan);
  const bodyHash = sha256(body);
  const key = delivery.deliveryId === undefined ? `${source}:body:${bodyHash}` : `${source}:${delivery.portfolioId}:${delivery.deliveryId}`;
  return { ok: true, delivery: { key, bodyHash, plan, receivedAt: now.toISOString() } };
};

import { createHash, randomUUID } from 'node:crypto';
import { MAX_RECORDS } from '../../functions/domain/delivery.js';
import type { HistoryLine, RefusedLine } from './historyCsv.js';
import { type HttpAnswer, postDelivery } from './webhookClient.js';

/** What an import did, line by line: the webhook's counts, and the lines refused with their reasons. */
export interface ImportSummary {
  accepted: number;
  duplicates: number;
  stale: number;
  refused: RefusedLine[];
}

/** The import cannot go on (unknown portfolio, bad secret, server unreachable): a usage error, exit 2. */
export class ImportStopped extends Error {}

export interface ImportOptions {
  readonly baseUrl: string;
  readonly secret: string;
  readonly portfolioId: string;
  /** The file's text, so that delivery ids name the file they came from. */
  readonly fileText: string;
  readonly lines: readonly HistoryLine[];
  /** Called after each delivery with the lines done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Distinguishes this run's deliveries from an earlier run's; random unless a test fixes it. */
  readonly runId?: string;
}

interface Issue {
  readonly path?: string;
  readonly message?: string;
}

const issuesOf = (answer: HttpAnswer): Issue[] => (answer.body as { error?: { issues?: Issue[] } } | undefined)?.error?.issues ?? [];
const codeOf = (answer: HttpAnswer): string | undefined => (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
const messageOf = (answer: HttpAnswer): string =>
  (answer.body as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${answer.status}`;

/** The record index a webhook issue names (`records[3].channelId` → 3), if any. */
const recordIndex = (path: string | undefined): number | undefined => {
  const match = /^records\[(\d+)\]/.exec(path ?? '');
  return match ? Number(match[1]) : undefined;
};

const ATTEMPTS = 3;

/** Posts once, retrying what a retry can fix (network errors, 5xx, a delivery still in progress) with the same id. */
const post = async (options: ImportOptions, payload: unknown): Promise<HttpAnswer> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await postDelivery(options.baseUrl, 'generic', payload, options.secret);
      const retryable = answer.status >= 500 || codeOf(answer) === 'delivery-in-progress';
      if (!retryable || attempt === ATTEMPTS) return answer;
    } catch (error) {
      if (attempt === ATTEMPTS) {
        throw new ImportStopped(`cannot reach ${options.baseUrl} (${(error as Error).message}); is the server running?`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
};

/**
 * Sends one chunk as a delivery. Records the server refuses by index (400 invalid, 422 unknown channel) are
 * refused lines; the chunk is sent again without them, so one bad line never holds back its neighbours.
 */
const sendChunk = async (options: ImportOptions, deliveryId: string, chunk: readonly HistoryLine[], summary: ImportSummary) => {
  let pending = [...chunk];
  while (pending.length > 0) {
    const payload = { portfolioId: options.portfolioId, deliveryId, records: pending.map((l) => l.record) };
    const answer = await post(options, payload);
    if (answer.status === 202) {
      const receipt = answer.body as { accepted: number; duplicates: number; stale: number };
      summary.accepted += receipt.accepted;
      summary.duplicates += receipt.duplicates;
      summary.stale += receipt.stale;
      return;
    }
    const issues = issuesOf(answer);
    if (answer.status === 422 && issues.some((i) => i.path === 'portfolioId')) {
      throw new ImportStopped(`unknown portfolio "${options.portfolioId}" on ${options.baseUrl}`);
    }
    const byIndex = new Map<number, string>();
    for (const issue of issues) {
      const index = recordIndex(issue.path);
      if (index === undefined || index >= pending.length) continue;
      const field = issue.path?.replace(/^records\[\d+\]\.?/, '');
      // A message naming another record of the delivery (a conflicting repeat) names its line of the file instead.
      const message = (issue.message ?? 'refused').replace(/records\[(\d+)\]/g, (named, k) => {
        const line = pending[Number(k)]?.line;
        return line === undefined ? named : `line ${line}`;
      });
      const reason = `${field ? `${field}: ` : ''}${message}`;
      byIndex.set(index, byIndex.has(index) ? `${byIndex.get(index)}; ${reason}` : reason);
    }
    if ((answer.status !== 400 && answer.status !== 422) || byIndex.size === 0) {
      const why = answer.status === 401 ? '; check WEBHOOK_SECRET_GENERIC' : '';
      throw new ImportStopped(`the server refused the delivery: ${answer.status} ${messageOf(answer)}${why}`);
    }
    for (const [index, reason] of byIndex) summary.refused.push({ line: pending[index]?.line ?? 0, reason });
    pending = pending.filter((_, index) => !byIndex.has(index));
  }
};

/**
 * Sends history lines to `POST /webhooks/generic` in deliveries of at most {@link MAX_RECORDS} records,
 * one after another, so the webhook's rules decide each record: accepted, duplicate (already stored with
 * the same revision and values) or stale (a stored row with a higher revision, or the same revision and
 * other values). Delivery ids are `import-<file hash>-<run>-<chunk>`: a retry within a run is answered from
 * the first receipt, and a later run of the same file reaches the stored rows, which count it as duplicates.
 */
export const importHistory = async (options: ImportOptions, refusedBefore: readonly RefusedLine[] = []): Promise<ImportSummary> => {
  const summary: ImportSummary = { accepted: 0, duplicates: 0, stale: 0, refused: [...refusedBefore] };
  const fileHash = createHash('sha256').update(options.fileText).digest('hex').slice(0, 16);
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const total = options.lines.length;
  for (let start = 0, chunk = 0; start < total; start += MAX_RECORDS, chunk += 1) {
    const lines = options.lines.slice(start, start + MAX_RECORDS);
    await sendChunk(options, `import-${fileHash}-${runId}-${chunk}`, lines, summary);
    options.onProgress?.(Math.min(start + MAX_RECORDS, total), total);
  }
  summary.refused.sort((a, b) => a.line - b.line);
  return summary;
};

import type { MetricRecord } from '../../functions/domain/delivery.js';
import { parseCsv } from './csv.js';

/** Columns every history file has. */
export const REQUIRED_COLUMNS = ['channelId', 'date', 'spend', 'conversions'] as const;
/** Columns a history file may add, in any order after the required ones. */
export const OPTIONAL_COLUMNS = ['revenue', 'impressions', 'clicks', 'revision'] as const;

type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** A line that becomes a webhook record, with the file line it came from. */
export interface HistoryLine {
  readonly line: number;
  readonly record: MetricRecord;
}

/** A line that is not sent, and why. */
export interface RefusedLine {
  readonly line: number;
  readonly reason: string;
}

export interface HistoryFile {
  readonly lines: HistoryLine[];
  readonly refused: RefusedLine[];
}

/** The file cannot be read as history at all (its header): a usage error, not a bad line. */
export class HistoryHeaderError extends Error {}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;

const isCalendarDate = (text: string): boolean => {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

/** Reads the header: the required columns present, no unknown or repeated column (a typo would drop data silently). */
const readHeader = (fields: readonly string[]): Column[] => {
  const known: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
  const columns = fields.map((f) => f.trim());
  const unknown = columns.filter((c) => !known.includes(c));
  if (unknown.length > 0) {
    throw new HistoryHeaderError(`unknown column "${unknown[0]}" in the header; columns are ${known.join(', ')}`);
  }
  const repeated = columns.find((c, i) => columns.indexOf(c) !== i);
  if (repeated) throw new HistoryHeaderError(`column "${repeated}" appears twice in the header`);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new HistoryHeaderError(`the header lacks ${missing.join(', ')}; it needs ${REQUIRED_COLUMNS.join(',')}`);
  }
  return columns as Column[];
};

/** One line's values as a record, or the first reason it cannot be one. */
const readLine = (columns: readonly Column[], fields: readonly string[], defaultRevision: number | undefined) => {
  if (fields.length !== columns.length) {
    return { reason: `${fields.length} fields where the header has ${columns.length}` };
  }
  const value = new Map(columns.map((c, i) => [c, (fields[i] ?? '').trim()]));
  const text = (column: Column) => value.get(column) ?? '';
  for (const column of REQUIRED_COLUMNS) {
    if (text(column) === '') return { reason: `${column} is empty` };
  }
  if (!isCalendarDate(text('date'))) return { reason: `date "${text('date')}" is not a calendar date YYYY-MM-DD` };
  for (const column of ['spend', 'conversions', 'revenue'] as const) {
    const raw = text(column);
    if (raw !== '' && !DECIMAL.test(raw)) return { reason: `${column} "${raw}" is not a number ≥ 0` };
  }
  for (const column of ['impressions', 'clicks', 'revision'] as const) {
    const raw = text(column);
    if (raw !== '' && !WHOLE.test(raw)) return { reason: `${column} "${raw}" is not a whole number ≥ 0` };
  }
  const optional = (column: Column) => (text(column) === '' ? {} : { [column]: Number(text(column)) });
  const revision = text('revision') === '' ? defaultRevision : Number(text('revision'));
  const record: MetricRecord = {
    channelId: text('channelId'),
    date: text('date'),
    spend: Number(text('spend')),
    conversions: Number(text('conversions')),
    ...optional('revenue'),
    ...optional('impressions'),
    ...optional('clicks'),
    ...(revision === undefined ? {} : { revision }),
  };
  return { record };
};

/**
 * Reads a history CSV (docs/import.md): a header naming {@link REQUIRED_COLUMNS} and any of
 * {@link OPTIONAL_COLUMNS}, then one daily row per line. A line with the wrong number of fields, an empty
 * required value, a date that is not a calendar date or a value that is not a number ≥ 0 is refused with its
 * line number; the rest become webhook records. The server checks the rest (channels, future dates, decimals).
 * `defaultRevision` applies to lines without a `revision` value; absent, they carry none (the webhook's 0).
 */
export const readHistory = (text: string, defaultRevision?: number): HistoryFile => {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new HistoryHeaderError(`the file is empty; its first line must be the header ${REQUIRED_COLUMNS.join(',')}`);
  if (header.unclosedQuote) throw new HistoryHeaderError('the header has a quote that is never closed');
  const columns = readHeader(header.fields);
  const lines: HistoryLine[] = [];
  const refused: RefusedLine[] = [];
  for (const row of rows) {
    if (row.unclosedQuote) {
      refused.push({ line: row.line, reason: 'a quote opened on this line is never closed' });
      continue;
    }
    const read = readLine(columns, row.fields, defaultRevision);
    if ('reason' in read) refused.push({ line: row.line, reason: read.reason ?? '' });
    else lines.push({ line: row.line, record: read.record });
  }
  return { lines, refused };
};

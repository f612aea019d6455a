import { withoutBom } from '../../functions/domain/text.js';

/** One CSV record: its fields, and the file line it starts on (1-based), for messages people can act on. */
export interface CsvRow {
  readonly line: number;
  readonly fields: string[];
}

/**
 * Reads CSV as RFC 4180 writes it: fields separated by commas, a field in double quotes may hold commas,
 * line breaks and doubled quotes (`""`), and LF or CRLF ends a record. A byte-order mark is dropped and blank
 * lines are skipped. A quote left open at the end of the file is reported on the row it opened, not guessed
 * at: the row's `unclosedQuote` is set.
 */
export const parseCsv = (text: string): (CsvRow & { unclosedQuote?: true })[] => {
  const rows: (CsvRow & { unclosedQuote?: true })[] = [];
  const source = withoutBom(text);
  let line = 1;
  let rowLine = 1;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  // Whether the row has any content, so that a blank line is skipped rather than read as one empty field.
  let started = false;
  const endRow = () => {
    if (started) rows.push({ line: rowLine, fields: [...fields, field] });
    fields = [];
    field = '';
    started = false;
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === '\r' && source[i + 1] === '\n') continue;
    if (char === '\n') {
      endRow();
      line += 1;
      rowLine = line;
      continue;
    }
    if (!started) {
      started = true;
      rowLine = line;
    }
    if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '"' && field === '') {
      quoted = true;
    } else {
      field += char;
    }
  }
  if (quoted) {
    rows.push({ line: rowLine, fields: [...fields, field], unclosedQuote: true });
    return rows;
  }
  endRow();
  return rows;
};

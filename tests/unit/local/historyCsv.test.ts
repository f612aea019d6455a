import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../bin/local/csv.js';
import { HistoryHeaderError, readHistory } from '../../../bin/local/historyCsv.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and numbers rows by the line they start on', () => {
    const rows = parseCsv('a,b\n"x, y","say ""hi"""\n"two\nlines",z\nlast,row\n');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', 'z'] },
      { line: 5, fields: ['last', 'row'] },
    ]);
  });

  it('tolerates CRLF, a byte-order mark, blank lines and a missing final newline', () => {
    expect(parseCsv('\uFEFFa,b\r\n\r\n1,2\r\n3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
    ]);
  });

  it('reports a quote that is never closed on the row that opened it', () => {
    expect(parseCsv('a,b\n1,"open\n2,3\n').at(-1)).toMatchObject({ line: 2, unclosedQuote: true });
  });
});

describe('readHistory', () => {
  const header = 'channelId,date,spend,conversions';

  it('turns each line into a webhook record with the line it came from, optional columns in any order', () => {
    const file = readHistory(`clicks,${header},revenue\r\n12,search,2024-03-01,100.5,4,"1,200.0"\r\n,"social",2024-03-02,0,0,\r\n`);
    expect(file.refused).toEqual([{ line: 2, reason: 'revenue "1,200.0" is not a number ≥ 0' }]);
    expect(file.lines).toEqual([{ line: 3, record: { channelId: 'social', date: '2024-03-02', spend: 0, conversions: 0 } }]);
  });

  it('refuses a bad line with its line number and reads the lines around it', () => {
    const file = readHistory(
      [
        header,
        'search,2024-03-01,10,1',
        'search,2024-02-30,10,1',
        'search,2024-03-03,-5,1',
        'search,2024-03-04,10',
        'search,2024-03-05,10,2.5',
      ].join('\n'),
    );
    expect(file.refused).toEqual([
      { line: 3, reason: 'date "2024-02-30" is not a calendar date YYYY-MM-DD' },
      { line: 4, reason: 'spend "-5" is not a number ≥ 0' },
      { line: 5, reason: '3 fields where the header has 4' },
    ]);
    expect(file.lines.map((l) => l.line)).toEqual([2, 6]);
    expect(file.lines[1]?.record).toEqual({ channelId: 'search', date: '2024-03-05', spend: 10, conversions: 2.5 });
  });

  it('takes a revision from its column, else from the default, else none (the webhook reads none as 0)', () => {
    const text = `${header},revision\nsearch,2024-03-01,10,1,3\nsearch,2024-03-02,10,1,\n`;
    expect(readHistory(text).lines.map((l) => l.record.revision)).toEqual([3, undefined]);
    expect(readHistory(text, 2).lines.map((l) => l.record.revision)).toEqual([3, 2]);
    expect(readHistory(`${header},revision\nsearch,2024-03-01,10,1,1.5\n`).refused[0]?.reason).toMatch(
      /revision "1.5" is not a whole number/,
    );
  });

  it('refuses the whole file when the header lacks a required column, names one it does not know, or repeats one', () => {
    expect(() => readHistory('channelId,date,spend\nsearch,2024-03-01,10\n')).toThrow(
      new HistoryHeaderError('the header lacks conversions; it needs channelId,date,spend,conversions'),
    );
    expect(() => readHistory(`${header},revenu\n`)).toThrow(/unknown column "revenu"/);
    expect(() => readHistory(`${header},spend\n`)).toThrow(/column "spend" appears twice/);
    expect(() => readHistory('')).toThrow(/the file is empty/);
  });
});

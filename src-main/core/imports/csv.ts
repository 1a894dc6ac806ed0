/**
 * Strict reading of one CSV file of the reference layout (SCIENCE.md §8):
 * csv-parse for the syntax (quotes, CRLF, a BOM), then our own checks with
 * the file, line and column of each problem: the header must hold the
 * expected columns (once each), every row as many cells as the header, every
 * cell the column's type. A leading unnamed column (pandas' index, written
 * by `to_csv` without `index=False`) is recognised and skipped.
 */
import { parse } from 'csv-parse/sync';
import { fail, FileProblem } from './errors';
import { formatBytes } from './limits';
import { CellError } from './numbers';

export interface CsvRow {
  /** 1-based line of the file where the record ends */
  line: number;
  cells: string[];
}

export interface CsvTable {
  file: string;
  /** the header as written (the pandas index column included) */
  header: string[];
  rows: CsvRow[];
  /** 1 when the first column is an unnamed index column (skipped), else 0 */
  skip: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a file: UTF-8 (a BOM is dropped by the parser), no NUL bytes. */
export function decodeText(bytes: Uint8Array, file: string): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    fail(file, 'not a text file (invalid UTF-8)');
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) fail(file, 'not a text file (it contains NUL bytes)', { line: lineOf(text, nul) });
  return text;
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Parse CSV text into a header and rows; ragged rows and syntax errors are refused with their line. */
export function readCsv(text: string, file: string, maxRows: number): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true, bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: 1 << 20,
      to: maxRows + 2, // a header and maxRows records, plus one to notice more
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    const msg = e.message.replace(/\s+at line \d+.*$/s, '').replace(/:\s*$/, '');
    fail(file, `not a valid CSV file (${msg})`, e.lines !== undefined ? { line: e.lines } : {});
  }
  if (records.length === 0) fail(file, 'the file is empty (a header line is needed)');
  if (records.length > maxRows + 1) fail(file, `more than ${maxRows} rows (the import limit)`);
  const header = records[0]!.record.map((h) => h.trim());
  const skip = header.length > 1 && (header[0] === '' || /^Unnamed: 0$/.test(header[0]!)) ? 1 : 0;
  const rows: CsvRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i]!;
    if (record.length !== header.length) {
      fail(file, `expected ${header.length} cells as in the header, got ${record.length}`, { line: info.lines });
    }
    rows.push({ line: info.lines, cells: record });
  }
  return { file, header, rows, skip };
}

/**
 * The positions of the expected columns. Missing or repeated columns are
 * errors (line 1); columns neither required nor optional are errors too
 * unless `allowExtra`, when they are returned as `extra` (ignored).
 */
export function columnsOf<K extends string>(
  t: CsvTable, required: readonly K[], optional: readonly K[] = [], allowExtra = false,
): { index: Map<K, number>; extra: string[] } {
  const index = new Map<K, number>();
  const extra: string[] = [];
  const known = new Set<string>([...required, ...optional]);
  for (let c = t.skip; c < t.header.length; c++) {
    const h = t.header[c]!;
    if (known.has(h)) {
      if (index.has(h as K)) fail(t.file, `column "${h}" appears twice in the header`, { line: 1, column: c + 1 });
      index.set(h as K, c);
    } else if (allowExtra) extra.push(h);
    else fail(t.file, `unexpected column "${h}" (expected ${[...required, ...optional].join(',')})`, { line: 1, column: c + 1 });
  }
  const missing = required.filter((k) => !index.has(k));
  if (missing.length > 0) {
    fail(t.file, `the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${required.join(',')}; got ${t.header.slice(t.skip).join(',')})`, { line: 1 });
  }
  return { index, extra };
}

/** The value of a cell through `parse`, or a problem naming the file, line, column and its name. */
export function cellOf<T>(t: CsvTable, row: CsvRow, col: number, parse: (cell: string) => T): T {
  try {
    return parse(row.cells[col]!);
  } catch (err) {
    if (err instanceof CellError) fail(t.file, err.message, { line: row.line, column: col + 1, columnName: t.header[col]! });
    throw err;
  }
}

/** Refuse a file over `max` bytes before reading it. */
export function checkSize(file: string, size: number, max: number, what: string): void {
  if (size > max) fail(file, `${formatBytes(size)} is over the import limit of ${formatBytes(max)} for ${what}`);
}

export { FileProblem };

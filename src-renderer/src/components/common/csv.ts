/** CSV text of table rows (RFC 4180 quoting; numbers as JavaScript writes them, NaN and ±Infinity included). */
export interface CsvColumn {
  key: string;
  title?: string;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly CsvColumn[]): string {
  const head = columns.map((c) => cell(c.key)).join(',');
  const lines = [head];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c.key])).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Test helpers: read the result files back the way pandas would
 * (nan / inf / -inf / True / False), and small independent re-derivations
 * (ordinary least squares, mean and sample standard deviation) to check the
 * files against.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface Table {
  header: string[];
  rows: string[][];
  /** column by name, as numbers (nan/inf/-inf/True/False understood) */
  num(col: string): number[];
  str(col: string): string[];
}

export function pyNumber(s: string): number {
  switch (s) {
    case 'nan': return NaN;
    case 'inf': return Infinity;
    case '-inf': return -Infinity;
    case 'True': return 1;
    case 'False': return 0;
    case '': return NaN;
    default: return Number(s);
  }
}

export function readCsv(path: string): Table {
  const all = parse(readFileSync(path, 'utf8')) as string[][];
  const header = all[0]!;
  const rows = all.slice(1);
  const idx = (col: string) => {
    const i = header.indexOf(col);
    if (i < 0) throw new Error(`${path}: no column ${col} in ${header.join(',')}`);
    return i;
  };
  return {
    header,
    rows,
    num: (col) => rows.map((r) => pyNumber(r[idx(col)]!)),
    str: (col) => rows.map((r) => r[idx(col)]!),
  };
}

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** OLS y = a + b x (textbook formulas). */
export function ols(x: number[], y: number[]): { a: number; b: number; r2: number } {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  const b = sxy / sxx;
  const a = my - b * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - a - b * x[i]!) ** 2;
  return { a, b, r2: syy > 0 ? 1 - sse / syy : 1 };
}

/** mean, sample std (n - 1; 0 for one value) and count. */
export function meanStdN(xs: number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const std = n === 1 ? 0 : Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

/** |a - b| ≤ tol·max(1, |b|), NaN equal to NaN, ±∞ equal to themselves. */
export function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

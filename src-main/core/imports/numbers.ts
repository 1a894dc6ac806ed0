/**
 * Cells of the reference pipeline's CSV files as numbers (SCIENCE.md §8).
 * Python / pandas write a float in its shortest round-trip form ("0.1",
 * "1e-05"), NaN as "nan" (or an empty cell: pandas' default na_rep), the
 * infinities as "inf" / "-inf", booleans as "True" / "False", and integers of
 * a column holding a NaN as floats ("25.0"). Every accepted spelling maps to
 * exactly one double (the decimal text is rounded correctly by Number), so
 * our own files (results-writer.ts) read back bit for bit.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN_WORDS = new Set(['nan', '+nan', '-nan']);
const INF_WORDS = new Set(['inf', '+inf', 'infinity', '+infinity']);
const NEG_INF_WORDS = new Set(['-inf', '-infinity']);
const TRUE_WORDS = new Set(['true', '1', '1.0']);
const FALSE_WORDS = new Set(['false', '0', '0.0']);

/** Why a cell was refused (the caller adds the file, line and column). */
export class CellError extends Error {
  override name = 'CellError';
}

function shown(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}

/** A double: decimal, nan / NaN / empty (NaN), inf / -inf / Infinity. */
export function parseRefNumber(cell: string): number {
  const s = cell.trim();
  if (s === '') return NaN;
  const l = s.toLowerCase();
  if (NAN_WORDS.has(l)) return NaN;
  if (INF_WORDS.has(l)) return Infinity;
  if (NEG_INF_WORDS.has(l)) return -Infinity;
  if (!DECIMAL.test(s)) throw new CellError(`${shown(cell)} is not a number`);
  return Number(s);
}

/** An integer (safe; "25.0" accepted); NaN only when `allowNaN` (integer result columns, SCIENCE.md §8). */
export function parseRefInt(cell: string, allowNaN: boolean, min = -Infinity): number {
  let x: number;
  try {
    x = parseRefNumber(cell);
  } catch {
    throw new CellError(`${shown(cell)} is not an integer`);
  }
  if (Number.isNaN(x)) {
    if (allowNaN) return NaN;
    throw new CellError(cell.trim() === '' ? 'the cell is empty (an integer is needed)' : `${shown(cell)} is not an integer`);
  }
  if (!Number.isSafeInteger(x)) throw new CellError(`${shown(cell)} is not an integer`);
  if (x < min) throw new CellError(`${shown(cell)} must be >= ${min}`);
  return x === 0 ? 0 : x; // "-0" is the integer 0
}

/** A boolean: True / False (any case), 1 / 0, 1.0 / 0.0. */
export function parseRefBool(cell: string): boolean {
  const l = cell.trim().toLowerCase();
  if (TRUE_WORDS.has(l)) return true;
  if (FALSE_WORDS.has(l)) return false;
  throw new CellError(`${shown(cell)} is not True or False`);
}

/** A non-empty text. */
export function parseRefText(cell: string): string {
  const s = cell.trim();
  if (s === '') throw new CellError('the cell is empty (a text is needed)');
  return s;
}

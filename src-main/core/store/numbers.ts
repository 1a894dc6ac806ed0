/**
 * How numbers travel between JavaScript and SQLite (the encoding documented
 * at the top of migrations/0001_initial.sql).
 *
 * SQLite's REAL cannot hold NaN: binding NaN stores NULL. So a numeric
 * result column is nullable and NULL means NaN (the result types have no
 * "absent" number, so nothing is ambiguous). +Infinity and -Infinity are
 * stored as SQLite's infinite REALs and read back unchanged. Every other
 * double round-trips exactly, except that SQLite keeps integral REALs as
 * integers, so -0 reads back as 0.
 *
 * Arrays of doubles (μ per unit) are BLOBs of IEEE 754 float64 in
 * little-endian byte order, copied bit for bit (NaN payloads and -0 included).
 */

/** A double for a REAL / INTEGER result column: NaN → NULL. */
export function numIn(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** A REAL / INTEGER result column back to a double: NULL → NaN. */
export function numOut(x: number | null | undefined): number {
  return x === null || x === undefined ? NaN : x;
}

/** An optional number (absent ↔ NULL), for columns that are not NaN-capable. */
export function optIn(x: number | null | undefined): number | null {
  return x === undefined || x === null || Number.isNaN(x) ? null : x;
}

export function boolIn(b: boolean): 0 | 1 {
  return b ? 1 : 0;
}

export function boolOut(x: number | null | undefined): boolean {
  return x === 1;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swap8(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 8) {
    for (let k = 0; k < 4; k++) {
      const t = bytes[i + k]!;
      bytes[i + k] = bytes[i + 7 - k]!;
      bytes[i + 7 - k] = t;
    }
  }
}

/** Float64Array → BLOB bytes (little-endian float64). */
export function f64ToBlob(a: Float64Array): Buffer {
  const out = Buffer.alloc(a.byteLength);
  out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  if (!LITTLE_ENDIAN) swap8(out);
  return out;
}

/** BLOB bytes (little-endian float64) → a new Float64Array. */
export function blobToF64(b: Uint8Array): Float64Array {
  if (b.byteLength % 8 !== 0) throw new RangeError(`a float64 BLOB must have a multiple of 8 bytes (got ${b.byteLength})`);
  const out = new Float64Array(b.byteLength / 8);
  const bytes = new Uint8Array(out.buffer);
  bytes.set(b);
  if (!LITTLE_ENDIAN) swap8(bytes);
  return out;
}

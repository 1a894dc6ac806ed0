/**
 * ZIP archives of rendered files. Entries are stored in the given order under
 * their '/'-separated paths, with one fixed modification time, so the same
 * files give the same archive bytes.
 *
 * The deflate work runs on Node's libuv thread pool (zlib.deflateRaw, native)
 * rather than on the calling thread: a paper-size experiment is tens of
 * megabytes of CSV text, and the main process (which serves the UI) must not
 * stall for seconds. fflate's streaming `Zip` writes the container around the
 * compressed entries (custom input files with their CRC and size).
 */
import { crc32, deflateRaw } from 'node:zlib';
import { Zip, type ZipInputFile } from 'fflate';

export interface ZipEntry {
  /** relative path inside the archive, '/'-separated */
  path: string;
  /** text (written as UTF-8) or bytes */
  data: string | Uint8Array;
}

/** The earliest time a ZIP (DOS) date can hold. */
const DOS_EPOCH_MS = Date.UTC(1980, 0, 2);

/** deflate level (zlib's default) */
const LEVEL = 6;

function checkPath(p: string): void {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`zip: invalid entry path ${JSON.stringify(p)}`);
  }
}

function deflate(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => deflateRaw(data, { level: LEVEL }, (err, out) => {
    if (err) reject(err);
    // zlib's output Buffer is backed by a plain ArrayBuffer
    else resolve(new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength));
  }));
}

/** Deflated archive of the entries, every entry dated `mtimeMs` (clamped to the DOS range). */
export async function zipEntries(entries: readonly ZipEntry[], mtimeMs: number): Promise<Uint8Array> {
  const mtime = new Date(Math.max(DOS_EPOCH_MS, Number.isFinite(mtimeMs) ? mtimeMs : DOS_EPOCH_MS));
  const seen = new Set<string>();
  for (const e of entries) {
    checkPath(e.path);
    if (seen.has(e.path)) throw new Error(`zip: duplicate entry ${e.path}`);
    seen.add(e.path);
  }
  const raw = entries.map((e) => (typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data));
  const packed = await Promise.all(raw.map(deflate));

  const chunks: Uint8Array[] = [];
  const state = { failure: null as Error | null, final: false };
  const zip = new Zip((err, chunk, final) => {
    if (err) state.failure = err;
    else chunks.push(chunk);
    if (final) state.final = true;
  });
  entries.forEach((e, i) => {
    const file: ZipInputFile = { filename: e.path, size: raw[i]!.byteLength, crc: crc32(raw[i]!) >>> 0, compression: 8, mtime };
    zip.add(file);
    file.ondata!(null, packed[i]!, true);
  });
  zip.end();
  if (state.failure) throw state.failure;
  // fflate's Zip emits synchronously when every entry's data is complete
  if (!state.final) throw new Error('zip: the archive was not completed');
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

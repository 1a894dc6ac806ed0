/**
 * A defensive reader of ZIP archives (PKWARE APPNOTE 6.3): the central
 * directory is read by plain positioned reads (the archive is never loaded
 * whole), entries are inflated with fflate only when asked for, into a buffer
 * of the declared size (so a lying size cannot make it allocate more), and
 * the CRC-32 of what came out is checked against the directory's.
 *
 * Refused: entry names that are absolute, contain `..` segments, backslashes
 * or NUL; symbolic links (Unix mode in the external attributes); encrypted
 * entries; compression methods other than stored and deflate; more entries
 * than the limit. ZIP64 sizes and offsets are read.
 */
import { crc32 } from 'node:zlib';
import { inflateSync } from 'fflate';

/** Positioned reads of the archive (a file descriptor, or bytes in tests). */
export interface RandomAccess {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bytesAccess(bytes: Uint8Array): RandomAccess {
  return { size: bytes.length, read: async (o, n) => bytes.subarray(o, Math.min(bytes.length, o + n)) };
}

export interface ZipEntry {
  /** the name as stored ('/'-separated) */
  name: string;
  directory: boolean;
  /** 0 stored, 8 deflate */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** offset of the local file header */
  localOffset: number;
}

/** A problem with the archive (the importer names the archive and the entry). */
export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
  constructor(message: string, readonly entry?: string) {
    super(message);
  }
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(dv: DataView, off: number): number {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  const v = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(v)) throw new ZipFormatError('a ZIP64 size or offset is too large');
  return v;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');

function decodeName(bytes: Uint8Array, utf8Flag: boolean): string {
  if (utf8Flag) {
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new ZipFormatError('an entry name is not valid UTF-8');
    }
  }
  // without the UTF-8 flag names are CP437; ASCII names (the only ones we read) decode the same
  return LATIN1.decode(bytes);
}

/** Why an entry name is unsafe, or null. */
export function unsafeEntryName(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name.includes('\0')) return 'a NUL character in the name';
  if (name.includes('\\')) return 'a backslash in the name (names must use /)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'an absolute path';
  if (name.split('/').some((seg) => seg === '..')) return 'a ".." path segment (it would leave the folder)';
  return null;
}

/** Read and check the central directory. */
export async function readZipDirectory(ra: RandomAccess, maxEntries: number): Promise<ZipEntry[]> {
  if (ra.size < 22) throw new ZipFormatError('not a ZIP archive (too short)');
  const tailLen = Math.min(ra.size, 22 + 0xffff);
  const tail = await ra.read(ra.size - tailLen, tailLen);
  const tv = view(tail);
  let e = -1;
  for (let k = tail.length - 22; k >= 0; k--) {
    if (tv.getUint32(k, true) === EOCD_SIG) {
      e = k;
      break;
    }
  }
  if (e < 0) throw new ZipFormatError('not a ZIP archive (no end of central directory record)');
  let count = tv.getUint16(e + 10, true);
  let cdSize = tv.getUint32(e + 12, true);
  let cdOffset = tv.getUint32(e + 16, true);
  const eocdAbs = ra.size - tailLen + e;
  if (eocdAbs >= 20) {
    const loc = view(await ra.read(eocdAbs - 20, 20));
    if (loc.getUint32(0, true) === EOCD64_LOCATOR_SIG) {
      const rec = view(await ra.read(u64(loc, 8), 56));
      if (rec.byteLength < 56 || rec.getUint32(0, true) !== EOCD64_SIG) throw new ZipFormatError('a damaged ZIP64 end of central directory record');
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
  }
  if (count > maxEntries) throw new ZipFormatError(`${count} entries, more than the import limit of ${maxEntries}`);
  if (cdOffset + cdSize > ra.size) throw new ZipFormatError('the central directory lies outside the archive (damaged or truncated)');
  const cd = await ra.read(cdOffset, cdSize);
  const dv = view(cd);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== CENTRAL_SIG) throw new ZipFormatError('a damaged central directory');
    const madeBy = dv.getUint16(p + 4, true);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const external = dv.getUint32(p + 38, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipFormatError('a damaged central directory');
    const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    // ZIP64 extended information: the fields that are 0xFFFFFFFF above, in this order
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) (size = u64(dv, q), q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(dv, q), q += 8);
        if (localOffset === 0xffffffff) localOffset = u64(dv, q);
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;

    const bad = unsafeEntryName(name);
    if (bad) throw new ZipFormatError(`refused: ${bad}`, name);
    const unixMode = madeBy >>> 8 === 3 ? external >>> 16 : 0;
    if ((unixMode & S_IFMT) === S_IFLNK) throw new ZipFormatError('refused: a symbolic link', name);
    const directory = name.endsWith('/');
    if (!directory) {
      if (flags & 0x1) throw new ZipFormatError('refused: the entry is encrypted', name);
      if (method !== 0 && method !== 8) throw new ZipFormatError(`refused: compression method ${method} (only stored and deflate are read)`, name);
    }
    entries.push({ name, directory, method, compressedSize, size, crc, localOffset });
  }
  return entries;
}

/** The bytes of one entry (inflated, CRC-checked). The caller checks the declared sizes against its limits first. */
export async function readZipEntry(ra: RandomAccess, e: ZipEntry): Promise<Uint8Array> {
  const lh = view(await ra.read(e.localOffset, 30));
  if (lh.byteLength < 30 || lh.getUint32(0, true) !== LOCAL_SIG) throw new ZipFormatError('a damaged local header', e.name);
  const start = e.localOffset + 30 + lh.getUint16(26, true) + lh.getUint16(28, true);
  if (start + e.compressedSize > ra.size) throw new ZipFormatError('the entry lies outside the archive (truncated)', e.name);
  const raw = await ra.read(start, e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) throw new ZipFormatError('a stored entry whose sizes differ', e.name);
    out = raw;
  } else {
    try {
      // at most the declared size is written (fflate truncates); the CRC below catches a lie
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new ZipFormatError(`cannot inflate (${(err as Error).message})`, e.name);
    }
    if (out.length !== e.size) throw new ZipFormatError(`inflated to ${out.length} bytes, the directory says ${e.size}`, e.name);
  }
  if ((crc32(out) >>> 0) !== (e.crc >>> 0)) throw new ZipFormatError('CRC-32 mismatch (damaged entry, or a size that is not its own)', e.name);
  return out;
}

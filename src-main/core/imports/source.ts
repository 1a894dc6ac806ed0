/**
 * What an import reads from: a folder on the host, or a .zip archive. Both
 * become a flat list of entries (path relative to the root, '/'-separated,
 * declared size, a bounded read), so the layout logic never touches the file
 * system.
 *
 * Folder: walked without following links to folders; a symbolic link whose
 * real path is outside the imported folder refuses the import; a link to a
 * file inside is read (a link to a folder inside is skipped: its files are
 * read under their own path, so nothing is read twice and links cannot loop);
 * depth and entry counts are bounded. Archive: see zip.ts (names with `..` or absolute paths, symbolic
 * links and encrypted entries are refused).
 */
import { open, readdir, realpath, stat, lstat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { fail, FileProblem } from './errors';
import { formatBytes, type ImportLimits } from './limits';
import { readZipDirectory, readZipEntry, ZipFormatError, type RandomAccess } from './zip';

export interface SourceEntry {
  /** relative to the root, '/'-separated, no leading ./ */
  path: string;
  /** bytes (as the file system or the archive's directory says) */
  size: number;
  /** the bytes, refused (FileProblem) beyond `maxBytes` */
  read(maxBytes: number): Promise<Uint8Array>;
}

export interface ImportSource {
  kind: 'folder' | 'zip';
  /** the absolute path imported */
  path: string;
  /** a default experiment name (folder name, archive name without .zip) */
  baseName: string;
  entries: SourceEntry[];
  close(): Promise<void>;
}

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/** Read at most maxBytes of a file (one more byte tells it is longer). */
async function readBounded(abs: string, rel: string, maxBytes: number): Promise<Uint8Array> {
  const fh = await open(abs, 'r');
  try {
    const st = await fh.stat();
    if (st.size > maxBytes) fail(rel, `${formatBytes(st.size)} is over the import limit of ${formatBytes(maxBytes)}`);
    const buf = new Uint8Array(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    if (n > maxBytes) fail(rel, `the file grew over the import limit of ${formatBytes(maxBytes)} while it was read`);
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

export async function openFolder(root: string, limits: ImportLimits): Promise<ImportSource> {
  const abs = resolve(root);
  const realRoot = await realpath(abs);
  const entries: SourceEntry[] = [];
  let seen = 0;

  const walk = async (dirAbs: string, rel: string, depth: number): Promise<void> => {
    const items = await readdir(dirAbs, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of items) {
      if (++seen > limits.maxEntries) fail('', `more than ${limits.maxEntries} files and folders (the import limit)`);
      const relPath = rel ? `${rel}/${d.name}` : d.name;
      let full = join(dirAbs, d.name);
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(full);
        } catch {
          // a dangling link: refused only if it is read
          entries.push({ path: relPath, size: 0, read: async () => fail(relPath, 'a symbolic link whose target does not exist') });
          continue;
        }
        if (!inside(realRoot, target)) fail(relPath, `a symbolic link to ${target}, outside the imported folder: refused`);
        const st = await stat(target);
        // a link to a folder inside is not followed: its files are read under their own path (no aliases, no loops)
        if (st.isDirectory()) continue;
        full = target;
        isDir = false;
        isFile = st.isFile();
      }
      if (isDir) {
        if (depth + 1 > limits.maxDepth) fail(relPath, `folders nested deeper than ${limits.maxDepth} level${limits.maxDepth === 1 ? '' : 's'} (the import limit)`);
        await walk(full, relPath, depth + 1);
      } else if (isFile) {
        const st = await lstat(full);
        const file = full;
        entries.push({ path: relPath, size: st.size, read: (max) => readBounded(file, relPath, max) });
      }
      // sockets, FIFOs, devices: never read
    }
  };
  await walk(abs, '', 0);
  return { kind: 'folder', path: abs, baseName: basename(abs), entries, close: async () => {} };
}

function fileAccess(fd: Awaited<ReturnType<typeof open>>, size: number): RandomAccess {
  return {
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fd.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
  };
}

/** An archive's entries; a ZipFormatError becomes a FileProblem naming the archive entry. */
export async function openZip(path: string, limits: ImportLimits): Promise<ImportSource> {
  const abs = resolve(path);
  const fd = await open(abs, 'r');
  try {
    const st = await fd.stat();
    const ra = fileAccess(fd, st.size);
    let dir;
    try {
      dir = await readZipDirectory(ra, limits.maxEntries);
    } catch (err) {
      if (err instanceof ZipFormatError) fail(err.entry ?? '', err.message);
      throw err;
    }
    const entries: SourceEntry[] = [];
    for (const e of dir) {
      if (e.directory) continue;
      const p = e.name.replace(/^(\.\/)+/, '');
      if (p.split('/').length - 1 > limits.maxDepth) fail(p, `folders nested deeper than ${limits.maxDepth} level${limits.maxDepth === 1 ? '' : 's'} (the import limit)`);
      entries.push({
        path: p,
        size: e.size,
        async read(max) {
          if (e.size > max) fail(p, `${formatBytes(e.size)} is over the import limit of ${formatBytes(max)}`);
          if (e.compressedSize > max + 1024) fail(p, `${formatBytes(e.compressedSize)} compressed is over the import limit of ${formatBytes(max)}`);
          try {
            return await readZipEntry(ra, e);
          } catch (err) {
            if (err instanceof ZipFormatError) fail(p, err.message);
            throw err;
          }
        },
      });
    }
    return { kind: 'zip', path: abs, baseName: basename(abs).replace(/\.zip$/i, ''), entries, close: () => fd.close() };
  } catch (err) {
    await fd.close();
    throw err;
  }
}

const ZIP_MAGIC = [0x50, 0x4b];

/** A folder, or a file that is a ZIP archive (by its first bytes); anything else is refused. */
export async function openSource(path: string, limits: ImportLimits): Promise<ImportSource> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail('', code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${code ?? (err as Error).message})`);
  }
  if (st.isDirectory()) return openFolder(path, limits);
  if (!st.isFile()) fail('', `${path} is neither a folder nor a .zip file`);
  const fh = await open(path, 'r');
  const head = new Uint8Array(4);
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head[0] !== ZIP_MAGIC[0] || head[1] !== ZIP_MAGIC[1]) {
    fail('', `${path} is not a folder or a .zip archive (import a results folder of the reference pipeline, or a .zip of one)`);
  }
  return openZip(path, limits);
}

export { FileProblem };

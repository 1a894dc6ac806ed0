/**
 * How many GPU kernel tunings (`lw tune`, Settings) the data directory's
 * database holds for an adapter (`lw info`), read through a read-only
 * connection: nothing is written to that database and it is never created or
 * migrated from here (a missing one holds none; one of another schema
 * version, or one that cannot be read, gives null with a note).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openStoreForReading } from '../core/exports/read-only-store';
import { databasePath, loadMigrations, type Store } from '../core/store';

/** The data directory's store, read-only, when its schema is this version's; else null (with a note unless there is no database). */
function openReadOnly(dataDir: string, note: (line: string) => void): Store | null {
  const path = databasePath(dataDir);
  if (!existsSync(path)) return null;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    let version: number;
    try {
      version = db.pragma('user_version', { simple: true }) as number;
    } finally {
      db.close();
    }
    if (version !== loadMigrations().length) {
      note(`the database ${path} is of schema version ${version}, not this version's: its GPU tunings are not counted (lw list migrates it)`);
      return null;
    }
    return openStoreForReading(dataDir).store;
  } catch (err) {
    note(`cannot read the GPU tunings of ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** How many tunings are stored for `adapter` in the data directory (lw info); null when the database cannot be read as is. */
export function storedTuningsCount(dataDir: string, adapter: string, note: (line: string) => void = () => {}): number | null {
  if (!existsSync(databasePath(dataDir))) return 0;
  const store = openReadOnly(dataDir, note);
  if (!store) return null;
  try {
    return store.listGpuTunings({ adapter }).length;
  } finally {
    store.close();
  }
}

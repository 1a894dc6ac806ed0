/**
 * Open the store for reading only (exports on a server where the app may be
 * running): a read-only SQLite connection, so an export never writes the
 * database, never checkpoints its log, and works beside the running app.
 *
 * Only a database at exactly this version's schema can be read that way; an
 * older one needs its migrations, so it is opened normally (migrated) and
 * `readOnly` says so. A newer or foreign file is refused untouched (the
 * store's own checks).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { APPLICATION_ID, databasePath, loadMigrations, openStore, Store, StoreFormatError, StoreVersionError, type OpenStoreOptions } from '../store';

export interface OpenedStore {
  store: Store;
  /** false when the database had to be migrated (opened for writing) */
  readOnly: boolean;
  path: string;
}

/** The store of `dataDir` (its workstation.db must exist), read-only where possible. */
export function openStoreForReading(dataDir: string, opts: Pick<OpenStoreOptions, 'migrationsDir' | 'migrations'> = {}): OpenedStore {
  const path = databasePath(dataDir);
  if (!existsSync(path)) throw new StoreFormatError(`no workstation database at ${path} (choose the data directory with --data-dir)`);
  const supported = (opts.migrations ?? loadMigrations(opts.migrationsDir)).length;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new StoreFormatError(`cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let version: number;
  let appId: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    appId = db.pragma('application_id', { simple: true }) as number;
  } catch (err) {
    db.close();
    throw new StoreFormatError(`${path} is not a Learnability Workstation database (${err instanceof Error ? err.message : String(err)}); it was not modified`);
  }
  if (appId !== APPLICATION_ID) {
    db.close();
    throw new StoreFormatError(`${path} is not a Learnability Workstation database (application_id ${appId}); it was not modified`);
  }
  if (version > supported) {
    db.close();
    throw new StoreVersionError(path, version, supported);
  }
  if (version === supported) return { store: new Store(db, { from: version, to: version, applied: [] }), readOnly: true, path };
  db.close();
  return { store: openStore({ path, ...opts }), readOnly: false, path };
}

/**
 * Opening the workstation database (DESIGN.md §4): better-sqlite3, WAL,
 * foreign keys on, a busy timeout, and the schema migrations of
 * `migrations/NNNN_name.sql` applied in order, each in one transaction, the
 * version in PRAGMA user_version.
 *
 * A database written by a newer version is refused without writing anything:
 * its version is first read from the file header (plain file reads; SQLite
 * keeps user_version and application_id there), or, when a write-ahead log
 * may hold a newer header, through a read-only connection (which never writes
 * the database file nor checkpoints its log). Only a database this version
 * can read is opened for writing. The same look refuses files that are not
 * workstation databases (PRAGMA application_id, set by 0001).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MigrationError, StoreFormatError, StoreVersionError } from './errors';

export type Db = Database.Database;

/** PRAGMA application_id of a workstation database: 0x4C575343 ("LWSC"). */
export const APPLICATION_ID = 0x4c575343;

/** The project's migrations folder (next to src-main in a checkout). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  /** file name without the number and extension ("initial") */
  name: string;
  file: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

/**
 * The migrations of a folder, in version order. Every `.sql` file must be
 * named NNNN_name.sql (lower case), and the versions must be 1, 2, … n with
 * no gap or repeat; anything else is an error (a misnamed file would
 * otherwise be silently skipped).
 */
export function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.toLowerCase().endsWith('.sql')) continue;
    const m = MIGRATION_FILE.exec(file);
    if (!m) throw new MigrationError(`migration file ${file} in ${dir} must be named NNNN_name.sql (four digits, lower-case name)`);
    out.push({ version: Number(m[1]), name: m[2]!, file: join(dir, file), sql: readFileSync(join(dir, file), 'utf8') });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((mig, i) => {
    if (mig.version !== i + 1) {
      throw new MigrationError(`migrations in ${dir} must be numbered 0001, 0002, … without gaps or repeats (found ${out.map((x) => x.version).join(', ')})`);
    }
  });
  return out;
}

export function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export interface MigrateReport {
  from: number;
  to: number;
  applied: string[];
}

/**
 * Apply the migrations above the database's user_version, up to `target`
 * (default: all). Each runs in its own IMMEDIATE transaction that re-reads the
 * version (another process may have migrated meanwhile), executes the file,
 * sets user_version and checks foreign keys; a failure rolls that migration
 * back and throws MigrationError (earlier migrations stay applied).
 */
export function migrate(db: Db, migrations: readonly Migration[], target = migrations.length, path = db.name): MigrateReport {
  const from = userVersion(db);
  if (from > migrations.length) throw new StoreVersionError(path, from, migrations.length);
  const applied: string[] = [];
  for (const mig of migrations) {
    if (mig.version > target) break;
    const step = db.transaction(() => {
      const v = userVersion(db);
      if (v >= mig.version) return false;
      if (v !== mig.version - 1) throw new MigrationError(`cannot apply migration ${mig.version} to a database at version ${v}`);
      db.exec(mig.sql);
      db.pragma(`user_version = ${mig.version}`);
      const bad = db.pragma('foreign_key_check') as unknown[];
      if (bad.length > 0) throw new MigrationError(`migration ${mig.version} left ${bad.length} foreign-key violation(s)`);
      return true;
    });
    try {
      if (step.immediate()) applied.push(`${String(mig.version).padStart(4, '0')}_${mig.name}`);
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new MigrationError(`migration ${String(mig.version).padStart(4, '0')}_${mig.name} failed and was rolled back: ${msg}`);
    }
  }
  return { from, to: userVersion(db), applied };
}

export interface DatabaseInfo {
  userVersion: number;
  applicationId: number;
  /** tables, indices, views and triggers */
  objects: number;
}

/** A read-only look at an existing database file (nothing is written). */
export function inspectDatabase(path: string, nativeBinding?: string): DatabaseInfo {
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
  } catch (err) {
    throw new StoreFormatError(`cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return {
      userVersion: db.pragma('user_version', { simple: true }) as number,
      applicationId: db.pragma('application_id', { simple: true }) as number,
      objects: (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n,
    };
  } catch (err) {
    throw new StoreFormatError(`${path} is not a Learnability Workstation database (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    db.close();
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * user_version and application_id from the 100-byte database header (big-endian
 * at offsets 60 and 68), by plain file reads; null when the file is too short.
 * Throws StoreFormatError when it is not an SQLite file.
 */
export function readHeader(path: string): { userVersion: number; applicationId: number } | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(100);
    const n = readSync(fd, buf, 0, 100, 0);
    if (n < 100) {
      if (n > 0) throw new StoreFormatError(`${path} is not a Learnability Workstation database (not an SQLite file); it was not modified`);
      return null;
    }
    if (buf.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
      throw new StoreFormatError(`${path} is not a Learnability Workstation database (not an SQLite file); it was not modified`);
    }
    return { userVersion: buf.readInt32BE(60), applicationId: buf.readInt32BE(68) };
  } finally {
    closeSync(fd);
  }
}

function walHasFrames(path: string): boolean {
  try {
    return statSync(`${path}-wal`).size > 0;
  } catch {
    return false;
  }
}

/** Refuse what this version must not open for writing. */
function checkOpenable(path: string, info: DatabaseInfo, supported: number): void {
  const ours = info.applicationId === APPLICATION_ID;
  if (!ours && (info.applicationId !== 0 || info.userVersion !== 0 || info.objects > 0)) {
    throw new StoreFormatError(
      `${path} is not a Learnability Workstation database (application_id ${info.applicationId}, schema version ${info.userVersion}); it was not modified`,
    );
  }
  if (info.userVersion > supported) throw new StoreVersionError(path, info.userVersion, supported);
}

export interface OpenDatabaseOptions {
  /** migrations (default: loadMigrations(migrationsDir)) */
  migrations?: readonly Migration[];
  migrationsDir?: string;
  /** migrate up to this version only (tests of older versions); default: all */
  targetVersion?: number;
  /** milliseconds to wait on a lock held by another connection (default 5000) */
  busyTimeoutMs?: number;
  /**
   * PRAGMA synchronous (default FULL: a committed transaction survives a power
   * loss; NORMAL keeps the database consistent but may lose the last commits)
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * better-sqlite3's compiled addon to load instead of node_modules' (the
   * desktop app passes the Electron-ABI build of scripts/rebuild-native-electron.mjs)
   */
  nativeBinding?: string;
}

/**
 * Open (creating if absent) and migrate a workstation database. Refuses, with
 * nothing written, a newer database (StoreVersionError) and a file that is
 * not a workstation database (StoreFormatError).
 */
export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): { db: Db; migrations: MigrateReport } {
  const migrations = opts.migrations ?? loadMigrations(opts.migrationsDir);
  const supported = migrations.length;
  if (existsSync(path)) {
    // the header alone refuses a newer or foreign file without creating anything beside it (null: an empty file)
    const header = readHeader(path);
    if (header) checkOpenable(path, { ...header, objects: 0 }, supported);
    // a write-ahead log may hold a newer header, and the header cannot tell an empty database from another application's
    if (walHasFrames(path) || (header && header.applicationId === 0)) checkOpenable(path, inspectDatabase(path, opts.nativeBinding), supported);
  }

  const db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000, ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}) });
  try {
    // again on the writable connection, before any write (another process may have upgraded it meanwhile)
    checkOpenable(path, {
      userVersion: userVersion(db),
      applicationId: db.pragma('application_id', { simple: true }) as number,
      objects: (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n,
    }, supported);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreFormatError(`cannot use write-ahead logging on ${path} (journal mode stays ${String(mode)})`);
    db.pragma('foreign_keys = ON');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    const report = migrate(db, migrations, opts.targetVersion ?? supported, path);
    return { db, migrations: report };
  } catch (err) {
    db.close();
    throw err;
  }
}

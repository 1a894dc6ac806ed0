/**
 * Opening and migrating the database (DESIGN.md §4): migrations from an empty
 * file and from every earlier version reach the same schema; a failing
 * migration is rolled back whole; a newer or foreign database is refused
 * byte for byte untouched; WAL and foreign keys are on.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APPLICATION_ID, DEFAULT_MIGRATIONS_DIR, loadMigrations, openDatabase, type Db,
} from '../db';
import { MigrationError, StoreFormatError, StoreVersionError } from '../errors';
import { openStore } from '../store';
import { smallConfig, tempDir } from './helpers';

const MIGRATIONS = loadMigrations();
const LATEST = MIGRATIONS.length;

function schemaOf(db: Db): string[] {
  return (db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as
    { type: string; name: string; sql: string | null }[]).map((r) => `${r.type} ${r.name}: ${r.sql ?? ''}`);
}

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('migration files', () => {
  it('are numbered 0001, 0002, … with no gap, each a NNNN_name.sql file', () => {
    expect(LATEST).toBeGreaterThanOrEqual(1);
    const files = readdirSync(DEFAULT_MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    expect(files.length).toBe(LATEST);
    MIGRATIONS.forEach((m, i) => {
      expect(m.version).toBe(i + 1);
      expect(files[i]).toBe(`${String(i + 1).padStart(4, '0')}_${m.name}.sql`);
    });
  });

  it('refuse a misnamed file and a gap in the numbering', () => {
    const dir = join(t.dir, 'm');
    mkdirSync(dir);
    copyFileSync(MIGRATIONS[0]!.file, join(dir, '0001_initial.sql'));
    writeFileSync(join(dir, '0003_later.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/without gaps/);
    writeFileSync(join(dir, '0003_later.sql'), '');
    writeFileSync(join(dir, '2_Bad-Name.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/must be named NNNN_name\.sql/);
  });
});

describe('migrations', () => {
  /** the schema reached from an empty file (the reference for every other path) */
  function schemaFromEmpty(): string[] {
    const { db, migrations } = openDatabase(join(t.dir, 'ref.db'));
    try {
      expect(migrations).toEqual({ from: 0, to: LATEST, applied: MIGRATIONS.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`) });
      return schemaOf(db);
    } finally {
      db.close();
    }
  }

  // every earlier version, 0 (empty) included; a new migration file adds a case here by itself
  it.each(Array.from({ length: LATEST + 1 }, (_, k) => k))('from version %i to the latest', (k) => {
    const reference = schemaFromEmpty();
    const path = join(t.dir, `v${k}.db`);
    const old = openDatabase(path, { targetVersion: k });
    expect(old.db.pragma('user_version', { simple: true })).toBe(k);
    old.db.close();

    const store = openStore({ path });
    try {
      expect(store.migrations.from).toBe(k);
      expect(store.migrations.to).toBe(LATEST);
      expect(store.migrations.applied).toEqual(MIGRATIONS.slice(k).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`));
      expect(store.db.pragma('user_version', { simple: true })).toBe(LATEST);
      expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(schemaOf(store.db)).toEqual(reference);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.db.pragma('foreign_key_check')).toEqual([]);
      // and the migrated database works
      const e = store.createExperiment('after migration', smallConfig());
      expect(store.getExperiment(e.id)!.runs).toHaveLength(4);
    } finally {
      store.close();
    }
  });

  it('reopening a current database applies nothing', () => {
    const path = join(t.dir, 'w.db');
    openStore({ path }).close();
    const again = openStore({ path });
    expect(again.migrations).toEqual({ from: LATEST, to: LATEST, applied: [] });
    again.close();
  });

  it('a failing migration is rolled back whole and the version stays', () => {
    const dir = join(t.dir, 'm');
    mkdirSync(dir);
    for (const m of MIGRATIONS) copyFileSync(m.file, join(dir, `${String(m.version).padStart(4, '0')}_${m.name}.sql`));
    const next = String(LATEST + 1).padStart(4, '0');
    writeFileSync(join(dir, `${next}_broken.sql`),
      'CREATE TABLE half_done (a INTEGER);\nINSERT INTO half_done VALUES (1);\nINSERT INTO no_such_table VALUES (1);\n');
    const path = join(t.dir, 'b.db');
    expect(() => openStore({ path, migrationsDir: dir })).toThrow(MigrationError);
    expect(() => openStore({ path, migrationsDir: dir })).toThrow(new RegExp(`${next}_broken failed and was rolled back.*no_such_table`));
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('databases this version must not write', () => {
  function filesOf(dir: string): string[] {
    return readdirSync(dir).sort();
  }

  it('a newer database is refused with a clear message, its bytes untouched', () => {
    const path = join(t.dir, 'workstation.db');
    const s = openStore({ path });
    s.createExperiment('from the future', smallConfig());
    s.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST + 3}`);
    raw.close();
    const before = readFileSync(path);
    const filesBefore = filesOf(t.dir);

    let err: unknown;
    try {
      openStore({ path });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreVersionError);
    const v = err as StoreVersionError;
    expect(v.found).toBe(LATEST + 3);
    expect(v.supported).toBe(LATEST);
    expect(v.message).toContain('newer version');
    expect(v.message).toContain(`schema version ${LATEST + 3}`);
    expect(v.message).toContain('not modified');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(filesOf(t.dir)).toEqual(filesBefore);
  });

  it('a newer version held only in an un-checkpointed write-ahead log is refused too, the database file untouched', () => {
    const path = join(t.dir, 'workstation.db');
    openStore({ path }).close();
    const raw = new Database(path);
    raw.pragma('wal_autocheckpoint = 0');
    raw.pragma(`user_version = ${LATEST + 1}`);
    // copy the files while the writer is alive: what a crash would leave behind
    const crashed = join(t.dir, 'crashed');
    mkdirSync(crashed);
    copyFileSync(path, join(crashed, 'workstation.db'));
    copyFileSync(`${path}-wal`, join(crashed, 'workstation.db-wal'));
    raw.close();
    const copy = join(crashed, 'workstation.db');
    expect(readFileSync(copy).readInt32BE(60)).toBe(LATEST); // the file header is still the old version
    const before = readFileSync(copy);
    expect(() => openStore({ path: copy })).toThrow(StoreVersionError);
    expect(readFileSync(copy).equals(before)).toBe(true);
  });

  it('another application\'s SQLite file and a non-database file are refused untouched', () => {
    const foreign = join(t.dir, 'other.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES (\'keep me\');');
    raw.close();
    const before = readFileSync(foreign);
    expect(() => openStore({ path: foreign })).toThrow(StoreFormatError);
    expect(() => openStore({ path: foreign })).toThrow(/not a Learnability Workstation database/);
    expect(readFileSync(foreign).equals(before)).toBe(true);

    const text = join(t.dir, 'text.db');
    writeFileSync(text, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const textBefore = readFileSync(text);
    expect(() => openStore({ path: text })).toThrow(StoreFormatError);
    expect(readFileSync(text).equals(textBefore)).toBe(true);
  });
});

describe('connection settings', () => {
  it('WAL, foreign keys (enforced, cascading), busy timeout, synchronous FULL', () => {
    const path = join(t.dir, 'workstation.db');
    const s = openStore({ path, busyTimeoutMs: 1234 });
    try {
      expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(s.db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(() => s.db.prepare("INSERT INTO runs (experiment_id, idx, arch, seed, backend, created_at) VALUES (999, 0, 'gru', 1, 'cpu', 0)").run())
        .toThrow(/FOREIGN KEY/);
      s.createExperiment('x', smallConfig());
      expect(filesOf(t.dir)).toContain('workstation.db-wal');
    } finally {
      s.close();
    }
    // the journal mode is persistent: a plain connection sees WAL too
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('dataDir: creates the directory and uses workstation.db in it', () => {
    const dir = join(t.dir, 'a', 'b');
    const s = openStore({ dataDir: dir });
    expect(s.path).toBe(join(dir, 'workstation.db'));
    s.close();
  });
});

function filesOf(dir: string): string[] {
  return readdirSync(dir).sort();
}

/**
 * storedTuningsCount (lw info): the tunings stored for one adapter in a data
 * directory's database, read-only — another adapter's are not counted; no
 * database holds none and none is created; the database is not written; one
 * of another schema version gives null with a note (never migrated here).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath, openStore } from '../../core/store';
import { storedTuningsCount } from '../stored-tunings';

const ADAPTER = 'Fake GPU (test double)';

describe('storedTuningsCount', () => {
  let dir: string;
  let empty: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lw-tunings-'));
    empty = mkdtempSync(join(tmpdir(), 'lw-tunings-none-'));
    const store = openStore({ dataDir: dir });
    try {
      const key = { D: 1, H: 8, layernorm: false, batch: 16, T: 24, tried: 3, stepMs: 1, defaultStepMs: 2 };
      store.saveGpuTunings([
        { ...key, adapter: ADAPTER, arch: 'const', shape: { workgroupSize: 32, seqsPerWorkgroup: 2, unroll: 1 } },
        { ...key, adapter: ADAPTER, arch: 'gru', shape: { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 'auto' } },
        { ...key, adapter: 'NVIDIA H200', arch: 'gru', shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' } },
      ]);
    } finally {
      store.close();
    }
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('counts one adapter\'s tunings without writing the database', () => {
    const db = databasePath(dir);
    const before = { bytes: readFileSync(db), mtime: statSync(db).mtimeMs };
    expect(storedTuningsCount(dir, ADAPTER)).toBe(2);
    expect(storedTuningsCount(dir, 'NVIDIA H200')).toBe(1);
    expect(storedTuningsCount(dir, 'another GPU')).toBe(0);
    expect(readFileSync(db).equals(before.bytes)).toBe(true);
    expect(statSync(db).mtimeMs).toBe(before.mtime);
  });

  it('no database: none, and none is created', () => {
    expect(storedTuningsCount(empty, ADAPTER)).toBe(0);
    expect(existsSync(databasePath(empty))).toBe(false);
  });

  it('a database of another schema version: null with a note, left as it is', () => {
    const old = mkdtempSync(join(tmpdir(), 'lw-tunings-old-'));
    try {
      const db = new Database(databasePath(old));
      db.pragma('user_version = 1');
      db.close();
      const notes: string[] = [];
      expect(storedTuningsCount(old, ADAPTER, (l) => notes.push(l))).toBeNull();
      expect(notes).toEqual([expect.stringContaining('is of schema version 1')]);
      const again = new Database(databasePath(old), { readonly: true });
      expect(again.pragma('user_version', { simple: true })).toBe(1);
      again.close();
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});

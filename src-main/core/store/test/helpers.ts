/**
 * Test helpers: a temporary data directory per test, deterministic sample
 * results that contain every special double (NaN, ±Infinity, -1, the extreme
 * magnitudes), a bit-exact deep comparison, and a snapshot of every row.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ExperimentConfig } from '../../../../src-shared/config';
import { PRESETS } from '../../../../src-shared/presets';
import type { RunDiagnostics, RunResult } from '../../../../src-shared/results';
import { loadMigrations, type Db } from '../db';
import { StoreVersionError } from '../errors';
import { openStore, type OpenStoreOptions, type Store } from '../store';

export function tempDir(prefix = 'lw-store-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store in a fresh temporary directory; `cleanup` closes it and removes the directory. */
export function tempStore(opts: Partial<OpenStoreOptions> = {}): { store: Store; dir: string; path: string; cleanup(): void } {
  const t = tempDir();
  const path = join(t.dir, 'workstation.db');
  const store = openStore({ path, ...opts });
  return { store, dir: t.dir, path, cleanup: () => { store.close(); t.cleanup(); } };
}

/**
 * The database at dir/workstation.db, made current by openStore, opened by an
 * app that knows only the first `known` migrations: refused with
 * StoreVersionError, the file's bytes unchanged.
 */
export function expectOlderAppRefuses(dir: string, known: number): void {
  const path = join(dir, 'workstation.db');
  openStore({ path }).close();
  const bytes = readFileSync(path);
  const older = loadMigrations().slice(0, known);
  expect(() => openStore({ path, migrations: older })).toThrow(StoreVersionError);
  expect(readFileSync(path).equals(bytes)).toBe(true);
}

/** A small valid configuration: the smoke preset with two models and two seeds (4 runs). */
export function smallConfig(over: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return { ...PRESETS.smoke, models: ['const', 'gru'], seeds: [1, 2], ...over };
}

/** Every special value a result may hold (SQLite REAL cannot hold NaN; ±Infinity are its own REALs). */
export const SPECIALS = [NaN, Infinity, -Infinity, -1, 0, 1, 0.1 + 0.2, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1074 * 3, 1e-300, Math.PI];

/** Deterministic doubles (a linear congruential walk over SPECIALS and scaled values). */
function values(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (s % 5 === 0) return SPECIALS[(s >>> 8) % SPECIALS.length]!;
    return ((s / 2 ** 32) - 0.5) * 10 ** (((s >>> 4) % 13) - 6);
  };
}

export function sampleDiagnostics(seed = 1, nLags = 4, H = 3, withConst = true): RunDiagnostics {
  const v = values(seed * 7 + 3);
  const lags = Array.from({ length: nLags }, (_, i) => 2 + 3 * i);
  return {
    lags,
    summary: lags.map((ell, i) => ({
      ell,
      mu_l1_mean: v(), log_mu_l1_mean: v(), alpha_hat: v(), sigma_alpha_hat: v(),
      N_required_at_eps: i % 2 === 0 ? -1 : 25 * (i + 1),
      best_snr: v(), err_at_best_snr: v(),
      best_N_for_ell: i === 0 ? NaN : 50 * i,
      mbar_scalar: v(),
      alpha_reliable: i % 3 !== 0,
      alpha_method: i % 2 ? 'ecf' : 'mcculloch',
      n_samples: 1000 * (i + 1),
    })),
    muUnits: lags.map(() => Float64Array.from({ length: H }, v)),
    H_N: [25, 50, 100].map((N, i) => ({ N, H_N: i === 2 ? NaN : i * 4 })),
    tau: Array.from({ length: H }, (_, q) => ({ unit_id: q, tau: q === 0 ? Infinity : v(), C: v(), a: v(), b: v(), r2: v(), num_points: q === 1 ? NaN : nLags })),
    envelope: {
      exp: { a: v(), b: v(), r2: v(), tau_env: Infinity },
      power: { c: v(), d: v(), r2: NaN },
      log: { e: v(), g: -Infinity, r2: v() },
      best: 'power',
    },
    master: seed % 2 === 0 ? { skipped: 'needs at least 10 lags' } : { slope: v(), intercept: NaN, r2: v(), n: 12 },
    constTau: withConst ? { s: 0.05, leak: 0.95, tau: -1 / Math.log(0.95) } : null,
    batchSize: 64,
  };
}

export function sampleResult(seed = 1, over: Partial<RunResult> = {}): RunResult {
  const v = values(seed);
  return {
    curve: Array.from({ length: 5 }, (_, epoch) => ({ epoch, train_loss: v(), train_acc: v(), val_loss: v(), val_acc: v() })),
    gateStats: [0, 2, 4].flatMap((epoch) => ['z_mean', 'r_mean', 'leak_mean'].map((metric) => ({ epoch, metric, value: v() }))),
    diverged: false,
    divergedEpoch: null,
    cancelled: false,
    kernelsName: 'wasm-simd-f32',
    wallMs: 1234.5,
    trainMs: 1000.25,
    diagnosticsMs: 234.25,
    diagnosticsStatus: 'done',
    diagnostics: sampleDiagnostics(seed),
    ...over,
  };
}

/**
 * Deep equality where every number must be the same double (Object.is: NaN
 * equals NaN, -0 differs from 0) and typed arrays the same bytes.
 */
export function expectBitExact(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    if (!Object.is(actual, expected)) expect.fail(`${path}: got ${String(actual)}, expected ${String(expected)}`);
    return;
  }
  if (expected instanceof Float64Array) {
    expect(actual, path).toBeInstanceOf(Float64Array);
    const a = actual as Float64Array;
    expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), path).toBe(true);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectBitExact((actual as unknown[])[i], e, `${path}[${i}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    expect(typeof actual === 'object' && actual !== null, path).toBe(true);
    const keys = Object.keys(expected).filter((k) => (expected as Record<string, unknown>)[k] !== undefined).sort();
    const got = Object.keys(actual as object).filter((k) => (actual as Record<string, unknown>)[k] !== undefined).sort();
    expect(got, `${path} keys`).toEqual(keys);
    for (const k of keys) expectBitExact((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(actual, path).toBe(expected);
}

/** Every row of every table (for "nothing changed" checks). */
export function snapshot(db: Db): Record<string, unknown[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
}

/** Row counts of the result tables for a set of runs. */
export const RUN_TABLES = ['run_events', 'learning_curve', 'gate_stats', 'lag_summary', 'unit_envelopes', 'unit_tau', 'envelope_fits', 'h_n', 'master_fits', 'const_tau'] as const;

export function rowsOfRuns(db: Db, runIds: readonly number[]): Record<string, number> {
  const ids = JSON.stringify(runIds);
  return Object.fromEntries(RUN_TABLES.map((t) => [t,
    (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE run_id IN (SELECT value FROM json_each(?))`).get(ids) as { n: number }).n]));
}

/** The tables whose rows a migration test compares before and after (every migration so far keeps them). */
export const MIGRATED_TABLES = ['experiments', 'runs', 'run_events', 'learning_curve'];

/** A table's column names, in schema order. */
export const columnsOf = (db: Db, table: string): string[] => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);

/** A table's rows as value arrays of `columns`, ordered by all of them. */
export const rowsOf = (db: Db, table: string, columns: string[]): unknown[] =>
  db.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${table} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`).raw(true).all();

/** Each table's columns and rows, to compare a database before and after a migration. */
export interface TablesSnapshot {
  columns: Record<string, string[]>;
  rows: Record<string, unknown[]>;
}

export function snapshotTables(db: Db, tables: readonly string[]): TablesSnapshot {
  const columns = Object.fromEntries(tables.map((tb) => [tb, columnsOf(db, tb)]));
  return { columns, rows: Object.fromEntries(tables.map((tb) => [tb, rowsOf(db, tb, columns[tb]!)])) };
}

/** Every table of the snapshot holds exactly its rows of then, in its columns of then. */
export function expectTablesKept(db: Db, snap: TablesSnapshot): void {
  for (const [tb, columns] of Object.entries(snap.columns)) expect(rowsOf(db, tb, columns), tb).toEqual(snap.rows[tb]);
}

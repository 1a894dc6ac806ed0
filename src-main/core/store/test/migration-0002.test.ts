/**
 * Migration 0002_imported on a database with data: a version-1 database
 * (written here with plain SQL against the 0001 schema, as the previous
 * version of the workstation wrote it) migrates, keeps every row and value,
 * and reads back through the store; its runs are "run here" (not imported).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { f64ToBlob } from '../numbers';
import { openStore } from '../store';
import { columnsOf, expectTablesKept, smallConfig, snapshotTables, tempDir } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

const MU = [Float64Array.of(0.5, -0, NaN), Float64Array.of(Infinity, 1e-300, 2)];

/** One experiment with a finished run (a row in every result table) and a queued one, as version 1 stores them. */
function fillVersion1(db: Db): void {
  const cfg = smallConfig({ models: ['const', 'gru'], seeds: [7] });
  db.prepare(`INSERT INTO experiments (id, name, config_json, preset, notes, app_version, created_at, finished_at, models, seeds, n_runs,
      optimizer, alpha_method, backend, T, D, H, Nseq_train, Nseq_diag, epochs, batch_size, lr, weight_decay, lag_min, lag_max, num_lags,
      const_s, layernorm, orth_init)
    VALUES (1, 'old one', ?, 'smoke', 'notes', '0.0.9', 1000, NULL, 'const,gru', '7', 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(JSON.stringify(cfg), cfg.optimizer, cfg.alpha_method, cfg.backend, cfg.T, cfg.D, cfg.H, cfg.Nseq_train, cfg.Nseq_diag, cfg.epochs,
      cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.lag_min, cfg.lag_max, cfg.num_lags, cfg.const_s, cfg.layernorm ? 1 : 0, cfg.orth_init ? 1 : 0);
  db.prepare("INSERT INTO experiment_tags VALUES (1, 'old')").run();
  db.prepare(`INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, kernels, attempts, created_at, started_at, finished_at,
      wall_ms, train_ms, diagnostics_ms, result_saved_at, diverged, diverged_epoch, cancelled, diagnostics_status, diagnostics_batch_size)
    VALUES (1, 1, 0, 'const', 7, 'done', 'auto', 'wasm-simd-f32', 1, 1000, 1001, 1002, 12.5, 10, 2.5, 1002, 0, NULL, 0, 'done', 64)`).run();
  db.prepare("INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, created_at) VALUES (2, 1, 1, 'gru', 7, 'queued', 'auto', 1000)").run();
  db.prepare("INSERT INTO run_events (run_id, at, kind, message, data_json) VALUES (1, 1001, 'status', 'queued → running', '{\"to\":\"running\"}')").run();
  db.prepare('INSERT INTO learning_curve VALUES (1, 0, 1.5, NULL, 0.25, -1e308), (1, 1, 0.5, 0.125, 9e999, -9e999)').run();
  db.prepare("INSERT INTO gate_stats VALUES (1, 0, 0, 'gate_s_mean', 0.05), (1, 1, 0, 'leak_mean', NULL)").run();
  db.prepare(`INSERT INTO lag_summary VALUES (1, 0, 2, 0.5, -0.69, 1.8, 0.2, 25, 3.0, 0.1, 50, 0.01, 1, 'ecf', 100),
    (1, 1, 4, 0.25, -1.38, NULL, NULL, -1, 9e999, NULL, NULL, 0.0, 0, 'mcculloch', NULL)`).run();
  const env = db.prepare('INSERT INTO unit_envelopes VALUES (1, ?, ?, 3, ?)');
  MU.forEach((m, i) => env.run(i, 2 + 2 * i, f64ToBlob(m)));
  db.prepare('INSERT INTO unit_tau VALUES (1, 0, 0, 9e999, 1, 0, 0, 0, 2)').run();
  db.prepare("INSERT INTO envelope_fits VALUES (1, -0.5, -0.05, 0.9, 20, 1, -1, 0.8, NULL, NULL, NULL, 'exp')").run();
  db.prepare('INSERT INTO h_n VALUES (1, 0, 25, 4), (1, 1, 50, NULL)').run();
  db.prepare("INSERT INTO master_fits (run_id, skipped) VALUES (1, 'too few lags')").run();
  db.prepare('INSERT INTO const_tau VALUES (1, 0.05, 0.95, 19.5)').run();
}

const V1_TABLES = ['experiments', 'experiment_tags', 'runs', 'run_events', 'learning_curve', 'gate_stats', 'lag_summary', 'unit_envelopes',
  'unit_tau', 'envelope_fits', 'h_n', 'master_fits', 'const_tau'];


describe('0001 → 0002 with data', () => {
  it('keeps every row and value, adds the import columns as "run here", and the store reads it all', () => {
    const path = join(t.dir, 'workstation.db');
    const v1 = openDatabase(path, { targetVersion: 1 });
    fillVersion1(v1.db);
    const before = snapshotTables(v1.db, V1_TABLES);
    expect(before.rows.learning_curve).toHaveLength(2);
    v1.db.close();

    const store = openStore({ path });
    try {
      expect(store.migrations).toMatchObject({ from: 1, applied: expect.arrayContaining(['0002_imported']) });
      expect(store.migrations.applied[0]).toBe('0002_imported');
      expectTablesKept(store.db, before);
      const runColumns = columnsOf(store.db, 'runs');
      expect(runColumns.slice(before.columns.runs!.length, before.columns.runs!.length + 2)).toEqual(['imported', 'source']);
      expect(columnsOf(store.db, 'experiments').at(-1)).toBe('source');
      expect(store.db.prepare('SELECT imported, source FROM runs ORDER BY id').raw(true).all()).toEqual([[0, null], [0, null]]);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

      const e = store.getExperiment(1)!;
      expect([e.name, e.tags, e.preset, e.source, e.models, e.seeds]).toEqual(['old one', ['old'], 'smoke', null, ['const', 'gru'], [7]]);
      expect(e.runs.map((r) => [r.arch, r.status, r.imported, r.source, r.hasResult, r.epochsDone])).toEqual([
        ['const', 'done', false, null, true, 2], ['gru', 'queued', false, null, false, 0],
      ]);
      const res = store.getRunResult(1)!;
      expect(res.curve[1]).toEqual({ epoch: 1, train_loss: 0.5, train_acc: 0.125, val_loss: Infinity, val_acc: -Infinity });
      expect(res.curve[0]!.train_acc).toBeNaN();
      expect(res.diagnostics!.summary[1]!.best_snr).toBe(Infinity);
      expect(res.diagnostics!.muUnits.map((m) => [...m])).toEqual(MU.map((m) => [...m]));
      expect(Object.is(res.diagnostics!.muUnits[0]![1], -0)).toBe(true);
      expect(res.diagnostics!.master).toEqual({ skipped: 'too few lags' });
      // a migrated run is not imported: it can be re-queued as before
      store.setRunStatus(2, 'running');
      store.setRunStatus(2, 'failed', { error: 'x' });
      expect(store.setRunStatus(2, 'queued').status).toBe('queued');
    } finally {
      store.close();
    }
  });
});

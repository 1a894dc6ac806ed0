/**
 * Migration 0004_gpu_tunings on a database with data: a version-3 database
 * (written with plain SQL against the 0001-0003 schema, as the previous
 * version of the workstation wrote it) migrates, keeps every row and value,
 * gains the gpu_tunings table (empty) and runs.kernel_shape (NULL for every
 * run, read back as kernelShape null / absent); the new column and table then
 * work. An app that knows only 0001-0003 refuses the migrated database
 * without touching it.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { openStore } from '../store';
import { columnsOf, expectOlderAppRefuses, expectTablesKept, MIGRATED_TABLES as TABLES, smallConfig, snapshotTables, tempDir } from './helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

/** An experiment with a finished webgpu run (learning curve, event), a finished CPU run and a queued one. */
function fillVersion3(db: Db): void {
  const cfg = smallConfig({ models: ['const', 'gru', 'lstm'], seeds: [7] });
  db.prepare(`INSERT INTO experiments (id, name, config_json, preset, notes, app_version, created_at, finished_at, models, seeds, n_runs,
      optimizer, alpha_method, backend, T, D, H, Nseq_train, Nseq_diag, epochs, batch_size, lr, weight_decay, lag_min, lag_max, num_lags,
      const_s, layernorm, orth_init, source)
    VALUES (1, 'v3', ?, 'smoke', '', '0.2.0', 1000, NULL, 'const,gru,lstm', '7', 3, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, NULL)`)
    .run(JSON.stringify(cfg), cfg.optimizer, cfg.alpha_method, cfg.backend, cfg.T, cfg.D, cfg.H, cfg.Nseq_train, cfg.Nseq_diag, cfg.epochs,
      cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.lag_min, cfg.lag_max, cfg.num_lags, cfg.const_s);
  db.prepare(`INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, kernels, attempts, created_at, started_at, finished_at,
      wall_ms, train_ms, diagnostics_ms, result_saved_at, diverged, diverged_epoch, cancelled, diagnostics_status, imported, source, backend_used, adapter)
    VALUES (1, 1, 0, 'const', 7, 'done', 'webgpu', 'webgpu', 1, 1000, 1001, 1002, 12.5, 10, 2.5, 1002, 0, NULL, 0, 'skipped', 0, NULL, 'webgpu', 'NVIDIA H200'),
           (2, 1, 1, 'gru', 7, 'done', 'cpu', 'wasm-simd-f32', 1, 1000, 1001, 1003, 20, 18, 2, 1003, 0, NULL, 0, 'skipped', 0, NULL, 'cpu', NULL)`).run();
  db.prepare("INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, created_at) VALUES (3, 1, 2, 'lstm', 7, 'queued', 'webgpu', 1000)").run();
  db.prepare("INSERT INTO run_events (run_id, at, kind, message) VALUES (1, 1001, 'status', 'queued → running')").run();
  db.prepare('INSERT INTO learning_curve VALUES (1, 0, 1.5, NULL, 0.25, -1e308), (1, 1, 0.5, 0.125, 9e999, -9e999)').run();
}

describe('0003 → 0004 with data', () => {
  it('keeps every row and value; adds gpu_tunings (empty) and runs.kernel_shape (NULL, read as null)', () => {
    const path = join(t.dir, 'workstation.db');
    const v3 = openDatabase(path, { targetVersion: 3 });
    fillVersion3(v3.db);
    const before = snapshotTables(v3.db, TABLES);
    expect(before.rows.runs).toHaveLength(3);
    expect(v3.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'gpu_tunings'").get()).toEqual({ n: 0 });
    v3.db.close();

    const store = openStore({ path });
    try {
      expect(store.migrations).toEqual({ from: 3, to: 4, applied: ['0004_gpu_tunings'] });
      expectTablesKept(store.db, before);
      expect(columnsOf(store.db, 'runs')).toEqual([...before.columns.runs!, 'kernel_shape']);
      expect(store.db.prepare('SELECT kernel_shape FROM runs ORDER BY id').pluck().all()).toEqual([null, null, null]);
      expect(columnsOf(store.db, 'gpu_tunings')).toEqual([
        'id', 'adapter', 'arch', 'D', 'H', 'layernorm', 'batch', 'workgroup_size', 'seqs_per_workgroup', 'unroll', 'step_ms', 'default_step_ms',
        'T', 'tried', 'tuned_at',
      ]);
      expect(store.listGpuTunings()).toEqual([]);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

      const runs = store.getExperiment(1)!.runs;
      expect(runs.map((r) => [r.id, r.status, r.backendUsed, r.adapter, r.kernelShape])).toEqual([
        [1, 'done', 'webgpu', 'NVIDIA H200', null], [2, 'done', 'cpu', null, null], [3, 'queued', null, null, null],
      ]);
      const res = store.getRunResult(1)!;
      expect(res.curve[1]).toEqual({ epoch: 1, train_loss: 0.5, train_acc: 0.125, val_loss: Infinity, val_acc: -Infinity });
      expect(res.backend).toBe('webgpu');
      expect('kernelShape' in res).toBe(false);

      // the new table and column work: a tuning, then the queued run's result with its kernel shape
      const [rec] = store.saveGpuTunings([{
        adapter: 'NVIDIA H200', arch: 'lstm', D: 1, H: 8, layernorm: true, batch: 4, shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 4 },
        stepMs: 1.25, defaultStepMs: 2.5, T: 10, tried: 7,
      }]);
      expect(store.runTuningsFor({ arch: 'lstm', D: 1, H: 8, layernorm: true, batch: 4 })).toEqual([{ adapter: 'NVIDIA H200', shape: rec!.shape }]);
      store.setRunStatus(3, 'running', { backendUsed: 'webgpu', adapter: 'NVIDIA H200' });
      const kernelShape = { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 4, source: 'tuned' } as const;
      const done = store.saveRunResult(3, { ...res, backend: 'webgpu', adapter: 'NVIDIA H200', kernelShape });
      expect(done.kernelShape).toEqual(kernelShape);
      expect(store.getRunResult(3)!.kernelShape).toEqual(kernelShape);
      expect(() => store.db.prepare("UPDATE runs SET kernel_shape = '{not json' WHERE id = 1").run()).toThrow(/CHECK constraint/);
    } finally {
      store.close();
    }
  });

  it('an app that knows only 0001-0003 refuses the migrated database, writing nothing', () => {
    expectOlderAppRefuses(t.dir, 3);
  });
});

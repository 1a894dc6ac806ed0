/**
 * Migration 0003_run_backend on a database with data: a version-2 database
 * (written with plain SQL against the 0001 + 0002 schema, as the previous
 * version of the workstation wrote it) migrates, keeps every row and value,
 * and reads back through the store with the backend used and the adapter
 * unknown (null); the new columns then record what runs use. An app that
 * knows only 0001-0002 refuses the migrated database without touching it.
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

/** An experiment with a finished run (learning curve, event) and a queued one; an imported experiment's run. */
function fillVersion2(db: Db): void {
  const cfg = smallConfig({ models: ['const', 'gru'], seeds: [7] });
  const exp = db.prepare(`INSERT INTO experiments (id, name, config_json, preset, notes, app_version, created_at, finished_at, models, seeds, n_runs,
      optimizer, alpha_method, backend, T, D, H, Nseq_train, Nseq_diag, epochs, batch_size, lr, weight_decay, lag_min, lag_max, num_lags,
      const_s, layernorm, orth_init, source)
    VALUES (?, ?, ?, 'smoke', '', '0.1.0', 1000, NULL, 'const,gru', '7', 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?)`);
  const args = [cfg.optimizer, cfg.alpha_method, cfg.backend, cfg.T, cfg.D, cfg.H, cfg.Nseq_train, cfg.Nseq_diag, cfg.epochs,
    cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.lag_min, cfg.lag_max, cfg.num_lags, cfg.const_s];
  exp.run(1, 'run here', JSON.stringify(cfg), ...args, null);
  exp.run(2, 'imported', JSON.stringify(cfg), ...args, '/data/ref-run');
  db.prepare(`INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, kernels, attempts, created_at, started_at, finished_at,
      wall_ms, train_ms, diagnostics_ms, result_saved_at, diverged, diverged_epoch, cancelled, diagnostics_status, imported, source)
    VALUES (1, 1, 0, 'const', 7, 'done', 'auto', 'wasm-simd-f32', 1, 1000, 1001, 1002, 12.5, 10, 2.5, 1002, 0, NULL, 0, 'skipped', 0, NULL)`).run();
  db.prepare("INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, created_at) VALUES (2, 1, 1, 'gru', 7, 'queued', 'auto', 1000)").run();
  db.prepare(`INSERT INTO runs (id, experiment_id, idx, arch, seed, status, backend, created_at, result_saved_at, diverged, cancelled, imported, source)
    VALUES (3, 2, 0, 'const', 7, 'done', 'auto', 1000, 1000, 0, 0, 1, 'seed_7/const')`).run();
  db.prepare("INSERT INTO run_events (run_id, at, kind, message) VALUES (1, 1001, 'status', 'queued → running')").run();
  db.prepare('INSERT INTO learning_curve VALUES (1, 0, 1.5, NULL, 0.25, -1e308), (1, 1, 0.5, 0.125, 9e999, -9e999)').run();
}

describe('0002 → 0003 with data', () => {
  it('keeps every row and value; the backend used and the adapter read null until a run records them', () => {
    const path = join(t.dir, 'workstation.db');
    const v2 = openDatabase(path, { targetVersion: 2 });
    fillVersion2(v2.db);
    const before = snapshotTables(v2.db, TABLES);
    expect(before.rows.runs).toHaveLength(3);
    v2.db.close();

    const store = openStore({ path });
    try {
      expect(store.migrations.from).toBe(2);
      expect(store.migrations.applied[0]).toBe('0003_run_backend');
      expectTablesKept(store.db, before);
      expect(columnsOf(store.db, 'runs').slice(before.columns.runs!.length, before.columns.runs!.length + 2)).toEqual(['backend_used', 'adapter']);
      expect(store.db.prepare('SELECT backend_used, adapter FROM runs ORDER BY id').raw(true).all()).toEqual([[null, null], [null, null], [null, null]]);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

      const runs = [...store.getExperiment(1)!.runs, ...store.getExperiment(2)!.runs];
      expect(runs.map((r) => [r.id, r.status, r.kernels, r.imported, r.backendUsed, r.adapter])).toEqual([
        [1, 'done', 'wasm-simd-f32', false, null, null], [2, 'queued', null, false, null, null], [3, 'done', null, true, null, null],
      ]);
      const res = store.getRunResult(1)!;
      expect(res.curve[1]).toEqual({ epoch: 1, train_loss: 0.5, train_acc: 0.125, val_loss: Infinity, val_acc: -Infinity });
      expect('backend' in res || 'adapter' in res).toBe(false);

      // the queued run starts on webgpu, then its result says where it ran
      const r = store.setRunStatus(2, 'running', { backendUsed: 'webgpu', adapter: 'NVIDIA H100' });
      expect([r.backendUsed, r.adapter]).toEqual(['webgpu', 'NVIDIA H100']);
      const done = store.saveRunResult(2, { ...res, backend: 'webgpu', adapter: 'NVIDIA H100 80GB HBM3' });
      expect([done.backendUsed, done.adapter]).toEqual(['webgpu', 'NVIDIA H100 80GB HBM3']);
      expect(store.getRunResult(2)).toMatchObject({ backend: 'webgpu', adapter: 'NVIDIA H100 80GB HBM3' });
      // only cpu or webgpu fit the column
      expect(() => store.db.prepare("UPDATE runs SET backend_used = 'tpu' WHERE id = 1").run()).toThrow(/CHECK constraint/);
    } finally {
      store.close();
    }
  });

  it('an app that knows only 0001-0002 refuses the migrated database, writing nothing', () => {
    expectOlderAppRefuses(t.dir, 2);
  });
});

describe('the backend across attempts', () => {
  it('a new attempt replaces the previous attempt\'s backend and adapter; a result without a backend leaves them', () => {
    const store = openStore({ path: join(t.dir, 'workstation.db') });
    try {
      const e = store.createExperiment('x', smallConfig({ models: ['const'], seeds: [1] }));
      const id = e.runs[0]!.id;
      expect([e.runs[0]!.backendUsed, e.runs[0]!.adapter]).toEqual([null, null]);
      store.setRunStatus(id, 'running', { backendUsed: 'webgpu', adapter: 'GPU A' });
      store.setRunStatus(id, 'failed', { error: 'device lost' });
      expect(store.getRun(id)).toMatchObject({ backendUsed: 'webgpu', adapter: 'GPU A' });
      store.setRunStatus(id, 'queued');
      const again = store.setRunStatus(id, 'running', { backendUsed: 'cpu' });
      expect([again.backendUsed, again.adapter]).toEqual(['cpu', null]);
      const saved = store.saveRunResult(id, { curve: [], gateStats: [], diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'k', wallMs: 1 });
      expect([saved.backendUsed, saved.adapter]).toEqual(['cpu', null]);
    } finally {
      store.close();
    }
  });
});

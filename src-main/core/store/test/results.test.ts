/**
 * One run's result: saved to every table in one transaction and read back
 * bit for bit (NaN, ±Infinity, -1, extreme magnitudes, μ BLOBs), earlier rows
 * replaced, the final status derived from the result, invalid results refused
 * with their path and nothing written; and a real worker output (runUnit on a
 * tiny configuration) round-trips unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../../src-shared/presets';
import type { RunResult } from '../../../../src-shared/results';
import { runUnit } from '../../../../src-workers/tasks/run-unit';
import { StoreStateError, StoreValidationError } from '../errors';
import { blobToF64, f64ToBlob, numIn, numOut } from '../numbers';
import { expectBitExact, rowsOfRuns, sampleDiagnostics, sampleResult, smallConfig, snapshot, tempStore } from './helpers';

let s: ReturnType<typeof tempStore>;
beforeEach(() => {
  s = tempStore();
});
afterEach(() => s.cleanup());

function runningRun(): number {
  const id = s.store.createExperiment('e', smallConfig({ models: ['gru'], seeds: [1] })).runs[0]!.id;
  s.store.setRunStatus(id, 'running');
  return id;
}

describe('number encoding', () => {
  it('NaN ↔ NULL, every other double unchanged through SQLite REAL; -0 comes back as 0 (SQLite stores integral REALs as integers)', () => {
    const db = s.store.db;
    db.exec('CREATE TEMP TABLE t (i INTEGER PRIMARY KEY, x REAL) STRICT');
    const values = [NaN, Infinity, -Infinity, -1, 0, Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2, 2 ** 53 + 2, -1e-310];
    values.forEach((v, i) => db.prepare('INSERT INTO t VALUES (?, ?)').run(i, numIn(v)));
    const rows = db.prepare('SELECT x, typeof(x) AS ty FROM t ORDER BY i').all() as { x: number | null; ty: string }[];
    expect(rows.map((r) => r.ty)).toEqual(['null', ...values.slice(1).map(() => 'real')]);
    expectBitExact(rows.map((r) => numOut(r.x)), values);
    db.prepare('INSERT INTO t VALUES (?, ?)').run(99, -0);
    expect(Object.is((db.prepare('SELECT x FROM t WHERE i = 99').get() as { x: number }).x, 0)).toBe(true);
  });

  it('float64 BLOBs keep every bit (NaN payloads and -0 included), little-endian', () => {
    const a = new Float64Array([1, -0, NaN, Infinity, -Infinity, 5e-324, -1]);
    const bytes = new Uint8Array(a.buffer);
    bytes[16] = 0x55; // a NaN with a payload
    const blob = f64ToBlob(a);
    expect(blob.readDoubleLE(0)).toBe(1); // little-endian on disk
    expect(blob.readDoubleLE(48)).toBe(-1);
    const back = blobToF64(blob);
    expect(Buffer.from(back.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(() => blobToF64(new Uint8Array(7))).toThrow(/multiple of 8/);
  });
});

describe('save and read back', () => {
  it.each([1, 2, 3])('sample result %i round-trips bit for bit', (seed) => {
    const id = runningRun();
    const result = sampleResult(seed, { diagnostics: sampleDiagnostics(seed, 4 + seed, 2 + seed, seed !== 3) });
    const rec = s.store.saveRunResult(id, result);
    expect(rec).toMatchObject({ status: 'done', hasResult: true, kernels: 'wasm-simd-f32', wallMs: 1234.5, trainMs: 1000.25, epochsDone: 5 });
    expectBitExact(s.store.getRunResult(id), result);
    // the encoding as a user sees it in SQL: NaN is NULL, infinities are REAL
    const env = s.store.db.prepare('SELECT typeof(exp_tau_env) AS inf, typeof(power_r2) AS nan FROM envelope_fits WHERE run_id = ?').get(id);
    expect(env).toEqual({ inf: 'real', nan: 'null' });
  });

  it('a result without diagnostics (and without optional timings) reads back with diagnostics null', () => {
    const id = runningRun();
    const result: RunResult = {
      curve: [{ epoch: 0, train_loss: 2, train_acc: -1, val_loss: 3, val_acc: NaN }],
      gateStats: [],
      diverged: false,
      divergedEpoch: null,
      cancelled: false,
      kernelsName: 'ts-f32',
      wallMs: 12,
      diagnosticsStatus: 'skipped',
      diagnostics: null,
    };
    s.store.saveRunResult(id, result);
    const back = s.store.getRunResult(id)!;
    expectBitExact(back, result);
    expect(back.diagnostics).toBeNull();
    expect('trainMs' in back).toBe(false);
  });

  it('muUnits: false reads everything but the per-unit envelopes (an empty list); true and the default read them', () => {
    const id = runningRun();
    const result = sampleResult(4, { diagnostics: sampleDiagnostics(4, 6, 3, true) });
    s.store.saveRunResult(id, result);
    expectBitExact(s.store.getRunResult(id, { muUnits: true }), result);
    const lean = s.store.getRunResult(id, { muUnits: false })!;
    expect(lean.diagnostics!.muUnits).toEqual([]);
    expect(lean.diagnostics!.lags).toEqual(result.diagnostics!.lags);
    expectBitExact(lean, { ...result, diagnostics: { ...result.diagnostics!, muUnits: [] } });
    // a result without diagnostics is the same either way
    const bare = runningRun();
    s.store.saveRunResult(bare, sampleResult(5, { diagnostics: null }));
    expect(s.store.getRunResult(bare, { muUnits: false })).toEqual(s.store.getRunResult(bare));
  });

  it('curves: false reads everything but the learning curve and the gate statistics (empty lists); true and the default read them', () => {
    const id = runningRun();
    const result = sampleResult(6, { diagnostics: sampleDiagnostics(6, 5, 3, true) });
    expect(result.curve.length).toBeGreaterThan(0);
    expect(result.gateStats.length).toBeGreaterThan(0);
    s.store.saveRunResult(id, result);
    expectBitExact(s.store.getRunResult(id, { curves: true }), result);
    expectBitExact(s.store.getRunResult(id, { curves: false }), { ...result, curve: [], gateStats: [] });
    // both options together: neither curves nor per-unit envelopes
    expectBitExact(s.store.getRunResult(id, { curves: false, muUnits: false }), {
      ...result, curve: [], gateStats: [], diagnostics: { ...result.diagnostics!, muUnits: [] },
    });
    // the rows are still stored: a full read after a lean one gives them back
    expectBitExact(s.store.getRunResult(id), result);
  });

  it('no result yet: null; unknown run: an error', () => {
    const id = runningRun();
    expect(s.store.getRunResult(id)).toBeNull();
    expect(() => s.store.getRunResult(987654)).toThrow(/no run with id 987654/);
  });

  it('replaces live progress rows and an earlier attempt\'s rows, in every table', () => {
    const id = runningRun();
    s.store.saveProgress(id, Array.from({ length: 9 }, (_, epoch) => ({ epoch, train_loss: 1, train_acc: 0, val_loss: 1, val_acc: 0 })));
    const first = sampleResult(1, { diagnostics: sampleDiagnostics(1, 8, 5, true) });
    s.store.saveRunResult(id, first, { status: 'failed', error: 'pretend' });
    expect(s.store.getRun(id)).toMatchObject({ status: 'failed', error: 'pretend', epochsDone: 5 });
    expectBitExact(s.store.getRunResult(id), first);
    // re-run: the earlier rows stay until the new result replaces them
    s.store.setRunStatus(id, 'queued');
    s.store.setRunStatus(id, 'running');
    expect(s.store.getRunResult(id)!.diagnostics!.lags).toHaveLength(8);
    const second = sampleResult(2, { curve: [{ epoch: 0, train_loss: 9, train_acc: 9, val_loss: 9, val_acc: 9 }], diagnostics: sampleDiagnostics(2, 3, 2, false) });
    s.store.saveRunResult(id, second);
    expectBitExact(s.store.getRunResult(id), second);
    const counts = rowsOfRuns(s.store.db, [id]);
    expect(counts).toMatchObject({ learning_curve: 1, gate_stats: 9, lag_summary: 3, unit_envelopes: 3, unit_tau: 2, envelope_fits: 1, h_n: 3, master_fits: 1, const_tau: 0 });
  });
});

describe('final status', () => {
  const cases: [string, Partial<RunResult>, string, string | null][] = [
    ['done', {}, 'done', null],
    ['diverged', { diverged: true, divergedEpoch: 3 }, 'diverged', null],
    ['cancelled', { cancelled: true, diagnosticsStatus: 'cancelled', diagnostics: null }, 'cancelled', null],
    ['diagnostics failed', { diagnosticsStatus: 'failed', diagnostics: null, diagnosticsError: 'singular matrix' }, 'failed', 'diagnostics failed: singular matrix'],
  ];
  it.each(cases)('%s', (_label, over, status, error) => {
    const id = runningRun();
    const rec = s.store.saveRunResult(id, sampleResult(1, over));
    expect(rec.status).toBe(status);
    expect(rec.error).toBe(error);
    expect(s.store.listRunEvents(id).at(-1)).toMatchObject({ kind: 'status', data: { from: 'running', to: status } });
  });

  it('a run that is not running takes no result (nothing written)', () => {
    const id = s.store.createExperiment('e', smallConfig()).runs[0]!.id;
    const before = snapshot(s.store.db);
    expect(() => s.store.saveRunResult(id, sampleResult(1))).toThrow(StoreStateError);
    expect(snapshot(s.store.db)).toEqual(before);
  });
});

describe('invalid results are refused with their path, nothing written', () => {
  const d = () => sampleDiagnostics(1);
  const cases: [string, () => unknown, string][] = [
    ['curve not a list', () => ({ ...sampleResult(1), curve: 5 }), 'curve'],
    ['repeated epoch', () => ({ ...sampleResult(1), curve: [sampleResult(1).curve[0], sampleResult(1).curve[0]] }), 'curve[1].epoch'],
    ['gate metric empty', () => ({ ...sampleResult(1), gateStats: [{ epoch: 0, metric: '', value: 1 }] }), 'gateStats[0].metric'],
    ['wall time NaN', () => ({ ...sampleResult(1), wallMs: NaN }), 'wallMs'],
    ['diverged not boolean', () => ({ ...sampleResult(1), diverged: 0 }), 'diverged'],
    ['unknown diagnostics status', () => ({ ...sampleResult(1), diagnosticsStatus: 'partial' }), 'diagnosticsStatus'],
    ['one μ row per lag', () => ({ ...sampleResult(1), diagnostics: { ...d(), muUnits: d().muUnits.slice(1) } }), 'diagnostics.muUnits'],
    ['μ row not numbers', () => ({ ...sampleResult(1), diagnostics: { ...d(), muUnits: d().muUnits.map(() => 'x') } }), 'diagnostics.muUnits[0]'],
    ['lag not an integer', () => ({ ...sampleResult(1), diagnostics: { ...d(), summary: d().summary.map((r, i) => (i === 2 ? { ...r, ell: 2.5 } : r)) } }), 'diagnostics.summary[2].ell'],
    ['N_required not an integer', () => ({ ...sampleResult(1), diagnostics: { ...d(), summary: d().summary.map((r) => ({ ...r, N_required_at_eps: 1.5 })) } }), 'diagnostics.summary[0].N_required_at_eps'],
    ['alpha_reliable not boolean', () => ({ ...sampleResult(1), diagnostics: { ...d(), summary: d().summary.map((r) => ({ ...r, alpha_reliable: 'yes' })) } }), 'diagnostics.summary[0].alpha_reliable'],
    ['H_N not an integer', () => ({ ...sampleResult(1), diagnostics: { ...d(), H_N: [{ N: 25, H_N: Infinity }] } }), 'diagnostics.H_N[0].H_N'],
    ['unknown best regime', () => ({ ...sampleResult(1), diagnostics: { ...d(), envelope: { ...d().envelope, best: 'linear' } } }), 'diagnostics.envelope.best'],
    ['master fit n', () => ({ ...sampleResult(1), diagnostics: { ...d(), master: { slope: 1, intercept: 0, r2: 1, n: 'ten' } } }), 'diagnostics.master.n'],
    ['tau unit id', () => ({ ...sampleResult(1), diagnostics: { ...d(), tau: [{ ...d().tau[0], unit_id: -1 }] } }), 'diagnostics.tau[0].unit_id'],
    ['batch size', () => ({ ...sampleResult(1), diagnostics: { ...d(), batchSize: 0 } }), 'diagnostics.batchSize'],
  ];
  it.each(cases)('%s', (_label, make, field) => {
    const id = runningRun();
    const before = snapshot(s.store.db);
    let err: unknown;
    try {
      s.store.saveRunResult(id, make() as RunResult);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreValidationError);
    const fields = (err as StoreValidationError).errors.map((e) => e.field);
    expect(fields, JSON.stringify(fields)).toContain(field);
    expect((err as Error).message).toContain(field);
    expect(snapshot(s.store.db)).toEqual(before);
  });
});

describe('a real worker output', () => {
  it('runUnit on a tiny configuration (const and gru) is stored and read back unchanged', async () => {
    const cfg = { ...PRESETS.smoke, Nseq_train: 16, Nseq_diag: 16, T: 24, H: 4, D: 2, epochs: 2, lag_min: 2, lag_max: 12, num_lags: 6,
      task_lags: [2, 4], task_coeffs: [0.5, 0.3], N_grid: [5, 10, 20], min_samples_alpha: 20, models: ['const', 'gru'] as const, seeds: [3] };
    const e = s.store.createExperiment('real', { ...cfg, models: [...cfg.models] });
    for (const run of e.runs) {
      s.store.setRunStatus(run.id, 'running');
      const out = await runUnit(e.config, run.arch, run.seed);
      expect(out.diagnosticsStatus).toBe('done');
      expect([out.backend, out.adapter]).toEqual(['cpu', undefined]);
      const { arch, seed, ...result } = out;
      expect([arch, seed]).toEqual([run.arch, run.seed]);
      s.store.saveRunResult(run.id, out);
      expectBitExact(s.store.getRunResult(run.id), result);
      expect(s.store.getRun(run.id)!.status).toBe(out.diverged ? 'diverged' : 'done');
      expect([s.store.getRun(run.id)!.backendUsed, s.store.getRun(run.id)!.adapter]).toEqual(['cpu', null]);
    }
  });
});

/**
 * Our own ZIP export re-imports to the same numbers: two small runs trained
 * and diagnosed in-process (src-workers/tasks/run-unit.ts), stored (with a
 * seed whose runs failed: diagnostics failed, worker died), exported
 * with exportData(…, format 'zip') in the reference layout (SCIENCE.md §8),
 * imported, and every stored number compared with the original.
 *
 * What the layout cannot carry is compared as such: timings go through
 * seconds (ms / 1000 · 1000, equal to rounding), and a non-finite number in a
 * JSON file (results-writer.ts jsonText writes null) reads back as NaN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../../src-shared/presets';
import type { RunDiagnostics, RunResult } from '../../../../src-shared/results';
import { runUnit } from '../../../../src-workers/tasks/run-unit';
import { exportData } from '../../exports';
import type { Store } from '../../store/store';
import { expectBitExact, tempStore } from '../../store/test/helpers';
import { importResults, type ImportReport } from '../import';
import { put } from './fixtures';

let s: ReturnType<typeof tempStore>;
let store: Store;
let originalId: number;
let report: ImportReport;

const CFG = {
  ...PRESETS.smoke, Nseq_train: 16, Nseq_diag: 16, T: 24, H: 4, D: 2, epochs: 2, lag_min: 2, lag_max: 12, num_lags: 6,
  task_lags: [2, 4], task_coeffs: [0.5, 0.3], N_grid: [5, 10, 20], min_samples_alpha: 20, models: ['const', 'gru'], seeds: [3, 4],
};

beforeAll(async () => {
  s = tempStore();
  store = s.store;
  const e = store.createExperiment('smoke pair', CFG, { tags: ['smoke'] });
  originalId = e.id;
  const [const3, gru3, const4, gru4] = e.runs;
  const outputs: Awaited<ReturnType<typeof runUnit>>[] = [];
  for (const run of [const3!, gru3!]) {
    store.setRunStatus(run.id, 'running');
    const out = await runUnit(e.config, run.arch, run.seed);
    store.saveRunResult(run.id, out);
    outputs.push(out);
  }
  // seed 4: the const run's diagnostics failed (its training rows kept); the gru run's worker died (no rows)
  store.setRunStatus(const4!.id, 'running');
  store.saveRunResult(const4!.id, { ...outputs[0]!, diagnosticsStatus: 'failed', diagnostics: null, diagnosticsError: 'boom' });
  store.setRunStatus(gru4!.id, 'running');
  store.setRunStatus(gru4!.id, 'failed', { error: 'the worker died' });
  const file = await exportData(store, { experimentId: e.id, format: 'zip' });
  const zip = put(s.dir, file.fileName, file.bytes);
  report = await importResults(store, { path: zip, name: 'smoke pair, re-imported' });
});
afterAll(() => s.cleanup());

/** A JSON file holds finite numbers or null (NaN on import). */
const viaJson = (x: number) => (Number.isFinite(x) ? x : NaN);

function jsonNumbers(d: RunDiagnostics): RunDiagnostics {
  const e = d.envelope;
  return {
    ...d,
    envelope: {
      exp: { a: viaJson(e.exp.a), b: viaJson(e.exp.b), r2: viaJson(e.exp.r2), tau_env: viaJson(e.exp.tau_env) },
      power: { c: viaJson(e.power.c), d: viaJson(e.power.d), r2: viaJson(e.power.r2) },
      log: { e: viaJson(e.log.e), g: viaJson(e.log.g), r2: viaJson(e.log.r2) },
      best: e.best,
    },
    master: 'skipped' in d.master ? d.master
      : { slope: viaJson(d.master.slope), intercept: viaJson(d.master.intercept), r2: viaJson(d.master.r2), n: viaJson(d.master.n) },
    constTau: d.constTau && { s: viaJson(d.constTau.s), leak: viaJson(d.constTau.leak), tau: viaJson(d.constTau.tau) },
  };
}

describe('exported ZIP → import', () => {
  it('the same configuration, runs and statuses; flagged imported', () => {
    const a = store.getExperiment(originalId)!;
    const b = report.experiment;
    expect(b.config).toEqual(a.config);
    expect(b.runs.map((r) => [r.arch, r.seed, r.status, r.imported, r.error, r.hasResult]))
      .toEqual(a.runs.map((r) => [r.arch, r.seed, r.status, true, r.error, r.hasResult]));
    expect(b.runs.map((r) => r.status)).toEqual(['done', 'done', 'failed', 'failed']);
    expect(b.runs.map((r) => r.error)).toEqual([null, null, 'diagnostics failed: boom', 'the worker died']);
    expect(b.runs.every((r) => (r.source ?? '').endsWith(`seed_${r.seed}/${r.arch}`))).toBe(true);
    expect(report.warnings).toEqual([]);
    expect(b.notes).toMatch(/a Learnability Workstation export/);
  });

  it('every number of every run', () => {
    const a = store.getExperiment(originalId)!;
    expect(store.getRunResult(report.experiment.runs[3]!.id)).toBeNull(); // the worker died: no rows, then or now
    for (const [i, run] of report.experiment.runs.slice(0, 3).entries()) {
      const orig = store.getRunResult(a.runs[i]!.id)!;
      const back = store.getRunResult(run.id)!;
      expect(orig.diagnostics === null, 'seed 3 has diagnostics, seed 4 not').toBe(i === 2);
      const { trainMs, diagnosticsMs, wallMs, diagnostics, ...rest } = back;
      const o: RunResult = orig;
      // the backend used travels in <model>_status.json (ours): cpu here, no adapter
      expect(o.backend).toBe('cpu');
      expectBitExact(rest, { ...o, trainMs: undefined, diagnosticsMs: undefined, wallMs: undefined, diagnostics: undefined });
      expectBitExact(diagnostics, o.diagnostics && jsonNumbers(o.diagnostics));
      // timings: milliseconds → seconds in <model>_status.json → milliseconds
      expect(wallMs).toBeCloseTo(o.wallMs, 9);
      expect(trainMs).toBeCloseTo(o.trainMs!, 9);
      expect(diagnosticsMs).toBeCloseTo(o.diagnosticsMs!, 9);
    }
  });

  it('the re-imported experiment exports to the same files (except the name-derived archive name)', async () => {
    const a = await exportData(store, { experimentId: originalId, format: 'zip' });
    const b = await exportData(store, { experimentId: report.experiment.id, format: 'zip' });
    const { unzipSync } = await import('fflate');
    const fa = unzipSync(a.bytes);
    const fb = unzipSync(b.bytes);
    const strip = (files: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(files)
      .filter(([p]) => !p.endsWith('_status.json')) // timings in seconds may differ in the last digit
      .map(([p, d]) => [p.slice(p.indexOf('/') + 1), Buffer.from(d).toString('utf8')]));
    expect(Object.keys(strip(fb)).sort()).toEqual(Object.keys(strip(fa)).sort());
    expect(strip(fb)).toEqual(strip(fa));
  });
});

/**
 * Importing a results folder of the reference pipeline (written by hand in
 * its layout, fixtures.ts): every number read back through the store as
 * written; statuses from the files present; the configuration from
 * cli_args.csv with unknown arguments reported and defaults noted; flat
 * layouts; an archive of the same folder gives the same experiment.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src-shared/config';
import type { RunResult } from '../../../../src-shared/results';
import { StoreStateError } from '../../store/errors';
import { expectBitExact, tempStore } from '../../store/test/helpers';
import { importReferenceResults, importResults, REFERENCE_DIAG_BATCH } from '../import';
import {
  CLI_ARGS, CONST_CURVE, CONST_CURVE_CSV, CONST_GATES, CONST_HN, CONST_SUMMARY, GIVEN, GRU_CURVE, GRU_CURVE_CSV, GRU_GATES,
  GRU_GATES_CSV, GRU_HN, GRU_MU, GRU_SUMMARY, GRU_SUMMARY_CSV, GRU_TAU, LAGS, put, writeReferenceFolder,
} from './fixtures';

let s: ReturnType<typeof tempStore>;
let root: string;
beforeEach(() => {
  s = tempStore();
  root = join(s.dir, 'results');
  mkdirSync(root);
});
afterEach(() => s.cleanup());

function zipOf(dir: string, prefix = ''): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files[prefix + relative(dir, p).split('\\').join('/')] = readFileSync(p);
    }
  };
  walk(dir);
  return zipSync(files, { level: 6 });
}

function runOf(expId: number, arch: string, seed: number) {
  const r = s.store.getExperiment(expId)!.runs.find((x) => x.arch === arch && x.seed === seed);
  expect(r, `${arch}/${seed}`).toBeDefined();
  return r!;
}

describe('the backend in a status file of ours', () => {
  it('is stored with the run: backend used and adapter', async () => {
    writeReferenceFolder(root);
    put(root, 'seed_212/gru/gru_status.json', JSON.stringify({
      model: 'gru', seed: 212, status: 'done', epochs: GRU_CURVE.length, diverged_epoch: null, kernels: 'webgpu',
      backend: 'webgpu', adapter: 'NVIDIA H100 80GB HBM3', diagnostics: 'done', timings_s: { training: 1, diagnostics: 0.5, total: 1.5 },
    }));
    const report = await importResults(s.store, { path: root });
    const gru = runOf(report.experiment.id, 'gru', 212);
    expect([gru.backendUsed, gru.adapter]).toEqual(['webgpu', 'NVIDIA H100 80GB HBM3']);
    const res = s.store.getRunResult(gru.id)!;
    expect([res.backend, res.adapter, res.kernelsName]).toEqual(['webgpu', 'NVIDIA H100 80GB HBM3', 'webgpu']);
    // the reference's own files carry no backend: unknown for those runs
    expect(runOf(report.experiment.id, 'const', 212).backendUsed ?? null).toBeNull();
  });
});

describe('a nested reference folder', () => {
  it('becomes an experiment of imported runs with every number as written', async () => {
    writeReferenceFolder(root);
    const report = await importResults(s.store, { path: root, name: 'paper replica' });
    const e = report.experiment;
    expect(e.name).toBe('paper replica');
    expect(e.source).toBe(root);
    expect(e.tags).toEqual(['imported']);
    expect(e.models).toEqual(['const', 'gru']);
    expect(e.seeds).toEqual([212, 1001]);
    expect(e.finishedAt).not.toBeNull();
    expect(e.config).toEqual({ ...DEFAULT_CONFIG, ...GIVEN, seeds: [212, 1001], models: ['const', 'gru'] });
    expect(report.ignoredFiles).toBe(3); // the .npy spill, the plot, notes.txt
    expect(e.runs.map((r) => [r.arch, r.seed, r.status, r.imported, r.source, r.hasResult])).toEqual([
      ['const', 212, 'done', true, 'seed_212/const', true],
      ['gru', 212, 'done', true, 'seed_212/gru', true],
      ['const', 1001, 'diverged', true, 'seed_1001/const', true],
      ['gru', 1001, 'failed', true, 'seed_1001/gru', true],
    ]);
    expect(runOf(e.id, 'gru', 1001).error).toBe('no gru_summary.csv in the import (the diagnostics did not finish)');

    // gru, seed 212: every file of §8
    const gru = s.store.getRunResult(runOf(e.id, 'gru', 212).id)!;
    const { diagnostics: d, ...scalars } = gru;
    expectBitExact(scalars, {
      curve: GRU_CURVE, gateStats: GRU_GATES, diverged: false, divergedEpoch: null, cancelled: false, kernelsName: '', wallMs: NaN,
      diagnosticsStatus: 'done',
    } satisfies Omit<RunResult, 'diagnostics'>);
    expect(d).not.toBeNull();
    expectBitExact(d!.lags, LAGS);
    expectBitExact(d!.summary, GRU_SUMMARY);
    expectBitExact(d!.muUnits, GRU_MU.map((r) => Float64Array.from(r)));
    expect(Object.is(d!.muUnits[3]![2], -0)).toBe(true); // the BLOB keeps every bit
    expectBitExact(d!.tau, GRU_TAU);
    expectBitExact(d!.H_N, GRU_HN);
    expect(d!.batchSize).toBe(REFERENCE_DIAG_BATCH);
    expect(d!.constTau).toBeNull();
    // exp and power as the file says; the log regime (ours) fitted on log f̂ = 2 - 0.5 log log ℓ (to 10 decimals)
    expectBitExact(d!.envelope.exp, { a: -0.5, b: -0.0625, r2: 0.9, tau_env: 16 });
    expectBitExact(d!.envelope.power, { c: 1, d: -1.5, r2: NaN });
    expect(d!.envelope.log.e).toBeCloseTo(2, 9);
    expect(d!.envelope.log.g).toBeCloseTo(-0.5, 9);
    expect(d!.envelope.log.r2).toBeCloseTo(1, 12);
    expect(d!.envelope.best).toBe('log');
    // the master law needs 10 lags (SCIENCE.md §6): computed here, skipped
    expect(d!.master).toHaveProperty('skipped');
    expect((d!.master as { skipped: string }).skipped).toMatch(/at least 10 lags/);

    // const, seed 212: envelope fitted here (log f̂ exactly linear in ℓ: the exp regime, slope log 0.95), H_N from H_N_summary.csv
    const c = s.store.getRunResult(runOf(e.id, 'const', 212).id)!;
    expectBitExact(c.curve, CONST_CURVE);
    expectBitExact(c.gateStats, CONST_GATES);
    expectBitExact(c.diagnostics!.summary, CONST_SUMMARY);
    expectBitExact(c.diagnostics!.H_N, CONST_HN);
    expectBitExact(c.diagnostics!.constTau, { s: 0.05, leak: 0.95, tau: 19.495725746223687 });
    const env = c.diagnostics!.envelope;
    expect(env.exp.a).toBeCloseTo(-0.5, 12);
    expect(env.exp.b).toBeCloseTo(Math.log(0.95), 14);
    expect(env.exp.r2).toBeCloseTo(1, 12);
    expect(env.exp.tau_env).toBeCloseTo(-1 / Math.log(0.95), 10);
    expect(env.power.r2).toBeLessThan(1);
    expect(env.best).toBe('exp');
    expect(c.diagnostics!.muUnits.map((r) => [...r])).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);

    // const, seed 1001: the loss of epoch 1 is nan → diverged at epoch 1; diagnostics kept; Python's Infinity tokens
    const cd = s.store.getRunResult(runOf(e.id, 'const', 1001).id)!;
    expect([cd.diverged, cd.divergedEpoch, cd.diagnosticsStatus]).toEqual([true, 1, 'done']);
    expectBitExact(cd.curve[1], { epoch: 1, train_loss: NaN, train_acc: NaN, val_loss: NaN, val_acc: NaN });
    expectBitExact(cd.diagnostics!.envelope.exp, { a: -0.5, b: 0, r2: 1, tau_env: Infinity });
    expectBitExact(cd.diagnostics!.envelope.power, { c: -Infinity, d: 0.5, r2: 0.25 });
    expect(cd.diagnostics!.envelope.best).toBe('exp');

    // gru, seed 1001: only a learning curve → importable, failed diagnostics
    const g2 = s.store.getRunResult(runOf(e.id, 'gru', 1001).id)!;
    expectBitExact(g2.curve, [{ epoch: 0, train_loss: 1, train_acc: 0, val_loss: 1, val_acc: 0 }]);
    expect(g2.gateStats).toEqual([]);
    expect(g2.diagnostics).toBeNull();
    expect(g2.diagnosticsStatus).toBe('failed');
  });

  it('reports unknown arguments, differing seeds and defaults in every run\'s events', async () => {
    writeReferenceFolder(root);
    const report = await importResults(s.store, { path: root });
    expect(report.experiment.name).toBe('results');
    expect(report.warnings).toEqual([
      'cli_args.csv: ignored 2 arguments the workstation does not have: out_dir, device',
      'seed_1001/cli_args.csv: lr = 0.002 differs from seed_212/cli_args.csv (0.001); the experiment keeps 0.001',
    ]);
    const defaulted = ['Nseq_train', 'Nseq_diag', 'optimizer', 'momentum', 'weight_decay', 'grad_clip', 'noise_std', 'eps',
      'include_first_order_diag', 'orient_matched_statistic_sign', 'min_samples_alpha', 'gate_log_every', 'w_seed'];
    expect(report.notes.join('\n')).toContain(`seed_212/cli_args.csv lacks ${defaulted.join(', ')}: defaults used (Nseq_train=4096, Nseq_diag=2048,`);
    for (const run of report.experiment.runs) {
      const ev = s.store.listRunEvents(run.id);
      const own = report.runs.find((r) => r.arch === run.arch && r.seed === run.seed)!.warnings;
      expect(ev.map((x) => x.kind)).toEqual(['status', 'import', ...[...report.warnings, ...own].map(() => 'warning')]);
      expect(ev.filter((x) => x.kind === 'warning').map((x) => x.message)).toEqual([...report.warnings, ...own]);
      expect(ev[0]!.message).toBe(`imported as ${run.status}${run.error ? `: ${run.error}` : ''}`);
      const imp = ev.find((x) => x.kind === 'import')!;
      expect(imp.message).toMatch(new RegExp(`^imported from ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect((imp.data as { notes: string[] }).notes.join('\n')).toContain('defaults used');
    }
    const gru212 = report.experiment.runs.find((r) => r.arch === 'gru' && r.seed === 212)!;
    const imp = s.store.listRunEvents(gru212.id).find((x) => x.kind === 'import')!;
    expect((imp.data as { files: string[] }).files.sort()).toEqual([
      'seed_212/gru/gate_stats_gru.csv', 'seed_212/gru/gru_H_N.csv', 'seed_212/gru/gru_envelope_fits.json', 'seed_212/gru/gru_learning_curve.csv',
      'seed_212/gru/gru_mu_units.csv', 'seed_212/gru/gru_summary.csv', 'seed_212/gru/gru_tau_from_mu_units.csv',
    ]);
  });

  it('imported runs cannot be queued again; the experiment lists like any other', async () => {
    writeReferenceFolder(root);
    const e = await importReferenceResults(s.store, { path: root });
    const failed = runOf(e.id, 'gru', 1001);
    expect(() => s.store.setRunStatus(failed.id, 'queued')).toThrow(StoreStateError);
    expect(() => s.store.setRunStatus(failed.id, 'queued')).toThrow(/imported from result files/);
    expect(s.store.listExperiments({ filter: { tags: ['imported'] } }).items.map((x) => x.id)).toEqual([e.id]);
    expect(s.store.listExperiments({ filter: { finished: true } }).items.map((x) => x.id)).toEqual([e.id]);
    expect(s.store.listExperiments().items[0]!.progress).toMatchObject({ done: 2, diverged: 1, failed: 1, total: 4 });
  });

  it('a .zip of the folder (with a wrapping folder) imports to the same rows', async () => {
    writeReferenceFolder(root);
    const a = await importReferenceResults(s.store, { path: root });
    const zip = put(s.dir, 'results.zip', zipOf(root, 'results/'));
    const b = await importReferenceResults(s.store, { path: zip });
    expect(b.name).toBe('results');
    expect(b.source).toBe(zip);
    expect(b.config).toEqual(a.config);
    expect(b.runs.map((r) => [r.arch, r.seed, r.status, r.source])).toEqual(a.runs.map((r) => [r.arch, r.seed, r.status, `results/${r.source}`]));
    for (let i = 0; i < a.runs.length; i++) expectBitExact(s.store.getRunResult(b.runs[i]!.id), s.store.getRunResult(a.runs[i]!.id));
  });

  it('a model listed in cli_args.csv without files becomes a failed run without rows', async () => {
    put(root, 'seed_3/cli_args.csv', CLI_ARGS.replace("['const', 'gru']", "['gru', 'lstm']").replace('seed,212', 'seed,3'));
    put(root, 'seed_3/gru/gru_learning_curve.csv', GRU_CURVE_CSV);
    const r = await importResults(s.store, { path: root });
    expect(r.experiment.models).toEqual(['gru', 'lstm']);
    const lstm = r.experiment.runs.find((x) => x.arch === 'lstm')!;
    expect([lstm.status, lstm.hasResult, lstm.source, lstm.error]).toEqual(['failed', false, null, 'no files of lstm, seed 3 in the import']);
    expect(r.notes).toContain('no files for model lstm (listed in cli_args.csv): recorded as failed runs');
  });
});

describe('flat layouts', () => {
  it('every file of one seed at the top level: the seed from cli_args.csv', async () => {
    put(root, 'cli_args.csv', CLI_ARGS.replace('seed,212', 'seed,7').replace("models,\"['const', 'gru']\"\n", ''));
    put(root, 'gru_learning_curve.csv', GRU_CURVE_CSV);
    put(root, 'gate_stats_gru.csv', GRU_GATES_CSV);
    put(root, 'gru_summary.csv', GRU_SUMMARY_CSV);
    const r = await importResults(s.store, { path: root });
    expect(r.experiment.seeds).toEqual([7]);
    expect(r.experiment.models).toEqual(['gru']);
    expect(r.experiment.runs.map((x) => [x.arch, x.seed, x.status, x.source])).toEqual([['gru', 7, 'done', '']]);
    const res = s.store.getRunResult(r.experiment.runs[0]!.id)!;
    expectBitExact(res.curve, GRU_CURVE);
    expectBitExact(res.diagnostics!.summary, GRU_SUMMARY);
    expect(res.diagnostics!.muUnits.map((m) => m.length)).toEqual([0, 0, 0, 0]);
    expect(res.diagnostics!.tau).toEqual([]);
    expect(r.runs[0]!.warnings).toEqual(expect.arrayContaining([
      'no gru_mu_units.csv: the per-unit envelopes μ_q(ℓ) are empty',
      'no gru_envelope_fits.json: the envelope regimes were fitted here on log_mu_l1_mean (SCIENCE.md §6)',
    ]));
    expect(r.notes).toContain('cli_args.csv has no models: gru from the file names');
  });

  it('files directly in seed_<S>/ folders (no model folders); no cli_args.csv: the defaults', async () => {
    put(root, 'seed_5/gru_learning_curve.csv', GRU_CURVE_CSV);
    put(root, 'seed_5/const_learning_curve.csv', CONST_CURVE_CSV);
    put(root, 'seed_9/gru_learning_curve.csv', GRU_CURVE_CSV);
    const r = await importResults(s.store, { path: root });
    expect(r.experiment.config).toEqual({ ...DEFAULT_CONFIG, seeds: [5, 9], models: ['const', 'gru'] });
    expect(r.experiment.runs.map((x) => [x.arch, x.seed, x.status, x.source])).toEqual([
      ['const', 5, 'failed', 'seed_5'], ['gru', 5, 'failed', 'seed_5'], ['const', 9, 'failed', null], ['gru', 9, 'failed', 'seed_9'],
    ]);
    expect(r.notes[0]).toMatch(/^no cli_args\.csv: every configuration field takes its default/);
  });

  it('the imported folder itself is seed_<S>', async () => {
    const seedDir = join(root, 'seed_44');
    put(seedDir, 'gru/gru_learning_curve.csv', GRU_CURVE_CSV);
    const r = await importResults(s.store, { path: seedDir });
    expect(r.experiment.seeds).toEqual([44]);
    expect(r.experiment.name).toBe('seed_44');
  });

  it('a pandas index column is skipped; CRLF line ends and a BOM are read', async () => {
    put(root, 'gru_learning_curve.csv', `\ufeff,epoch,train_loss,train_acc,val_loss,val_acc\r\n0,0,1.25,0.1,1.5,-0.25\r\n1,1,0.75,0.4,0.875,0.3\r\n`);
    const r = await importResults(s.store, { path: root });
    expectBitExact(s.store.getRunResult(r.experiment.runs[0]!.id)!.curve, GRU_CURVE.slice(0, 2));
  });
});

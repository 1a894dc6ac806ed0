import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/presets';
import {
  cliArgsText,
  csvText,
  formatCell,
  writeCliArgs,
  writeConstTau,
  writeEnvelopeFits,
  writeGateStats,
  writeHN,
  writeHNSummary,
  writeLearningCurve,
  writeMasterFit,
  writeMuUnits,
  writeRunStatus,
  writeSummary,
  writeTauFromMuUnits,
} from '../../core/results-writer';
import { constTauRecord } from '../../../src-workers/tasks/analyse-run';

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'lw-writer-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

const lines = (p: string) => readFileSync(p, 'utf8').split('\n');

describe('cells', () => {
  it('writes non-finite numbers and booleans as Python does', () => {
    expect([NaN, Infinity, -Infinity, true, false, null, undefined, 0.1, -3, 'x'].map(formatCell)).toEqual(
      ['nan', 'inf', '-inf', 'True', 'False', '', '', '0.1', '-3', 'x'],
    );
  });
  it('numbers keep full precision (round-trip exactly)', () => {
    const xs = [Math.PI, 1 / 3, 1e-300, 123456789.123456789, -0.000123];
    const text = csvText(['x'], xs.map((x) => [x]));
    const back = (parse(text) as string[][]).slice(1).map((r) => Number(r[0]));
    expect(back).toEqual(xs);
  });
  it('quotes cells that contain commas', () => {
    expect(csvText(['a', 'b'], [['1,2', 3]])).toBe('a,b\n"1,2",3\n');
  });
});

describe('per-run files (SCIENCE.md §8)', () => {
  it('learning curve: path and exact header', () => {
    const p = writeLearningCurve(out, 212, 'gru', [
      { epoch: 0, train_loss: 1.5, train_acc: 0.25, val_loss: 1.25, val_acc: 0.125 },
      { epoch: 1, train_loss: 1, train_acc: 0.5, val_loss: NaN, val_acc: 0.75 },
    ]);
    expect(p).toBe(join(out, 'seed_212', 'gru', 'gru_learning_curve.csv'));
    expect(lines(p)).toEqual(['epoch,train_loss,train_acc,val_loss,val_acc', '0,1.5,0.25,1.25,0.125', '1,1,0.5,nan,0.75', '']);
  });
  it('gate stats: path and exact header', () => {
    const p = writeGateStats(out, 7, 'lstm', [{ epoch: 0, metric: 'forget_mean', value: 0.5 }]);
    expect(p).toBe(join(out, 'seed_7', 'lstm', 'gate_stats_lstm.csv'));
    expect(lines(p)).toEqual(['epoch,metric,value', '0,forget_mean,0.5', '']);
  });
  it('an empty table still has its header', () => {
    expect(lines(writeGateStats(out, 1, 'const', []))).toEqual(['epoch,metric,value', '']);
  });
  it('summary: exact column order', () => {
    const p = writeSummary(out, 1, 'diag', [{
      ell: 4, mu_l1_mean: 0.5, log_mu_l1_mean: -0.7, alpha_hat: 1.5, sigma_alpha_hat: 0.1, N_required_at_eps: -1,
      best_snr: 0.01, err_at_best_snr: NaN, best_N_for_ell: 25, mbar_scalar: 0.001, alpha_reliable: false,
      alpha_method: 'ecf', n_samples: 1000,
    }]);
    expect(p.endsWith(join('seed_1', 'diag', 'diag_summary.csv'))).toBe(true);
    expect(lines(p)[0]).toBe('ell,mu_l1_mean,log_mu_l1_mean,alpha_hat,sigma_alpha_hat,N_required_at_eps,best_snr,err_at_best_snr,best_N_for_ell,mbar_scalar,alpha_reliable,alpha_method,n_samples');
    expect(lines(p)[1]).toBe('4,0.5,-0.7,1.5,0.1,-1,0.01,nan,25,0.001,False,ecf,1000');
  });
  it('mu units, tau, H_N, envelope fits, const tau', () => {
    const mu = writeMuUnits(out, 1, 'const', [2, 4], [Float64Array.of(0.5, 0.25), Float64Array.of(0.125, 0.0625)]);
    expect(lines(mu)).toEqual(['ell,mu_unit_0,mu_unit_1', '2,0.5,0.25', '4,0.125,0.0625', '']);
    const tau = writeTauFromMuUnits(out, 1, 'const', [{ unit_id: 0, tau: Infinity, C: 1, a: 0, b: 0, r2: 1, num_points: 5 }]);
    expect(lines(tau)).toEqual(['unit_id,tau,C,a,b,r2,num_points', '0,inf,1,0,0,1,5', '']);
    const hn = writeHN(out, 1, 'const', [{ N: 25, H_N: 0 }, { N: 50, H_N: 12 }]);
    expect(lines(hn)).toEqual(['N,H_N', '25,0', '50,12', '']);
    const env = writeEnvelopeFits(out, 1, 'const', { exp: { a: 0, b: -0.05, r2: 1, tau_env: 20 }, power: { c: 1, d: NaN, r2: 0.5 } });
    expect(JSON.parse(readFileSync(env, 'utf8'))).toEqual({ exp: { a: 0, b: -0.05, r2: 1, tau_env: 20 }, power: { c: 1, d: null, r2: 0.5 } });
    // τ = -1/log(1 - s) (SCIENCE.md §6): for s = 1 - e^{-1/20}, τ = 20 exactly
    const s = 1 - Math.exp(-1 / 20);
    const p = writeConstTau(out, 1, constTauRecord(s));
    expect(p).toBe(join(out, 'seed_1', 'const', 'const_tau_const.json'));
    const ct = JSON.parse(readFileSync(p, 'utf8'));
    expect(Object.keys(ct)).toEqual(['s', 'leak', 'tau']);
    expect(ct.s).toBe(s);
    expect(ct.leak).toBeCloseTo(Math.exp(-1 / 20), 15);
    expect(ct.tau).toBeCloseTo(20, 10);
  });
  it('master fit and status (ours)', () => {
    const mf = writeMasterFit(out, 3, 'diag', { skipped: 'too few lags' });
    expect(mf).toBe(join(out, 'seed_3', 'diag', 'diag_master_fit.json'));
    expect(JSON.parse(readFileSync(mf, 'utf8'))).toEqual({ skipped: 'too few lags' });
    const st = writeRunStatus(out, {
      model: 'diag', seed: 3, status: 'diverged', epochs: 2, diverged_epoch: 2, kernels: 'ts-f32', diagnostics: 'done',
      timings_s: { training: 1.5, diagnostics: 0.25, total: 1.75 },
    });
    expect(st).toBe(join(out, 'seed_3', 'diag', 'diag_status.json'));
    expect(JSON.parse(readFileSync(st, 'utf8'))).toEqual({
      model: 'diag', seed: 3, status: 'diverged', epochs: 2, diverged_epoch: 2, kernels: 'ts-f32', diagnostics: 'done',
      timings_s: { training: 1.5, diagnostics: 0.25, total: 1.75 },
    });
  });
  it('leaves no temporary files behind', () => {
    writeLearningCurve(out, 1, 'gru', []);
    expect(readdirSync(join(out, 'seed_1', 'gru'))).toEqual(['gru_learning_curve.csv']);
  });
});

describe('per-seed files', () => {
  it('cli_args.csv: argument,value, every field, lists comma-joined, seeds = this seed', () => {
    const p = writeCliArgs(out, PRESETS.paper, 2002);
    expect(p).toBe(join(out, 'seed_2002', 'cli_args.csv'));
    const rows = parse(readFileSync(p, 'utf8')) as string[][];
    expect(rows[0]).toEqual(['argument', 'value']);
    const m = Object.fromEntries(rows.slice(1));
    expect(Object.keys(m)).toHaveLength(Object.keys(PRESETS.paper).length);
    expect(m.seeds).toBe('2002');
    expect(m.task_lags).toBe('32,64,128,192,256');
    expect(m.orth_init).toBe('True');
    expect(m.models).toBe('const,shared,diag,gru,lstm');
    expect(m.lr).toBe('0.001');
    expect(cliArgsText(PRESETS.paper)).toContain('seeds,"212,1001,2002,3003,4004"');
  });
  it('H_N_summary.csv: one column per model, union of N', () => {
    const p = writeHNSummary(out, 5, { gru: [{ N: 25, H_N: 3 }, { N: 50, H_N: 4 }], lstm: [{ N: 50, H_N: 9 }] });
    expect(lines(p)).toEqual(['N,H_N_gru,H_N_lstm', '25,3,', '50,4,9', '']);
    expect(existsSync(join(out, 'seed_5', 'H_N_summary.csv'))).toBe(true);
  });
});

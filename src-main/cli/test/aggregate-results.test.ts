import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LagSummaryRow } from '../../../src-shared/results';
import { hnSummaryAggText, summaryAggColumns, summaryAggRows, writeHNSummaryAgg, writeSummaryAgg } from '../../core/aggregate-results';

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'lw-agg-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

function row(ell: number, v: number, N: number, reliable = true): LagSummaryRow {
  return {
    ell, mu_l1_mean: v, log_mu_l1_mean: Math.log(v), alpha_hat: 1 + v, sigma_alpha_hat: 2 * v, N_required_at_eps: N, best_snr: 3 * v,
    err_at_best_snr: NaN, best_N_for_ell: 800, mbar_scalar: v / 2, alpha_reliable: reliable, alpha_method: 'ecf', n_samples: 100 - ell,
  };
}

describe('seed aggregation of the summary (SCIENCE.md §6)', () => {
  it('header: ell, then mean/std/n of every numeric column in file order', () => {
    expect(summaryAggColumns().join(',')).toBe([
      'ell',
      ...['mu_l1_mean', 'log_mu_l1_mean', 'alpha_hat', 'sigma_alpha_hat', 'N_required_at_eps', 'best_snr', 'err_at_best_snr',
        'best_N_for_ell', 'mbar_scalar', 'n_samples'].flatMap((c) => [`${c}_mean`, `${c}_std`, `${c}_n`]),
    ].join(','));
  });
  it('per lag: mean, sample std and count; -1 N_required and NaN skipped; lags of any seed listed', () => {
    const seedA = [row(2, 0.5, 25), row(4, 0.25, -1)];
    const seedB = [row(2, 0.3, 100), row(4, 0.15, 50), row(6, 0.1, -1)];
    const rows = summaryAggRows([seedA, seedB]);
    const cols = summaryAggColumns();
    const get = (r: number, c: string) => rows[r]![cols.indexOf(c)] as number;
    expect(rows.map((r) => r[0])).toEqual([2, 4, 6]);
    // lag 2: mu 0.5, 0.3 → mean 0.4, std |0.5-0.3|/√2
    expect(get(0, 'mu_l1_mean_mean')).toBeCloseTo(0.4, 15);
    expect(get(0, 'mu_l1_mean_std')).toBeCloseTo(0.2 / Math.SQRT2, 15);
    expect(get(0, 'mu_l1_mean_n')).toBe(2);
    expect(get(0, 'N_required_at_eps_mean')).toBe(62.5);
    // lag 4: N_required -1 in seed A is "not detected": only seed B counts
    expect(get(1, 'N_required_at_eps_mean')).toBe(50);
    expect(get(1, 'N_required_at_eps_std')).toBe(0);
    expect(get(1, 'N_required_at_eps_n')).toBe(1);
    // lag 6: one seed only; its N_required is -1: nothing counted
    expect(get(2, 'mu_l1_mean_n')).toBe(1);
    expect(get(2, 'N_required_at_eps_n')).toBe(0);
    expect(Number.isNaN(get(2, 'N_required_at_eps_mean'))).toBe(true);
    // NaN values are missing
    expect(get(0, 'err_at_best_snr_n')).toBe(0);
    // n_samples = 100 - ell in both seeds: std 0
    expect(get(1, 'n_samples_mean')).toBe(96);
    expect(get(1, 'n_samples_std')).toBe(0);
  });
  it('writes <out>/aggregate/<model>_summary_agg.csv', () => {
    const p = writeSummaryAgg(out, 'gru', [[row(2, 0.5, 25)]]);
    expect(p).toBe(join(out, 'aggregate', 'gru_summary_agg.csv'));
    const lines = readFileSync(p, 'utf8').split('\n');
    expect(lines[0]).toBe(summaryAggColumns().join(','));
    expect(lines[1]!.startsWith('2,0.5,0,1,')).toBe(true);
  });
});

describe('H_N_summary_agg.csv', () => {
  it('per N and model: mean, std, n; union of N', () => {
    const text = hnSummaryAggText([
      { model: 'const', perSeed: [[{ N: 25, H_N: 4 }, { N: 50, H_N: 8 }], [{ N: 25, H_N: 6 }, { N: 50, H_N: 8 }]] },
      { model: 'lstm', perSeed: [[{ N: 50, H_N: 0 }]] },
    ]);
    expect(text.split('\n')).toEqual([
      'N,H_N_const_mean,H_N_const_std,H_N_const_n,H_N_lstm_mean,H_N_lstm_std,H_N_lstm_n',
      `25,5,${Math.SQRT2},2,nan,nan,0`,
      '50,8,0,2,0,0,1',
      '',
    ]);
    expect(writeHNSummaryAgg(out, [{ model: 'gru', perSeed: [[{ N: 1, H_N: 2 }]] }])).toBe(join(out, 'aggregate', 'H_N_summary_agg.csv'));
  });
});

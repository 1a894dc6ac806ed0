import { describe, expect, it } from 'vitest';
import { lagGrid } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import type { LagSummaryRow } from '../../src-shared/results';
import { createTsKernels } from '../engine/kernels/ts-kernels';
import { createInitialisedModel } from '../engine/models';
import type { ModelShape } from '../engine/models/types';
import { SyntheticTask } from '../engine/task';
import { analyseRun, constTauRecord, masterFit, perUnit } from './analyse-run';

function row(ell: number, N: number, f: number, alpha: number): LagSummaryRow {
  return {
    ell, mu_l1_mean: f, log_mu_l1_mean: Math.log(f), alpha_hat: alpha, sigma_alpha_hat: 1, N_required_at_eps: N, best_snr: 1,
    err_at_best_snr: 0, best_N_for_ell: N, mbar_scalar: 1, alpha_reliable: true, alpha_method: 'ecf', n_samples: 1000,
  };
}

describe('perUnit', () => {
  it('transposes μ per lag into μ per unit', () => {
    const t = perUnit([Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6)], 3);
    expect(t.map((a) => Array.from(a))).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(() => perUnit([Float64Array.of(1, 2)], 3)).toThrow(/H=3/);
  });
});

describe('masterFit (SCIENCE.md §6)', () => {
  it('recovers slope 1 when log N = a - κ_α log f exactly', () => {
    // κ_α = α/(α-1); α = 1.5 ⇒ κ = 3; pick f, then N = e^a f^{-κ}
    const a = 0.7;
    const rows = Array.from({ length: 12 }, (_, i) => {
      const f = Math.exp(-0.1 * (i + 1));
      return row(i + 1, Math.exp(a) * f ** -3, f, 1.5);
    });
    const m = masterFit(rows);
    expect('slope' in m).toBe(true);
    if (!('slope' in m)) return;
    expect(m.slope).toBeCloseTo(1, 10);
    expect(m.intercept).toBeCloseTo(a, 10);
    expect(m.r2).toBeCloseTo(1, 10);
    expect(m.n).toBe(12);
  });
  it('is skipped with a reason below 10 lags or 3 distinct N_required', () => {
    const few = Array.from({ length: 9 }, (_, i) => row(i + 1, 25 * (i + 1), 0.5 ** i, 1.5));
    expect(masterFit(few)).toEqual({ skipped: expect.stringContaining('got 9 lags, 9 distinct values') });
    const same = Array.from({ length: 12 }, (_, i) => row(i + 1, i < 6 ? 25 : 50, 0.5 ** i, 1.5));
    expect(masterFit(same)).toEqual({ skipped: expect.stringContaining('got 12 lags, 2 distinct values') });
    // undetected lags (-1) do not count
    const undetected = Array.from({ length: 12 }, (_, i) => row(i + 1, -1, 0.5 ** i, 1.5));
    expect(masterFit(undetected)).toEqual({ skipped: expect.stringContaining('got 0 lags, 0 distinct values') });
  });
});

describe('constTauRecord', () => {
  it('τ = -1/log(1 - s): s = 1 - e^{-1/20} gives τ = 20', () => {
    const s = 1 - Math.exp(-1 / 20);
    const r = constTauRecord(s);
    expect(r.s).toBe(s);
    expect(r.leak).toBeCloseTo(Math.exp(-1 / 20), 15);
    expect(r.tau).toBeCloseTo(20, 10);
  });
});

describe('analyseRun on a ConstGate model, include_first_order_diag 0 (closed forms §4.2, §6)', () => {
  const cfg = {
    ...presetConfig('smoke'),
    Nseq_diag: 10, T: 30, lag_min: 1, lag_max: 25, num_lags: 9, task_lags: [2, 4], task_coeffs: [0.6, 0.5],
    include_first_order_diag: 0 as const, const_s: 0.1,
  };
  const shape: ModelShape = { arch: 'const', D: cfg.D, H: cfg.H, layernorm: true, constS: cfg.const_s };
  const model = () => createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 4, maxT: cfg.T }, { seed: 5, orthInit: true });
  const task = new SyntheticTask(cfg, 3);

  it('every unit and the envelope decay with τ = -1/log(1 - s); progress per batch then per lag', async () => {
    const calls: string[] = [];
    const d = await analyseRun(model(), task, cfg, 'const', { progress: (st, i, n) => calls.push(`${st} ${i}/${n}`) });
    const lags = lagGrid(cfg);
    const tau = -1 / Math.log(1 - cfg.const_s);
    // 10 sequences in batches of min(64, maxBatch 4, 10) = 4: 3 batches
    expect(calls).toEqual(['batch 1/3', 'batch 2/3', 'batch 3/3', ...lags.map((_, i) => `lag ${i + 1}/${lags.length}`)]);
    expect(d.lags).toEqual(lags);
    expect(d.muUnits).toHaveLength(lags.length);
    expect(d.tau).toHaveLength(cfg.H);
    for (const u of d.tau) {
      expect(u.num_points).toBe(lags.length);
      expect(u.tau / tau - 1).toBeCloseTo(0, 9);
      expect(u.C).toBeCloseTo(1, 9); // μ⁰(ℓ) = (1-s)^ℓ: intercept log 1 = 0
    }
    expect(d.envelope.exp.tau_env / tau - 1).toBeCloseTo(0, 9);
    expect(d.envelope.best).toBe('exp');
    expect(d.constTau).toEqual(constTauRecord(cfg.const_s));
    expect(d.H_N.map((r) => r.N)).toEqual(cfg.N_grid);
    // structured-cloneable plain data
    expect(structuredClone(d)).toEqual(d);
  });

  it('a progress hook that throws abandons the diagnostics (cancellation)', async () => {
    let n = 0;
    await expect(analyseRun(model(), task, cfg, 'const', {
      progress: () => {
        if (++n === 2) throw new Error('stop');
      },
    })).rejects.toThrow('stop');
    expect(n).toBe(2);
  });

  it('no const τ for the other architectures', async () => {
    const gru = createInitialisedModel({ ...shape, arch: 'gru' }, { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 4, maxT: cfg.T }, { seed: 5, orthInit: true });
    expect((await analyseRun(gru, task, cfg, 'gru')).constTau).toBeNull();
  });
});

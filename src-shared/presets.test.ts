import { describe, expect, it } from 'vitest';
import { lagGrid, parseConfig, resolveConfig } from './config';
import { PRESETS, PRESET_NAMES, isPresetName, presetConfig } from './presets';

describe('presets', () => {
  it('every preset is a complete, valid configuration that parses to itself', () => {
    for (const name of PRESET_NAMES) {
      const r = parseConfig(PRESETS[name]);
      expect(r.ok, name).toBe(true);
      if (r.ok) expect(r.config).toEqual(PRESETS[name]);
      const viaResolve = resolveConfig(name);
      expect(viaResolve.ok && viaResolve.config).toEqual(PRESETS[name]);
    }
  });

  it('quick is exactly the benchmark configuration', () => {
    expect(PRESETS.quick).toEqual({
      Nseq_train: 256, Nseq_diag: 256, T: 256, D: 8, H: 32, optimizer: 'adamw', momentum: 0.9, epochs: 20,
      batch_size: 32, lr: 0.002, weight_decay: 0.0001, grad_clip: 1.0, lag_min: 2, lag_max: 96, num_lags: 24,
      task_lags: [8, 16, 32, 48, 64], task_coeffs: [0.6, 0.5, 0.4, 0.32, 0.26], noise_std: 0.3,
      N_grid: [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800], eps: 0.1, orth_init: true, layernorm: true,
      include_first_order_diag: 1, orient_matched_statistic_sign: 1, alpha_method: 'ecf', min_samples_alpha: 500,
      const_s: 0.05, gate_log_every: 10, seeds: [212], w_seed: 212,
      models: ['const', 'shared', 'diag', 'gru', 'lstm'], backend: 'auto',
    });
  });

  it('paper is exactly SCIENCE.md §7', () => {
    expect(PRESETS.paper).toEqual({
      Nseq_train: 8000, Nseq_diag: 8000, T: 1024, D: 16, H: 128, optimizer: 'adamw', momentum: 0.9, epochs: 750,
      batch_size: 512, lr: 0.001, weight_decay: 0.0001, grad_clip: 1.0, lag_min: 4, lag_max: 256, num_lags: 128,
      task_lags: [32, 64, 128, 192, 256], task_coeffs: [0.6, 0.5, 0.4, 0.32, 0.26], noise_std: 0.3,
      N_grid: [25, 50, 100, 150, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200, 4800, 6400, 9600, 12800],
      eps: 0.1, orth_init: true, layernorm: true, include_first_order_diag: 1, orient_matched_statistic_sign: 1,
      alpha_method: 'ecf', min_samples_alpha: 500, const_s: 0.05, gate_log_every: 10,
      seeds: [212, 1001, 2002, 3003, 4004], w_seed: 212, models: ['const', 'shared', 'diag', 'gru', 'lstm'],
      backend: 'auto',
    });
    expect(lagGrid(PRESETS.paper)).toHaveLength(128);
  });

  it('smoke is tiny but exercises every path', () => {
    const s = PRESETS.smoke;
    // work per epoch ~ Nseq·T·H² per model: keep it far below quick's
    const work = (c: typeof s) => c.Nseq_train * c.T * c.H * c.H * c.epochs;
    expect(work(s)).toBeLessThan(work(PRESETS.quick) / 1000);
    expect(s.models).toEqual(['const', 'shared', 'diag', 'gru', 'lstm']);
    expect(s.orth_init && s.layernorm).toBe(true);
    expect(s.gate_log_every).toBe(1);
    const grid = lagGrid(s);
    expect(grid.length).toBeGreaterThanOrEqual(5);
    // every lag has enough matched-statistic samples for a reliable alpha: n(l) = Nseq_diag·(T - l)
    for (const l of grid) expect(s.Nseq_diag * (s.T - l)).toBeGreaterThanOrEqual(s.min_samples_alpha);
  });

  it('presetConfig returns independent copies', () => {
    const a = presetConfig('quick');
    a.seeds.push(1);
    a.H = 3;
    expect(PRESETS.quick.seeds).toEqual([212]);
    expect(PRESETS.quick.H).toBe(32);
  });

  it('isPresetName', () => {
    expect(isPresetName('quick')).toBe(true);
    expect(isPresetName('Quick')).toBe(false);
  });
});

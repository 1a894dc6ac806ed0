/**
 * Named configurations. Each is complete (every field given), so a preset
 * means the same thing whatever the defaults become.
 *
 *  - smoke: seconds on one core, exercises every code path (orth_init,
 *    LayerNorm, all five models, a few lags);
 *  - quick: the benchmark configuration (minutes per run on one core);
 *  - paper: SCIENCE.md §7 exactly (about a day on a GPU for the reference).
 */
import type { ExperimentConfig } from './config';

export type PresetName = 'smoke' | 'quick' | 'paper';
export const PRESET_NAMES: readonly PresetName[] = ['smoke', 'quick', 'paper'];

const ALL_MODELS: ExperimentConfig['models'] = ['const', 'shared', 'diag', 'gru', 'lstm'];

const smoke: ExperimentConfig = {
  Nseq_train: 32,
  Nseq_diag: 32,
  T: 48,
  D: 4,
  H: 8,
  optimizer: 'adamw',
  momentum: 0.9,
  epochs: 3,
  batch_size: 16,
  lr: 0.005,
  weight_decay: 0.0001,
  grad_clip: 1.0,
  lag_min: 2,
  lag_max: 24,
  num_lags: 8,
  task_lags: [2, 4, 8, 16],
  task_coeffs: [0.6, 0.5, 0.4, 0.32],
  noise_std: 0.3,
  N_grid: [25, 50, 100, 200, 400, 800],
  eps: 0.1,
  orth_init: true,
  layernorm: true,
  include_first_order_diag: 1,
  orient_matched_statistic_sign: 1,
  alpha_method: 'ecf',
  min_samples_alpha: 200,
  const_s: 0.05,
  gate_log_every: 1,
  seeds: [212],
  w_seed: 212,
  models: [...ALL_MODELS],
  backend: 'auto',
};

const quick: ExperimentConfig = {
  Nseq_train: 256,
  Nseq_diag: 256,
  T: 256,
  D: 8,
  H: 32,
  optimizer: 'adamw',
  momentum: 0.9,
  epochs: 20,
  batch_size: 32,
  lr: 0.002,
  weight_decay: 0.0001,
  grad_clip: 1.0,
  lag_min: 2,
  lag_max: 96,
  num_lags: 24,
  task_lags: [8, 16, 32, 48, 64],
  task_coeffs: [0.6, 0.5, 0.4, 0.32, 0.26],
  noise_std: 0.3,
  N_grid: [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800],
  eps: 0.1,
  orth_init: true,
  layernorm: true,
  include_first_order_diag: 1,
  orient_matched_statistic_sign: 1,
  alpha_method: 'ecf',
  min_samples_alpha: 500,
  const_s: 0.05,
  gate_log_every: 10,
  seeds: [212],
  w_seed: 212,
  models: [...ALL_MODELS],
  backend: 'auto',
};

const paper: ExperimentConfig = {
  Nseq_train: 8000,
  Nseq_diag: 8000,
  T: 1024,
  D: 16,
  H: 128,
  optimizer: 'adamw',
  momentum: 0.9,
  epochs: 750,
  batch_size: 512,
  lr: 0.001,
  weight_decay: 0.0001,
  grad_clip: 1.0,
  lag_min: 4,
  lag_max: 256,
  num_lags: 128,
  task_lags: [32, 64, 128, 192, 256],
  task_coeffs: [0.6, 0.5, 0.4, 0.32, 0.26],
  noise_std: 0.3,
  N_grid: [25, 50, 100, 150, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200, 4800, 6400, 9600, 12800],
  eps: 0.1,
  orth_init: true,
  layernorm: true,
  include_first_order_diag: 1,
  orient_matched_statistic_sign: 1,
  alpha_method: 'ecf',
  min_samples_alpha: 500,
  const_s: 0.05,
  gate_log_every: 10,
  seeds: [212, 1001, 2002, 3003, 4004],
  w_seed: 212,
  models: [...ALL_MODELS],
  backend: 'auto',
};

export const PRESETS: Readonly<Record<PresetName, Readonly<ExperimentConfig>>> = Object.freeze({
  smoke: Object.freeze(smoke),
  quick: Object.freeze(quick),
  paper: Object.freeze(paper),
});

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(s);
}

/** A fresh, mutable copy of a preset (arrays copied too). */
export function presetConfig(name: PresetName): ExperimentConfig {
  const p = PRESETS[name];
  return {
    ...p,
    task_lags: [...p.task_lags],
    task_coeffs: [...p.task_coeffs],
    N_grid: [...p.N_grid],
    seeds: [...p.seeds],
    models: [...p.models],
  };
}

/**
 * PLACEHOLDER CONTRACT — to be replaced by the zod schema (same exported names).
 * Field names are the reference pipeline's argument names (SCIENCE.md §7).
 */
export type ArchName = 'const' | 'shared' | 'diag' | 'gru' | 'lstm';
export type OptimizerName = 'adamw' | 'sgd' | 'sgd_momentum';
export type AlphaMethod = 'ecf' | 'mcculloch';
export type BackendName = 'auto' | 'cpu' | 'webgpu';

export interface ExperimentConfig {
  Nseq_train: number;
  Nseq_diag: number;
  T: number;
  D: number;
  H: number;
  optimizer: OptimizerName;
  momentum: number;
  epochs: number;
  batch_size: number;
  lr: number;
  weight_decay: number;
  grad_clip: number;
  lag_min: number;
  lag_max: number;
  num_lags: number;
  task_lags: number[];
  task_coeffs: number[];
  noise_std: number;
  N_grid: number[];
  eps: number;
  orth_init: boolean;
  layernorm: boolean;
  include_first_order_diag: 0 | 1;
  orient_matched_statistic_sign: 0 | 1;
  alpha_method: AlphaMethod;
  min_samples_alpha: number;
  const_s: number;
  gate_log_every: number;
  seeds: number[];
  w_seed: number;
  models: ArchName[];
  backend: BackendName;
}

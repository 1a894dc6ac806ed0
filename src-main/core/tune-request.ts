/**
 * The GPU kernel tuning request of a configuration, for the service
 * (startGpuTuning) and `lw tune` alike: one model shape per architecture of
 * `config.models` at its D, H, layernorm and const_s, timed on mini-batches
 * of batch_size sequences of length T, the models made for the largest batch
 * the configuration's runs make theirs for (train.ts modelMaxBatch: the
 * default sequences per workgroup depend on it), so that the default shape
 * timed is the one those runs would get.
 */
import type { ExperimentConfig } from '../../src-shared/config';
import type { TuneGpuRequest } from '../../src-shared/gpu-tuning';
import { modelMaxBatch } from '../../src-workers/engine/train';

export interface TuneRequestOptions {
  budgetSeconds: number;
  reps: number;
  /** tune a software adapter too (tests on SwiftShader) */
  allowSoftware?: boolean;
}

export function tuneRequestOf(config: ExperimentConfig, o: TuneRequestOptions): TuneGpuRequest {
  return {
    models: config.models.map((arch) => ({ arch, D: config.D, H: config.H, layernorm: config.layernorm, constS: config.const_s })),
    batch: config.batch_size,
    T: config.T,
    maxBatch: modelMaxBatch(config),
    budgetSeconds: o.budgetSeconds,
    reps: o.reps,
    ...(o.allowSoftware ? { allowSoftware: true } : {}),
  };
}

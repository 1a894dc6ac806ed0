/**
 * The diagnostics with the lag grid split between worker threads
 * (diagnostics-threads.ts) give the single-thread results bit for bit: every
 * summary row, μ_q(ℓ), orientation and H_N, for a grid that does not divide
 * evenly, float64 and float32 models, the wasm and the TypeScript engines.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ArchName, type ExperimentConfig } from '../../src-shared/config';
import { createKernels } from '../engine/backend';
import { createTsKernels } from '../engine/kernels/ts-kernels';
import { runDiagnostics } from '../engine/diagnostics/run-diagnostics';
import { createInitialisedModel } from '../engine/models';
import type { ModelShape } from '../engine/models/types';
import { SyntheticTask } from '../engine/task';
import { threadedLagExecutor } from './diagnostics-threads';

const cfg: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  Nseq_diag: 7, T: 30, D: 3, H: 5, lag_min: 1, lag_max: 25, num_lags: 7, N_grid: [10, 50, 100],
  min_samples_alpha: 40, alpha_method: 'ecf', task_lags: [2, 5], task_coeffs: [0.6, 0.4], w_seed: 4, const_s: 0.05,
} as ExperimentConfig;

function setup(arch: ArchName, precision: 'f32' | 'f64') {
  const shape: ModelShape = { arch, D: cfg.D, H: cfg.H, layernorm: arch !== 'diag', constS: cfg.const_s };
  const kernels = precision === 'f64' ? createTsKernels<Float64Array>('f64') : createKernels('auto', 'f32', 1 << 20);
  const model = createInitialisedModel(shape, { kernels, maxBatch: 3, maxT: cfg.T }, { seed: 2, orthInit: true });
  return { model, task: new SyntheticTask(cfg, 8) };
}

describe('diagnostics on lag threads', () => {
  const cases: [ArchName, 'f32' | 'f64', 'auto' | 'js'][] = [['const', 'f64', 'auto'], ['gru', 'f32', 'auto'], ['lstm', 'f32', 'js'], ['diag', 'f64', 'js']];
  for (const [arch, precision, engine] of cases) {
    it(`${arch} (${precision}, engine ${engine}): 3 threads give one thread's results exactly`, async () => {
      const { model, task } = setup(arch, precision);
      const one = await runDiagnostics(model, task, cfg, { engine, batchSize: 3 });
      const lagsDone: number[] = [];
      const three = await runDiagnostics(model, task, cfg, {
        engine, batchSize: 3, lagExecutor: threadedLagExecutor(3), onLag: (i) => lagsDone.push(i),
      });
      expect(three).toEqual(one);
      expect(three.summary.map((r) => r.ell)).toEqual(one.lags);
      expect(lagsDone).toEqual(one.lags.map((_, i) => i + 1));
      expect(one.summary.some((r) => Number.isFinite(r.alpha_hat))).toBe(true); // the comparison is not of empty rows
    });
  }

  it('more threads than lags: one per lag', async () => {
    const { model, task } = setup('shared', 'f64');
    const small = { ...cfg, num_lags: 2, lag_min: 3, lag_max: 9 } as ExperimentConfig;
    const one = await runDiagnostics(model, task, small, { batchSize: 3 });
    expect(await runDiagnostics(model, task, small, { batchSize: 3, lagExecutor: threadedLagExecutor(8) })).toEqual(one);
  });

  it('a cancellation thrown from the progress callbacks rejects the pass with that very error', async () => {
    const { model, task } = setup('const', 'f32');
    class Stop extends Error {}
    for (const where of ['batch', 'lag'] as const) {
      const stop = new Stop(where);
      const run = runDiagnostics(model, task, cfg, {
        batchSize: 3, lagExecutor: threadedLagExecutor(3),
        onBatch: (done) => { if (where === 'batch' && done > 3) throw stop; },
        onLag: (i) => { if (where === 'lag' && i === 2) throw stop; },
      });
      await expect(run).rejects.toBe(stop);
    }
  });

  it("a thread's failure rejects with its reason; a bad thread count is refused", async () => {
    const factory = threadedLagExecutor(2);
    await expect(factory({
      arch: 'const', H: 2, T: 10, lags: [3, 12], cfg, Bmax: 2, precision: 'f32',
    })).rejects.toThrow(/lag thread 1: diagnostics: lag 12 outside \[1, T-1\]/);
    expect(() => threadedLagExecutor(0)).toThrow(/positive integer \(got 0\)/);
  });
});

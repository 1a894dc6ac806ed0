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
import { fileURLToPath } from 'node:url';
import { threadedLagExecutor } from './diagnostics-threads';

const FAKE = fileURLToPath(new URL('./test/fake-lag-thread.mjs', import.meta.url));

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

describe('the two shared batch sets', () => {
  const spec = { arch: 'const' as const, H: 2, T: 4, lags: [1, 2], cfg, Bmax: 2, precision: 'f32' as const };
  const wOut = new Float32Array(2);

  it('a set is filled again only after every thread acknowledged the batch it held', async () => {
    process.env['LW_FAKE_LAG_BEHAVIOUR'] = 'stall-first';
    const exec = await threadedLagExecutor(1, FAKE)(spec);
    try {
      const first = exec.arrays;
      let t = performance.now();
      await exec.addBatch(2, wOut, 0); // set 0 handed over; set 1 is free at once
      expect(performance.now() - t).toBeLessThan(250);
      expect(exec.arrays).not.toBe(first);
      t = performance.now();
      await exec.addBatch(2, wOut, 0); // set 1 handed over; set 0 waits for the held acknowledgement
      expect(performance.now() - t).toBeGreaterThanOrEqual(250);
      expect(exec.arrays).toBe(first);
    } finally {
      delete process.env['LW_FAKE_LAG_BEHAVIOUR'];
      exec.dispose?.();
    }
  });

  it('a thread that dies with a batch queued fails the pass', async () => {
    process.env['LW_FAKE_LAG_BEHAVIOUR'] = 'die-second';
    const exec = await threadedLagExecutor(1, FAKE)(spec);
    try {
      await exec.addBatch(2, wOut, 0);
      await Promise.resolve(exec.addBatch(2, wOut, 0)).catch(() => {}); // may already see the death
      await expect(Promise.resolve(exec.finish())).rejects.toThrow(/exited \(code 3\)/);
    } finally {
      delete process.env['LW_FAKE_LAG_BEHAVIOUR'];
      exec.dispose?.();
    }
  });
});

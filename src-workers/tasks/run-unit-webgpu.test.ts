/**
 * A unit on the real WebGPU backend (src-workers/backends/webgpu, loaded by
 * runUnit's dynamic import), in-process and in a piscina worker thread (one
 * device per worker): it reports the backend and the adapter, trains the
 * CPU's learning curve to the GPU parity tolerance (1e-3 relative, issue 6),
 * and runs its diagnostics on the GPU model. On the software adapter
 * (SwiftShader, CI) the shapes stay tiny. Without an adapter these tests pass
 * after printing why, except under LW_REQUIRE_WEBGPU=1 (CI), where that is
 * a failure.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import type { RunUnitOutput } from './protocol';
import { createRunPool } from './pool';
import { importGpuBackend, runUnit } from './run-unit';

const cfg: ExperimentConfig = {
  ...presetConfig('smoke'), Nseq_train: 16, Nseq_diag: 16, T: 24, H: 8, lag_max: 12, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 2,
};

/** The adapter's name, or null (after printing why) when there is none and none is required. */
async function gpuOrSkip(): Promise<string | null> {
  const mod = await importGpuBackend(); // the module itself must load: it is part of this version
  try {
    const ctx = await mod.acquireGpu();
    return ctx.adapter.description || ctx.adapter.vendor;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (process.env['LW_REQUIRE_WEBGPU'] === '1') throw new Error(`LW_REQUIRE_WEBGPU=1 but ${why}`);
    console.warn(`run-unit-webgpu.test: no WebGPU device (${why}); nothing checked`);
    return null;
  }
}

function expectCloseCurves(gpu: RunUnitOutput, cpu: RunUnitOutput): void {
  expect(gpu.curve).toHaveLength(cpu.curve.length);
  gpu.curve.forEach((row, e) => {
    for (const k of ['train_loss', 'val_loss'] as const) {
      const want = cpu.curve[e]![k];
      expect(Math.abs(row[k] - want) / Math.abs(want), `epoch ${e} ${k}`).toBeLessThan(1e-3);
    }
  });
}

describe('runUnit on the WebGPU backend', () => {
  it('in-process: webgpu with the adapter named, the CPU curve to 1e-3, diagnostics done', async () => {
    if ((await gpuOrSkip()) === null) return;
    // two other GPU runs in their diagnostics: this one takes its share of the cores, and leaves the count as it was
    const load = new Int32Array(new SharedArrayBuffer(4));
    load[0] = 2;
    const seen = new Set<number>();
    const gpu = await runUnit(cfg, 'gru', 3, { emit: (m) => { if (m.type === 'diagnostics') seen.add(load[0]!); } }, { backend: 'webgpu', diagnosticsLoad: load });
    expect([...seen]).toEqual([3]); // counted while in its diagnostics
    expect(load[0]).toBe(2);
    const cpu = await runUnit(cfg, 'gru', 3);
    expect([gpu.backend, gpu.kernelsName, gpu.backendNote]).toEqual(['webgpu', 'webgpu', undefined]);
    expect(gpu.adapter).toBeTruthy();
    expectCloseCurves(gpu, cpu);
    expect(gpu.diagnosticsStatus).toBe('done');
    expect(gpu.diagnostics!.lags).toEqual(cpu.diagnostics!.lags);
  });

  it('in a pool worker thread (its own device), then a CPU unit in the same pool', async () => {
    if ((await gpuOrSkip()) === null) return;
    const pool = createRunPool({ workers: 1 });
    try {
      const gpu = await pool.run({ config: cfg, arch: 'lstm', seed: 4, backend: 'webgpu', diagnostics: false });
      const cpu = await pool.run({ config: cfg, arch: 'lstm', seed: 4, backend: 'cpu', diagnostics: false });
      expect([gpu.backend, gpu.kernelsName, cpu.backend, cpu.adapter]).toEqual(['webgpu', 'webgpu', 'cpu', undefined]);
      expectCloseCurves(gpu, cpu);
    } finally {
      await pool.destroy();
    }
  });
});

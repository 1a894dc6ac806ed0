/**
 * A unit on the real WebGPU backend (src-workers/backends/webgpu, loaded by
 * runUnit's dynamic import), in-process and in a piscina worker thread (one
 * device per worker): it reports the backend and the adapter, trains the
 * CPU's learning curve to the GPU parity tolerance (1e-3 relative, issue 6),
 * and runs its diagnostics on the GPU model. On the software adapter
 * (SwiftShader, CI) the shapes stay tiny. Without an adapter these tests pass
 * after printing why, except under LW_REQUIRE_WEBGPU=1 (CI), where that is
 * a failure. Kernel tunings: the stored tuning of the device's adapter is the
 * model's shape (model.tuning, source tuned) and the curve stays the CPU's;
 * a shape the device refuses (a workgroup above its limit) falls back to
 * the default shape with a note, in a worker thread too.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import { isKernelShape } from '../../src-shared/gpu-tuning';
import { presetConfig } from '../../src-shared/presets';
import type { RunUnitOutput } from './protocol';
import { createRunPool } from './pool';
import { importGpuBackend, runUnit } from './run-unit';

/** the device's adapter label (adapterLabel, as runs record it and tunings are keyed) */
async function adapterOf(): Promise<string> {
  const { adapterLabel } = await import('../backends/select');
  return adapterLabel((await (await importGpuBackend()).acquireGpu()).adapter);
}

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

describe('kernel tunings on the WebGPU backend', () => {
  it('in-process: the adapter\'s tuning is the model\'s shape (tuned), the CPU curve to 1e-3; another adapter\'s is ignored', async () => {
    if ((await gpuOrSkip()) === null) return;
    const adapter = await adapterOf();
    const shape = { workgroupSize: 32, seqsPerWorkgroup: 2, unroll: 1 } as const;
    const quick = { ...cfg, epochs: 1 };
    const gpu = await runUnit(quick, 'diag', 5, {}, {
      backend: 'webgpu', diagnostics: false, gpuTunings: [{ adapter: `not ${adapter}`, shape: { workgroupSize: 64, seqsPerWorkgroup: 4, unroll: 4 } }, { adapter, shape }],
    });
    const cpu = await runUnit(quick, 'diag', 5, {}, { diagnostics: false });
    expect([gpu.backend, gpu.kernelShape, gpu.kernelNote]).toEqual(['webgpu', { ...shape, source: 'tuned' }, undefined]);
    expectCloseCurves(gpu, cpu);
    const other = await runUnit(quick, 'diag', 5, {}, { backend: 'webgpu', diagnostics: false, gpuTunings: [{ adapter: `not ${adapter}`, shape }] });
    expect(other.kernelShape!.source).toBe('default');
    expect(other.kernelNote).toBeUndefined();
  });

  it('in a pool worker thread: a shape the device refuses falls back to the default shape with a note; the run completes', async () => {
    if ((await gpuOrSkip()) === null) return;
    const adapter = await adapterOf();
    const pool = createRunPool({ workers: 1 });
    try {
      const stale = { workgroupSize: 1024, seqsPerWorkgroup: 1, unroll: 'auto' } as const;
      const out = await pool.run({ config: { ...cfg, epochs: 1 }, arch: 'gru', seed: 6, backend: 'webgpu', diagnostics: false, gpuTunings: [{ adapter, shape: stale }] });
      expect([out.backend, out.kernelShape?.source, out.curve.length]).toEqual(['webgpu', 'default', 1]);
      expect(out.kernelShape!.workgroupSize).toBeLessThan(1024);
      expect(out.kernelNote).toContain(`the stored kernel tuning for ${adapter} (S 1, WG 1024, unroll auto) was refused by the device`);
    } finally {
      await pool.destroy();
    }
  });

  it('the pool\'s tuning task (the app\'s worker entry) on this device: a best shape per model shape, the stop flag honoured', async () => {
    if ((await gpuOrSkip()) === null) return;
    const adapter = await adapterOf();
    const pool = createRunPool({ workers: 1 });
    try {
      const req = {
        models: [{ arch: 'diag' as const, D: 2, H: 8, layernorm: false, constS: 0.05 }], batch: 4, T: 6, budgetSeconds: 10, reps: 1,
        allowSoftware: true, grid: { seqs: [1, 2], wg: [32], unroll: [1] },
      };
      const lines: string[] = [];
      const out = await pool.tune(req, (p) => lines.push(p.message));
      expect([out.adapter, out.cancelled, out.batch, out.T]).toEqual([adapter, false, 4, 6]);
      const [r] = out.results;
      expect(isKernelShape(r!.best)).toBe(true);
      // the step times re-derived from the lines that came over the port (0.1 ms rounding): the best's the fastest, the default's its line's
      const steps = lines.map((m) => / step (\d+\.\d) ms$/.exec(m)?.[1]).filter((v) => v !== undefined).map(Number);
      expect(Number(r!.stepMs!.toFixed(1))).toBe(Math.min(...steps));
      expect(lines.filter((m) => m.endsWith(` (default): step ${r!.defaultStepMs!.toFixed(1)} ms`))).toHaveLength(1);
      expect(lines.length).toBeGreaterThanOrEqual(r!.tried + r!.refused);
      // stopped before it begins: nothing measured beyond what the flag allowed
      const flag = new SharedArrayBuffer(4);
      Atomics.store(new Int32Array(flag), 0, 1);
      expect((await pool.tune(req, undefined, flag)).cancelled).toBe(true);
    } finally {
      await pool.destroy();
    }
  });
});

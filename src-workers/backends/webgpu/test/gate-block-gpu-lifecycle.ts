/**
 * Life-cycle tests shared by the gate-block GPU models (LSTM, GRU): a model
 * reused for several training steps of different shapes, evaluation and
 * tangent passes between forward(train) and backward(), the error of a
 * configuration over the device's binding limit, and dispose().
 * Gradients are compared with the float64 CPU model (the reference the
 * finite-difference tests of engine/models check).
 */
import { expect, it } from 'vitest';
import { createTsKernels } from '../../../engine/kernels/ts-kernels';
import { createInitialisedModel } from '../../../engine/models/index';
import { RECORDED_TERMS, type Model, type ModelShape } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import type { GateBlockGpuModel } from '../gate-block-gpu';
import type { GpuContext, GpuModel, GpuModelFactory } from '../types';
import { relErr } from './parity';

const TOL = 1e-4;

function gaussians(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.fround(scale * rng.gaussian());
  return a;
}

interface Pair {
  cpu: Model<Float64Array>;
  gpu: GpuModel;
  rng: Rng;
}

function makePair(ctx: GpuContext, factory: GpuModelFactory, shape: ModelShape, maxBatch: number, maxT: number, seed: number): Pair {
  const cpu = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT }, { seed, orthInit: true });
  const rng = new Rng(seed + 7);
  for (let i = 0; i < cpu.layout.size; i++) cpu.params[i] = Math.fround(cpu.params[i]! + 0.3 * rng.gaussian());
  const gpu = factory(ctx, shape, { maxBatch, maxT, tuning: { workgroupSize: 8, seqsPerWorkgroup: 2 } });
  // the model reports the kernel shape it was forced to (benchmarks record it)
  if (gpu.tuning.workgroupSize !== 8 || gpu.tuning.seqsPerWorkgroup !== 2) {
    throw new Error(`kernel shape ${JSON.stringify(gpu.tuning)} instead of the forced 8 threads × 2 sequences`);
  }
  gpu.params.set(cpu.params);
  return { cpu, gpu, rng };
}

/** One training step on both models with fresh inputs; returns the largest per-tensor relative gradient error. */
async function trainStep(p: Pair, B: number, T: number): Promise<{ worst: number; yErr: number }> {
  const { cpu, gpu, rng } = p;
  const D = cpu.shape.D;
  const x = gaussians(rng, T * B * D);
  const dy = gaussians(rng, T * B, 1 / Math.sqrt(T * B));
  const y64 = new Float64Array(T * B), y32 = new Float32Array(T * B);
  cpu.forward(x, B, T, y64, { train: true });
  await gpu.forward(Float32Array.from(x), B, T, y32, { train: true });
  cpu.backward(dy);
  await gpu.backward(Float32Array.from(dy));
  let worst = 0;
  for (const t of cpu.layout.tensors) worst = Math.max(worst, relErr(gpu.grads, cpu.grads, t.size, t.offset));
  return { worst, yErr: relErr(y32, y64) };
}

/** The shared tests (call inside a describe that has a GPU context). */
export function describeGateBlockLifecycle(arch: 'lstm' | 'gru', getCtx: () => GpuContext, factory: GpuModelFactory): void {
  const shape: ModelShape = { arch, D: 3, H: 10, layernorm: true, constS: 0.05 };

  it('reuses one model for training steps of different batch sizes and lengths (uniforms and caches per call)', async () => {
    const p = makePair(getCtx(), factory, shape, 5, 8, 21);
    try {
      for (const [B, T] of [[5, 8], [2, 3], [5, 8], [3, 6]] as const) {
        // the optimiser changes the parameters in place between steps: both models see the same change
        for (let i = 0; i < p.cpu.layout.size; i++) {
          const v = Math.fround(p.cpu.params[i]! * 0.9 + 0.01);
          p.cpu.params[i] = v;
          p.gpu.params[i] = v;
        }
        const { worst, yErr } = await trainStep(p, B, T);
        expect(yErr, `ŷ at B=${B}, T=${T}`).toBeLessThan(TOL);
        expect(worst, `gradients at B=${B}, T=${T}`).toBeLessThan(TOL);
      }
    } finally {
      p.gpu.dispose();
    }
  });

  it('an evaluation forward and a tangent between forward(train) and backward() leave the gradients unchanged', async () => {
    const ctx = getCtx();
    const p = makePair(ctx, factory, shape, 4, 6, 33);
    const { gpu } = p;
    const B = 4, T = 6, H = shape.H, D = shape.D;
    try {
      const x = Float32Array.from(gaussians(p.rng, T * B * D));
      const dy = Float32Array.from(gaussians(p.rng, T * B, 0.2));
      const y = new Float32Array(T * B);
      await gpu.forward(x, B, T, y, { train: true });
      await gpu.backward(dy);
      const ref = Float32Array.from(gpu.grads);
      await expect(gpu.backward(dy)).rejects.toThrow(/no cached forward/);

      await gpu.forward(x, B, T, y, { train: true });
      // a different batch and inputs in between, with every optional output
      const x2 = Float32Array.from(gaussians(p.rng, 6 * 3 * D));
      const rec: Record<string, Float32Array> = {};
      for (const t of RECORDED_TERMS[arch]) rec[t] = new Float32Array(6 * 3 * H);
      await gpu.forward(x2, 3, 6, new Float32Array(18), { train: false, record: rec, hidden: new Float32Array(6 * 3 * H) });
      const dir = Float32Array.from(gaussians(p.rng, gpu.layout.size, 0.1));
      await gpu.tangent(x2, 3, 6, dir, new Float32Array(6 * 3 * H), new Float32Array(6 * 3 * H));
      await gpu.backward(dy);
      expect(Array.from(gpu.grads)).toEqual(Array.from(ref));
    } finally {
      gpu.dispose();
    }
  });

  it('a configuration over the device binding limit fails with createStorage\'s RangeError', () => {
    const ctx = getCtx();
    const limit = Math.min(ctx.limits.maxStorageBindingBytes, ctx.limits.maxBufferBytes);
    // gates [T][B][nG·H] floats: choose maxT so that they exceed the limit
    const H = 64, maxBatch = 512, nG = arch === 'lstm' ? 4 : 3;
    const maxT = Math.ceil(limit / (4 * maxBatch * nG * H)) + 1;
    expect(() => factory(ctx, { ...shape, H }, { maxBatch, maxT })).toThrow(/GPU buffer '.*gates' needs .* MiB but .* binds at most/);
  });

  it('rejects kernel shapes the device cannot run before allocating anything', () => {
    const ctx = getCtx();
    const opts = { maxBatch: 4, maxT: 3 };
    expect(() => factory(ctx, shape, { ...opts, tuning: { workgroupSize: 12 } })).toThrow(/power of two/);
    expect(() => factory(ctx, shape, { ...opts, tuning: { workgroupSize: 2 * ctx.limits.maxInvocationsPerWorkgroup } })).toThrow(/power of two ≤/);
    // S·H floats of workgroup rows alone exceed the workgroup memory
    const S = Math.ceil(ctx.limits.maxWorkgroupStorageBytes / (4 * shape.H)) + 1;
    expect(() => factory(ctx, shape, { ...opts, tuning: { seqsPerWorkgroup: S } })).toThrow(/workgroup memory/);
    expect(() => factory(ctx, shape, { ...opts, tuning: { seqsPerWorkgroup: 0 } })).toThrow(/positive integer/);
  });

  it('dispose() releases every device buffer; a second dispose is harmless; later calls fail clearly', async () => {
    const p = makePair(getCtx(), factory, shape, 2, 3, 3);
    const gpu = p.gpu as GpuModel & Pick<GateBlockGpuModel, 'bufferCount'>;
    const x = new Float32Array(3 * 2 * shape.D).fill(0.5);
    await gpu.tangent(x, 2, 3, new Float32Array(gpu.layout.size).fill(0.01), new Float32Array(3 * 2 * shape.H));
    expect(gpu.bufferCount).toBeGreaterThan(0);
    gpu.dispose();
    expect(gpu.bufferCount).toBe(0);
    expect(() => gpu.dispose()).not.toThrow();
    await expect(gpu.forward(x, 2, 3, new Float32Array(6), { train: false })).rejects.toThrow(/after dispose/);
  });
}

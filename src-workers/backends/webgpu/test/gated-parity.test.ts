/**
 * The const / shared / diag GPU models (gated-gpu.ts) against the float64
 * TypeScript CPU model (engine/models/gated.ts, itself checked against finite
 * differences): every output, recorded §4.1 term, gradient tensor and tangent
 * to 1e-4 relative, on the default kernel shape and on forced shapes that
 * exercise the general paths (H not a power of two and larger than the
 * workgroup, several sequences per workgroup with B not a multiple of them,
 * D larger than the workgroup for the shared gate's input dot product).
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../../../engine/kernels/ts-kernels';
import { createInitialisedModel } from '../../../engine/models/index';
import type { Arch, ModelShape } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import { createGatedGpuModel } from '../gated-gpu';
import { readRegions } from '../runtime';
import type { GpuModel, GpuModelFactory, GpuModelOptions } from '../types';
import { testGpu } from './gpu-test-context';
import { parityFailures, relErr, runParity } from './parity';

const { ctx } = await testGpu();

type Tuning = NonNullable<GpuModelOptions['tuning']>;
type InspectableModel = GpuModel & { deviceBuffers: readonly GPUBuffer[] };

function factory(tuning?: Tuning): GpuModelFactory {
  return (c, shape, o) => createGatedGpuModel(c, shape, tuning ? { ...o, tuning } : o);
}

const GATED: Arch[] = ['const', 'shared', 'diag'];

/** Float32-representable Gaussians (the same numbers for both models). */
function gaussians(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.fround(scale * rng.gaussian());
  return a;
}

describe.skipIf(!ctx)('gated GPU models reproduce the float64 CPU model (software adapter in CI)', () => {
  const g = ctx!;

  for (const arch of GATED) {
    for (const layernorm of [false, true]) {
      it(`${arch}${layernorm ? ' + LayerNorm' : ''}: default kernel shape, B = 5 over 4 sequences per workgroup`, async () => {
        const r = await runParity(g, factory(), { arch, D: 3, H: 6, B: 5, T: 7, layernorm });
        expect(parityFailures(r, 1e-4)).toEqual([]);
      });
    }
  }

  const forced: { arch: Arch; layernorm: boolean }[] = [
    { arch: 'const', layernorm: true },
    { arch: 'shared', layernorm: true },
    { arch: 'diag', layernorm: true },
    { arch: 'shared', layernorm: false },
    { arch: 'diag', layernorm: false },
  ];
  for (const { arch, layernorm } of forced) {
    it(`${arch}${layernorm ? ' + LayerNorm' : ''}: H = 20 over 8 threads, 3 sequences per workgroup, B = 5, D = 10, const_s 0.3`, async () => {
      const r = await runParity(g, factory({ workgroupSize: 8, seqsPerWorkgroup: 3 }), {
        arch, D: 10, H: 20, B: 5, T: 6, layernorm, constS: 0.3, seed: 5,
      });
      expect(parityFailures(r, 1e-4)).toEqual([]);
    });
  }

  it('chooses a power-of-two workgroup and several sequences per workgroup by default', () => {
    const m = createGatedGpuModel(g, { arch: 'diag', D: 3, H: 20, layernorm: true, constS: 0.1 }, { maxBatch: 16, maxT: 4 }) as InspectableModel;
    try {
      expect(m.tuning.workgroupSize).toBe(32);
      expect(m.tuning.seqsPerWorkgroup).toBeGreaterThan(1);
    } finally {
      m.dispose();
    }
  });

  it('two training steps on one model; an evaluation and a tangent between forward(train) and backward() change nothing', async () => {
    const shape: ModelShape = { arch: 'diag', D: 3, H: 6, layernorm: true, constS: 0.05 };
    const maxBatch = 5, maxT = 8;
    const cpu = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT }, { seed: 3, orthInit: true });
    const rng = new Rng(77);
    const P = cpu.layout.size;
    for (let i = 0; i < P; i++) cpu.params[i] = Math.fround(cpu.params[i]! + 0.3 * rng.gaussian());
    const gpu = createGatedGpuModel(g, shape, { maxBatch, maxT, tuning: { seqsPerWorkgroup: 2 } });
    try {
      const sync = (): void => { for (let i = 0; i < P; i++) gpu.params[i] = cpu.params[i]!; };
      const trainStep = async (B: number, T: number, between: boolean): Promise<{ y: Float32Array; y64: Float64Array; grads: Float32Array }> => {
        const x = gaussians(rng, T * B * shape.D);
        const dy = gaussians(rng, T * B, 1 / Math.sqrt(T * B));
        const n = T * B * shape.H;
        const y64 = new Float64Array(T * B), y = new Float32Array(T * B);
        // without the interleaved passes, the training forward also returns h_t and the §4.1 terms
        const rec64 = { leak: new Float64Array(n), rdiag: new Float64Array(n) }, h64 = new Float64Array(n);
        const rec32 = { leak: new Float32Array(n), rdiag: new Float32Array(n) }, h32 = new Float32Array(n);
        cpu.forward(x, B, T, y64, between ? { train: true } : { train: true, record: rec64, hidden: h64 });
        cpu.backward(dy);
        sync();
        await gpu.forward(Float32Array.from(x), B, T, y, between ? { train: true } : { train: true, record: rec32, hidden: h32 });
        if (!between) {
          expect(relErr(h32, h64)).toBeLessThan(1e-4);
          expect(relErr(rec32.leak, rec64.leak)).toBeLessThan(1e-4);
          expect(relErr(rec32.rdiag, rec64.rdiag)).toBeLessThan(1e-4);
        }
        if (between) {
          // other inputs, another batch and length, every optional output
          const Be = 3, Te = 4, n = Be * Te;
          const xe = Float32Array.from(gaussians(rng, n * shape.D));
          const rec = { leak: new Float32Array(n * shape.H), rdiag: new Float32Array(n * shape.H) };
          await gpu.forward(xe, Be, Te, new Float32Array(n), { train: false, record: rec, hidden: new Float32Array(n * shape.H) });
          const dir = Float32Array.from(gaussians(rng, P, 0.1));
          await gpu.tangent(xe, Be, Te, dir, new Float32Array(n * shape.H), new Float32Array(n * shape.H));
        }
        await gpu.backward(Float32Array.from(dy));
        return { y, y64, grads: Float32Array.from(gpu.grads) };
      };
      const checkGrads = (got: Float32Array, label: string): void => {
        for (const t of cpu.layout.tensors) {
          expect(relErr(got, cpu.grads, t.size, t.offset), `${label}: ${t.name}`).toBeLessThan(1e-4);
        }
      };

      // step 1 with an evaluation and a tangent in between, then the same step without
      const replay = new Rng(500);
      const xs = gaussians(replay, 5 * 8 * shape.D);
      const dys = gaussians(replay, 5 * 8, 0.1);
      const y64 = new Float64Array(40);
      cpu.forward(xs, 5, 8, y64, { train: true });
      cpu.backward(dys);
      sync();
      const yA = new Float32Array(40), yB = new Float32Array(40);
      await gpu.forward(Float32Array.from(xs), 5, 8, yA, { train: true });
      const xe = Float32Array.from(gaussians(rng, 12 * shape.D));
      await gpu.forward(xe, 3, 4, new Float32Array(12), {
        train: false, record: { leak: new Float32Array(72), rdiag: new Float32Array(72) }, hidden: new Float32Array(72),
      });
      await gpu.tangent(xe, 3, 4, Float32Array.from(gaussians(rng, P, 0.1)), new Float32Array(72), new Float32Array(72));
      await gpu.backward(Float32Array.from(dys));
      const gradsBetween = Float32Array.from(gpu.grads);
      await gpu.forward(Float32Array.from(xs), 5, 8, yB, { train: true });
      await gpu.backward(Float32Array.from(dys));
      expect(gradsBetween).toEqual(gpu.grads); // bit for bit: the interleaved passes touched no cache
      expect(yA).toEqual(yB);
      expect(relErr(yA, y64)).toBeLessThan(1e-4);
      checkGrads(gpu.grads, 'step 1');

      // an optimiser step on both, then a second step with a smaller batch and length
      for (let i = 0; i < P; i++) cpu.params[i] = Math.fround(cpu.params[i]! - 0.5 * cpu.grads[i]!);
      const s2 = await trainStep(3, 5, true);
      expect(relErr(s2.y, s2.y64)).toBeLessThan(1e-4);
      checkGrads(s2.grads, 'step 2');
      const s3 = await trainStep(5, 8, false);
      expect(relErr(s3.y, s3.y64)).toBeLessThan(1e-4);
      checkGrads(s3.grads, 'step 3');

      // the caches are consumed by backward
      await expect(gpu.backward(new Float32Array(40))).rejects.toThrow(/forward\(train: true\)/);
    } finally {
      gpu.dispose();
    }
  });

  it('dispose() destroys the buffers, a second dispose is harmless, and later passes reject', async () => {
    const shape: ModelShape = { arch: 'shared', D: 2, H: 4, layernorm: false, constS: 0.2 };
    const m = createGatedGpuModel(g, shape, { maxBatch: 2, maxT: 3 }) as InspectableModel;
    const x = new Float32Array(12).fill(0.5);
    const y = new Float32Array(6);
    await m.forward(x, 2, 3, y, { train: false });
    // ŷ of a zero-parameter model: b_out = 0
    expect([...y]).toEqual([0, 0, 0, 0, 0, 0]);
    const bufs = [...m.deviceBuffers];
    expect(bufs.length).toBeGreaterThan(0);
    m.dispose();
    m.dispose();
    expect(m.deviceBuffers).toHaveLength(0);
    await expect(m.forward(x, 2, 3, y, { train: false })).rejects.toThrow(/disposed/);
    await expect(m.tangent(x, 2, 3, new Float32Array(m.layout.size), new Float32Array(24))).rejects.toThrow(/disposed/);
    // the device refuses a destroyed buffer
    await expect(readRegions(g, [{ buf: bufs[0]!, n: 1, into: new Float32Array(1) }])).rejects.toThrow();
  });

  it('a configuration beyond the device binding limit fails with createStorage\'s RangeError, naming the buffer', () => {
    const limit = Math.min(g.limits.maxStorageBindingBytes, g.limits.maxBufferBytes);
    const H = 128, maxT = 1024;
    const maxBatch = Math.ceil(limit / (4 * H * (maxT + 1))) + 1;
    expect(() => createGatedGpuModel(g, { arch: 'diag', D: 16, H, layernorm: true, constS: 0.05 }, { maxBatch, maxT }))
      .toThrow(/'diag h cache' needs .* MiB/);
  });
});

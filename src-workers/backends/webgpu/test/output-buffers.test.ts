/**
 * The per-call output buffers of the GPU models (hidden states, recorded
 * §4.1 terms, tangents) are sized by the call, not by maxBatch, and replaced
 * by a larger one only when a call needs more: the diagnostics run batches of
 * 64 sequences on a model built for the training batch (512 at the paper
 * size), which would otherwise hold five maxBatch-sized outputs (1.25 GiB for
 * an LSTM) for nothing. Checked: a sequence of calls with growing and
 * shrinking batches gives the float64 CPU model's values every time, the
 * buffer count stays put (replaced, not added), and the outputs' memory
 * follows the largest call, not maxBatch.
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../../../engine/kernels/ts-kernels';
import { createInitialisedModel } from '../../../engine/models/index';
import { RECORDED_TERMS, type Arch, type ModelShape } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import { GateBlockGpuModel } from '../gate-block-gpu';
import { createGpuModel } from '../index';
import type { GpuModel } from '../types';
import { testGpu } from './gpu-test-context';
import { relErr } from './parity';

const { ctx } = await testGpu();

/** Bytes of the device buffers a model holds now (both host kinds expose them for tests). */
function heldBytes(m: GpuModel): number {
  if (m instanceof GateBlockGpuModel) return m.bufferBytes;
  return (m as GpuModel & { deviceBuffers: readonly GPUBuffer[] }).deviceBuffers.reduce((s, b) => s + b.size, 0);
}

function heldCount(m: GpuModel): number {
  if (m instanceof GateBlockGpuModel) return m.bufferCount;
  return (m as GpuModel & { deviceBuffers: readonly GPUBuffer[] }).deviceBuffers.length;
}

describe.skipIf(!ctx)('GPU models: per-call outputs sized by the call', () => {
  const g = ctx!;

  it.each(['lstm', 'gru', 'diag', 'shared', 'const'] as Arch[])('%s: batches 2, 7, 3 of a model built for 16', async (arch) => {
    const D = 3, H = 10, T = 6, maxBatch = 16;
    const shape: ModelShape = { arch, D, H, layernorm: true, constS: 0.1 };
    const cpu = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT: T }, { seed: 4, orthInit: true });
    const rng = new Rng(9);
    for (let i = 0; i < cpu.layout.size; i++) cpu.params[i] = Math.fround(cpu.params[i]! + 0.3 * rng.gaussian());
    const gpu = createGpuModel(g, shape, { maxBatch, maxT: T });
    try {
      gpu.params.set(cpu.params);
      const dir64 = Float64Array.from({ length: cpu.layout.size }, () => Math.fround(rng.gaussian() / Math.sqrt(cpu.layout.size)));
      const dir32 = Float32Array.from(dir64);
      const terms = RECORDED_TERMS[arch];
      const counts: number[] = [];
      const bytes: number[] = [];
      const built = heldBytes(gpu);
      for (const B of [2, 7, 3]) {
        const n = T * B;
        const x64 = Float64Array.from({ length: n * D }, () => Math.fround(rng.gaussian()));
        const x32 = Float32Array.from(x64);
        const rec64: Record<string, Float64Array> = {}, rec32: Record<string, Float32Array> = {};
        for (const t of terms) { rec64[t] = new Float64Array(n * H); rec32[t] = new Float32Array(n * H); }
        const h64 = new Float64Array(n * H), h32 = new Float32Array(n * H);
        const y64 = new Float64Array(n), y32 = new Float32Array(n);
        cpu.forward(x64, B, T, y64, { train: false, record: rec64, hidden: h64 });
        await gpu.forward(x32, B, T, y32, { train: false, record: rec32, hidden: h32 });
        expect(relErr(y32, y64), `yhat B=${B}`).toBeLessThan(1e-4);
        expect(relErr(h32, h64), `hidden B=${B}`).toBeLessThan(1e-4);
        for (const t of terms) expect(relErr(rec32[t]!, rec64[t]!), `${t} B=${B}`).toBeLessThan(1e-4);
        const v64 = new Float64Array(n * H), v32 = new Float32Array(n * H);
        cpu.tangent(x64, B, T, dir64, v64, h64);
        await gpu.tangent(x32, B, T, dir32, v32, h32);
        expect(relErr(v32, v64), `v B=${B}`).toBeLessThan(1e-4);
        expect(relErr(h32, h64), `hidden (tangent) B=${B}`).toBeLessThan(1e-4);
        counts.push(heldCount(gpu));
        bytes.push(heldBytes(gpu));
      }
      // the outputs (hidden, the 2 or 3 recorded terms, v: at most 5) of a call of B sequences take at most
      // 5·⌈T·B·H/4⌉·16 bytes (createStorage rounds to 16 B); maxBatch-sized ones would take 5·T·16·H·4
      const outputs = (B: number) => 5 * Math.ceil((T * B * H) / 4) * 16;
      expect(bytes[0]! - built).toBeGreaterThan(0);
      expect(bytes[0]! - built).toBeLessThanOrEqual(outputs(2));
      // B = 2 → 7 grows them (replaced: same count), 7 → 3 keeps them
      expect(counts[1]).toBe(counts[0]);
      expect(counts[2]).toBe(counts[1]);
      expect(bytes[1]).toBeGreaterThan(bytes[0]!);
      expect(bytes[1]! - built).toBeLessThanOrEqual(outputs(7));
      expect(bytes[2]).toBe(bytes[1]);
    } finally {
      gpu.dispose();
    }
  });

  it.each(['lstm', 'gru', 'diag', 'shared', 'const'] as Arch[])(
    '%s: a resident store with a term reserve makes the gate statistics\' outputs first; their pass then adds nothing',
    async (arch) => {
      const D = 3, H = 10, T = 6, maxBatch = 16, termSeqs = 5;
      const shape: ModelShape = { arch, D, H, layernorm: true, constS: 0.1 };
      const nTerms = RECORDED_TERMS[arch].length;
      const rng = new Rng(3);
      const x = Float32Array.from({ length: T * termSeqs * D }, () => rng.gaussian());
      const y = new Float32Array(T * termSeqs);
      const rows = Int32Array.from({ length: termSeqs }, (_, i) => i);
      const pass = async (m: GpuModel): Promise<Float64Array> => {
        const sums = new Float64Array(nTerms);
        await m.forward(x, termSeqs, T, new Float32Array(T * termSeqs), { train: false, termSums: sums, rows });
        return sums;
      };
      const reserved = createGpuModel(g, shape, { maxBatch, maxT: T });
      const plain = createGpuModel(g, shape, { maxBatch, maxT: T });
      try {
        const built = heldBytes(reserved);
        // the order of the allocations: every reserved output before the store
        const made: string[] = [];
        const dev = g.device as GPUDevice & { createBuffer: GPUDevice['createBuffer'] };
        const own = Object.getOwnPropertyDescriptor(dev, 'createBuffer');
        const create = dev.createBuffer.bind(dev);
        dev.createBuffer = (d: GPUBufferDescriptor) => {
          made.push(d.label ?? '');
          return create(d);
        };
        let store;
        try {
          store = await reserved.createResidentInputs(20, { termSeqs });
        } finally {
          if (own) Object.defineProperty(dev, 'createBuffer', own);
          else delete (dev as Partial<typeof dev>).createBuffer;
        }
        expect(store).not.toBeNull();
        const firstStore = made.findIndex((l) => l.startsWith('resident inputs'));
        const outputs = made.filter((l) => / (record \d|output [23])$/.test(l));
        expect(outputs.length, made.join(', ')).toBe(nTerms);
        expect(firstStore, made.join(', ')).toBeGreaterThan(Math.max(...outputs.map((l) => made.indexOf(l))));
        store!.write(0, termSeqs, x, y);
        // the term outputs (2 or 3 of T·termSeqs·H floats, rounded to 16 B) are held before any pass
        const outputBytes = nTerms * Math.ceil((T * termSeqs * H) / 4) * 16;
        expect(heldBytes(reserved) - built).toBe(outputBytes);
        const count = heldCount(reserved), bytes = heldBytes(reserved);
        const sums = await pass(reserved);
        expect(heldCount(reserved)).toBe(count);
        expect(heldBytes(reserved)).toBe(bytes);
        // the same pass on a store made without the reserve makes them then, and sums the same terms
        const plainStore = await plain.createResidentInputs(20);
        plainStore!.write(0, termSeqs, x, y);
        const plainBuilt = heldBytes(plain);
        expect(Array.from(await pass(plain))).toEqual(Array.from(sums));
        expect(heldBytes(plain) - plainBuilt).toBe(outputBytes);
      } finally {
        reserved.dispose();
        plain.dispose();
      }
    },
  );
});

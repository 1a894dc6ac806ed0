/**
 * Resident inputs (resident-inputs.ts): sequences stored on the device and
 * gathered by index give a forward pass exactly the inputs the host would
 * have copied. The gather is a copy, so every comparison here is exact:
 * stored-and-gathered x equals the host's x bit for bit, and every output of
 * a forward (and the gradients of the backward after it) through `rows`
 * equals that of the same forward fed x.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../../engine/models/params';
import { RECORDED_TERMS, type Arch } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import { createGpuModel } from '../index';
import { GpuResidentInputs } from '../resident-inputs';
import { createStorage, readRegions } from '../runtime';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

function gaussian(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.gaussian());
}

/** Host reference: x[t][b][d] of sequences rows[b] from a sequence-major [S][T][D] array, first T' steps. */
function gatherHost(seqs: Float32Array, Tstore: number, D: number, rows: number[], T: number): Float32Array {
  const B = rows.length;
  const out = new Float32Array(T * B * D);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < D; d++) out[(t * B + b) * D + d] = seqs[(rows[b]! * Tstore + t) * D + d]!;
    }
  }
  return out;
}

/** The time-major [T][count][D] batch of sequences first … first+count−1 of a sequence-major array (what task.fill writes). */
function timeMajor(seqs: Float32Array, T: number, D: number, first: number, count: number): Float32Array {
  return gatherHost(seqs, T, D, Array.from({ length: count }, (_, i) => first + i), T);
}

describe.skipIf(!ctx)('resident inputs: store and gather', () => {
  const S = 11;
  const T = 7;
  const D = 3;
  const seqs = gaussian(S * T * D, 5);

  it('gathers any rows (repeated, out of order, T below the stored length) exactly as stored', async () => {
    const store = (await GpuResidentInputs.create(ctx!, S, T, D, 6))!;
    expect(store).not.toBeNull();
    try {
      // written in three uneven parts, out of order
      store.write(4, 5, timeMajor(seqs, T, D, 4, 5), new Float32Array(T * 5));
      store.write(0, 4, timeMajor(seqs, T, D, 0, 4), new Float32Array(T * 4));
      store.write(9, 2, timeMajor(seqs, T, D, 9, 2), new Float32Array(T * 2));
      for (const [rows, Tc] of [[[10, 0, 3, 3, 7, 1], T], [[2, 9], 5], [[6], 1]] as const) {
        const dst = createStorage(ctx!, T * 6 * D, 'gather test');
        const enc = ctx!.device.createCommandEncoder();
        store.encodeGather(enc, rows, rows.length, Tc, dst);
        const got = new Float32Array(Tc * rows.length * D);
        await readRegions(ctx!, [{ buf: dst, n: got.length, into: got }], enc);
        dst.destroy();
        expect(got).toEqual(gatherHost(seqs, T, D, [...rows], Tc));
      }
    } finally {
      store.dispose();
    }
  });

  it('one gather per command encoder: its rows are written at queue time, a second would overwrite them', async () => {
    const store = (await GpuResidentInputs.create(ctx!, S, T, D, 4))!;
    try {
      const dst = createStorage(ctx!, T * 4 * D, 'gather test');
      const enc = ctx!.device.createCommandEncoder();
      store.encodeGather(enc, [0, 1], 2, T, dst);
      expect(() => store.encodeGather(enc, [2, 3], 2, T, dst)).toThrow(/second gather in one command encoder/);
      dst.destroy();
    } finally {
      store.dispose();
    }
  });

  it('refuses what lies outside the store, with the bounds in the message', async () => {
    const store = (await GpuResidentInputs.create(ctx!, S, T, D, 4))!;
    try {
      const dst = createStorage(ctx!, T * 4 * D, 'gather test');
      const enc = ctx!.device.createCommandEncoder();
      expect(() => store.encodeGather(enc, [0, S], 2, T, dst)).toThrow(/row 11 \(batch entry 1\) outside \[0, 11\)/);
      expect(() => store.encodeGather(enc, [0, 1, 2, 3, 4], 5, T, dst)).toThrow(/batch of 5 exceeds the 4/);
      expect(() => store.encodeGather(enc, [0], 1, T + 1, dst)).toThrow(/T = 8 exceeds the stored 7/);
      expect(() => store.write(10, 2, new Float32Array(T * 2 * D), new Float32Array(T * 2))).toThrow(/\[10, 12\) outside the store's \[0, 11\)/);
      expect(() => store.write(0, 2, new Float32Array(T * D), new Float32Array(T * 2))).toThrow(/2 sequences need 42/);
      expect(() => store.write(0, 2, new Float32Array(T * 2 * D), new Float32Array(T))).toThrow(/y has 7 entries, 2 sequences need 14/);
      dst.destroy();
    } finally {
      store.dispose();
    }
    expect(() => store.write(0, 1, new Float32Array(T * D), new Float32Array(T))).toThrow(/after dispose/);
  });

  it('is null when the device cannot bind that much (the caller streams from the host)', async () => {
    const maxFloats = Math.min(ctx!.limits.maxStorageBindingBytes, ctx!.limits.maxBufferBytes) / 4;
    const T2 = 1024;
    const D2 = 64;
    const capacity = Math.ceil(maxFloats / (T2 * D2)) + 1;
    expect(await GpuResidentInputs.create(ctx!, capacity, T2, D2, 8)).toBeNull();
  });
});

const ARCHS: Arch[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

describe.skipIf(!ctx)('resident inputs: a forward through rows is the forward fed x', () => {
  for (const arch of ARCHS) {
    it(`${arch}: ŷ, hidden, the §4.1 terms and the gradients are identical`, async () => {
      const D = 3;
      const H = 6;
      const T = 9;
      const maxBatch = 5;
      const nSeq = 8;
      const shape = { arch, D, H, layernorm: arch !== 'diag', constS: 0.05 };
      const model = createGpuModel(ctx!, shape, { maxBatch, maxT: T });
      try {
        initParams(model.layout, model.params, { seed: 3, orthInit: true, constS: 0.05 });
        const seqs = gaussian(nSeq * T * D, 17);
        const store = (await model.createResidentInputs(nSeq))!;
        expect(store.capacity).toBe(nSeq);
        store.write(0, nSeq, timeMajor(seqs, T, D, 0, nSeq), new Float32Array(T * nSeq));

        const rows = [6, 2, 7, 0];
        const B = rows.length;
        const Tc = T - 2;
        const x = gatherHost(seqs, T, D, rows, Tc);
        const n = Tc * B;
        const run = async (useRows: boolean) => {
          const xIn = useRows ? new Float32Array(0) : x; // through rows, x is not read
          const opt = useRows ? { rows } : {};
          const yEval = new Float32Array(n);
          const hidden = new Float32Array(n * H);
          const record: Record<string, Float32Array> = {};
          for (const name of RECORDED_TERMS[arch]) record[name] = new Float32Array(n * H);
          await model.forward(xIn, B, Tc, yEval, { train: false, hidden, record, ...opt });
          const yTrain = new Float32Array(n);
          await model.forward(xIn, B, Tc, yTrain, { train: true, ...opt });
          const dy = gaussian(n, 29);
          await model.backward(dy);
          return { yEval, hidden, record, yTrain, grads: Float32Array.from(model.grads) };
        };
        // the gathered run first, after passes on other inputs: a gather that wrote nothing, or into the wrong
        // buffer, leaves those inputs in place and cannot match the fed run
        const other = gaussian(x.length, 41);
        await model.forward(other, B, Tc, new Float32Array(n), { train: true });
        await model.backward(new Float32Array(n));
        await model.forward(other, B, Tc, new Float32Array(n), { train: false });
        const gathered = await run(true);
        const fed = await run(false);
        expect(gathered.yEval).toEqual(fed.yEval);
        expect(gathered.hidden).toEqual(fed.hidden);
        for (const name of RECORDED_TERMS[arch]) expect(gathered.record[name], name).toEqual(fed.record[name]);
        expect(gathered.yTrain).toEqual(fed.yTrain);
        expect(gathered.grads).toEqual(fed.grads);
        // and the forward's output is not trivially equal: the inputs matter
        expect(fed.yEval.some((v) => v !== 0)).toBe(true);
      } finally {
        model.dispose();
      }
    });
  }

  it('a forward through rows without a store is refused', async () => {
    const model = createGpuModel(ctx!, { arch: 'gru', D: 2, H: 4, layernorm: false, constS: 0.05 }, { maxBatch: 2, maxT: 3 });
    try {
      await expect(model.forward(new Float32Array(0), 1, 3, new Float32Array(3), { train: false, rows: [0] })).rejects.toThrow(/no resident inputs/);
    } finally {
      model.dispose();
    }
  });
});

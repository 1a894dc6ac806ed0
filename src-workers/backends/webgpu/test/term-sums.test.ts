/**
 * ForwardOptions.termSums on the GPU models: Σ over (t, b, q) of each §4.1
 * term, computed on the device, equals the float64 sum of the same model's
 * recorded [T][B][H] terms to 1e-6 of Σ|term| (the error bound of a sum:
 * the device's compensated column sums are stored in float32, each within
 * 6e-8 of its column's Σ|·|; a relative bound on the sum itself would fail
 * wherever positive and negative terms cancel, as rdiag's do), in evaluation
 * and training passes, with x from the host or gathered from resident inputs.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../../engine/models/params';
import { RECORDED_TERMS, type Arch } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import { createGpuModel } from '../index';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

const ARCHS: Arch[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

describe.skipIf(!ctx)('term sums on the device', () => {
  for (const arch of ARCHS) {
    it(`${arch}: the sums of the recorded terms, without reading them back`, async () => {
      const D = 3, H = 7, T = 11, B = 5;
      const model = createGpuModel(ctx!, { arch, D, H, layernorm: arch !== 'shared', constS: 0.05 }, { maxBatch: B, maxT: T });
      try {
        expect(model.sumsTerms).toBe(true);
        initParams(model.layout, model.params, { seed: 4, orthInit: true, constS: 0.05 });
        const r = new Rng(9);
        const x = Float32Array.from({ length: T * B * D }, () => r.gaussian());
        const store = (await model.createResidentInputs(B))!;
        store.write(0, B, x, new Float32Array(T * B));
        const names = RECORDED_TERMS[arch];
        const record: Record<string, Float32Array> = {};
        for (const name of names) record[name] = new Float32Array(T * B * H);
        const yhat = new Float32Array(T * B);
        await model.forward(x, B, T, yhat, { train: false, record });
        const want = names.map((name) => record[name]!.reduce((s, v) => s + v, 0));
        const scale = names.map((name) => record[name]!.reduce((s, v) => s + Math.abs(v), 0));
        expect(want.every((w) => w !== 0)).toBe(true);
        for (const train of [false, true]) {
          for (const rows of [undefined, [0, 1, 2, 3, 4]]) {
            const sums = new Float64Array(names.length);
            await model.forward(x, B, T, yhat, { train, termSums: sums, ...(rows ? { rows } : {}) });
            names.forEach((name, k) => {
              expect(Math.abs(sums[k]! - want[k]!) / scale[k]!, `${name} train=${train} rows=${rows !== undefined}`).toBeLessThan(1e-6);
            });
          }
        }
        await expect(model.forward(x, B, T, yhat, { train: false, record, termSums: new Float64Array(3) })).rejects.toThrow(/exclude each other/);
      } finally {
        model.dispose();
      }
    });
  }
});

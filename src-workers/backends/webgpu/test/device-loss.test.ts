/**
 * The training loss on the device (ForwardOptions.loss, device-loss.ts):
 * ∂L/∂ŷ = scale·(ŷ − y) in float32 — d rounded once, then the product —
 * so backward() after it gives exactly the gradients of backward(dyhat) with
 * dyhat computed on the host by the same two float32 roundings; Σ(ŷ − y)²
 * agrees with the float64 sum to 1e-6 (each d is within half an ulp of the
 * exact difference, the sum is compensated and stored in float32). Targets
 * from the host or gathered from resident inputs.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../../engine/models/params';
import type { Arch } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import { createGpuModel } from '../index';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

const ARCHS: Arch[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

describe.skipIf(!ctx)('loss on the device', () => {
  for (const arch of ARCHS) {
    it(`${arch}: backward() after a loss pass has the host-computed ∂L/∂ŷ's gradients exactly`, async () => {
      const D = 3, H = 6, T = 9, B = 4;
      const model = createGpuModel(ctx!, { arch, D, H, layernorm: arch !== 'const', constS: 0.05 }, { maxBatch: B, maxT: T });
      try {
        expect(model.lossOnDevice).toBe(true);
        initParams(model.layout, model.params, { seed: 6, orthInit: true, constS: 0.05 });
        const r = new Rng(13);
        const n = T * B;
        const x = Float32Array.from({ length: n * D }, () => r.gaussian());
        const y = Float32Array.from({ length: n }, () => r.gaussian());
        // stored at shuffled places among other sequences: the gather must follow the rows
        const cap = B + 3;
        const where = [5, 1, 6, 3]; // sequence b of the batch is stored as sequence where[b]
        const store = (await model.createResidentInputs(cap))!;
        const sx = Float32Array.from({ length: T * cap * D }, () => r.gaussian());
        const sy = Float32Array.from({ length: T * cap }, () => r.gaussian());
        where.forEach((s, b) => {
          for (let t = 0; t < T; t++) {
            for (let d = 0; d < D; d++) sx[(t * cap + s) * D + d] = x[(t * B + b) * D + d]!;
            sy[t * cap + s] = y[t * B + b]!;
          }
        });
        store.write(0, cap, sx, sy);
        const scale = 2 / n;

        // reference: ŷ read back, ∂L/∂ŷ by the same float32 roundings on the host
        const yhat = new Float32Array(n);
        await model.forward(x, B, T, yhat, { train: true });
        const dy = new Float32Array(n);
        let want = 0;
        for (let i = 0; i < n; i++) {
          const d = yhat[i]! - y[i]!; // float64, exact for two float32
          want += d * d;
          dy[i] = Math.fround(Math.fround(scale) * Math.fround(d));
        }
        await model.backward(dy);
        const ref = Float32Array.from(model.grads);

        for (const resident of [false, true]) {
          const sse = new Float64Array(1);
          const untouched = new Float32Array(n).fill(7);
          await model.forward(resident ? new Float32Array(0) : x, B, T, untouched, {
            train: true, loss: { scale, sse, ...(resident ? {} : { y }) }, ...(resident ? { rows: where } : {}),
            ...(resident ? { termSums: new Float64Array(3) } : {}), // the evaluation kernel rewrites ŷ before the loss
          });
          expect(untouched.every((v) => v === 7)).toBe(true); // ŷ stays on the device
          expect(Math.abs(sse[0]! - want) / want, `resident=${resident}`).toBeLessThan(1e-6);
          await model.backward();
          expect(Array.from(model.grads), `resident=${resident}`).toEqual(Array.from(ref));
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('an evaluation pass between the loss pass and backward() discards the device ∂L/∂ŷ (backward then needs dyhat)', async () => {
    for (const arch of ARCHS) {
      const model = createGpuModel(ctx!, { arch, D: 2, H: 4, layernorm: false, constS: 0.05 }, { maxBatch: 2, maxT: 3 });
      try {
        const x = new Float32Array(12).fill(0.5);
        await model.forward(x, 2, 3, new Float32Array(6), { train: true, loss: { scale: 1, sse: new Float64Array(1), y: new Float32Array(6) } });
        await model.forward(x, 2, 3, new Float32Array(6), { train: false });
        await expect(model.backward(), arch).rejects.toThrow(/needs a forward with loss|it needs a forward with loss/);
      } finally {
        model.dispose();
      }
    }
  });

  it('refuses a loss outside training, without targets, and backward() without one', async () => {
    const model = createGpuModel(ctx!, { arch: 'lstm', D: 2, H: 4, layernorm: false, constS: 0.05 }, { maxBatch: 2, maxT: 3 });
    try {
      const x = new Float32Array(12);
      const loss = { scale: 1, sse: new Float64Array(1) };
      await expect(model.forward(x, 2, 3, new Float32Array(6), { train: false, loss: { ...loss, y: new Float32Array(6) } })).rejects.toThrow(/training passes/);
      await expect(model.forward(x, 2, 3, new Float32Array(6), { train: true, loss })).rejects.toThrow(/needs y, or rows/);
      await model.forward(x, 2, 3, new Float32Array(6), { train: true });
      await expect(model.backward()).rejects.toThrow(/needs a forward with loss/);
    } finally {
      model.dispose();
    }
  });
});

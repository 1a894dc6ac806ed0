/**
 * What only a GPU model does (ForwardOptions.rows, loss, termSums: its inputs,
 * loss and gate sums stay on its device; backward() without dyhat) is refused
 * by the CPU models with a clear error, never silently ignored (a caller would
 * read stale x, or an untouched loss).
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../kernels/ts-kernels';
import { createInitialisedModel } from './index';
import type { Arch } from './types';

describe('CPU models refuse the GPU-only forward options', () => {
  for (const arch of ['const', 'gru', 'lstm'] as Arch[]) {
    it(`${arch}`, () => {
      const model = createInitialisedModel({ arch, D: 2, H: 3, layernorm: true, constS: 0.1 },
        { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 2, maxT: 4 }, { seed: 1, orthInit: true });
      const x = new Float64Array(16);
      const yhat = new Float64Array(8);
      expect(() => model.forward(x, 2, 4, yhat, { train: false, rows: [0, 1] })).toThrow(/no resident inputs on the CPU/);
      expect(() => model.forward(x, 2, 4, yhat, { train: true, loss: { scale: 1, sse: new Float64Array(1) } })).toThrow(/the caller's/);
      expect(() => model.forward(x, 2, 4, yhat, { train: false, termSums: new Float64Array(3) })).toThrow(/the caller's/);
      model.forward(x, 2, 4, yhat, { train: true });
      expect(() => (model.backward as (d?: Float64Array) => void)()).toThrow(/backward\(\) needs dyhat/);
      model.forward(x, 2, 4, yhat, { train: false }); // and the plain pass still works
    });
  }
});

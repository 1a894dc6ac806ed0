/**
 * Test double of a GPU model (src-workers/backends/webgpu/types.ts GpuModel)
 * made of a CPU model: it keeps the GPU contract of models/types.ts
 * TrainableModel exactly, so the engine's createModel path can be proved
 * without a GPU:
 *  - its `params` / `grads` are HOST arrays, separate from the CPU model's
 *    ("device") arrays, and start at zero (uninitialised: the trainer must
 *    initialise them);
 *  - forward() and tangent() upload `params` to the device first; backward()
 *    overwrites `grads` at its end;
 *  - every pass resolves on a later macrotask (like a GPU read-back), and
 *    writes the caller's output arrays only then;
 *  - dispose() makes it unusable (a pass after it throws).
 */
import type { CreateModelHook } from '../../engine/train';
import { createKernels, type KernelsKind } from '../../engine/backend';
import { createModel } from '../../engine/models/index';
import type { ForwardOptions, Model, ModelShape, TrainableModel } from '../../engine/models/types';

export interface AsyncCpuModel extends TrainableModel<Float32Array> {
  readonly passes: { forward: number; backward: number; tangent: number };
  readonly disposed: boolean;
  dispose(): void;
}

const later = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A float32 CPU model of `kernels` behind the asynchronous GPU-model contract. */
export function asyncCpuModel(shape: ModelShape, opts: { maxBatch: number; maxT: number }, kernels: KernelsKind = 'ts'): AsyncCpuModel {
  const k = createKernels(kernels, 'f32', 8 << 20);
  const dev = createModel(shape, { kernels: k, maxBatch: opts.maxBatch, maxT: opts.maxT }) as Model<Float32Array>;
  const P = dev.layout.size;
  const params = new Float32Array(P);
  const grads = new Float32Array(P);
  const passes = { forward: 0, backward: 0, tangent: 0 };
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('asyncCpuModel: used after dispose()');
  };
  /** device outputs, copied to the caller's arrays when the pass resolves */
  const copyOut = (pairs: [Float32Array, Float32Array, number][]) => {
    for (const [from, to, n] of pairs) to.set(from.subarray(0, n));
  };
  return {
    shape,
    layout: dev.layout,
    kernels: { name: `async-${k.name}`, precision: 'f32' },
    maxBatch: opts.maxBatch,
    maxT: opts.maxT,
    params,
    grads,
    passes,
    get disposed() {
      return disposed;
    },
    async forward(x: Float32Array, B: number, T: number, yhat: Float32Array, o: ForwardOptions<Float32Array>): Promise<void> {
      live();
      passes.forward++;
      dev.params.set(params); // upload
      const y = new Float32Array(T * B);
      const rec = o.record ? Object.fromEntries(Object.keys(o.record).map((n) => [n, new Float32Array(T * B * shape.H)])) : undefined;
      const hid = o.hidden ? new Float32Array(T * B * shape.H) : undefined;
      dev.forward(x, B, T, y, { train: o.train, ...(rec ? { record: rec } : {}), ...(hid ? { hidden: hid } : {}) });
      await later();
      copyOut([[y, yhat, T * B]]);
      if (rec) for (const n of Object.keys(rec)) copyOut([[rec[n]!, o.record![n]!, T * B * shape.H]]);
      if (hid) copyOut([[hid, o.hidden!, T * B * shape.H]]);
    },
    async backward(dyhat: Float32Array): Promise<void> {
      live();
      passes.backward++;
      dev.backward(dyhat);
      await later();
      grads.set(dev.grads.subarray(0, P)); // read back
    },
    async tangent(x: Float32Array, B: number, T: number, dir: Float32Array, v: Float32Array, hidden?: Float32Array): Promise<void> {
      live();
      passes.tangent++;
      dev.params.set(params);
      const vv = new Float32Array(T * B * shape.H);
      const hid = hidden ? new Float32Array(T * B * shape.H) : undefined;
      dev.tangent(x, B, T, dir, vv, hid);
      await later();
      copyOut([[vv, v, T * B * shape.H]]);
      if (hid) copyOut([[hid, hidden!, T * B * shape.H]]);
    },
    dispose() {
      disposed = true;
    },
  };
}

/** A createModel hook that makes asyncCpuModels and remembers them. */
export function asyncCpuHook(kernels: KernelsKind = 'ts'): { hook: CreateModelHook; made: AsyncCpuModel[] } {
  const made: AsyncCpuModel[] = [];
  const hook: CreateModelHook = async (shape, opts) => {
    await later();
    const m = asyncCpuModel(shape, opts, kernels);
    made.push(m);
    return m;
  };
  return { hook, made };
}

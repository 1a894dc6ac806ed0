/**
 * Whole models on the WASM SIMD kernels against the same models on the
 * TypeScript kernels (the reference path, whose float64 gradients the other
 * model tests check against finite differences): ŷ, hidden states, the
 * recorded §4.1 terms, every parameter gradient and the tangent v, for all
 * five architectures with and without LayerNorm, H with and without a tail
 * (H mod 4 ≠ 0). Float32 arithmetic through a recurrence of T steps: each
 * output array must agree with the float64 model to TOL of its largest
 * magnitude (and with the TS float32 model likewise; measured: ≤ 3.2e-6);
 * and the WASM model is bit-for-bit reproducible.
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../kernels/ts-kernels';
import type { FloatArray, Kernels } from '../kernels/types';
import { createWasmKernels } from '../kernels/wasm/wasm-kernels';
import { Rng } from '../rng';
import { createModel } from './index';
import { ARCHS, RECORDED_TERMS, type Arch, type Model, type ModelShape } from './types';

const D = 3;
const B = 3;
const T = 12;
/** normwise relative tolerance (float32 through T steps) */
const TOL = 2e-5;

/** max |a − b| / max |b| over an array (normwise relative error). */
function normRel(a: ArrayLike<number>, b: ArrayLike<number>, n = b.length): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m > 0 ? d / m : d;
}

interface Outputs {
  yhat: Float64Array;
  hidden: Float64Array;
  record: Record<string, Float64Array>;
  grads: Float64Array;
  v: Float64Array;
}

/** Forward (with record and hidden), backward of the MSE, tangent, all read back as float64. */
function runModel<A extends FloatArray>(k: Kernels<A>, shape: ModelShape, p: Float64Array, x: Float64Array,
  y: Float64Array, dir: Float64Array): Outputs {
  const { H } = shape;
  const m: Model<A> = createModel(shape, { kernels: k, maxBatch: B + 1, maxT: T + 2 });
  m.params.set(p);
  const n = T * B;
  const xa = k.alloc(n * D);
  xa.set(x);
  const yhat = k.alloc(n);
  const hidden = k.alloc(n * H);
  const record: Record<string, A> = {};
  for (const name of RECORDED_TERMS[shape.arch]) record[name] = k.alloc(n * H);
  m.forward(xa, B, T, yhat, { train: false, record, hidden });
  const out: Outputs = {
    yhat: Float64Array.from(yhat), hidden: Float64Array.from(hidden), record: {},
    grads: new Float64Array(0), v: new Float64Array(0),
  };
  for (const name of RECORDED_TERMS[shape.arch]) out.record[name] = Float64Array.from(record[name]!);
  m.forward(xa, B, T, yhat, { train: true });
  const dy = k.alloc(n);
  for (let i = 0; i < n; i++) dy[i] = (2 * (yhat[i]! - y[i]!)) / n;
  m.backward(dy);
  out.grads = Float64Array.from(m.grads);
  const d = k.alloc(m.layout.size);
  d.set(dir);
  const v = k.alloc(n * H);
  m.tangent(xa, B, T, d, v);
  out.v = Float64Array.from(v);
  return out;
}

const wasm = createWasmKernels({ capacityFloats: 1 << 22 });
const ts32 = createTsKernels<Float32Array>('f32');
const ts64 = createTsKernels<Float64Array>('f64');

const CASES = ARCHS.flatMap((arch) => [5, 8].flatMap((H) => [false, true].map((layernorm) => ({ arch, H, layernorm }))));

describe.each(CASES)('$arch H=$H layernorm=$layernorm on WASM kernels', ({ arch, H, layernorm }) => {
  const shape: ModelShape = { arch: arch as Arch, D, H, layernorm, constS: 0.3 };
  const rng = new Rng(7 + H + (layernorm ? 100 : 0) + ARCHS.indexOf(arch) * 1000);
  const layout = createModel(shape, { kernels: ts64, maxBatch: 1, maxT: 1 }).layout;
  // moderate random parameters (every gate and diagonal term active), float32-representable
  const p = new Float64Array(layout.size);
  for (const t of layout.tensors) {
    for (let i = 0; i < t.size; i++) p[t.offset + i] = Math.fround(t.name === 'ln_gain' ? rng.range(0.6, 1.4) : rng.range(-0.7, 0.7));
  }
  const x = new Float64Array(T * B * D);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(rng.gaussian());
  const y = new Float64Array(T * B);
  for (let i = 0; i < y.length; i++) y[i] = Math.fround(rng.gaussian());
  const dir = new Float64Array(layout.size);
  for (let i = 0; i < dir.length; i++) dir[i] = Math.fround(rng.gaussian() / Math.sqrt(layout.size));

  const w = runModel(wasm, shape, p, x, y, dir);
  const r64 = runModel(ts64, shape, p, x, y, dir);
  const r32 = runModel(ts32, shape, p, x, y, dir);

  it.each([['float64', r64], ['float32', r32]] as const)('agrees with the TS %s model to TOL', (_name, r) => {
    expect(normRel(w.yhat, r.yhat), 'ŷ').toBeLessThan(TOL);
    expect(normRel(w.hidden, r.hidden), 'hidden').toBeLessThan(TOL);
    for (const name of RECORDED_TERMS[shape.arch]) expect(normRel(w.record[name]!, r.record[name]!), name).toBeLessThan(TOL);
    for (const t of layout.tensors) {
      expect(normRel(w.grads.subarray(t.offset, t.offset + t.size), r.grads.subarray(t.offset, t.offset + t.size)), `∂${t.name}`)
        .toBeLessThan(TOL);
    }
    expect(normRel(w.v, r.v), 'tangent').toBeLessThan(TOL);
  });

  it('is bit-for-bit reproducible', () => {
    const again = runModel(wasm, shape, p, x, y, dir);
    expect(again.yhat).toEqual(w.yhat);
    expect(again.grads).toEqual(w.grads);
    expect(again.v).toEqual(w.v);
    for (const name of RECORDED_TERMS[shape.arch]) expect(again.record[name]).toEqual(w.record[name]);
  });
});

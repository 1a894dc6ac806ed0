/**
 * The test suite GRU and LSTM share (gru.test.ts, lstm.test.ts; SCIENCE.md
 * §2, §4.1, §5): the gate-block layout and its orthogonal init, forward,
 * hidden states and recorded §4.1 terms against the architecture's
 * independent step-by-step re-implementation (also across several
 * input-projection blocks), backward against central finite differences,
 * the tangent against a finite difference of h_t, float32 against float64,
 * and the workspace limits.
 *
 * Not a test file itself: the vitest functions are passed in, because engine
 * code may not import vitest (scripts/check-layers.ts checks every non-test
 * file of src-workers/engine).
 */
import { createTsKernels } from '../kernels/ts-kernels';
import type { FloatArray } from '../kernels/types';
import { Rng } from '../rng';
import { PROJECTION_ROWS } from './gate-blocks';
import { analyticGrad, numericGrad } from './gradcheck';
import { initParams } from './params';
import type { Model, ModelOptions, ModelShape, ParamLayout } from './types';

export const D = 3;
export const H = 5;

/** What the suite needs of vitest (`{ describe, it, expect }` from 'vitest' fits). */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => void): void;
  expect(actual: unknown, message?: string): {
    toBe(expected: unknown): void;
    toEqual(expected: unknown): void;
    toBeCloseTo(expected: number, digits?: number): void;
    toBeLessThan(n: number): void;
    toBeGreaterThan(n: number): void;
    toThrow(expected?: unknown): void;
  };
}

/** A step-by-step re-implementation's output: h_t and ŷ_t, and each recorded §4.1 term by name. */
export type ReferenceOutput = { h: Float64Array; yhat: Float64Array } & Record<string, Float64Array>;

export interface GateModelSpec {
  /** as in the suite titles: 'GRU', 'LSTM' */
  name: string;
  arch: 'gru' | 'lstm';
  /** gate blocks along the output axis of W, b, U */
  nG: number;
  create<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A>;
  layout(D: number, H: number, layernorm: boolean): ParamLayout;
  /** independent re-implementation of the recurrence and the §4.1 terms (float64) */
  reference(p: ArrayLike<number>, layout: ParamLayout, ln: boolean, x: ArrayLike<number>, B: number, T: number): ReferenceOutput;
  /** the names of the recorded §4.1 terms (as SCIENCE.md §4.1 names them), each checked against the reference */
  terms: readonly string[];
}

export function shapeOf(arch: GateModelSpec['arch'], layernorm: boolean): ModelShape {
  return { arch, D, H, layernorm, constS: 0.05 };
}

function model64(spec: GateModelSpec, layernorm: boolean, maxBatch: number, maxT: number): Model<Float64Array> {
  return spec.create(shapeOf(spec.arch, layernorm), { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT });
}

/** Random parameters of moderate size (gates away from saturation), LN gain around 1. */
export function randomize(model: Model<Float64Array>, rng: Rng): void {
  for (const t of model.layout.tensors) {
    for (let i = 0; i < t.size; i++) {
      model.params[t.offset + i] = t.name === 'ln_gain' ? rng.range(0.6, 1.4) : rng.range(-0.8, 0.8);
    }
  }
}

export function gaussians(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.gaussian();
  return a;
}

/** max |a - b| / max(|a|, |b|, floor) */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor));
  }
  return worst;
}

export const sig = (a: number): number => 1 / (1 + Math.exp(-a));

export function describeGateModel(t: TestApi, spec: GateModelSpec): void {
  const { describe, it, expect } = t;
  const { nG } = spec;
  for (const layernorm of [false, true]) describe(`${spec.name} (layernorm ${layernorm})`, () => {
    it(`lays out W [D×${nG}H], b, U [H×${nG}H], LN, W_out, b_out as specified`, () => {
      const L = spec.layout(D, H, layernorm);
      const names = L.tensors.map((t) => `${t.name}:${t.rows}x${t.cols}`);
      expect(names).toEqual([
        `W:${D}x${nG * H}`, `b:1x${nG * H}`, `U:${H}x${nG * H}`,
        ...(layernorm ? [`ln_gain:1x${H}`, `ln_bias:1x${H}`] : []),
        `W_out:${H}x1`, 'b_out:1x1',
      ]);
      expect(L.byName['W']!.fanIn).toBe(D);
      expect(L.byName['b']!.fanIn).toBe(D);
      expect(L.byName['U']!.fanIn).toBe(H);
      expect(L.byName['U']!.orthBlockCols).toBe(H);
      // orth init: every H×H block of U is orthogonal
      const p = new Float64Array(L.size);
      initParams(L, p, { seed: 3, orthInit: true, constS: 0.05 });
      const U = L.byName['U']!.offset;
      for (let blk = 0; blk < nG; blk++) {
        for (let a = 0; a < H; a++) {
          for (let c = 0; c < H; c++) {
            let s = 0;
            for (let i = 0; i < H; i++) s += p[U + i * nG * H + blk * H + a]! * p[U + i * nG * H + blk * H + c]!;
            expect(s).toBeCloseTo(a === c ? 1 : 0, 12);
          }
        }
      }
      expect(p[L.byName['b_out']!.offset]).toBe(0);
    });

    it('forward, hidden states and recorded §4.1 terms match a step-by-step re-implementation', () => {
      const rng = new Rng(11);
      const model = model64(spec, layernorm, 4, 8);
      randomize(model, rng);
      for (const [B, T] of [[4, 8], [2, 5], [3, 1]] as const) {
        const x = gaussians(T * B * D, rng);
        const ref = spec.reference(model.params, model.layout, layernorm, x, B, T);
        const n = T * B * H;
        const record = Object.fromEntries(spec.terms.map((name) => [name, new Float64Array(n)]));
        const hidden = new Float64Array(n);
        const yhat = new Float64Array(T * B);
        model.forward(x, B, T, yhat, { train: false, record, hidden });
        expect(relErr(yhat, ref.yhat, 1e-12)).toBeLessThan(1e-12);
        expect(relErr(hidden, ref.h, 1e-12)).toBeLessThan(1e-12);
        for (const name of spec.terms) expect(relErr(record[name]!, ref[name]!, 1e-12), name).toBeLessThan(1e-12);
      }
    });

    it('sequences spanning several input-projection blocks (T·B > PROJECTION_ROWS) match the re-implementation', () => {
      const rng = new Rng(13);
      const B = 3;
      const T = Math.ceil((PROJECTION_ROWS + 90) / B);
      const model = model64(spec, layernorm, B, T);
      randomize(model, rng);
      const x = gaussians(T * B * D, rng);
      const ref = spec.reference(model.params, model.layout, layernorm, x, B, T);
      const n = T * B * H;
      const record = Object.fromEntries(spec.terms.map((name) => [name, new Float64Array(n)]));
      const hidden = new Float64Array(n);
      const yhat = new Float64Array(T * B);
      model.forward(x, B, T, yhat, { train: true, record, hidden });
      expect(relErr(yhat, ref.yhat, 1e-12)).toBeLessThan(1e-10);
      expect(relErr(hidden, ref.h, 1e-12)).toBeLessThan(1e-10);
    });

    it('backward gives the finite-difference gradient of the MSE for every tensor', () => {
      const rng = new Rng(21);
      const model = model64(spec, layernorm, 3, 7);
      randomize(model, rng);
      // B, T below the maxima; T = 1 has no recurrent contribution (dU = 0)
      for (const [B, T] of [[2, 6], [3, 1]] as const) {
        const x = gaussians(T * B * D, rng);
        const y = gaussians(T * B, rng);
        const ga = analyticGrad(model, x, y, B, T);
        const gn = numericGrad(model, x, y, B, T);
        for (const t of model.layout.tensors) {
          const a = ga.subarray(t.offset, t.offset + t.size);
          const nn = gn.subarray(t.offset, t.offset + t.size);
          // The central difference (step 1e-5) carries ~1e-16/1e-5 = 1e-11 of rounding
          // error and ~1e-10 of truncation in absolute terms: entries below the
          // floor 1e-4 are judged by that absolute accuracy, the others relatively.
          expect(relErr(a, nn, 1e-4), t.name).toBeLessThan(1e-6);
          expect(relErr(a, nn, 1), t.name).toBeLessThan(1e-9);
          if (T === 1 && t.name === 'U') expect(a.every((g) => g === 0)).toBe(true); // h_{-1} = 0
          else expect(Math.max(...Array.from(a, Math.abs)), t.name).toBeGreaterThan(1e-4); // non-trivial
        }
        // backward consumes the caches of exactly one forward(train: true)
        expect(() => model.backward(new Float64Array(T * B))).toThrow();
      }
    });

    it('tangent equals the central finite difference of h_t along the direction', () => {
      const rng = new Rng(31);
      const B = 3;
      const T = 7;
      const model = model64(spec, layernorm, 3, 7);
      randomize(model, rng);
      const x = gaussians(T * B * D, rng);
      const dir = gaussians(model.layout.size, rng);
      const norm = Math.hypot(...dir);
      for (let i = 0; i < dir.length; i++) dir[i] /= norm;
      const n = T * B * H;
      const v = new Float64Array(n);
      const hT = new Float64Array(n);
      model.tangent(x, B, T, dir, v, hT);

      const p0 = Float64Array.from(model.params);
      const eps = 1e-5;
      const hp = new Float64Array(n);
      const hm = new Float64Array(n);
      const yh = new Float64Array(T * B);
      for (let i = 0; i < p0.length; i++) model.params[i] = p0[i]! + eps * dir[i]!;
      model.forward(x, B, T, yh, { train: false, hidden: hp });
      for (let i = 0; i < p0.length; i++) model.params[i] = p0[i]! - eps * dir[i]!;
      model.forward(x, B, T, yh, { train: false, hidden: hm });
      model.params.set(p0);
      const fd = hp.map((a, i) => (a - hm[i]!) / (2 * eps));
      expect(relErr(v, fd, 1e-6)).toBeLessThan(1e-6);
      expect(Math.max(...Array.from(v, Math.abs))).toBeGreaterThan(1e-2);

      const ref = spec.reference(p0, model.layout, layernorm, x, B, T);
      expect(relErr(hT, ref.h, 1e-12)).toBeLessThan(1e-12);
    });

    it('float32 forward agrees with float64', () => {
      const rng = new Rng(41);
      const B = 3;
      const T = 7;
      const m64 = model64(spec, layernorm, 4, 8);
      randomize(m64, rng);
      const m32 = spec.create(shapeOf(spec.arch, layernorm), { kernels: createTsKernels<Float32Array>('f32'), maxBatch: 4, maxT: 8 });
      m32.params.set(m64.params);
      const x64 = gaussians(T * B * D, rng);
      const x32 = Float32Array.from(x64);
      const y64 = new Float64Array(T * B);
      const y32 = new Float32Array(T * B);
      const h64 = new Float64Array(T * B * H);
      const h32 = new Float32Array(T * B * H);
      m64.forward(x64, B, T, y64, { train: false, hidden: h64 });
      m32.forward(x32, B, T, y32, { train: false, hidden: h32 });
      // float32 has ~6e-8 relative rounding; a few steps of a contracting recurrence stay within 1e-5
      expect(relErr(y32, y64, 1e-2)).toBeLessThan(1e-5);
      expect(relErr(h32, h64, 1e-2)).toBeLessThan(1e-5);
    });

    it('rejects batches and lengths beyond the workspaces', () => {
      const model = model64(spec, layernorm, 2, 3);
      const x = new Float64Array(4 * 3 * D);
      const y = new Float64Array(12);
      expect(() => model.forward(x, 3, 3, y, { train: false })).toThrow(RangeError);
      expect(() => model.forward(x, 2, 4, y, { train: false })).toThrow(RangeError);
      model.forward(x, 2, 3, y, { train: false });
      expect(() => model.backward(y)).toThrow(); // forward(train: false) keeps no caches
    });
  });
}

/**
 * GRU (SCIENCE.md §2, §4.1, §5): gradients against central finite
 * differences, the tangent against a finite difference of h_t, the recorded
 * §4.1 terms against an independent step-by-step re-implementation, and
 * float32 against float64.
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../kernels/ts-kernels';
import { Rng } from '../rng';
import { PROJECTION_ROWS } from './gate-blocks';
import { analyticGrad, numericGrad } from './gradcheck';
import { createGruModel, gruLayout } from './gru';
import { initParams } from './params';
import type { Model, ModelShape, ParamLayout } from './types';

const D = 3;
const H = 5;

function shapeOf(layernorm: boolean): ModelShape {
  return { arch: 'gru', D, H, layernorm, constS: 0.05 };
}

function model64(layernorm: boolean, maxBatch: number, maxT: number): Model<Float64Array> {
  return createGruModel(shapeOf(layernorm), { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT });
}

/** Random parameters of moderate size (gates away from saturation), LN gain around 1. */
function randomize(model: Model<Float64Array>, rng: Rng): void {
  for (const t of model.layout.tensors) {
    for (let i = 0; i < t.size; i++) {
      model.params[t.offset + i] = t.name === 'ln_gain' ? rng.range(0.6, 1.4) : rng.range(-0.8, 0.8);
    }
  }
}

function gaussians(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.gaussian();
  return a;
}

/** max |a - b| / max(|a|, |b|, floor) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor));
  }
  return worst;
}

const sig = (a: number): number => 1 / (1 + Math.exp(-a));

/**
 * Independent plain re-implementation of the GRU recurrence (SCIENCE.md §2)
 * and of the §4.1 terms, one sequence and one step at a time.
 */
function referenceGru(p: ArrayLike<number>, layout: ParamLayout, ln: boolean, x: ArrayLike<number>, B: number, T: number) {
  const G = 3 * H;
  const W = layout.byName['W']!.offset;
  const bb = layout.byName['b']!.offset;
  const U = layout.byName['U']!.offset;
  const Wo = layout.byName['W_out']!.offset;
  const bo = layout.byName['b_out']!.offset;
  const gain = ln ? layout.byName['ln_gain']!.offset : -1;
  const bias = ln ? layout.byName['ln_bias']!.offset : -1;
  // blocks: z = 0, r = 1, g = 2
  const w = (i: number, blk: number, j: number): number => p[W + i * G + blk * H + j]!;
  const u = (i: number, blk: number, j: number): number => p[U + i * G + blk * H + j]!;
  const n = T * B * H;
  const out = {
    h: new Float64Array(n), leak: new Float64Array(n), r: new Float64Array(n), rdiag: new Float64Array(n),
    yhat: new Float64Array(T * B),
  };
  for (let b = 0; b < B; b++) {
    let h = new Array<number>(H).fill(0);
    for (let t = 0; t < T; t++) {
      const xt = (d: number): number => x[(t * B + b) * D + d]!;
      const pre = (blk: number, hin: number[]): number[] => {
        const a: number[] = [];
        for (let j = 0; j < H; j++) {
          let s = p[bb + blk * H + j]!;
          for (let d = 0; d < D; d++) s += xt(d) * w(d, blk, j);
          for (let i = 0; i < H; i++) s += hin[i]! * u(i, blk, j);
          a.push(s);
        }
        return a;
      };
      const z = pre(0, h).map(sig);
      const r = pre(1, h).map(sig);
      const rh = r.map((rv, j) => rv * h[j]!);
      let ag = pre(2, rh);
      if (ln) {
        const mean = ag.reduce((s, v) => s + v, 0) / H;
        const vr = ag.reduce((s, v) => s + (v - mean) ** 2, 0) / H;
        ag = ag.map((v, j) => p[gain + j]! * (v - mean) / Math.sqrt(vr + 1e-5) + p[bias + j]!);
      }
      const g = ag.map(Math.tanh);
      const hn = h.map((hv, j) => (1 - z[j]!) * hv + z[j]! * g[j]!);
      let y = p[bo]!;
      for (let q = 0; q < H; q++) {
        const idx = (t * B + b) * H + q;
        out.h[idx] = hn[q]!;
        out.leak[idx] = 1 - z[q]!;
        out.r[idx] = r[q]!;
        out.rdiag[idx] = (g[q]! - h[q]!) * z[q]! * (1 - z[q]!) * u(q, 0, q)
          + z[q]! * (1 - g[q]! ** 2) * u(q, 2, q) * (r[q]! + h[q]! * r[q]! * (1 - r[q]!) * u(q, 1, q));
        y += hn[q]! * p[Wo + q]!;
      }
      out.yhat[t * B + b] = y;
      h = hn;
    }
  }
  return out;
}

describe.each([false, true])('GRU (layernorm %s)', (layernorm) => {
  it('lays out W [D×3H], b, U [H×3H], LN, W_out, b_out as specified', () => {
    const L = gruLayout(D, H, layernorm);
    const names = L.tensors.map((t) => `${t.name}:${t.rows}x${t.cols}`);
    expect(names).toEqual([
      `W:${D}x${3 * H}`, `b:1x${3 * H}`, `U:${H}x${3 * H}`,
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
    for (let blk = 0; blk < 3; blk++) {
      for (let a = 0; a < H; a++) {
        for (let c = 0; c < H; c++) {
          let s = 0;
          for (let i = 0; i < H; i++) s += p[U + i * 3 * H + blk * H + a]! * p[U + i * 3 * H + blk * H + c]!;
          expect(s).toBeCloseTo(a === c ? 1 : 0, 12);
        }
      }
    }
    expect(p[L.byName['b_out']!.offset]).toBe(0);
  });

  it('forward, hidden states and recorded §4.1 terms match a step-by-step re-implementation', () => {
    const rng = new Rng(11);
    const model = model64(layernorm, 4, 8);
    randomize(model, rng);
    for (const [B, T] of [[4, 8], [2, 5], [3, 1]] as const) {
      const x = gaussians(T * B * D, rng);
      const ref = referenceGru(model.params, model.layout, layernorm, x, B, T);
      const n = T * B * H;
      const record = { leak: new Float64Array(n), r: new Float64Array(n), rdiag: new Float64Array(n) };
      const hidden = new Float64Array(n);
      const yhat = new Float64Array(T * B);
      model.forward(x, B, T, yhat, { train: false, record, hidden });
      expect(relErr(yhat, ref.yhat, 1e-12)).toBeLessThan(1e-12);
      expect(relErr(hidden, ref.h, 1e-12)).toBeLessThan(1e-12);
      expect(relErr(record.leak, ref.leak, 1e-12)).toBeLessThan(1e-12);
      expect(relErr(record.r, ref.r, 1e-12)).toBeLessThan(1e-12);
      expect(relErr(record.rdiag, ref.rdiag, 1e-12)).toBeLessThan(1e-12);
    }
  });

  it('sequences spanning several input-projection blocks (T·B > PROJECTION_ROWS) match the re-implementation', () => {
    const rng = new Rng(13);
    const B = 3;
    const T = Math.ceil((PROJECTION_ROWS + 90) / B);
    const model = model64(layernorm, B, T);
    randomize(model, rng);
    const x = gaussians(T * B * D, rng);
    const ref = referenceGru(model.params, model.layout, layernorm, x, B, T);
    const n = T * B * H;
    const record = { leak: new Float64Array(n), r: new Float64Array(n), rdiag: new Float64Array(n) };
    const hidden = new Float64Array(n);
    const yhat = new Float64Array(T * B);
    model.forward(x, B, T, yhat, { train: true, record, hidden });
    expect(relErr(yhat, ref.yhat, 1e-12)).toBeLessThan(1e-10);
    expect(relErr(hidden, ref.h, 1e-12)).toBeLessThan(1e-10);
  });

  it('backward gives the finite-difference gradient of the MSE for every tensor', () => {
    const rng = new Rng(21);
    const model = model64(layernorm, 3, 7);
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
    const model = model64(layernorm, 3, 7);
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

    const ref = referenceGru(p0, model.layout, layernorm, x, B, T);
    expect(relErr(hT, ref.h, 1e-12)).toBeLessThan(1e-12);
  });

  it('float32 forward agrees with float64', () => {
    const rng = new Rng(41);
    const B = 3;
    const T = 7;
    const m64 = model64(layernorm, 4, 8);
    randomize(m64, rng);
    const m32 = createGruModel(shapeOf(layernorm), { kernels: createTsKernels<Float32Array>('f32'), maxBatch: 4, maxT: 8 });
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
    const model = model64(layernorm, 2, 3);
    const x = new Float64Array(4 * 3 * D);
    const y = new Float64Array(12);
    expect(() => model.forward(x, 3, 3, y, { train: false })).toThrow(RangeError);
    expect(() => model.forward(x, 2, 4, y, { train: false })).toThrow(RangeError);
    model.forward(x, 2, 3, y, { train: false });
    expect(() => model.backward(y)).toThrow(); // forward(train: false) keeps no caches
  });
});

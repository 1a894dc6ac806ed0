/**
 * const / shared / diag cells (SCIENCE.md §2, §4.1, §5): gradients against
 * central finite differences, the tangent pass against finite differences of
 * h_t, the recorded §4.1 terms against an independent step-by-step
 * re-implementation written here from the formulas, float32 vs float64.
 */
import { describe, expect, it } from 'vitest';
import { createTsKernels } from '../kernels/ts-kernels';
import { Rng } from '../rng';
import { PROJECTION_ROWS } from './gate-blocks';
import { createGatedModel } from './gated';
import { analyticGrad, maxRelError, numericGrad } from './gradcheck';
import { initParams } from './params';
import type { Model, ModelShape, ParamLayout } from './types';

type GArch = 'const' | 'shared' | 'diag';
const ARCHES: GArch[] = ['const', 'shared', 'diag'];
const CASES = ARCHES.flatMap((arch) => [false, true].map((layernorm) => ({ arch, layernorm })));

const D = 3;
const H = 5;
const CONST_S = 0.3;

const f64 = createTsKernels<Float64Array>('f64');
const f32 = createTsKernels<Float32Array>('f32');

function shapeOf(arch: GArch, layernorm: boolean): ModelShape {
  return { arch, D, H, layernorm, constS: CONST_S };
}

function model64(shape: ModelShape, maxBatch: number, maxT: number): Model<Float64Array> {
  return createGatedModel(shape, { kernels: f64, maxBatch, maxT });
}

/** Random parameters with every term active: non-zero gate weights, LN gain ≠ 1. */
function randomParams(layout: ParamLayout, p: Float64Array | Float32Array, seed: number): void {
  const rng = new Rng(seed);
  for (const t of layout.tensors) {
    for (let i = 0; i < t.size; i++) {
      p[t.offset + i] = t.name === 'ln_gain' ? rng.range(0.7, 1.3) : rng.range(-0.7, 0.7);
    }
  }
}

function gaussians(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.gaussian();
  return a;
}

function unitDirection(n: number, seed: number): Float64Array {
  const d = gaussians(n, seed);
  let s = 0;
  for (let i = 0; i < n; i++) s += d[i]! * d[i]!;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < n; i++) d[i]! *= inv;
  return d;
}

const sigma = (z: number): number => 1 / (1 + Math.exp(-z));

interface RefOut {
  h: Float64Array; // [T][B][H]
  yhat: Float64Array; // [T][B]
  leak: Float64Array;
  rdiag: Float64Array;
}

/**
 * Plain step-by-step re-implementation of §2 and §4.1, one sequence and one
 * unit at a time, reading the parameters by name from the layout.
 */
function reference(shape: ModelShape, layout: ParamLayout, p: ArrayLike<number>, x: ArrayLike<number>, B: number, T: number): RefOut {
  const { arch } = shape;
  const W = (name: string, i: number, j: number): number => {
    const t = layout.byName[name]!;
    return p[t.offset + i * t.cols + j]!;
  };
  const out: RefOut = {
    h: new Float64Array(T * B * H),
    yhat: new Float64Array(T * B),
    leak: new Float64Array(T * B * H),
    rdiag: new Float64Array(T * B * H),
  };
  const at = (t: number, b: number, q: number): number => (t * B + b) * H + q;
  for (let b = 0; b < B; b++) {
    let hPrev = new Array<number>(H).fill(0);
    for (let t = 0; t < T; t++) {
      const xt = (d: number): number => x[(t * B + b) * D + d]!;
      const a: number[] = [];
      for (let q = 0; q < H; q++) {
        let z = W('b_x', 0, q);
        for (let d = 0; d < D; d++) z += xt(d) * W('W_x', d, q);
        for (let i = 0; i < H; i++) z += hPrev[i]! * W('W_h', i, q);
        a.push(z);
      }
      let pre = a;
      if (shape.layernorm) {
        const mean = a.reduce((s, v) => s + v, 0) / H;
        const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / H;
        pre = a.map((v, q) => W('ln_gain', 0, q) * (v - mean) / Math.sqrt(variance + 1e-5) + W('ln_bias', 0, q));
      }
      const ht = pre.map(Math.tanh);
      const s: number[] = [];
      const uTilde: number[] = [];
      if (arch === 'const') {
        for (let q = 0; q < H; q++) {
          s.push(CONST_S);
          uTilde.push(0);
        }
      } else if (arch === 'shared') {
        let z = W('b_s', 0, 0);
        for (let d = 0; d < D; d++) z += xt(d) * W('w_s', d, 0);
        for (let i = 0; i < H; i++) z += hPrev[i]! * W('u_s', i, 0);
        for (let q = 0; q < H; q++) {
          s.push(sigma(z));
          uTilde.push(W('u_s', q, 0));
        }
      } else {
        for (let q = 0; q < H; q++) {
          let z = W('b_s', 0, q);
          for (let d = 0; d < D; d++) z += xt(d) * W('W_s', d, q);
          for (let i = 0; i < H; i++) z += hPrev[i]! * W('U_s', i, q);
          s.push(sigma(z));
          uTilde.push(W('U_s', q, q));
        }
      }
      const h: number[] = [];
      let y = W('b_out', 0, 0);
      for (let q = 0; q < H; q++) {
        const hq = (1 - s[q]!) * hPrev[q]! + s[q]! * ht[q]!;
        h.push(hq);
        y += hq * W('W_out', q, 0);
        out.h[at(t, b, q)] = hq;
        out.leak[at(t, b, q)] = 1 - s[q]!;
        out.rdiag[at(t, b, q)] = s[q]! * (1 - ht[q]! ** 2) * W('W_h', q, q)
          + (ht[q]! - hPrev[q]!) * s[q]! * (1 - s[q]!) * uTilde[q]!;
      }
      out.yhat[t * B + b] = y;
      hPrev = h;
    }
  }
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('gated layout and initialisation (§2)', () => {
  it('declares the tensors of the spec with their shapes and init kinds', () => {
    const names = (arch: GArch, ln: boolean): string[] =>
      model64(shapeOf(arch, ln), 1, 1).layout.tensors.map((t) => `${t.name}:${t.rows}x${t.cols}:${t.init}${t.orth ? ':orth' : ''}`);
    const core = [`W_x:${D}x${H}:uniform:orth`, `b_x:1x${H}:zero`, `W_h:${H}x${H}:uniform:orth`];
    const lnT = [`ln_gain:1x${H}:one`, `ln_bias:1x${H}:zero`];
    const out = [`W_out:${H}x1:uniform:orth`, 'b_out:1x1:zero'];
    expect(names('const', false)).toEqual([...core, ...out]);
    expect(names('const', true)).toEqual([...core, ...lnT, ...out]);
    expect(names('shared', true)).toEqual([...core, ...lnT, `w_s:${D}x1:zero`, `u_s:${H}x1:zero`, 'b_s:1x1:logit', ...out]);
    expect(names('diag', false)).toEqual([...core, `W_s:${D}x${H}:zero`, `U_s:${H}x${H}:zero`, `b_s:1x${H}:logit`, ...out]);
    const m = model64(shapeOf('diag', true), 1, 1);
    expect(m.layout.byName['W_x']!.fanIn).toBe(D);
    expect(m.layout.byName['W_h']!.fanIn).toBe(H);
    expect(m.layout.byName['W_out']!.fanIn).toBe(H);
  });

  it.each(ARCHES)('%s: at initialisation every gate equals const_s (σ(logit c) = c), so leak ≡ 1 - const_s', (arch) => {
    const c = 0.05;
    const m = createGatedModel({ arch, D, H, layernorm: true, constS: c }, { kernels: f64, maxBatch: 3, maxT: 6 });
    initParams(m.layout, m.params, { seed: 7, orthInit: true, constS: c });
    const B = 3, T = 6;
    const leak = new Float64Array(T * B * H);
    const rdiag = new Float64Array(T * B * H);
    m.forward(gaussians(T * B * D, 1), B, T, new Float64Array(T * B), { train: false, record: { leak, rdiag } });
    for (const v of leak) expect(Math.abs(v - (1 - c))).toBeLessThan(1e-15);
  });
});

describe.each(CASES)('$arch cell, layernorm=$layernorm', ({ arch, layernorm }) => {
  const shape = shapeOf(arch, layernorm);
  const B = 3;
  const T = 7;

  function setup(seed: number, maxBatch = B, maxT = T) {
    const m = model64(shape, maxBatch, maxT);
    randomParams(m.layout, m.params, seed);
    const x = gaussians(T * B * D, seed + 1);
    const y = gaussians(T * B, seed + 2);
    return { m, x, y };
  }

  it('backward gives the MSE gradient of every tensor (central differences)', () => {
    const { m, x, y } = setup(11);
    const ga = analyticGrad(m, x, y, B, T);
    const gn = numericGrad(m, x, y, B, T, 1e-5);
    for (const t of m.layout.tensors) {
      const a = ga.subarray(t.offset, t.offset + t.size);
      const n = gn.subarray(t.offset, t.offset + t.size);
      expect(maxAbs(n), `${t.name} gradient is not exercised`).toBeGreaterThan(1e-3);
      // relative error with a floor for (near-)zero entries: the central
      // difference itself is only good to ~1e-10 absolute.
      expect(maxRelError(a, n, 1e-4), t.name).toBeLessThan(1e-6);
    }
  });

  it('tangent equals the central difference of h_t along dir', () => {
    const { m, x } = setup(23);
    const dir = unitDirection(m.layout.size, 99);
    const v = new Float64Array(T * B * H);
    const hTan = new Float64Array(T * B * H);
    m.tangent(x, B, T, dir, v, hTan);

    const p0 = Float64Array.from(m.params);
    const yhat = new Float64Array(T * B);
    const hp = new Float64Array(T * B * H);
    const hm = new Float64Array(T * B * H);
    const hs = new Float64Array(T * B * H);
    const eps = 1e-5;
    for (let i = 0; i < p0.length; i++) m.params[i] = p0[i]! + eps * dir[i]!;
    m.forward(x, B, T, yhat, { train: false, hidden: hp });
    for (let i = 0; i < p0.length; i++) m.params[i] = p0[i]! - eps * dir[i]!;
    m.forward(x, B, T, yhat, { train: false, hidden: hm });
    m.params.set(p0);
    m.forward(x, B, T, yhat, { train: false, hidden: hs });
    const fd = hp.map((vp, i) => (vp - hm[i]!) / (2 * eps));

    expect(maxAbs(fd)).toBeGreaterThan(1e-2);
    expect(maxRelError(v, fd, 1e-4)).toBeLessThan(1e-6);
    // the tangent pass runs the same forward recurrence
    expect(maxAbsDiff(hTan, hs)).toBeLessThan(1e-14);
  });

  it('tangent is consistent with backward: <∇L, dir> = Σ ∂L/∂ŷ · (W_out·v + dW_out·h + db_out)', () => {
    const { m, x, y } = setup(31);
    const dir = unitDirection(m.layout.size, 5);
    const g = analyticGrad(m, x, y, B, T);
    const v = new Float64Array(T * B * H);
    const h = new Float64Array(T * B * H);
    m.tangent(x, B, T, dir, v, h);
    const yhat = new Float64Array(T * B);
    m.forward(x, B, T, yhat, { train: false });
    const Wo = m.layout.byName['W_out']!.offset;
    const bo = m.layout.byName['b_out']!.offset;
    let lhs = 0;
    for (let i = 0; i < g.length; i++) lhs += g[i]! * dir[i]!;
    let rhs = 0;
    for (let i = 0; i < T * B; i++) {
      const dy = (2 * (yhat[i]! - y[i]!)) / (T * B);
      let dyhat = dir[bo]!;
      for (let q = 0; q < H; q++) dyhat += m.params[Wo + q]! * v[i * H + q]! + dir[Wo + q]! * h[i * H + q]!;
      rhs += dy * dyhat;
    }
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
  });

  it('forward, hidden states and the recorded §4.1 terms match the step-by-step formulas', () => {
    const { m, x } = setup(41);
    const ref = reference(shape, m.layout, m.params, x, B, T);
    for (const train of [false, true]) {
      const yhat = new Float64Array(T * B);
      const hidden = new Float64Array(T * B * H);
      const leak = new Float64Array(T * B * H);
      const rdiag = new Float64Array(T * B * H);
      m.forward(x, B, T, yhat, { train, hidden, record: { leak, rdiag } });
      expect(maxAbsDiff(yhat, ref.yhat)).toBeLessThan(1e-13);
      expect(maxAbsDiff(hidden, ref.h)).toBeLessThan(1e-13);
      expect(maxAbsDiff(leak, ref.leak)).toBeLessThan(1e-14);
      expect(maxAbsDiff(rdiag, ref.rdiag)).toBeLessThan(1e-13);
      expect(maxAbs(rdiag)).toBeGreaterThan(1e-2);
      if (arch === 'const') for (const l of leak) expect(l).toBe(1 - CONST_S);
      else expect(maxAbs(leak.map((l) => l - leak[0]!))).toBeGreaterThan(1e-3); // gates move
    }
  });

  it('sequences spanning several input-projection blocks (T·B > PROJECTION_ROWS): forward and tangent', () => {
    const Bl = 3;
    const Tl = Math.ceil((PROJECTION_ROWS + 90) / Bl);
    const m = model64(shape, Bl, Tl);
    randomParams(m.layout, m.params, 61);
    const x = gaussians(Tl * Bl * D, 62);
    const ref = reference(shape, m.layout, m.params, x, Bl, Tl);
    const n = Tl * Bl * H;
    for (const train of [false, true]) {
      const yhat = new Float64Array(Tl * Bl);
      const hidden = new Float64Array(n);
      const leak = new Float64Array(n);
      const rdiag = new Float64Array(n);
      m.forward(x, Bl, Tl, yhat, { train, hidden, record: { leak, rdiag } });
      expect(maxAbsDiff(yhat, ref.yhat)).toBeLessThan(1e-12);
      expect(maxAbsDiff(hidden, ref.h)).toBeLessThan(1e-12);
      expect(maxAbsDiff(rdiag, ref.rdiag)).toBeLessThan(1e-12);
    }
    // the tangent pass reads x through the same blocks: central differences of h_t
    const dir = unitDirection(m.layout.size, 63);
    const v = new Float64Array(n);
    m.tangent(x, Bl, Tl, dir, v);
    const p0 = Float64Array.from(m.params);
    const hp = new Float64Array(n);
    const hm = new Float64Array(n);
    const eps = 1e-5;
    for (let i = 0; i < p0.length; i++) m.params[i] = p0[i]! + eps * dir[i]!;
    m.forward(x, Bl, Tl, new Float64Array(Tl * Bl), { train: false, hidden: hp });
    for (let i = 0; i < p0.length; i++) m.params[i] = p0[i]! - eps * dir[i]!;
    m.forward(x, Bl, Tl, new Float64Array(Tl * Bl), { train: false, hidden: hm });
    m.params.set(p0);
    const fd = hp.map((vp, i) => (vp - hm[i]!) / (2 * eps));
    expect(maxRelError(v, fd, 1e-4)).toBeLessThan(1e-6);
  });

  it('float32 agrees with float64 (forward, record, tangent, gradient)', () => {
    const m = model64(shape, B, T);
    const m32 = createGatedModel(shape, { kernels: f32, maxBatch: B, maxT: T });
    randomParams(m.layout, m.params, 53);
    for (let i = 0; i < m.params.length; i++) m.params[i] = Math.fround(m.params[i]!);
    m32.params.set(m.params);
    const x = gaussians(T * B * D, 54).map(Math.fround);
    const x32 = Float32Array.from(x);
    const y = gaussians(T * B, 55);

    const run = <A extends Float32Array | Float64Array>(mm: Model<A>, xx: A, alloc: (n: number) => A) => {
      const yhat = alloc(T * B), hidden = alloc(T * B * H), leak = alloc(T * B * H), rdiag = alloc(T * B * H);
      mm.forward(xx, B, T, yhat, { train: true, hidden, record: { leak, rdiag } });
      const dy = alloc(T * B);
      for (let i = 0; i < T * B; i++) dy[i] = (2 * (yhat[i]! - y[i]!)) / (T * B);
      mm.backward(dy);
      const v = alloc(T * B * H);
      const dir = alloc(mm.layout.size);
      dir.set(unitDirection(mm.layout.size, 56));
      mm.tangent(xx, B, T, dir, v);
      return { yhat, hidden, leak, rdiag, v, g: mm.grads };
    };
    const r64 = run(m, x, (n) => new Float64Array(n));
    const r32 = run(m32, x32, (n) => new Float32Array(n));
    for (const key of ['yhat', 'hidden', 'leak', 'rdiag', 'v'] as const) {
      expect(maxAbsDiff(r32[key], r64[key]), key).toBeLessThan(1e-5 * Math.max(1, maxAbs(r64[key])));
    }
    expect(maxAbsDiff(r32.g, r64.g)).toBeLessThan(1e-5 * Math.max(1, maxAbs(r64.g)));
  });

  it('B and T below maxBatch/maxT give the results of an exactly sized model', () => {
    const big = model64(shape, 5, 10);
    randomParams(big.layout, big.params, 61);
    // a first, larger call leaves non-zero state in every buffer
    const xl = gaussians(10 * 5 * D, 62);
    const yl = gaussians(10 * 5, 63);
    analyticGrad(big, xl, yl, 5, 10);
    big.tangent(xl, 5, 10, unitDirection(big.layout.size, 64), new Float64Array(10 * 5 * H));

    for (const [b, t] of [[2, 6], [1, 1], [3, 4]] as const) {
      const small = model64(shape, b, t);
      small.params.set(big.params);
      const x = gaussians(t * b * D, 65 + b);
      const y = gaussians(t * b, 66 + b);
      const gBig = analyticGrad(big, x, y, b, t);
      const gSmall = analyticGrad(small, x, y, b, t);
      expect(maxAbsDiff(gBig, gSmall)).toBe(0);
      const ref = reference(shape, big.layout, big.params, x, b, t);
      const yhat = new Float64Array(t * b);
      const hidden = new Float64Array(t * b * H);
      big.forward(x, b, t, yhat, { train: false, hidden });
      expect(maxAbsDiff(yhat, ref.yhat)).toBeLessThan(1e-13);
      expect(maxAbsDiff(hidden, ref.h)).toBeLessThan(1e-13);
      const dir = unitDirection(big.layout.size, 67);
      const vBig = new Float64Array(t * b * H);
      const vSmall = new Float64Array(t * b * H);
      big.tangent(x, b, t, dir, vBig);
      small.tangent(x, b, t, dir, vSmall);
      expect(maxAbsDiff(vBig, vSmall)).toBe(0);
    }
  });

  it('an evaluation forward or a tangent pass between forward(train) and backward changes nothing', () => {
    const { m, x, y } = setup(71);
    const g0 = analyticGrad(m, x, y, B, T);
    const yhat = new Float64Array(T * B);
    m.forward(x, B, T, yhat, { train: true });
    const dy = new Float64Array(T * B);
    for (let i = 0; i < T * B; i++) dy[i] = (2 * (yhat[i]! - y[i]!)) / (T * B);
    const x2 = gaussians(2 * 2 * D, 72);
    m.forward(x2, 2, 2, new Float64Array(4), { train: false });
    m.tangent(x2, 2, 2, unitDirection(m.layout.size, 73), new Float64Array(2 * 2 * H));
    m.backward(dy);
    expect(maxAbsDiff(m.grads, g0)).toBe(0);
  });
});

describe('gated model argument checks', () => {
  it('rejects sizes beyond the workspaces and backward without a training forward', () => {
    const m = model64(shapeOf('diag', false), 2, 3);
    const x = new Float64Array(4 * 3 * D);
    expect(() => m.forward(x, 3, 3, new Float64Array(9), { train: false })).toThrow(RangeError);
    expect(() => m.forward(x, 2, 4, new Float64Array(8), { train: false })).toThrow(RangeError);
    expect(() => m.backward(new Float64Array(6))).toThrow();
    m.forward(x, 2, 3, new Float64Array(6), { train: false });
    expect(() => m.backward(new Float64Array(6))).toThrow();
    m.forward(x, 2, 3, new Float64Array(6), { train: true });
    m.backward(new Float64Array(6));
    expect(() => m.backward(new Float64Array(6))).toThrow(); // caches consumed
  });
});

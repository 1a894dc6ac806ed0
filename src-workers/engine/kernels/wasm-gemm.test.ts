/**
 * The WASM SIMD GEMMs against mathematics:
 *  - the float64 TypeScript reference, within the classical float32
 *    summation bound |ĉ − c| ≤ γ_{k+1}·(|c₀| + Σ_p |a_p b_p|), γ_n = n·u/(1 − n·u),
 *    u = 2⁻²⁴ (unit roundoff; c₀ only with beta = 1);
 *  - bit for bit, the sequential float32 sum c ← fl(c + fl(a·b)) in increasing
 *    p, re-derived here with Math.fround (exact: products of two float32 fit
 *    a double, and double rounding of a float32 sum through float64 is
 *    innocuous since 53 ≥ 2·24 + 2). This is the kernels' documented
 *    invariant: results do not depend on blocking, offsets or alignment.
 * Edge sizes (1, 3, 5, 17, 33, ...), k over several k-blocks (64 for TN/NT, 256 for NN),
 * offsets, padded leading dimensions, beta 0 and 1, and nothing outside the
 * C block written.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createTsKernels } from './ts-kernels';
import type { Kernels } from './types';
import { createWasmKernels } from './wasm/wasm-kernels';

type Op = 'gemmNN' | 'gemmNT' | 'gemmTN';
const U = 2 ** -24;

const wasm = createWasmKernels({ capacityFloats: 1 << 21 });
const ref = createTsKernels<Float64Array>('f64');

/** Stored shapes: rows × cols of A and B for an op. */
function dims(op: Op, m: number, n: number, k: number): { aR: number; aC: number; bR: number; bC: number } {
  return {
    aR: op === 'gemmTN' ? k : m, aC: op === 'gemmTN' ? m : k,
    bR: op === 'gemmNT' ? n : k, bC: op === 'gemmNT' ? k : n,
  };
}

/** Â(i,p) and B̂(p,j) as the op reads them. */
function aAt(op: Op, a: ArrayLike<number>, off: number, ld: number, i: number, p: number): number {
  return op === 'gemmTN' ? a[off + p * ld + i]! : a[off + i * ld + p]!;
}
function bAt(op: Op, b: ArrayLike<number>, off: number, ld: number, p: number, j: number): number {
  return op === 'gemmNT' ? b[off + j * ld + p]! : b[off + p * ld + j]!;
}

interface Case { op: Op; m: number; n: number; k: number; beta: 0 | 1; aOff: number; bOff: number; cOff: number; padA: number; padB: number; padC: number }

function fillF32(x: Float32Array, rng: Rng): void {
  for (let i = 0; i < x.length; i++) x[i] = rng.range(-1, 1);
}

function runCase(cs: Case, rng: Rng): void {
  const { op, m, n, k, beta } = cs;
  const d = dims(op, m, n, k);
  const lda = d.aC + cs.padA, ldb = d.bC + cs.padB, ldc = n + cs.padC;
  const aLen = cs.aOff + Math.max(0, d.aR - 1) * lda + d.aC + 3;
  const bLen = cs.bOff + Math.max(0, d.bR - 1) * ldb + d.bC + 3;
  const cLen = cs.cOff + Math.max(0, m - 1) * ldc + n + 3;

  const a = wasm.alloc(aLen), b = wasm.alloc(bLen), c = wasm.alloc(cLen);
  fillF32(a, rng); fillF32(b, rng); fillF32(c, rng); // C padding is random too: it must survive
  const a0 = Float32Array.from(a), b0 = Float32Array.from(b), c0 = Float32Array.from(c);

  wasm[op](m, n, k, a, cs.aOff, lda, b, cs.bOff, ldb, c, cs.cOff, ldc, beta);

  // float64 reference on the same (exactly representable) values
  const a64 = Float64Array.from(a0), b64 = Float64Array.from(b0), c64 = Float64Array.from(c0);
  ref[op](m, n, k, a64, cs.aOff, lda, b64, cs.bOff, ldb, c64, cs.cOff, ldc, beta);

  const gamma = ((k + 1) * U) / (1 - (k + 1) * U);
  const label = `${op} m=${m} n=${n} k=${k} beta=${beta} off=${cs.aOff},${cs.bOff},${cs.cOff} ld=${lda},${ldb},${ldc}`;
  let worstRatio = 0, mismatches = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const idx = cs.cOff + i * ldc + j;
      // sum of |terms| for the bound, and the sequential float32 sum
      let s = beta === 1 ? Math.abs(c0[idx]!) : 0;
      let seq = beta === 1 ? c0[idx]! : 0;
      for (let p = 0; p < k; p++) {
        const av = aAt(op, a0, cs.aOff, lda, i, p), bv = bAt(op, b0, cs.bOff, ldb, p, j);
        s += Math.abs(av * bv);
        seq = Math.fround(seq + Math.fround(av * bv));
      }
      const err = Math.abs(c[idx]! - c64[idx]!);
      const tol = gamma * s;
      if (tol > 0) worstRatio = Math.max(worstRatio, err / tol);
      else if (err !== 0) worstRatio = Infinity;
      if (c[idx] !== seq) mismatches++;
    }
  }
  expect(worstRatio, `${label}: error / bound`).toBeLessThanOrEqual(1);
  expect(mismatches, `${label}: elements differing from the sequential float32 sum`).toBe(0);

  // nothing outside the C block changed, inputs untouched
  let outside = 0;
  for (let idx = 0; idx < cLen; idx++) {
    const r = Math.floor((idx - cs.cOff) / ldc), col = (idx - cs.cOff) - r * ldc;
    const inside = idx >= cs.cOff && r < m && col < n;
    if (!inside && c[idx] !== c0[idx]) outside++;
  }
  expect(outside, `${label}: writes outside C`).toBe(0);
  expect(a).toEqual(a0);
  expect(b).toEqual(b0);
}

const SIZES_MN = [1, 3, 4, 5, 8, 9, 17, 33];
const SIZES_K = [1, 3, 5, 17, 33];

describe('wasm gemm vs float64 reference', () => {
  for (const op of ['gemmNN', 'gemmNT', 'gemmTN'] as const) {
    it(`${op}: edge sizes m, n, k, both betas, offsets and padded leading dimensions`, () => {
      const rng = new Rng(0x5eed + op.length);
      const mark = wasm.usedFloats();
      let cases = 0;
      for (const m of SIZES_MN) {
        for (const n of SIZES_MN) {
          const k = SIZES_K[(m + 2 * n) % SIZES_K.length]!;
          for (const beta of [0, 1] as const) {
            runCase({
              op, m, n, k, beta,
              aOff: rng.int(6), bOff: rng.int(6), cOff: rng.int(6),
              padA: rng.int(4), padB: rng.int(4), padC: rng.int(4),
            }, rng);
            cases++;
          }
        }
      }
      expect(cases).toBe(SIZES_MN.length * SIZES_MN.length * 2);
      expect(wasm.usedFloats()).toBeGreaterThan(mark);
    });

    it(`${op}: every k in 1..40 on a 5×13 block, and k spanning several k-blocks`, () => {
      const rng = new Rng(0xbeef + op.length);
      for (let k = 1; k <= 40; k++) {
        runCase({ op, m: 5, n: 13, k, beta: (k & 1) as 0 | 1, aOff: 1, bOff: 2, cOff: 3, padA: 1, padB: 0, padC: 2 }, rng);
      }
      for (const k of [255, 256, 257, 600]) {
        for (const beta of [0, 1] as const) {
          runCase({ op, m: 7, n: 19, k, beta, aOff: 3, bOff: 1, cOff: 0, padA: 2, padB: 3, padC: 1 }, rng);
        }
      }
    });

    it(`${op}: shapes of the models (time step blocks, weight-gradient reductions)`, () => {
      const rng = new Rng(0xcafe + op.length);
      // m > 256 rows at k ≥ 256 (NN) or m > 1024 (TN, k-blocks of 64): several packed Â row groups
      const shapes: [number, number, number][] = op === 'gemmNN'
        ? [[16, 96, 8], [33, 128, 40], [64, 36, 12], [301, 9, 300]]
        : op === 'gemmNT'
          ? [[16, 32, 96], [17, 33, 300], [40, 130, 20], [2, 1030, 70]] // the last: 2×2 transposed blocks of the scratch
          : [[32, 128, 700], [12, 96, 513], [3, 1, 257], [1101, 5, 70]];
      for (const [m, n, k] of shapes) {
        for (const beta of [0, 1] as const) {
          runCase({ op, m, n, k, beta, aOff: 4, bOff: 8, cOff: 12, padA: 0, padB: 0, padC: 0 }, rng);
        }
      }
    });

    it(`${op}: k = 0 gives beta·C, m = 0 or n = 0 writes nothing`, () => {
      const c = wasm.alloc(12);
      for (let i = 0; i < 12; i++) c[i] = i + 1;
      const a = wasm.alloc(16), b = wasm.alloc(16);
      wasm[op](2, 3, 0, a, 0, 2, b, 0, 3, c, 0, 4, 1);
      expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      wasm[op](2, 3, 0, a, 0, 2, b, 0, 3, c, 1, 4, 0);
      expect(Array.from(c)).toEqual([1, 0, 0, 0, 5, 0, 0, 0, 9, 10, 11, 12]);
      wasm[op](0, 3, 2, a, 0, 2, b, 0, 3, c, 0, 4, 0);
      wasm[op](2, 0, 2, a, 0, 2, b, 0, 3, c, 0, 4, 0);
      expect(Array.from(c)).toEqual([1, 0, 0, 0, 5, 0, 0, 0, 9, 10, 11, 12]);
    });
  }

  it('gemmNN on a small closed form: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]', () => {
    const a = wasm.alloc(4), b = wasm.alloc(4), c = wasm.alloc(4);
    a.set([1, 2, 3, 4]); b.set([5, 6, 7, 8]);
    wasm.gemmNN(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, 0);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    wasm.gemmNT(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, 1); // + A·Bᵀ = [[17,23],[39,53]]
    expect(Array.from(c)).toEqual([36, 45, 82, 103]);
    wasm.gemmTN(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, 0); // Aᵀ·B = [[26,30],[38,44]]
    expect(Array.from(c)).toEqual([26, 30, 38, 44]);
  });
});

describe('wasm gemm argument checks', () => {
  const k: Kernels<Float32Array> = wasm;
  const a = wasm.alloc(16), b = wasm.alloc(16), c = wasm.alloc(16);

  it('rejects arrays that do not live in this instance\'s memory', () => {
    const plain = new Float32Array(16);
    expect(() => k.gemmNN(2, 2, 2, plain, 0, 2, b, 0, 2, c, 0, 2, 0)).toThrow(/gemmNN A is not an array of this kernel instance's memory/);
    expect(() => k.gemmNT(2, 2, 2, a, 0, 2, plain, 0, 2, c, 0, 2, 0)).toThrow(/gemmNT B is not an array/);
    const other = createWasmKernels({ capacityFloats: 64 });
    const foreign = other.alloc(16);
    expect(() => k.gemmTN(2, 2, 2, a, 0, 2, b, 0, 2, foreign, 0, 2, 0)).toThrow(/gemmTN C is not an array/);
    expect(() => other.gemmNN(2, 2, 2, a, 0, 2, b, 0, 2, foreign, 0, 2, 0)).toThrow(/not an array of this kernel instance/);
  });

  it('rejects blocks that run past their array, bad leading dimensions and bad beta', () => {
    expect(() => k.gemmNN(4, 4, 4, a, 1, 4, b, 0, 4, c, 0, 4, 0)).toThrow(/gemmNN A out of bounds/);
    expect(() => k.gemmNN(4, 4, 4, a, 0, 4, b, 0, 4, c, 0, 5, 0)).toThrow(/gemmNN C out of bounds/);
    expect(() => k.gemmNN(2, 4, 2, a, 0, 2, b, 0, 4, c, 0, 3, 0)).toThrow(/bad leading dimension 3 for gemmNN C/);
    expect(() => k.gemmNT(2, 2, 2, a, -1, 2, b, 0, 2, c, 0, 2, 0)).toThrow(/out of bounds/);
    expect(() => k.gemmTN(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, 2 as 0 | 1)).toThrow(/beta must be 0 or 1/);
    expect(() => k.gemmTN(2, 2.5, 2, a, 0, 2, b, 0, 2, c, 0, 2, 0)).toThrow(/non-negative integers/);
  });

  it('accepts subarray views of its own arrays (pointer = byteOffset + offset)', () => {
    const big = wasm.alloc(64);
    for (let i = 0; i < 64; i++) big[i] = i % 7;
    const view = big.subarray(8, 24);
    const out = wasm.alloc(4), expected = new Float64Array(4);
    wasm.gemmNN(2, 2, 2, view, 1, 3, view, 5, 2, out, 0, 2, 0);
    ref.gemmNN(2, 2, 2, Float64Array.from(big), 9, 3, Float64Array.from(big), 13, 2, expected, 0, 2, 0);
    expect(Array.from(out)).toEqual(Array.from(expected));
  });
});

/**
 * The weight-gradient reductions (reductions.ts) against float64 sums.
 *
 * Tolerances come from float32 rounding (u = 2⁻²⁴), not from the code's output:
 *  - per entry, worst case: a plain sub-sum of K ≤ 32 products (FMA or not)
 *    errs by ≤ (K+1)·u·Σ|a_r b_r| over its rows; the compensated (Neumaier)
 *    additions of sub-sums and of chunk partials, the roundings of the
 *    partials and of the result add ≤ 4u·|C| + u·Σ|a_r b_r| (second-order
 *    terms are far below). So |gpu − exact| ≤ (K+2)·u·Σ_r|a_r b_r| + 4u·|C|.
 *  - in norm, for N(0,1) data: with independent roundings (variance u²/3 of
 *    each relative rounding), one sub-sum of K products errs with variance
 *    (K(K+1)/2 + K)·u²/3 (partial sums of size √k); R/K sub-sums, plus the
 *    partials' and the result's roundings (≈ u²/3·R each), give
 *    rms error ≈ u·√(((K+1)/2 + 3)/3)·√R ≈ 2.6u·√R = 1.5e-7·√R (K = 32),
 *    while ‖C‖_rms ≈ √R: a relative error ≈ 1.5e-7. The checks allow 4×
 *    that (6.1e-7, under the 1e-6 asked of the reductions). Without the
 *    compensation, a thread adding R/K sub-sums in a row errs by
 *    ≈ u·R/√(6K) (partial sums of size √(bK) after b sub-sums), relative
 *    u·√R/√(6K); the sharper check of the compensation is the constant-sum
 *    test below. A dropped or doubled row fails by orders of magnitude.
 *  - sums of the constant c = 1 + 2⁻¹⁸ over R = 40 000 rows: every partial sum
 *    of ≤ 32 terms is exact in float32 (≤ 24 significant bits), so the only
 *    errors are those of adding sub-sums and partials: ≤ 2u·R·c with the
 *    compensation, while a plain float32 running total (ulp 2⁻⁸ near 4·10⁴)
 *    drops the 2⁻¹³ of every 32-row sub-sum once past 2¹¹: ≈ 3.6e-6 relative.
 * The shapes exercise every kernel variant; planGemmTN says which one ran.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../engine/rng';
import { reductions, type GemmPlan } from '../reductions';
import { createStorage, readRegions, writeFloats } from '../runtime';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

const U = 2 ** -24;
const K = 32;
/** the rms model of the file comment, relative to ‖C‖ for N(0,1) data */
const MODEL_RMS = U * Math.sqrt(((K + 1) / 2 + 3) / 3);
/** the reductions' contract */
const TOL = 1e-6;
/** what the rounding model allows (for the norm over many entries, or one entry at ≈ 4σ) */
const TOL_MODEL = 4 * MODEL_RMS;

function randn(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.gaussian();
  return a;
}

interface View { off: number; ld: number }
interface Case {
  name: string;
  rows: number; m: number; n: number;
  a: View; b: View;
  /** colSums of B (A = ones, m = 1) */
  colSums?: boolean;
  ldc?: number;
  accumulate?: boolean;
  tuning?: Parameters<ReturnType<typeof reductions>['setGemmTuning']>[0];
  /** the kernel the plan must choose */
  expect: (p: GemmPlan) => boolean;
}

/** exact (float64) C, Σ_r |a_r b_r| per entry, Σ_r (a_r b_r)² in all */
function reference(A: Float32Array, Bm: Float32Array, c: Case): { C: Float64Array; absSum: Float64Array; sq: number } {
  const { rows, m, n } = c;
  const C = new Float64Array(m * n), absSum = new Float64Array(m * n);
  let sq = 0;
  const av = new Float64Array(m);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < m; i++) av[i] = c.colSums ? 1 : A[c.a.off + r * c.a.ld + i]!;
    const bRow = c.b.off + r * c.b.ld;
    for (let i = 0; i < m; i++) {
      const ai = av[i]!, o = i * n;
      for (let j = 0; j < n; j++) {
        const p = ai * Bm[bRow + j]!;
        C[o + j] += p;
        absSum[o + j] += Math.abs(p);
        sq += p * p;
      }
    }
  }
  return { C, absSum, sq };
}

describe.skipIf(!ctx)('webgpu reductions: gemmTN / colSums / colDots against float64', () => {
  const g = ctx!;
  const red = reductions(g);

  it('every kernel variant over 20 000 rows of N(0,1) data stays within the float32 error bounds', async () => {
    const R = 20_000, LDA = 76, LDB = 140;
    const A = randn(R * LDA + 8, 101), Bm = randn(R * LDB + 8, 202);
    const ab = createStorage(g, A.length, 'A'), bb = createStorage(g, Bm.length, 'B');
    writeFloats(g, ab, A); writeFloats(g, bb, Bm);
    const tiled = (vecA: boolean, vecB: boolean, tm: number, tn: number) => (p: GemmPlan): boolean =>
      p.kind === 'tiled' && p.cfg.vecA === vecA && p.cfg.vecB === vecB && p.cfg.tm === tm && p.cfg.tn === tn && p.nChunks > 1;
    const cases: Case[] = [
      // 64×64 tiles, vec4 A and B, partial tiles on both sides (68 = 64 + 4, 36 < 64), accumulate into C
      { name: 'tiled vec4', rows: R, m: 68, n: 36, a: { off: 4, ld: LDA }, b: { off: 4, ld: LDB }, accumulate: true, ldc: 39, expect: tiled(true, true, 64, 64) },
      // unaligned offsets and odd leading dimensions: scalar loads, 32×64 tile
      { name: 'tiled scalar', rows: R, m: 20, n: 40, a: { off: 3, ld: LDA - 1 }, b: { off: 5, ld: LDB - 1 }, expect: tiled(false, false, 32, 64) },
      // vec4 A, scalar B (offset 2), n = 33 not a multiple of 4; fewer rows than a block in the last chunk
      { name: 'tiled mixed', rows: R - 7, m: 64, n: 33, a: { off: 0, ld: LDA }, b: { off: 2, ld: LDB }, expect: tiled(true, false, 64, 64) },
      // the plain 16×16 kernel on request
      { name: 'simple', rows: R, m: 20, n: 40, a: { off: 3, ld: LDA - 1 }, b: { off: 5, ld: LDB - 1 }, tuning: { kernel: 'simple' }, expect: (p) => p.kind === 'simple' },
      // tuned tiles: 8-wide micro-tiles, 12-row blocks (partially filled load slots), vec4 off
      { name: 'tuned 32×64/4×8 k12×2', rows: R, m: 36, n: 40, a: { off: 4, ld: LDA }, b: { off: 4, ld: LDB }, tuning: { tm: 32, tn: 64, rm: 4, rn: 8, kb: 12 }, expect: (p) => p.kind === 'tiled' && p.cfg.rn === 8 && p.cfg.sub === 2 && p.chunk % 24 === 0 },
      { name: 'tuned 64×32/8×4 k16×1 scalar', rows: R, m: 40, n: 36, a: { off: 4, ld: LDA }, b: { off: 4, ld: LDB }, tuning: { tm: 64, tn: 32, rm: 8, rn: 4, sub: 1, vec4: false }, expect: (p) => p.kind === 'tiled' && p.cfg.rm === 8 && p.cfg.sub === 1 && !p.cfg.vecA },
      // skinny: D = 3 (narrow A), dW_out (narrow B, n = 1), m = 2 × n = 3 (4 lanes × 16 row lanes)
      { name: 'skinny D=3', rows: R, m: 3, n: 50, a: { off: 1, ld: LDA }, b: { off: 0, ld: LDB }, expect: (p) => p.kind === 'skinny' && p.narrowIsA && p.cfg.k === 3 },
      { name: 'skinny n=1', rows: R, m: 37, n: 1, a: { off: 0, ld: LDA }, b: { off: 7, ld: LDB }, expect: (p) => p.kind === 'skinny' && !p.narrowIsA && p.cfg.wx === 64 },
      { name: 'skinny 2×3', rows: R, m: 2, n: 3, a: { off: 5, ld: LDA }, b: { off: 9, ld: LDB }, expect: (p) => p.kind === 'skinny' && p.cfg.wx === 4 && p.cfg.k === 2 },
      // column sums: one column (64 row lanes), and 130 columns (3 workgroups of 64), accumulating
      { name: 'colSums n=1', rows: R, m: 1, n: 1, a: { off: 0, ld: 0 }, b: { off: 9, ld: LDB }, colSums: true, expect: (p) => p.kind === 'skinny' && p.cfg.wx === 1 },
      { name: 'colSums n=130', rows: R, m: 1, n: 130, a: { off: 0, ld: 0 }, b: { off: 3, ld: LDB }, colSums: true, accumulate: true, expect: (p) => p.kind === 'skinny' && p.groups === 3 },
    ];
    // one output region per case
    const at: number[] = [];
    let total = 0;
    for (const c of cases) { at.push(total); total += c.m * (c.ldc ?? c.n); }
    const cb = createStorage(g, total, 'C');
    const C0 = randn(total, 303);
    writeFloats(g, cb, C0);
    const enc = g.device.createCommandEncoder();
    cases.forEach((c, k) => {
      red.setGemmTuning(c.tuning ?? null);
      const args = {
        rows: c.rows, m: c.m, n: c.n, a: ab, aOff: c.a.off, lda: c.a.ld, b: bb, bOff: c.b.off, ldb: c.b.ld,
        c: cb, cOff: at[k]!, ldc: c.ldc ?? c.n, accumulate: c.accumulate ?? false,
      };
      const plan = red.planGemmTN(c.colSums ? { ...args, a: red.ones } : args);
      expect(c.expect(plan), `${c.name}: ${JSON.stringify(plan)}`).toBe(true);
      if (c.colSums) red.colSums(enc, { rows: c.rows, n: c.n, a: bb, aOff: c.b.off, lda: c.b.ld, c: cb, cOff: at[k]!, accumulate: c.accumulate ?? false });
      else red.gemmTN(enc, args);
    });
    red.setGemmTuning(null);
    const out = new Float32Array(total);
    await readRegions(g, [{ buf: cb, n: total, into: out }], enc);

    const report: string[] = [];
    cases.forEach((c, k) => {
      const { C, absSum, sq } = reference(A, Bm, c);
      const ldc = c.ldc ?? c.n;
      let d2 = 0, c2 = 0, worst = 0;
      for (let i = 0; i < c.m; i++) {
        for (let j = 0; j < c.n; j++) {
          const o = at[k]! + i * ldc + j;
          const exact = C[i * c.n + j]! + (c.accumulate ? C0[o]! : 0);
          const err = Math.abs(out[o]! - exact);
          d2 += err ** 2; c2 += exact ** 2;
          // the worst-case bound, per entry
          worst = Math.max(worst, err / ((K + 2) * U * absSum[i * c.n + j]! + 4 * U * Math.abs(exact)));
        }
        // columns beyond n (ldc > n) are untouched
        for (let j = c.n; j < ldc; j++) expect(out[at[k]! + i * ldc + j]).toBe(C0[at[k]! + i * ldc + j]);
      }
      const rel = Math.sqrt(d2 / c2);
      // relative to the natural scale √(Σ (ab)²) (≈ ‖C‖ for N(0,1) data; stable for a single entry)
      const scaled = Math.sqrt(d2 / sq);
      report.push(`${c.name}: rel ${rel.toExponential(2)}, scaled ${scaled.toExponential(2)}, worst/bound ${worst.toFixed(3)}`);
      expect(worst, c.name).toBeLessThanOrEqual(1);
      expect(scaled, c.name).toBeLessThan(TOL_MODEL);
      if (c.m * c.n >= 64) expect(rel, c.name).toBeLessThan(TOL);
    });
    console.log(`gemmTN accuracy (model rms ≈ ${MODEL_RMS.toExponential(2)}):\n  ${report.join('\n  ')}`);
    for (const b of [ab, bb, cb]) b.destroy();
  });

  it('constant sums are exact up to the final roundings, in many chunks and in one (the compensation works)', async () => {
    const R = 40_000, W = 8, c = 1 + 2 ** -18;
    const ones = createStorage(g, R * W, 'ones'), cs = createStorage(g, R * W, 'c');
    writeFloats(g, ones, new Float32Array(R * W).fill(1));
    writeFloats(g, cs, new Float32Array(R * W).fill(c));
    const variants: { name: string; t: Parameters<typeof red.setGemmTuning>[0]; colSums?: boolean }[] = [
      { name: 'tiled', t: null },
      { name: 'tiled, one chunk', t: { targetGroups: 1, minChunkRows: R } },
      { name: 'simple, one chunk', t: { kernel: 'simple', targetGroups: 1, minChunkRows: R } },
      { name: 'skinny', t: null, colSums: true },
      { name: 'skinny, one chunk', t: { targetGroups: 1, minChunkRows: R }, colSums: true },
    ];
    const cb = createStorage(g, variants.length * W * W, 'C');
    const enc = g.device.createCommandEncoder();
    variants.forEach((v, k) => {
      red.setGemmTuning(v.t);
      if (v.colSums) red.colSums(enc, { rows: R, n: W, a: cs, aOff: 0, lda: W, c: cb, cOff: k * W * W });
      else red.gemmTN(enc, { rows: R, m: W, n: W, a: ones, aOff: 0, lda: W, b: cs, bOff: 0, ldb: W, c: cb, cOff: k * W * W, ldc: W });
    });
    red.setGemmTuning(null);
    const out = new Float32Array(variants.length * W * W);
    await readRegions(g, [{ buf: cb, n: out.length, into: out }], enc);
    const exact = R * c;
    variants.forEach((v, k) => {
      const got = out.subarray(k * W * W, k * W * W + (v.colSums ? W : W * W));
      for (const x of got) expect(Math.abs(x - exact), v.name).toBeLessThanOrEqual(2 * U * exact);
    });
    for (const b of [ones, cs, cb]) b.destroy();
  });

  it('gemmTN, colSums and colDots agree with float64 sums over a strided block of rows', async () => {
    const rows = 700, lda = 9, ldb = 13, m = 5, n = 11, aOff = 2, bOff = 1;
    const A = randn(rows * lda + aOff, 1), Bm = randn(rows * ldb + bOff, 2);
    const ab = createStorage(g, A.length, 'A'), bb = createStorage(g, Bm.length, 'B');
    const cb = createStorage(g, 3 * n + m * n, 'C');
    writeFloats(g, ab, A); writeFloats(g, bb, Bm);
    const C0 = randn(m * n, 3);
    writeFloats(g, cb, C0, 0, m * n, 3 * n);
    const enc = g.device.createCommandEncoder();
    red.gemmTN(enc, { rows, m, n, a: ab, aOff, lda, b: bb, bOff, ldb, c: cb, cOff: 3 * n, ldc: n, accumulate: true });
    red.colSums(enc, { rows, n, a: bb, aOff: bOff, lda: ldb, c: cb, cOff: 0 });
    red.colDots(enc, { rows, n: 5, a: ab, aOff, lda, b: bb, bOff, ldb, c: cb, cOff: n });
    const out = new Float32Array(3 * n + m * n);
    await readRegions(g, [{ buf: cb, n: out.length, into: out }], enc);
    const gemm = new Float64Array(m * n), sums = new Float64Array(n), dots = new Float64Array(5);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) gemm[i * n + j] += A[aOff + r * lda + i]! * Bm[bOff + r * ldb + j]!;
      for (let j = 0; j < n; j++) sums[j] += Bm[bOff + r * ldb + j]!;
      for (let j = 0; j < 5; j++) dots[j] += A[aOff + r * lda + j]! * Bm[bOff + r * ldb + j]!;
    }
    for (let k = 0; k < m * n; k++) gemm[k] += C0[k]!;
    const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
      let d = 0, s = 0;
      for (let i = 0; i < b.length; i++) { d += (a[i]! - b[i]!) ** 2; s += b[i]! ** 2; }
      return Math.sqrt(d / s);
    };
    expect(relErr(out.subarray(3 * n), gemm)).toBeLessThan(TOL);
    expect(relErr(out.subarray(0, n), sums)).toBeLessThan(TOL);
    expect(relErr(out.subarray(n, n + 5), dots)).toBeLessThan(TOL);
    for (const b of [ab, bb, cb]) b.destroy();
  });

  it('few rows (less than one block), and rows = 0 (zeros, or C unchanged when accumulating)', async () => {
    const A = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // 3 rows × 4
    const Bm = new Float32Array([1, -1, 0.5, 2, 0, 3, -2, 1, 4]); // 3 rows × 3
    const ab = createStorage(g, 12, 'A'), bb = createStorage(g, 9, 'B');
    writeFloats(g, ab, A); writeFloats(g, bb, Bm);
    const cb = createStorage(g, 5 * 12 + 3, 'C');
    writeFloats(g, cb, new Float32Array(5 * 12 + 3).fill(7));
    const enc = g.device.createCommandEncoder();
    // Aᵀ·B over 3 rows: 4×3 (tiled 16×16), the 3×… transposed roles (skinny), zero rows
    red.gemmTN(enc, { rows: 3, m: 4, n: 3, a: ab, aOff: 0, lda: 4, b: bb, bOff: 0, ldb: 3, c: cb, cOff: 0, ldc: 3 });
    red.gemmTN(enc, { rows: 3, m: 3, n: 4, a: bb, aOff: 0, lda: 3, b: ab, bOff: 0, ldb: 4, c: cb, cOff: 12, ldc: 4 });
    red.gemmTN(enc, { rows: 0, m: 4, n: 3, a: ab, aOff: 0, lda: 4, b: bb, bOff: 0, ldb: 3, c: cb, cOff: 24, ldc: 3 });
    red.gemmTN(enc, { rows: 0, m: 4, n: 3, a: ab, aOff: 0, lda: 4, b: bb, bOff: 0, ldb: 3, c: cb, cOff: 36, ldc: 3, accumulate: true });
    red.setGemmTuning({ kernel: 'tiled' });
    red.gemmTN(enc, { rows: 2, m: 3, n: 4, a: bb, aOff: 0, lda: 3, b: ab, bOff: 0, ldb: 4, c: cb, cOff: 48, ldc: 4 });
    red.setGemmTuning(null);
    red.colSums(enc, { rows: 3, n: 3, a: bb, aOff: 0, lda: 3, c: cb, cOff: 60 });
    const out = new Float32Array(63);
    await readRegions(g, [{ buf: cb, n: 63, into: out }], enc);
    const atb = (rows: number): number[] => {
      const c: number[] = [];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) { let s = 0; for (let r = 0; r < rows; r++) s += A[r * 4 + i]! * Bm[r * 3 + j]!; c.push(s); }
      return c;
    };
    const tr = (c: number[]): number[] => [0, 1, 2].flatMap((j) => [0, 1, 2, 3].map((i) => c[i * 3 + j]!));
    expect([...out.subarray(0, 12)]).toEqual(atb(3)); // small integers and halves: exact in float32
    expect([...out.subarray(12, 24)]).toEqual(tr(atb(3)));
    expect([...out.subarray(24, 36)]).toEqual(new Array(12).fill(0));
    expect([...out.subarray(36, 48)]).toEqual(new Array(12).fill(7));
    expect([...out.subarray(48, 60)]).toEqual(tr(atb(2)));
    expect([...out.subarray(60, 63)]).toEqual([1 + 2 - 2, -1 + 0 + 1, 0.5 + 3 + 4]);
    for (const b of [ab, bb, cb]) b.destroy();
  });
});

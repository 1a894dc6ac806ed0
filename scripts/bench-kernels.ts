/**
 * Kernel throughput, TS (float32 typed arrays) vs WASM SIMD (f32x4):
 * GFLOP/s per GEMM kernel and shape (2·m·n·k flops), ns/element for the
 * activations and for the fused per-step kernels (LayerNorm, the cells) on a
 * quick-preset step (B = 64 rows, H = 32). Single thread.
 *
 *   npx tsx scripts/bench-kernels.ts [--quick] [--wasm-only]
 */
import { createTsKernels } from '../src-workers/engine/kernels/ts-kernels';
import type { Kernels } from '../src-workers/engine/kernels/types';
import { createWasmKernels } from '../src-workers/engine/kernels/wasm/wasm-kernels';

type Op = 'gemmNN' | 'gemmNT' | 'gemmTN';
interface Shape { op: Op; m: number; n: number; k: number; note: string }

const SHAPES: Shape[] = [
  { op: 'gemmNN', m: 32, n: 128, k: 32, note: 'quick: step h·U, LSTM, B=32' },
  { op: 'gemmNN', m: 64, n: 128, k: 32, note: 'quick: step h·U, LSTM, eval B=64' },
  { op: 'gemmNN', m: 64, n: 32, k: 32, note: 'quick: step h·W_h, const' },
  { op: 'gemmNN', m: 32, n: 32, k: 128, note: 'quick: step dG·Uᵀ (Uᵀ copied), LSTM' },
  { op: 'gemmNN', m: 1024, n: 128, k: 8, note: 'quick: input projection block' },
  { op: 'gemmTN', m: 32, n: 128, k: 8192, note: 'quick: dU, LSTM' },
  { op: 'gemmNN', m: 32, n: 128, k: 40, note: '32x40 · 40x128' },
  { op: 'gemmNN', m: 512, n: 512, k: 144, note: '512x144 · 144x512' },
  { op: 'gemmNN', m: 64, n: 512, k: 16, note: 'step x·W, D=16, 4 gates H=128' },
  { op: 'gemmNN', m: 64, n: 512, k: 128, note: 'step h·U, H=128, 4 gates' },
  { op: 'gemmNN', m: 16, n: 32, k: 8, note: 'tiny step' },
  { op: 'gemmNN', m: 256, n: 96, k: 32, note: 'step h·U, H=32, 3 gates' },
  { op: 'gemmNT', m: 64, n: 128, k: 512, note: 'step dG·Uᵀ, H=128, 4 gates' },
  { op: 'gemmNT', m: 512, n: 128, k: 384, note: 'step dG·Uᵀ, B=512, GRU' },
  { op: 'gemmNT', m: 16, n: 32, k: 96, note: 'step dG·Uᵀ, small' },
  { op: 'gemmTN', m: 128, n: 512, k: 6400, note: 'dU = Hᵀ·dG, B·T=6400' },
  { op: 'gemmTN', m: 16, n: 512, k: 6400, note: 'dW = Xᵀ·dG, D=16' },
  { op: 'gemmTN', m: 512, n: 512, k: 2048, note: 'large reduction' },
  { op: 'gemmTN', m: 32, n: 96, k: 25600, note: 'H=32 GRU, B·T=25600' },
];

const quick = process.argv.includes('--quick');
const wasmOnly = process.argv.includes('--wasm-only');
const MIN_MS = quick ? 60 : 250;

function timeIt(fn: () => void, flopsPerCall: number): number {
  fn(); // warm up (tier-up)
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < MIN_MS) { fn(); calls++; t = performance.now(); }
    best = Math.min(best, (t - t0) / calls);
  }
  return flopsPerCall / (best * 1e6); // GFLOP/s
}

function fillRandom(x: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
}

function bench(kern: Kernels<Float32Array>, s: Shape): number {
  const aLen = s.m * s.k, bLen = s.k * s.n, cLen = s.m * s.n;
  const a = kern.alloc(aLen), b = kern.alloc(bLen), c = kern.alloc(cLen);
  fillRandom(a, 1); fillRandom(b, 2);
  const lda = s.op === 'gemmTN' ? s.m : s.k;
  const ldb = s.op === 'gemmNT' ? s.k : s.n;
  const f = kern[s.op].bind(kern);
  return timeIt(() => f(s.m, s.n, s.k, a, 0, lda, b, 0, ldb, c, 0, s.n, 1), 2 * s.m * s.n * s.k);
}

const wasm = createWasmKernels({ capacityFloats: 64 << 20 });
const ts = createTsKernels<Float32Array>('f32');

console.log(`kernel  ${'m'.padStart(4)} ${'n'.padStart(4)} ${'k'.padStart(6)}  ${'TS GF/s'.padStart(8)} ${'WASM GF/s'.padStart(9)}  speed-up  shape`);
for (const s of SHAPES) {
  const gw = bench(wasm, s);
  const gt = wasmOnly ? NaN : bench(ts, s);
  console.log(`${s.op}  ${String(s.m).padStart(4)} ${String(s.n).padStart(4)} ${String(s.k).padStart(6)}  `
    + `${gt.toFixed(2).padStart(8)} ${gw.toFixed(2).padStart(9)}  ${(gw / gt).toFixed(1).padStart(7)}x  ${s.note}`);
}

// activations: ns per element over 16384 elements (in place)
const N = 16384;
for (const op of ['sigmoid', 'tanh'] as const) {
  const res: string[] = [];
  for (const kern of wasmOnly ? [wasm] : [ts, wasm]) {
    const x = kern.alloc(N);
    fillRandom(x, 3);
    for (let i = 0; i < N; i++) x[i] = x[i]! * 16;
    const y = kern.alloc(N);
    const f = kern[op].bind(kern);
    const gel = timeIt(() => f(x, 0, y, 0, N), N); // G elements / s
    res.push(`${kern.name} ${(1 / gel).toFixed(2)} ns/elt`);
  }
  console.log(`${op.padEnd(8)} n=${N}: ${res.join('   ')}`);
}

// fused per-step kernels: ns per element of a [B][H] step (quick preset: B = 64, H = 32)
{
  const B = 64, H = 32, n = B * H;
  type K = Kernels<Float32Array>;
  const cases: { name: string; setup: (k: K) => () => void }[] = [];
  /** random arrays of the kernel set, values in ±2 (gate caches in (0, 1) where a kernel reads σ values) */
  const arrays = (k: K, count: number, len: number, lo: number, hi: number): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let i = 0; i < count; i++) {
      const a = k.alloc(len);
      fillRandom(a, 7 + i);
      for (let j = 0; j < len; j++) a[j] = lo + (a[j]! + 0.5) * (hi - lo);
      out.push(a);
    }
    return out;
  };
  // forward kernels work in place on pre-activations: restore them before every call (a copy, timed alone too)
  const inPlace = (k: K, len: number, run: (g: Float32Array) => void, lo = -2, hi = 2): (() => void) => {
    const [g, g0] = arrays(k, 2, len, lo, hi) as [Float32Array, Float32Array];
    return () => { g.set(g0); run(g); };
  };
  cases.push({ name: 'copy [B][4H] (restore)', setup: (k) => inPlace(k, 4 * n, () => {}) });
  cases.push({ name: 'layerNormForward', setup: (k) => {
    const [xh, is, p] = arrays(k, 3, 2 * n, 0.5, 1.5) as [Float32Array, Float32Array, Float32Array];
    return inPlace(k, n, (g) => k.layerNormForward(B, H, g, 0, H, xh, 0, is, 0, p, 0, H));
  } });
  cases.push({ name: 'layerNormBackward', setup: (k) => {
    const [xh, is, p, dp] = arrays(k, 4, 3 * n, 0.5, 1.5) as [Float32Array, Float32Array, Float32Array, Float32Array];
    return inPlace(k, n, (g) => k.layerNormBackward(B, H, g, 0, H, xh, 0, is, 0, p, 0, dp, 0, H));
  } });
  for (const G of [0, 1, H]) {
    cases.push({ name: `gatedForward G=${G}`, setup: (k) => {
      const [s, hp, h, w, y] = arrays(k, 5, n, -1, 1) as Float32Array[];
      return inPlace(k, n, (a) => k.gatedForward(B, H, G, 0.3, a, 0, s!, 0, hp!, 0, h!, 0, w!, 0, 0.1, y!, 0));
    } });
  }
  cases.push({ name: 'gruGates + gruCell', setup: (k) => {
    const [hp, rh, h] = arrays(k, 3, n, -1, 1) as Float32Array[];
    return inPlace(k, 3 * n, (g) => { k.gruGates(B, H, g, 0, hp!, 0, rh!, 0); k.gruCell(B, H, g, 0, hp!, 0, h!, 0); });
  } });
  cases.push({ name: 'lstmForward', setup: (k) => {
    const [cp, c, tc, h] = arrays(k, 4, n, -1, 1) as Float32Array[];
    return inPlace(k, 4 * n, (g) => k.lstmForward(B, H, g, 0, cp!, 0, c!, tc!, h!, 0));
  } });
  cases.push({ name: 'lstmBackward', setup: (k) => {
    const [cp, tc, dy, w, dh, dc] = arrays(k, 6, n, -1, 1) as Float32Array[];
    // the gate cache holds σ / tanh values; dc is rewritten (dc·f) by every call, restored with the gates
    return inPlace(k, 4 * n, (g) => {
      dc!.fill(0.1);
      k.lstmBackward(B, H, g, 0, cp!, 0, tc!, 0, dy!, 0, w!, 0, dh!, 0, dc!, 0);
    }, 0.05, 0.95);
  } });
  console.log(`fused kernels, B=${B} H=${H}: ns per element of the step (TS / WASM)`);
  for (const c of cases) {
    const res: string[] = [];
    for (const kern of wasmOnly ? [wasm] : [ts, wasm]) {
      const gel = timeIt(c.setup(kern), n);
      res.push(`${kern.name} ${(1 / gel).toFixed(2)}`);
    }
    console.log(`  ${c.name.padEnd(24)} ${res.join('   ')}`);
  }
}

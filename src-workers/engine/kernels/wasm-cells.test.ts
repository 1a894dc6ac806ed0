/**
 * The fused WASM kernels (rows, LayerNorm, the five cells) against their
 * plain TypeScript reference loops (./ts-cells.ts, ./ts-layernorm.ts) on the
 * same float32 inputs:
 *  - addRowBias and sumRows bit for bit (a float32 sum is correctly rounded
 *    either way; the float64 column sums run rows in order in both);
 *  - everything else within float32 rounding: every output element within
 *    TOL·max(1, |reference|), where the reference computes in float64 and
 *    rounds once per stored value, and the WASM kernels round every f32x4
 *    operation (a few ulp per value, ~1.2e-7 each);
 *  - for H with and without a tail (H mod 4 ≠ 0), several batch sizes, all
 *    three gate widths of the gated cell, offsets ≠ 0: nothing outside the
 *    addressed elements is written (padding compared exactly) and inputs are
 *    left as they were.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { createTsKernels } from './ts-kernels';
import type { Kernels } from './types';
import { createWasmKernels } from './wasm/wasm-kernels';

const wasm = createWasmKernels({ capacityFloats: 1 << 22 });
const ref = createTsKernels<Float32Array>('f32');

/** Padding before (the offset every call uses) and after each array. */
const PAD = 3;
/**
 * float32 rounding tolerance, relative to max(1, |reference|): a few ulp per
 * value; the largest measured is gatedForward's ŷ, a float32 dot product over
 * H units (5e-7 at H = 32), the element-wise values stay below 4e-7.
 */
const TOL = 2e-6;

interface ArrSpec { len: number; lo: number; hi: number }
type Arrays = Record<string, Float32Array>;

/**
 * Fill the arrays of `specs` (plus padding) with seeded random values, run
 * `call` on copies with the TS and the WASM kernels, and compare every array:
 * padding exactly, the rest within `tol` (0: exactly).
 */
function parity(label: string, specs: Record<string, ArrSpec>, seed: number, tol: number,
  call: (k: Kernels<Float32Array>, a: Arrays, o: number) => void): number {
  const rng = new Rng(seed);
  const tsA: Arrays = {};
  const wA: Arrays = {};
  const init: Arrays = {};
  for (const [name, s] of Object.entries(specs)) {
    const a = new Float32Array(s.len + 2 * PAD);
    for (let i = 0; i < a.length; i++) a[i] = rng.range(s.lo, s.hi);
    init[name] = a;
    tsA[name] = Float32Array.from(a);
    const w = wasm.alloc(a.length);
    w.set(a);
    wA[name] = w;
  }
  call(ref, tsA, PAD);
  call(wasm, wA, PAD);
  let worst = 0;
  for (const name of Object.keys(specs)) {
    const t = tsA[name]!, w = wA[name]!, a0 = init[name]!;
    for (let i = 0; i < t.length; i++) {
      const inside = i >= PAD && i < t.length - PAD;
      if (!inside) {
        expect(w[i], `${label}: ${name}[${i}] padding written`).toBe(a0[i]);
        continue;
      }
      const err = Math.abs(w[i]! - t[i]!) / Math.max(1, Math.abs(t[i]!));
      if (!(err <= worst)) worst = err;
      if (tol === 0) expect(w[i], `${label}: ${name}[${i}]`).toBe(t[i]);
      else expect(err, `${label}: ${name}[${i}] wasm ${w[i]} ts ${t[i]}`).toBeLessThanOrEqual(tol);
    }
  }
  return worst;
}

const Hs = [1, 4, 5, 8, 13, 32];
const Bs = [1, 3, 6];
const cases = Hs.flatMap((H) => Bs.map((B) => ({ B, H })));

/** value ranges: pre-activations, gate values σ ∈ (0, 1), tanh values, anything else */
const PRE = { lo: -4, hi: 4 };
const SIG = { lo: 0.02, hi: 0.98 };
const TANH = { lo: -0.98, hi: 0.98 };
const ANY = { lo: -1.5, hi: 1.5 };
const arr = (len: number, r: { lo: number; hi: number }): ArrSpec => ({ len, ...r });

describe('wasm row kernels vs TS (bit for bit)', () => {
  it.each(cases)('addRowBias and sumRows, B=$B n=$H, padded leading dimension', ({ B, H }) => {
    const ld = H + 2;
    parity(`addRowBias ${B}x${H}`, { out: arr(B * ld, ANY), bias: arr(H, ANY) }, 11 * B + H, 0,
      (k, a, o) => k.addRowBias(B, H, a.out!, o, ld, a.bias!, o));
    // 40 rows: longer column sums; with ld > n the skipped columns are not summed
    const rows = 40 * B;
    parity(`sumRows ${rows}x${H}`, { src: arr(rows * ld, ANY), dst: arr(H, ANY) }, 13 * B + H, 0,
      (k, a, o) => k.sumRows(rows, H, a.src!, o, ld, a.dst!, o));
  });

  it('sumRows over wide rows (column blocks of 16, 4 and a tail)', () => {
    for (const n of [16, 21, 35, 128]) {
      parity(`sumRows 50x${n}`, { src: arr(50 * n, ANY), dst: arr(n, ANY) }, n, 0,
        (k, a, o) => k.sumRows(50, n, a.src!, o, n, a.dst!, o));
    }
  });
});

describe('wasm LayerNorm kernels vs TS', () => {
  it.each(cases)('forward, backward, tangent over strided rows, B=$B H=$H', ({ B, H }) => {
    const ld = 3 * H + 1; // rows of a gate block inside wider rows
    const seed = 100 * B + H;
    const xSpec = { x: arr(B * ld, PRE), xhat: arr(B * H, ANY), invStd: arr(B, ANY), p: arr(2 * H, ANY) };
    parity(`lnForward ${B}x${H}`, xSpec, seed, TOL,
      (k, a, o) => k.layerNormForward(B, H, a.x!, o, ld, a.xhat!, o, a.invStd!, o, a.p!, o, o + H));
    // backward and tangent: the kernels are formulas in x̂ and 1/std, any values serve
    const cache = { xhat: arr(B * H, ANY), invStd: arr(B, { lo: 0.2, hi: 3 }), p: arr(2 * H, ANY) };
    parity(`lnBackward ${B}x${H}`, { ...cache, d: arr(B * ld, ANY), dp: arr(3 * H, ANY) }, seed + 1, TOL,
      (k, a, o) => k.layerNormBackward(B, H, a.d!, o, ld, a.xhat!, o, a.invStd!, o, a.p!, o, a.dp!, o + H, o + 2 * H));
    parity(`lnTangent ${B}x${H}`, { ...cache, d: arr(B * ld, ANY), dir: arr(2 * H, ANY) }, seed + 2, TOL,
      (k, a, o) => k.layerNormTangent(B, H, a.d!, o, ld, a.xhat!, o, a.invStd!, o, a.p!, o, a.dir!, o, o + H));
  });
});

describe('wasm cell kernels vs TS', () => {
  describe.each(cases)('B=$B H=$H', ({ B, H }) => {
    const n = B * H;
    const seed = 1000 * B + H;

    it.each([0, 1, H].filter((g, i, all) => all.indexOf(g) === i))('gated cell, G=%i: forward, backward, tangent', (G) => {
      const sLen = Math.max(B * G, 1);
      const constS = 0.3;
      parity(`gatedForward G=${G}`, {
        a: arr(n, PRE), s: arr(sLen, PRE), hp: arr(n, TANH), h: arr(n, ANY), w: arr(H, ANY), y: arr(B, ANY),
      }, seed + G, TOL, (k, a, o) => k.gatedForward(B, H, G, constS, a.a!, o, a.s!, o, a.hp!, o, a.h!, o, a.w!, o, 0.25, a.y!, o));
      parity(`gatedBackward G=${G}`, {
        a: arr(n, TANH), s: arr(sLen, SIG), hp: arr(n, TANH), dy: arr(B, ANY), w: arr(H, ANY), c: arr(n, ANY),
      }, seed + G + 1, TOL, (k, a, o) => k.gatedBackward(B, H, G, constS, a.a!, o, a.s!, o, a.hp!, o, a.dy!, o, a.w!, o, a.c!, o));
      parity(`gatedTangent G=${G}`, {
        a: arr(n, TANH), s: arr(sLen, SIG), hp: arr(n, TANH), vp: arr(n, ANY), da: arr(n, ANY), dp: arr(sLen, ANY), v: arr(n, ANY),
      }, seed + G + 2, TOL,
      (k, a, o) => k.gatedTangent(B, H, G, constS, a.a!, o, a.s!, o, a.hp!, o, a.vp!, o, a.da!, o, a.dp!, o, a.v!, o));
    });

    it('GRU kernels', () => {
      const g3 = 3 * n;
      parity('gruGates', { g: arr(g3, PRE), hp: arr(n, TANH), rh: arr(n, ANY) }, seed + 10, TOL,
        (k, a, o) => k.gruGates(B, H, a.g!, o, a.hp!, o, a.rh!, o));
      parity('gruCell', { g: arr(g3, SIG), hp: arr(n, TANH), h: arr(n, ANY) }, seed + 11, TOL,
        (k, a, o) => k.gruCell(B, H, a.g!, o, a.hp!, o, a.h!, o));
      parity('gruCellBackward', { g: arr(g3, TANH), hp: arr(n, TANH), dy: arr(B, ANY), w: arr(H, ANY), c: arr(n, ANY) },
        seed + 12, TOL, (k, a, o) => k.gruCellBackward(B, H, a.g!, o, a.hp!, o, a.dy!, o, a.w!, o, a.c!, o));
      parity('gruResetBackward', { g: arr(g3, SIG), hp: arr(n, TANH), w: arr(n, ANY), c: arr(n, ANY) },
        seed + 13, TOL, (k, a, o) => k.gruResetBackward(B, H, a.g!, o, a.hp!, o, a.w!, o, a.c!, o));
      parity('gruTangentGates', { g: arr(g3, SIG), hp: arr(n, TANH), vp: arr(n, ANY), tp: arr(g3, ANY), w: arr(n, ANY) },
        seed + 14, TOL, (k, a, o) => k.gruTangentGates(B, H, a.g!, o, a.hp!, o, a.vp!, o, a.tp!, o, a.w!, o));
      parity('gruTangentCell', { g: arr(g3, TANH), hp: arr(n, TANH), vp: arr(n, ANY), tp: arr(g3, ANY), v: arr(n, ANY) },
        seed + 15, TOL, (k, a, o) => k.gruTangentCell(B, H, a.g!, o, a.hp!, o, a.vp!, o, a.tp!, o, a.v!, o));
    });

    it('LSTM kernels', () => {
      const g4 = 4 * n;
      parity('lstmForward', { g: arr(g4, PRE), cp: arr(n, ANY), c: arr(n, ANY), tc: arr(n, ANY), h: arr(n, ANY) },
        seed + 20, TOL, (k, a, o) => k.lstmForward(B, H, a.g!, o, a.cp!, o, a.c!, a.tc!, a.h!, o));
      parity('lstmBackward', {
        g: arr(g4, SIG), cp: arr(n, ANY), tc: arr(n, TANH), dy: arr(B, ANY), w: arr(H, ANY), dhc: arr(n, ANY), dcc: arr(n, ANY),
      }, seed + 21, TOL, (k, a, o) => k.lstmBackward(B, H, a.g!, o, a.cp!, o, a.tc!, o, a.dy!, o, a.w!, o, a.dhc!, o, a.dcc!, o));
      parity('lstmTangent', {
        g: arr(g4, SIG), cp: arr(n, ANY), tc: arr(n, TANH), tp: arr(g4, ANY), dc: arr(n, ANY), v: arr(n, ANY),
      }, seed + 22, TOL, (k, a, o) => k.lstmTangent(B, H, a.g!, o, a.cp!, o, a.tc!, o, a.tp!, o, a.dc!, o, a.v!, o));
    });
  });
});

describe('wasm fused kernel argument checks', () => {
  const a = wasm.alloc(64), b = wasm.alloc(64);
  it('rejects foreign arrays, out-of-bounds blocks, bad sizes and a bad gate width', () => {
    const plain = new Float32Array(64);
    expect(() => wasm.addRowBias(2, 4, plain, 0, 4, b, 0)).toThrow(/addRowBias out is not an array of this kernel instance's memory/);
    expect(() => wasm.sumRows(2, 4, a, 0, 4, b, 61)).toThrow(/sumRows dst out of bounds/);
    expect(() => wasm.addRowBias(2, 4, a, 0, 3, b, 0)).toThrow(/bad leading dimension 3 for addRowBias out/);
    expect(() => wasm.layerNormForward(4, 16, a, 1, 16, b, 0, b, 0, b, 0, 16)).toThrow(/layerNormForward x out of bounds/);
    expect(() => wasm.lstmForward(1, 16, a, 1, b, 0, b, b, b, 0)).toThrow(/lstmForward gates out of bounds/);
    expect(() => wasm.gruCell(1.5, 4, a, 0, b, 0, b, 0)).toThrow(/non-negative integers/);
    expect(() => wasm.gatedForward(2, 4, 3, 0.5, a, 0, b, 0, b, 8, b, 16, b, 24, 0, b, 32)).toThrow(/gate width G must be 0, 1 or H/);
  });
});

/**
 * WGSL building blocks shared by the GPU models (generated text).
 *
 *  - ACTIVATIONS: sigmoid_s / tanh_s, overflow-safe (exp of a non-positive
 *    argument only), so large pre-activations give ±1 / 0 / 1, never NaN,
 *    on every driver (WGSL's built-in tanh may overflow in its exp).
 *  - workgroupReduction(name, S, WG): `var<workgroup> name: array<f32, S·WG>`
 *    and `fn name_sum(lid)`: each of the S segments of WG values (segment s
 *    at name[s·WG …]) is summed in place in two levels (P strided partial
 *    sums, then their sum: three barriers for any WG);
 *    afterwards name[s·WG] holds the segment's sum for every thread (the
 *    function ends with a barrier).
 *    Called from uniform control flow by all WG threads (it contains
 *    workgroupBarrier); WG must be a power of two.
 *  - LN_EPS: the LayerNorm ε of SCIENCE.md §2 (biased variance).
 *  - unrollFactor / unrolledLoop: the loops over the input and hidden axes
 *    (the mat-vecs, one storage load per weight), optionally unrolled so
 *    that the loads of `unroll` consecutive indices are issued before their
 *    FMAs. Each accumulator still receives its terms in index order, so
 *    results are bit-identical to the rolled loop. Default: rolled
 *    (DEFAULT_UNROLL): on the H200 the driver's compiler schedules the rolled
 *    loops at least as well; the `paper` epoch was 3–11 % shorter rolled
 *    than with 'auto' for every architecture (mean of three runs each,
 *    docs/measurements/2026-11-28-h200-resident). 'auto' (per loop, from a
 *    register budget) and fixed factors stay available to tunings.
 */

import { isUnrollSetting, MAX_UNROLL, type UnrollSetting } from '../../../src-shared/gpu-tuning';

export const LN_EPS = 1e-5;

/** Format a number as a WGSL f32 literal. */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`f32 literal: ${x} is not finite`);
  const s = Math.fround(x).toPrecision(9);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

export const ACTIVATIONS = /* wgsl */ `
fn sigmoid_s(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn tanh_s(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, x >= 0.0);
}
`;

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** Largest power of two ≤ n (n ≥ 1). */
export function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** Smallest power of two ≥ n (n ≥ 1). */
export function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export type { UnrollSetting };

/** The unroll of a model made without one: rolled loops (see the module comment for the measurement). */
export const DEFAULT_UNROLL: UnrollSetting = 1;
/** Largest factor 'auto' chooses, and the per-thread registers its loads may take. */
export const MAX_AUTO_UNROLL = 8;
const UNROLL_REGISTER_BUDGET = 64;
/** Check a tuning's unroll: 'auto' or an integer in 1 … MAX_UNROLL (1 = rolled loops). */
export function checkUnroll(v: UnrollSetting, who: string): UnrollSetting {
  if (!isUnrollSetting(v)) {
    throw new RangeError(`${who}: unroll must be 'auto' or an integer from 1 to ${MAX_UNROLL} (1 = rolled loops), got ${String(v)}`);
  }
  return v;
}

/**
 * The unroll factor of one loop: the setting `asked` (DEFAULT_UNROLL when
 * undefined) when it is a factor; for 'auto', the largest power of two ≤
 * MAX_AUTO_UNROLL whose hoisted loads (`loadsPerIndex` per index: weights and
 * broadcast state) fit the register budget, at least 1.
 */
export function unrollFactor(loadsPerIndex: number, asked: UnrollSetting = DEFAULT_UNROLL): number {
  if (asked !== 'auto') return asked;
  let f = MAX_AUTO_UNROLL;
  while (f > 1 && f * loadsPerIndex > UNROLL_REGISTER_BUDGET) f >>= 1;
  return f;
}

/** One index of an unrolled loop: its WGSL expression `i` and the name suffix `q` of its loads. */
export interface UnrolledIndex {
  i: string;
  q: string;
}

/**
 * A WGSL loop over the index `v` from `lo` to `hi` (constant bounds), unrolled
 * by `factor`: each pass first declares `loads(ix)` for its `factor`
 * consecutive indices, then runs `body(ixs)` on all of them (which must apply
 * the indices in the order given); a rolled remainder loop (suffix '') takes
 * the last (hi − lo) mod factor indices. `pad`: the loop's indentation.
 */
export function unrolledLoop(
  v: string, lo: number, hi: number, factor: number, pad: string,
  loads: (ix: UnrolledIndex) => string, body: (ixs: UnrolledIndex[]) => string,
): string {
  const n = hi - lo;
  if (n <= 0) return '';
  const f = Math.max(1, Math.min(factor, n));
  const main = lo + n - (n % f);
  const inner = (text: string): string => reindent(text, `${pad}  `);
  const rolled = (from: number): string[] => {
    const ix = { i: v, q: '' };
    return [`${pad}for (var ${v} = ${from}u; ${v} < ${hi}u; ${v} = ${v} + 1u) {`, inner(loads(ix)), inner(body([ix])), `${pad}}`];
  };
  if (f === 1) return rolled(lo).join('\n');
  const ixs: UnrolledIndex[] = Array.from({ length: f }, (_, q) => ({ i: `(${v}0 + ${q}u)`, q: `_${q}` }));
  const out = [
    `${pad}for (var ${v}0 = ${lo}u; ${v}0 < ${main}u; ${v}0 = ${v}0 + ${f}u) {`,
    ...ixs.map((ix) => inner(loads(ix))),
    inner(body(ixs)),
    `${pad}}`,
  ];
  if (main < hi) out.push(...rolled(main));
  return out.join('\n');
}

/** Generated lines re-indented: their common leading whitespace replaced by `pad`, blank lines dropped. */
function reindent(text: string, pad: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  const common = Math.min(...lines.map((l) => l.length - l.trimStart().length));
  return lines.map((l) => pad + l.slice(common)).join('\n');
}

export function workgroupReduction(name: string, S: number, WG: number): string {
  if (!isPowerOfTwo(WG)) throw new RangeError(`workgroupReduction: WG must be a power of two (got ${WG})`);
  if (!(Number.isInteger(S) && S >= 1)) throw new RangeError(`workgroupReduction: S must be a positive integer (got ${S})`);
  // two levels, three barriers whatever WG (a tree takes log2(WG) + 1: 8 at WG 128, several times per time step):
  // P partial sums per segment, partial p of the values p, p + P, p + 2P, … (consecutive threads read consecutive
  // words: no bank conflicts), then one thread per segment adds its P partials
  const P = reductionPartials(WG);
  const C = WG / P;
  return /* wgsl */ `
var<workgroup> ${name}: array<f32, ${S * WG}>;
fn ${name}_sum(lid: u32) {
  workgroupBarrier();
  for (var i: u32 = lid; i < ${S * P}u; i = i + ${WG}u) {
    let base = (i / ${P}u) * ${WG}u + i % ${P}u;
    var acc = ${name}[base];
    for (var c: u32 = 1u; c < ${C}u; c = c + 1u) { acc = acc + ${name}[base + c * ${P}u]; }
    ${name}[base] = acc;
  }
  workgroupBarrier();
  for (var s: u32 = lid; s < ${S}u; s = s + ${WG}u) {
    let base = s * ${WG}u;
    var acc = ${name}[base];
    for (var p: u32 = 1u; p < ${P}u; p = p + 1u) { acc = acc + ${name}[base + p]; }
    ${name}[base] = acc;
  }
  workgroupBarrier();
}
`;
}

/** Partial sums per segment of a workgroupReduction over WG values: 2^⌈log2(WG)/2⌉ (16 at WG 128 and 256, 8 at 32 and 64). */
export function reductionPartials(WG: number): number {
  return 2 ** Math.ceil(Math.log2(WG) / 2);
}


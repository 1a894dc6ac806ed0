/**
 * WGSL building blocks shared by the GPU models (generated text).
 *
 *  - ACTIVATIONS: sigmoid_s / tanh_s, overflow-safe (exp of a non-positive
 *    argument only), so large pre-activations give ±1 / 0 / 1, never NaN,
 *    on every driver (WGSL's built-in tanh may overflow in its exp).
 *  - workgroupReduction(name, S, WG): `var<workgroup> name: array<f32, S·WG>`
 *    and `fn name_sum(lid)`: each of the S segments of WG values (segment s
 *    at name[s·WG …]) is tree-summed in place; afterwards name[s·WG] holds the
 *    segment's sum for every thread (the function ends with a barrier).
 *    Called from uniform control flow by all WG threads (it contains
 *    workgroupBarrier); WG must be a power of two.
 *  - LN_EPS: the LayerNorm ε of SCIENCE.md §2 (biased variance).
 */

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

export function workgroupReduction(name: string, S: number, WG: number): string {
  if (!isPowerOfTwo(WG)) throw new RangeError(`workgroupReduction: WG must be a power of two (got ${WG})`);
  if (!(Number.isInteger(S) && S >= 1)) throw new RangeError(`workgroupReduction: S must be a positive integer (got ${S})`);
  return /* wgsl */ `
var<workgroup> ${name}: array<f32, ${S * WG}>;
fn ${name}_sum(lid: u32) {
  workgroupBarrier();
  for (var w: u32 = ${WG / 2}u; w > 0u; w = w >> 1u) {
    if (lid < w) {
      for (var s: u32 = 0u; s < ${S}u; s = s + 1u) {
        ${name}[s * ${WG}u + lid] = ${name}[s * ${WG}u + lid] + ${name}[s * ${WG}u + lid + w];
      }
    }
    workgroupBarrier();
  }
}
`;
}

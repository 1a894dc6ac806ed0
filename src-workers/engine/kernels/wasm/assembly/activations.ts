// Vectorised logistic sigmoid and tanh in f32x4 (see ../README.md).
//
// Both need e^{−u} for u ≥ 0 or of either sign: e^{−u} = 2^n · e^r,
// n = nearest(−u·log2 e), r = −u − n·ln 2 (Cody–Waite split of ln 2 so that
// n·C1 is exact), |r| ≤ ln2/2, e^r − 1 = r + r²·P(r) (Cephes expf
// coefficients, ~1 ulp). Inputs are clamped so that −u ∈ [−87, 88]: 2^n stays
// a normal float and nothing overflows.

const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375; // ln 2 high part, 9 significant bits
const C2: f32 = -2.12194440e-4; // ln 2 − C1
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const SHIFTER: f32 = 12582912.0; // 1.5·2^23
const SHIFTER_BITS: i32 = 0x4b400000;
const BIAS_F: f32 = reinterpret<f32>(127 - SHIFTER_BITS);
const SIGN_F: f32 = -0.0; // bits 0x80000000

// The splatted constants live in a 16-byte-aligned table in static data and
// are read with one v128.load each: V8 would otherwise rebuild every
// v128.const (several instructions) in each loop iteration.
const K_SLO = 0, K_SHI = 1, K_NLOG2E = 2, K_SHIFTER = 3, K_C1 = 4, K_C2 = 5;
const K_NP0 = 6, K_P1 = 7, K_NP2 = 8, K_P3 = 9, K_NP4 = 10, K_P5 = 11, K_ONE = 12, K_BIAS = 13;
const K_ABS = 14, K_SIGN = 15, K_THI = 16;
const SIG_LO: f32 = -88.0; // σ: −x ∈ [−87, 88]
const SIG_HI: f32 = 87.0;
const TANH_HI: f32 = 87.0; // tanh: 2|x| ≤ 87
const ABS_F: f32 = reinterpret<f32>(0x7fffffff);
const TABLE = memory.data<f32>([
  SIG_LO, SIG_LO, SIG_LO, SIG_LO,
  SIG_HI, SIG_HI, SIG_HI, SIG_HI,
  -LOG2E, -LOG2E, -LOG2E, -LOG2E,
  SHIFTER, SHIFTER, SHIFTER, SHIFTER,
  C1, C1, C1, C1,
  C2, C2, C2, C2,
  -P0, -P0, -P0, -P0,
  P1, P1, P1, P1,
  -P2, -P2, -P2, -P2,
  P3, P3, P3, P3,
  -P4, -P4, -P4, -P4,
  P5, P5, P5, P5,
  1.0, 1.0, 1.0, 1.0,
  // i32 lanes 127 − SHIFTER_BITS, as the f32 with those bits
  BIAS_F, BIAS_F, BIAS_F, BIAS_F,
  ABS_F, ABS_F, ABS_F, ABS_F,
  SIGN_F, SIGN_F, SIGN_F, SIGN_F,
  TANH_HI, TANH_HI, TANH_HI, TANH_HI,
], 16);

// @ts-ignore: decorator
@inline function K(i: i32): v128 {
  return v128.load(TABLE + (<usize>i << 4));
}

/** t = −u·log₂e + 1.5·2²³: its low mantissa bits hold n = nearest(−u·log₂e). */
// @ts-ignore: decorator
@inline function shifted(u: v128): v128 {
  return f32x4.add(f32x4.mul(u, K(K_NLOG2E)), K(K_SHIFTER));
}

/**
 * 2^n from t = shifted(u): n ∈ [−126, 127] after the clamp, and
 * bits(t) = bits(SHIFTER) + n, so bits(2^n) = (bits(t) − bits(SHIFTER) + 127) << 23.
 */
// @ts-ignore: decorator
@inline function pow2n(t: v128): v128 {
  return i32x4.shl(i32x4.add(t, K(K_BIAS)), 23);
}

/**
 * e^r − 1 = r + r²·P(r) for r = −u − n·ln 2 (Cody–Waite), with t = shifted(u),
 * so that e^{−u} = 2^n·(1 + result). Works on q = −r so that −u is never
 * formed: P at r = −q has its odd-degree coefficients negated (the table
 * holds −P0, −P2, −P4).
 */
// @ts-ignore: decorator
@inline function expm1r(u: v128, t: v128): v128 {
  const fn = f32x4.sub(t, K(K_SHIFTER));
  let q = f32x4.add(u, f32x4.mul(fn, K(K_C1)));
  q = f32x4.add(q, f32x4.mul(fn, K(K_C2)));
  const z = f32x4.mul(q, q);
  // P(−q) = (P5 − P4 q) + z (P3 − P2 q) + z² (P1 − P0 q), Estrin's scheme (short dependency chains)
  const a = f32x4.add(f32x4.mul(K(K_NP4), q), K(K_P5));
  const b = f32x4.add(f32x4.mul(K(K_NP2), q), K(K_P3));
  const c = f32x4.add(f32x4.mul(K(K_NP0), q), K(K_P1));
  const y = f32x4.add(a, f32x4.mul(z, f32x4.add(b, f32x4.mul(z, c))));
  return f32x4.sub(f32x4.mul(y, z), q);
}

/** σ(x) = 1 / (1 + exp(−x)); σ(−large) = tiny positive, σ(+large) = 1. */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  // clamp with pmin/pmax (single minps/maxps; a NaN input stays NaN): −x ∈ [−87, 88]
  const u = f32x4.pmin(f32x4.pmax(x, K(K_SLO)), K(K_SHI));
  const t = shifted(u);
  const one = K(K_ONE);
  const e = f32x4.mul(f32x4.add(expm1r(u, t), one), pow2n(t)); // exp(−x) = 2^n e^r
  return f32x4.div(one, f32x4.add(one, e));
}

/**
 * tanh|x| = (1 − E) / (1 + E) with E = e^{−2|x|} = 2^n (1 + e), e = e^r − 1:
 * numerator (1 − 2^n) − 2^n e and denominator (1 + 2^n) + 2^n e each round
 * once (2^n e is exact, 1 ∓ 2^n too for n ≥ −23), so there is no
 * cancellation for small |x| (n = 0: −e / (2 + e)). The sign of x is OR-ed
 * back: tanh is odd bit for bit, tanh(±0) = ±0, and tanh = ±1 exactly once
 * 2^n drops below half an ulp of 1 (|x| ≳ 9).
 */
// @ts-ignore: decorator
@inline export function tanhv(x: v128): v128 {
  const ax = v128.and(x, K(K_ABS));
  // 2|x| clamped to ≤ 87 (pmin keeps a NaN)
  const u = f32x4.pmin(f32x4.add(ax, ax), K(K_THI));
  const t = shifted(u);
  const p2 = pow2n(t);
  const pe = f32x4.mul(p2, expm1r(u, t));
  const one = K(K_ONE);
  const num = f32x4.sub(f32x4.sub(one, p2), pe);
  const den = f32x4.add(f32x4.add(one, p2), pe);
  return v128.or(f32x4.div(num, den), v128.and(x, K(K_SIGN)));
}

/** Loads the last n (1..3) floats into lanes 0..n−1 (no read past the end). */
// @ts-ignore: decorator
@inline export function loadTail(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline export function storeTail(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** out[i] = σ(x[i]), i < n (x == out allowed). */
export function sigmoidN(x: usize, out: usize, n: i32): void {
  let i = 0;
  // four independent vectors per iteration: the evaluation is latency-bound
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const v0 = sigmoidv(v128.load(x + o));
    const v1 = sigmoidv(v128.load(x + o, 16));
    const v2 = sigmoidv(v128.load(x + o, 32));
    const v3 = sigmoidv(v128.load(x + o, 48));
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
    v128.store(out + o, v2, 32);
    v128.store(out + o, v3, 48);
  }
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = sigmoidv(v128.load(x + o));
    const v1 = sigmoidv(v128.load(x + o, 16));
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, sigmoidv(v128.load(x + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(out + o, sigmoidv(loadTail(x + o, n - i)), n - i);
  }
}

/** out[i] = tanh(x[i]), i < n (x == out allowed). */
export function tanhN(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const v0 = tanhv(v128.load(x + o));
    const v1 = tanhv(v128.load(x + o, 16));
    const v2 = tanhv(v128.load(x + o, 32));
    const v3 = tanhv(v128.load(x + o, 48));
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
    v128.store(out + o, v2, 32);
    v128.store(out + o, v3, 48);
  }
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = tanhv(v128.load(x + o));
    const v1 = tanhv(v128.load(x + o, 16));
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, tanhv(v128.load(x + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeTail(out + o, tanhv(loadTail(x + o, n - i)), n - i);
  }
}

/** n (1..4) floats at p into lanes 0..n−1 (zeros above; no read past p + 4n). */
// @ts-ignore: decorator
@inline export function ldN(p: usize, n: i32): v128 {
  return n >= 4 ? v128.load(p) : loadTail(p, n);
}

/** Lanes 0..n−1 of v to the n (1..4) floats at p (nothing written past p + 4n). */
// @ts-ignore: decorator
@inline export function stN(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else storeTail(p, v, n);
}

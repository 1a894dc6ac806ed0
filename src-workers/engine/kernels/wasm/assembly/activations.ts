// Vectorised logistic sigmoid and tanh in f32x4 (see ../README.md).
//
// exp(x) = 2^n · exp(r),  n = nearest(x·log2 e),  r = x − n·ln 2 (Cody–Waite
// split of ln 2 so that n·C1 is exact), |r| ≤ ln2/2, exp(r) by the degree-7
// polynomial 1 + r + r²·P(r) (Cephes expf coefficients, ~1 ulp). The input
// is clamped to [−87, 88] so 2^n stays a normal float and nothing overflows.

const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375; // ln 2 high part, 9 significant bits
const C2: f32 = -2.12194440e-4; // ln 2 − C1
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const EXP_LO: f32 = -87.0;
const EXP_HI: f32 = 88.0;
const SHIFTER: f32 = 12582912.0; // 1.5·2^23
const SHIFTER_BITS: i32 = 0x4b400000;
const BIAS_F: f32 = reinterpret<f32>(127 - SHIFTER_BITS);
const SIGN_F: f32 = -0.0; // bits 0x80000000

// tanh(x) = x + x·z·Q(z), z = x², for |x| < 0.625 (Cephes tanhf, ~1 ulp);
// 1 − 2/(exp(2|x|) + 1) with the sign of x otherwise.
const TANH_SMALL: f32 = 0.625;
const Q0: f32 = -5.70498872745e-3;
const Q1: f32 = 2.06390887954e-2;
const Q2: f32 = -5.37397155531e-2;
const Q3: f32 = 1.33314422036e-1;
const Q4: f32 = -3.33332819422e-1;

// The splatted constants live in a 16-byte-aligned table in static data and
// are read with one v128.load each: V8 would otherwise rebuild every
// v128.const (several instructions) in each loop iteration.
const K_LO = 0, K_HI = 1, K_LOG2E = 2, K_SHIFTER = 3, K_C1 = 4, K_C2 = 5;
const K_P0 = 6, K_P1 = 7, K_P2 = 8, K_P3 = 9, K_P4 = 10, K_P5 = 11, K_ONE = 12, K_BIAS = 13;
const K_TWO = 14, K_SMALL = 15, K_Q0 = 16, K_Q1 = 17, K_Q2 = 18, K_Q3 = 19, K_Q4 = 20, K_SIGN = 21;
const TABLE = memory.data<f32>([
  EXP_LO, EXP_LO, EXP_LO, EXP_LO,
  EXP_HI, EXP_HI, EXP_HI, EXP_HI,
  LOG2E, LOG2E, LOG2E, LOG2E,
  SHIFTER, SHIFTER, SHIFTER, SHIFTER,
  C1, C1, C1, C1,
  C2, C2, C2, C2,
  P0, P0, P0, P0,
  P1, P1, P1, P1,
  P2, P2, P2, P2,
  P3, P3, P3, P3,
  P4, P4, P4, P4,
  P5, P5, P5, P5,
  1.0, 1.0, 1.0, 1.0,
  // i32 lanes 127 − SHIFTER_BITS, as the f32 with those bits
  BIAS_F, BIAS_F, BIAS_F, BIAS_F,
  2.0, 2.0, 2.0, 2.0,
  TANH_SMALL, TANH_SMALL, TANH_SMALL, TANH_SMALL,
  Q0, Q0, Q0, Q0,
  Q1, Q1, Q1, Q1,
  Q2, Q2, Q2, Q2,
  Q3, Q3, Q3, Q3,
  Q4, Q4, Q4, Q4,
  SIGN_F, SIGN_F, SIGN_F, SIGN_F,
], 16);

// @ts-ignore: decorator
@inline function K(i: i32): v128 {
  return v128.load(TABLE + (<usize>i << 4));
}

// @ts-ignore: decorator
@inline function expv(x: v128): v128 {
  // clamp with pmin/pmax (single minps/maxps; a NaN input stays NaN)
  x = f32x4.pmin(f32x4.pmax(x, K(K_LO)), K(K_HI));
  // n = nearest(x·log2 e) by the 1.5·2^23 shifter: t's low mantissa bits hold n
  const t = f32x4.add(f32x4.mul(x, K(K_LOG2E)), K(K_SHIFTER));
  const fn = f32x4.sub(t, K(K_SHIFTER));
  let r = f32x4.sub(x, f32x4.mul(fn, K(K_C1)));
  r = f32x4.sub(r, f32x4.mul(fn, K(K_C2)));
  const z = f32x4.mul(r, r);
  let y = f32x4.add(f32x4.mul(K(K_P0), r), K(K_P1));
  y = f32x4.add(f32x4.mul(y, r), K(K_P2));
  y = f32x4.add(f32x4.mul(y, r), K(K_P3));
  y = f32x4.add(f32x4.mul(y, r), K(K_P4));
  y = f32x4.add(f32x4.mul(y, r), K(K_P5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), K(K_ONE));
  // 2^n built in the exponent field: n ∈ [−126, 127] after the clamp, and
  // bits(t) = bits(SHIFTER) + n, so bits(2^n) = (bits(t) − bits(SHIFTER) + 127) << 23.
  const pow2n = i32x4.shl(i32x4.add(t, K(K_BIAS)), 23);
  return f32x4.mul(y, pow2n);
}

/** σ(x) = 1 / (1 + exp(−x)); σ(−large) = tiny positive, σ(+large) = 1. */
// @ts-ignore: decorator
@inline function sigmoidv(x: v128): v128 {
  const one = K(K_ONE);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

// tanh is odd: both branches work on |x| and the sign of x is put back last
// (so tanh(−x) = −tanh(x) bit for bit, and tanh(−0) = −0).
// @ts-ignore: decorator
@inline function tanhv(x: v128): v128 {
  const one = K(K_ONE);
  const ax = f32x4.abs(x);
  // |x| ≥ 0.625: 1 − 2/(exp(2|x|) + 1); exp clamps 2|x| ≤ 88, so the result is exactly 1 beyond ~9
  const e = expv(f32x4.add(ax, ax));
  const big = f32x4.sub(one, f32x4.div(K(K_TWO), f32x4.add(e, one)));
  // |x| < 0.625: |x| + |x|·z·Q(z), z = x²
  const z = f32x4.mul(x, x);
  let q = f32x4.add(f32x4.mul(K(K_Q0), z), K(K_Q1));
  q = f32x4.add(f32x4.mul(q, z), K(K_Q2));
  q = f32x4.add(f32x4.mul(q, z), K(K_Q3));
  q = f32x4.add(f32x4.mul(q, z), K(K_Q4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(q, z), ax), ax);
  const mag = v128.bitselect(small, big, f32x4.lt(ax, K(K_SMALL)));
  return v128.or(mag, v128.and(x, K(K_SIGN)));
}

/** Loads the last n (1..3) floats into lanes 0..n−1 (no read past the end). */
// @ts-ignore: decorator
@inline function loadTail(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline function storeTail(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** out[i] = σ(x[i]), i < n (x == out allowed). */
export function sigmoidN(x: usize, out: usize, n: i32): void {
  let i = 0;
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

// Row-wise helpers in f32x4: bias rows and float64 column sums (see ../README.md).
import { ldN, stN } from './activations';

/** out[r·ld + j] += bias[j], r < rows, j < n (byte pointers, ld in floats). */
export function addRowBiasK(rows: i32, n: i32, out: usize, ld: i32, bias: usize): void {
  const ldB = <usize>ld << 2;
  const n4 = n & ~3, rem = n - n4;
  for (let r = 0; r < rows; r++) {
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(bias + o)));
    }
    if (rem > 0) {
      const o = <usize>n4 << 2;
      stN(out + o, f32x4.add(ldN(out + o, rem), ldN(bias + o, rem)), rem);
    }
    out += ldB;
  }
}

/** f64x2 of lanes 2, 3 of a f32x4. */
// @ts-ignore: decorator
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** f32x4 from two f64x2 (lo → lanes 0, 1; hi → lanes 2, 3), each rounded once. */
// @ts-ignore: decorator
@inline export function demote2(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** Horizontal sum of two f64x2 accumulators (lanes 0..3 in order pairs). */
// @ts-ignore: decorator
@inline export function hsum64(lo: v128, hi: v128): f64 {
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * dst[j] = Σ_r src[r·ld + j] in float64, rows in order for every column (the
 * same sums as the sequential float64 reference, bit for bit). Column blocks
 * of 16 (eight f64x2 accumulators in registers), then of 4, then the tail.
 */
export function sumRowsK(rows: i32, n: i32, src: usize, ld: i32, dst: usize): void {
  const ldB = <usize>ld << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    let p = src + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0)); a1 = f64x2.add(a1, promoteHigh(v0));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1)); a3 = f64x2.add(a3, promoteHigh(v1));
      a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v2)); a5 = f64x2.add(a5, promoteHigh(v2));
      a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v3)); a7 = f64x2.add(a7, promoteHigh(v3));
      p += ldB;
    }
    const d = dst + (<usize>j << 2);
    v128.store(d, demote2(a0, a1));
    v128.store(d, demote2(a2, a3), 16);
    v128.store(d, demote2(a4, a5), 32);
    v128.store(d, demote2(a6, a7), 48);
  }
  for (; j < n; j += 4) {
    const w = min(4, n - j);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let p = src + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      const v = ldN(p, w);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v)); a1 = f64x2.add(a1, promoteHigh(v));
      p += ldB;
    }
    stN(dst + (<usize>j << 2), demote2(a0, a1), w);
  }
}

// LayerNorm forward / backward / tangent over strided rows in f32x4
// (SCIENCE.md §2; contracts in ../../types.ts). Element-wise work in f32;
// the row statistics (mean, variance, the two means of backward and
// tangent) and the batch sums of the parameter gradients are accumulated in
// float64 (f64x2). Tails of H not divisible by 4 use partial loads/stores.
import { ldN, stN } from './activations';
import { demote2, hsum64, promoteHigh } from './rows';

const LN_EPS: f64 = 1e-5;

/**
 * x ← gain ⊙ x̂ + bias in place; x̂ rows contiguous, one 1/std per row. One
 * pass for the statistics: Σx and Σx² in float64 (x² of a float32 is exact
 * there), var = Σx²/H − mean², four independent accumulator chains each.
 */
export function lnForwardK(rows: i32, H: i32, x: usize, ldx: i32, xhat: usize, invStd: usize,
  gain: usize, bias: usize): void {
  const ldB = <usize>ldx << 2, hB = <usize>H << 2;
  const H4 = H & ~3, H8 = H & ~7, rem = H - H4;
  const invH: f64 = 1.0 / <f64>H;
  for (let r = 0; r < rows; r++) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let q0 = f64x2.splat(0), q1 = f64x2.splat(0), q2 = f64x2.splat(0), q3 = f64x2.splat(0);
    let q = 0;
    for (; q < H8; q += 8) {
      const p = x + (<usize>q << 2);
      const v0 = v128.load(p), v1 = v128.load(p, 16);
      const l0 = f64x2.promote_low_f32x4(v0), h0 = promoteHigh(v0);
      const l1 = f64x2.promote_low_f32x4(v1), h1 = promoteHigh(v1);
      s0 = f64x2.add(s0, l0); s1 = f64x2.add(s1, h0); s2 = f64x2.add(s2, l1); s3 = f64x2.add(s3, h1);
      q0 = f64x2.add(q0, f64x2.mul(l0, l0)); q1 = f64x2.add(q1, f64x2.mul(h0, h0));
      q2 = f64x2.add(q2, f64x2.mul(l1, l1)); q3 = f64x2.add(q3, f64x2.mul(h1, h1));
    }
    for (; q < H; q += 4) {
      // the lanes beyond H of a partial load are 0 and add nothing
      const v = ldN(x + (<usize>q << 2), min(4, H - q));
      const l = f64x2.promote_low_f32x4(v), h = promoteHigh(v);
      s0 = f64x2.add(s0, l); s1 = f64x2.add(s1, h);
      q0 = f64x2.add(q0, f64x2.mul(l, l)); q1 = f64x2.add(q1, f64x2.mul(h, h));
    }
    const mean = hsum64(f64x2.add(s0, s2), f64x2.add(s1, s3)) * invH;
    let vr = hsum64(f64x2.add(q0, q2), f64x2.add(q1, q3)) * invH - mean * mean;
    if (vr < 0) vr = 0;
    const is = <f32>(1.0 / Math.sqrt(vr + LN_EPS));
    store<f32>(invStd, is);
    const mv = f32x4.splat(<f32>mean);
    const isv = f32x4.splat(is);
    for (q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), mv), isv);
      v128.store(xhat + o, xh);
      v128.store(x + o, f32x4.add(f32x4.mul(v128.load(gain + o), xh), v128.load(bias + o)));
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      const xh = f32x4.mul(f32x4.sub(ldN(x + o, rem), mv), isv);
      stN(xhat + o, xh, rem);
      stN(x + o, f32x4.add(f32x4.mul(ldN(gain + o, rem), xh), ldN(bias + o, rem)), rem);
    }
    x += ldB; xhat += hB; invStd += 4;
  }
}

/** Column sums over `rows` rows of Σ d·x̂ and Σ d for the w (1..4) columns at d, xhat. */
// @ts-ignore: decorator
@inline function lnParamSums(rows: i32, w: i32, d: usize, ldB: usize, xhat: usize, hB: usize,
  dGain: usize, dBias: usize): void {
  let g0 = f64x2.splat(0), g1 = f64x2.splat(0), b0 = f64x2.splat(0), b1 = f64x2.splat(0);
  for (let r = 0; r < rows; r++) {
    const dv = ldN(d, w);
    const gx = f32x4.mul(dv, ldN(xhat, w));
    g0 = f64x2.add(g0, f64x2.promote_low_f32x4(gx)); g1 = f64x2.add(g1, promoteHigh(gx));
    b0 = f64x2.add(b0, f64x2.promote_low_f32x4(dv)); b1 = f64x2.add(b1, promoteHigh(dv));
    d += ldB; xhat += hB;
  }
  stN(dGain, demote2(g0, g1), w);
  stN(dBias, demote2(b0, b1), w);
}

/**
 * d ← ∂L/∂x in place from d = ∂L/∂y; dGain[q] = Σ_r d x̂, dBias[q] = Σ_r d over
 * these rows (float64 column sums, rows in order, then rounded once).
 */
export function lnBackwardK(rows: i32, H: i32, d: usize, ldd: i32, xhat: usize, invStd: usize,
  gain: usize, dGain: usize, dBias: usize): void {
  const ldB = <usize>ldd << 2, hB = <usize>H << 2;
  const H4 = H & ~3, H8 = H & ~7, rem = H - H4;
  const invH: f64 = 1.0 / <f64>H;
  // parameter gradients first, while d still holds ∂L/∂y: 8 columns at a time
  let q = 0;
  for (; q < H8; q += 8) {
    const o = <usize>q << 2;
    let g0 = f64x2.splat(0), g1 = f64x2.splat(0), g2 = f64x2.splat(0), g3 = f64x2.splat(0);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let dp = d + o, xp = xhat + o;
    for (let r = 0; r < rows; r++) {
      const d0 = v128.load(dp), d1 = v128.load(dp, 16);
      const x0 = f32x4.mul(d0, v128.load(xp)), x1 = f32x4.mul(d1, v128.load(xp, 16));
      g0 = f64x2.add(g0, f64x2.promote_low_f32x4(x0)); g1 = f64x2.add(g1, promoteHigh(x0));
      g2 = f64x2.add(g2, f64x2.promote_low_f32x4(x1)); g3 = f64x2.add(g3, promoteHigh(x1));
      b0 = f64x2.add(b0, f64x2.promote_low_f32x4(d0)); b1 = f64x2.add(b1, promoteHigh(d0));
      b2 = f64x2.add(b2, f64x2.promote_low_f32x4(d1)); b3 = f64x2.add(b3, promoteHigh(d1));
      dp += ldB; xp += hB;
    }
    v128.store(dGain + o, demote2(g0, g1)); v128.store(dGain + o, demote2(g2, g3), 16);
    v128.store(dBias + o, demote2(b0, b1)); v128.store(dBias + o, demote2(b2, b3), 16);
  }
  for (; q < H; q += 4) {
    const o = <usize>q << 2;
    lnParamSums(rows, min(4, H - q), d + o, ldB, xhat + o, hB, dGain + o, dBias + o);
  }
  for (let r = 0; r < rows; r++) {
    // m1 = mean(d̃), m2 = mean(d̃ ⊙ x̂), d̃ = gain ⊙ d: four chains each
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
    q = 0;
    for (; q < H8; q += 8) {
      const o = <usize>q << 2;
      const h0 = f32x4.mul(v128.load(d + o), v128.load(gain + o));
      const h1 = f32x4.mul(v128.load(d + o, 16), v128.load(gain + o, 16));
      const x0 = f32x4.mul(h0, v128.load(xhat + o)), x1 = f32x4.mul(h1, v128.load(xhat + o, 16));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(h0)); a1 = f64x2.add(a1, promoteHigh(h0));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(h1)); a3 = f64x2.add(a3, promoteHigh(h1));
      c0 = f64x2.add(c0, f64x2.promote_low_f32x4(x0)); c1 = f64x2.add(c1, promoteHigh(x0));
      c2 = f64x2.add(c2, f64x2.promote_low_f32x4(x1)); c3 = f64x2.add(c3, promoteHigh(x1));
    }
    for (; q < H; q += 4) {
      const w = min(4, H - q);
      const o = <usize>q << 2;
      const h0 = f32x4.mul(ldN(d + o, w), ldN(gain + o, w));
      const x0 = f32x4.mul(h0, ldN(xhat + o, w));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(h0)); a1 = f64x2.add(a1, promoteHigh(h0));
      c0 = f64x2.add(c0, f64x2.promote_low_f32x4(x0)); c1 = f64x2.add(c1, promoteHigh(x0));
    }
    const m1 = f32x4.splat(<f32>(hsum64(f64x2.add(a0, a2), f64x2.add(a1, a3)) * invH));
    const m2 = f32x4.splat(<f32>(hsum64(f64x2.add(c0, c2), f64x2.add(c1, c3)) * invH));
    const isv = f32x4.splat(load<f32>(invStd));
    for (q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      const dh = f32x4.mul(v128.load(d + o), v128.load(gain + o));
      const t = f32x4.sub(f32x4.sub(dh, m1), f32x4.mul(v128.load(xhat + o), m2));
      v128.store(d + o, f32x4.mul(isv, t));
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      const dh = f32x4.mul(ldN(d + o, rem), ldN(gain + o, rem));
      const t = f32x4.sub(f32x4.sub(dh, m1), f32x4.mul(ldN(xhat + o, rem), m2));
      stN(d + o, f32x4.mul(isv, t), rem);
    }
    d += ldB; xhat += hB; invStd += 4;
  }
}

/** d ← gain ⊙ dx̂ + dGain ⊙ x̂ + dBias in place. */
export function lnTangentK(rows: i32, H: i32, d: usize, ldd: i32, xhat: usize, invStd: usize,
  gain: usize, dGain: usize, dBias: usize): void {
  const ldB = <usize>ldd << 2, hB = <usize>H << 2;
  const invH: f64 = 1.0 / <f64>H;
  for (let r = 0; r < rows; r++) {
    let m10 = f64x2.splat(0), m11 = f64x2.splat(0), m20 = f64x2.splat(0), m21 = f64x2.splat(0);
    for (let q = 0; q < H; q += 4) {
      const w = min(4, H - q);
      const o = <usize>q << 2;
      const dv = ldN(d + o, w);
      const dx = f32x4.mul(dv, ldN(xhat + o, w));
      m10 = f64x2.add(m10, f64x2.promote_low_f32x4(dv)); m11 = f64x2.add(m11, promoteHigh(dv));
      m20 = f64x2.add(m20, f64x2.promote_low_f32x4(dx)); m21 = f64x2.add(m21, promoteHigh(dx));
    }
    const m1 = f32x4.splat(<f32>(hsum64(m10, m11) * invH));
    const m2 = f32x4.splat(<f32>(hsum64(m20, m21) * invH));
    const isv = f32x4.splat(load<f32>(invStd));
    for (let q = 0; q < H; q += 4) {
      const w = min(4, H - q);
      const o = <usize>q << 2;
      const xh = ldN(xhat + o, w);
      const dxh = f32x4.mul(isv, f32x4.sub(f32x4.sub(ldN(d + o, w), m1), f32x4.mul(xh, m2)));
      const y = f32x4.add(f32x4.add(f32x4.mul(ldN(gain + o, w), dxh), f32x4.mul(ldN(dGain + o, w), xh)), ldN(dBias + o, w));
      stN(d + o, y, w);
    }
    d += ldB; xhat += hB; invStd += 4;
  }
}

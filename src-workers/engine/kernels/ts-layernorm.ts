/**
 * LayerNorm over the hidden axis, eps 1e-5, learnable gain and bias
 * (SCIENCE.md §2): y = g ⊙ x̂ + β, x̂ = (x - mean(x)) / sqrt(var(x) + eps),
 * var the biased (1/H) variance. Reference loops of the kernels
 * layerNormForward / Backward / Tangent (./types.ts): in place over `rows`
 * rows of H, row r at off + r·ld; x̂ rows are contiguous ([rows][H]) and 1/std
 * is one value per row. Row statistics and batch sums in float64 (JS numbers).
 */
import type { FloatArray } from './types';

export const LN_EPS = 1e-5;

/** x ← gain ⊙ x̂ + bias in place; writes x̂ and 1/std per row. */
export function lnForward(
  rows: number, H: number, x: FloatArray, xOff: number, ldx: number,
  xhat: FloatArray, xhatOff: number, invStd: FloatArray, invStdOff: number,
  p: FloatArray, gainOff: number, biasOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = xOff + r * ldx;
    let mean = 0;
    for (let q = 0; q < H; q++) mean += x[xo + q]!;
    mean /= H;
    let v = 0;
    for (let q = 0; q < H; q++) {
      const d = x[xo + q]! - mean;
      v += d * d;
    }
    const is = 1 / Math.sqrt(v / H + LN_EPS);
    invStd[invStdOff + r] = is;
    const ho = xhatOff + r * H;
    for (let q = 0; q < H; q++) {
      const xh = (x[xo + q]! - mean) * is;
      xhat[ho + q] = xh;
      x[xo + q] = p[gainOff + q]! * xh + p[biasOff + q]!;
    }
  }
}

/**
 * d ← ∂L/∂x in place from d = ∂L/∂y; dp[dGainOff + q] = Σ_r d x̂,
 * dp[dBiasOff + q] = Σ_r d over these rows (overwritten).
 */
export function lnBackward(
  rows: number, H: number, d: FloatArray, dOff: number, ldd: number,
  xhat: FloatArray, xhatOff: number, invStd: FloatArray, invStdOff: number,
  p: FloatArray, gainOff: number, dp: FloatArray, dGainOff: number, dBiasOff: number,
): void {
  // batch sums first (column by column, float64, rows in order), d is still ∂L/∂y
  for (let q = 0; q < H; q++) {
    let sg = 0;
    let sb = 0;
    for (let r = 0; r < rows; r++) {
      const dv = d[dOff + r * ldd + q]!;
      sg += dv * xhat[xhatOff + r * H + q]!;
      sb += dv;
    }
    dp[dGainOff + q] = sg;
    dp[dBiasOff + q] = sb;
  }
  for (let r = 0; r < rows; r++) {
    const dro = dOff + r * ldd;
    const ho = xhatOff + r * H;
    let m1 = 0;
    let m2 = 0;
    for (let q = 0; q < H; q++) {
      const dh = d[dro + q]! * p[gainOff + q]!;
      m1 += dh;
      m2 += dh * xhat[ho + q]!;
    }
    m1 /= H;
    m2 /= H;
    const is = invStd[invStdOff + r]!;
    for (let q = 0; q < H; q++) {
      const dh = d[dro + q]! * p[gainOff + q]!;
      d[dro + q] = is * (dh - m1 - xhat[ho + q]! * m2);
    }
  }
}

/** d ← gain ⊙ dx̂ + dGain ⊙ x̂ + dBias in place, dx̂ = (1/std)(d − mean(d) − x̂ mean(d ⊙ x̂)). */
export function lnTangent(
  rows: number, H: number, d: FloatArray, dOff: number, ldd: number,
  xhat: FloatArray, xhatOff: number, invStd: FloatArray, invStdOff: number,
  p: FloatArray, gainOff: number, dir: FloatArray, dGainOff: number, dBiasOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const dro = dOff + r * ldd;
    const ho = xhatOff + r * H;
    let m1 = 0;
    let m2 = 0;
    for (let q = 0; q < H; q++) {
      const dv = d[dro + q]!;
      m1 += dv;
      m2 += dv * xhat[ho + q]!;
    }
    m1 /= H;
    m2 /= H;
    const is = invStd[invStdOff + r]!;
    for (let q = 0; q < H; q++) {
      const xh = xhat[ho + q]!;
      const dxh = is * (d[dro + q]! - m1 - xh * m2);
      d[dro + q] = p[gainOff + q]! * dxh + dir[dGainOff + q]! * xh + dir[dBiasOff + q]!;
    }
  }
}

/**
 * LayerNorm over the hidden axis, eps 1e-5, learnable gain and bias
 * (SCIENCE.md §2): y = g ⊙ x̂ + β, x̂ = (x - mean(x)) / sqrt(var(x) + eps),
 * var the biased (1/H) variance. Each function works on `rows` consecutive
 * rows of length H starting at the given offsets.
 */
import type { FloatArray } from '../kernels/types';

export const LN_EPS = 1e-5;

/**
 * Forward. Writes y, and (for backward/tangent) x̂ and 1/std per row.
 * y may alias x.
 */
export function layerNormForward(
  rows: number, H: number,
  x: FloatArray, xOff: number,
  gain: FloatArray, gOff: number, bias: FloatArray, bOff: number,
  y: FloatArray, yOff: number,
  xhat: FloatArray, xhatOff: number,
  invStd: FloatArray, invStdOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = xOff + r * H;
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
    const yo = yOff + r * H;
    for (let q = 0; q < H; q++) {
      const xh = (x[xo + q]! - mean) * is;
      xhat[ho + q] = xh;
      y[yo + q] = gain[gOff + q]! * xh + bias[bOff + q]!;
    }
  }
}

/**
 * Backward. Given dy, accumulates dGain += dy ⊙ x̂, dBias += dy and writes
 * dx = (1/std)(dŷ - mean(dŷ) - x̂ mean(dŷ ⊙ x̂)) with dŷ = g ⊙ dy.
 * dx may alias dy.
 */
export function layerNormBackward(
  rows: number, H: number,
  dy: FloatArray, dyOff: number,
  xhat: FloatArray, xhatOff: number,
  invStd: FloatArray, invStdOff: number,
  gain: FloatArray, gOff: number,
  dGain: FloatArray, dgOff: number, dBias: FloatArray, dbOff: number,
  dx: FloatArray, dxOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const dyo = dyOff + r * H;
    const ho = xhatOff + r * H;
    let m1 = 0;
    let m2 = 0;
    for (let q = 0; q < H; q++) {
      const d = dy[dyo + q]!;
      const xh = xhat[ho + q]!;
      dGain[dgOff + q] += d * xh;
      dBias[dbOff + q] += d;
      const dh = d * gain[gOff + q]!;
      m1 += dh;
      m2 += dh * xh;
    }
    m1 /= H;
    m2 /= H;
    const is = invStd[invStdOff + r]!;
    const dxo = dxOff + r * H;
    for (let q = 0; q < H; q++) {
      const dh = dy[dyo + q]! * gain[gOff + q]!;
      dx[dxo + q] = is * (dh - m1 - xhat[ho + q]! * m2);
    }
  }
}

/**
 * Tangent (forward mode). Given the input tangent dx and the parameter
 * tangents dGain, dBias, writes dy = g ⊙ dx̂ + dGain ⊙ x̂ + dBias with
 * dx̂ = (1/std)(dx - mean(dx) - x̂ mean(dx ⊙ x̂)). dy may alias dx.
 */
export function layerNormTangent(
  rows: number, H: number,
  dx: FloatArray, dxOff: number,
  xhat: FloatArray, xhatOff: number,
  invStd: FloatArray, invStdOff: number,
  gain: FloatArray, gOff: number,
  dGain: FloatArray, dgOff: number, dBias: FloatArray, dbOff: number,
  dy: FloatArray, dyOff: number,
): void {
  for (let r = 0; r < rows; r++) {
    const dxo = dxOff + r * H;
    const ho = xhatOff + r * H;
    let m1 = 0;
    let m2 = 0;
    for (let q = 0; q < H; q++) {
      const d = dx[dxo + q]!;
      m1 += d;
      m2 += d * xhat[ho + q]!;
    }
    m1 /= H;
    m2 /= H;
    const is = invStd[invStdOff + r]!;
    const dyo = dyOff + r * H;
    for (let q = 0; q < H; q++) {
      const xh = xhat[ho + q]!;
      const dxh = is * (dx[dxo + q]! - m1 - xh * m2);
      dy[dyo + q] = gain[gOff + q]! * dxh + dGain[dgOff + q]! * xh + dBias[dbOff + q]!;
    }
  }
}

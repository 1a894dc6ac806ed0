/**
 * Helpers for the finite-difference checks of the model tests (float64).
 * Not used on any hot path.
 */
import type { Model } from './types';

/** Mean squared error of a forward pass over a time-major batch. */
export function mseLoss(model: Model<Float64Array>, x: Float64Array, y: Float64Array, B: number, T: number): number {
  const yhat = new Float64Array(T * B);
  model.forward(x, B, T, yhat, { train: false });
  let s = 0;
  for (let i = 0; i < T * B; i++) {
    const d = yhat[i]! - y[i]!;
    s += d * d;
  }
  return s / (T * B);
}

/** Analytic gradient of mseLoss through forward(train) + backward. */
export function analyticGrad(model: Model<Float64Array>, x: Float64Array, y: Float64Array, B: number, T: number): Float64Array {
  const yhat = new Float64Array(T * B);
  model.forward(x, B, T, yhat, { train: true });
  const dy = new Float64Array(T * B);
  for (let i = 0; i < T * B; i++) dy[i] = (2 * (yhat[i]! - y[i]!)) / (T * B);
  model.backward(dy);
  return Float64Array.from(model.grads);
}

/** Central finite difference of mseLoss with respect to every parameter. */
export function numericGrad(model: Model<Float64Array>, x: Float64Array, y: Float64Array, B: number, T: number, h = 1e-5): Float64Array {
  const g = new Float64Array(model.layout.size);
  const p = model.params;
  for (let i = 0; i < p.length; i++) {
    const old = p[i]!;
    p[i] = old + h;
    const lp = mseLoss(model, x, y, B, T);
    p[i] = old - h;
    const lm = mseLoss(model, x, y, B, T);
    p[i] = old;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

/**
 * max_i |a_i - b_i| / max(|a_i|, |b_i|, floor): relative error with a floor
 * for entries that are (numerically) zero.
 */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-8): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const s = Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor);
    worst = Math.max(worst, d / s);
  }
  return worst;
}

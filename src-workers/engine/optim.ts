/**
 * Optimisers and gradient clipping (SCIENCE.md §3), with PyTorch's semantics
 * so that runs are comparable with the reference pipeline.
 *
 * All of them work in place on a model's flat `params` given its flat `grads`
 * (same layout). State (moments, velocity) is preallocated in float64; each
 * update is computed in float64 and stored into the parameter array's type.
 *
 * Weight decay applies to EVERY parameter (biases, LayerNorm gains, gate
 * parameters included), as a torch optimizer built on `model.parameters()`
 * with a single parameter group does.
 *
 *  - adamw (torch.optim.AdamW): p ← p - lr·wd·p, then with t the step count,
 *      m ← β1 m + (1-β1) g,  v ← β2 v + (1-β2) g²,
 *      p ← p - (lr / (1-β1^t)) · m / (sqrt(v)/sqrt(1-β2^t) + eps);
 *  - sgd (torch.optim.SGD, momentum 0): g ← g + wd·p, p ← p - lr·g;
 *  - sgd_momentum (torch.optim.SGD, heavy ball, dampening 0, no Nesterov):
 *      g ← g + wd·p,  buf ← μ·buf + g (buf = g at the first step),  p ← p - lr·buf.
 */
import type { FloatArray } from './kernels/types';
import type { OptimizerName } from '../../src-shared/config';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPS = 1e-8;

export interface OptimizerSpec {
  optimizer: OptimizerName;
  lr: number;
  weight_decay: number;
  /** heavy-ball coefficient, used by sgd_momentum only */
  momentum: number;
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** number of steps taken */
  readonly steps: number;
  /** one update of `params` from `grads` (grads are not modified) */
  step(params: FloatArray, grads: FloatArray): void;
  /** forget all state (moments, velocity, step count) */
  reset(): void;
}

export function createOptimizer(spec: OptimizerSpec, size: number): Optimizer {
  switch (spec.optimizer) {
    case 'adamw':
      return new AdamW(spec.lr, spec.weight_decay, size);
    case 'sgd':
      return new Sgd(spec.lr, spec.weight_decay, 0, size, 'sgd');
    case 'sgd_momentum':
      return new Sgd(spec.lr, spec.weight_decay, spec.momentum, size, 'sgd_momentum');
    default:
      throw new Error(`unknown optimizer '${String(spec.optimizer)}'`);
  }
}

export class AdamW implements Optimizer {
  readonly name = 'adamw' as const;
  steps = 0;
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(
    private readonly lr: number,
    private readonly wd: number,
    readonly size: number,
    private readonly beta1 = ADAM_BETA1,
    private readonly beta2 = ADAM_BETA2,
    private readonly eps = ADAM_EPS,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: FloatArray, grads: FloatArray): void {
    const { m, v, lr, beta1, beta2, eps, size } = this;
    this.steps++;
    const t = this.steps;
    const decay = 1 - lr * this.wd;
    const stepSize = lr / (1 - Math.pow(beta1, t));
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(beta2, t));
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let i = 0; i < size; i++) {
      const g = grads[i]!;
      const mi = beta1 * m[i]! + c1 * g;
      const vi = beta2 * v[i]! + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
    }
  }

  reset(): void {
    this.steps = 0;
    this.m.fill(0);
    this.v.fill(0);
  }
}

export class Sgd implements Optimizer {
  steps = 0;
  private readonly buf: Float64Array | null;

  constructor(
    private readonly lr: number,
    private readonly wd: number,
    private readonly momentum: number,
    readonly size: number,
    readonly name: 'sgd' | 'sgd_momentum',
  ) {
    this.buf = momentum !== 0 ? new Float64Array(size) : null;
  }

  step(params: FloatArray, grads: FloatArray): void {
    const { lr, wd, momentum, buf, size } = this;
    this.steps++;
    if (buf === null) {
      for (let i = 0; i < size; i++) {
        const p = params[i]!;
        params[i] = p - lr * (grads[i]! + wd * p);
      }
      return;
    }
    // buf starts at 0, so μ·0 + g reproduces torch's "buf = g at the first step".
    for (let i = 0; i < size; i++) {
      const p = params[i]!;
      const b = momentum * buf[i]! + grads[i]! + wd * p;
      buf[i] = b;
      params[i] = p - lr * b;
    }
  }

  reset(): void {
    this.steps = 0;
    this.buf?.fill(0);
  }
}

/** Global L2 norm of the first n entries (accumulated in float64). */
export function globalNorm(grads: FloatArray, n = grads.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const g = grads[i]!;
    s += g * g;
  }
  return Math.sqrt(s);
}

/**
 * Clip by global L2 norm (torch.nn.utils.clip_grad_norm_): when the norm
 * exceeds maxNorm, scale every gradient by maxNorm / (norm + 1e-6).
 * maxNorm = 0 turns clipping off. Returns the norm BEFORE clipping (NaN or
 * Infinity when a gradient is not finite; the gradients are then left as they
 * are and the caller decides).
 */
export function clipGradNorm(grads: FloatArray, maxNorm: number, n = grads.length): number {
  const norm = globalNorm(grads, n);
  if (maxNorm > 0 && Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < n; i++) grads[i] = grads[i]! * scale;
  }
  return norm;
}

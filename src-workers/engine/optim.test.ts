import { describe, expect, it } from 'vitest';
import { clipGradNorm, createOptimizer, globalNorm } from './optim';

/** Two parameters, two steps with fixed gradients: every expected value is written out by hand. */
const p0 = [1.0, -2.0];
const g1 = [0.5, -0.1];
const g2 = [0.2, 0.3];

function close(a: ArrayLike<number>, b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!)));
}

describe('AdamW (decoupled weight decay, bias-corrected)', () => {
  const lr = 0.1;
  const wd = 0.01;
  const eps = 1e-8;

  // hand derivation, per coordinate:
  // step 1: p ← p(1 - lr·wd); m1 = 0.1 g1; v1 = 0.001 g1²; m̂ = m1/0.1 = g1; v̂ = v1/0.001 = g1²;
  //         p1 = p0(1 - lr wd) - lr g1 / (|g1| + eps)
  const p1 = [
    1.0 * (1 - lr * wd) - (lr * 0.5) / (0.5 + eps),
    -2.0 * (1 - lr * wd) - (lr * -0.1) / (0.1 + eps),
  ];
  // step 2: m2 = 0.9 m1 + 0.1 g2; v2 = 0.999 v1 + 0.001 g2²; bc1 = 1 - 0.81 = 0.19; bc2 = 1 - 0.998001 = 0.001999
  const m2 = [0.9 * 0.05 + 0.1 * 0.2, 0.9 * -0.01 + 0.1 * 0.3];
  const v2 = [0.999 * 0.00025 + 0.001 * 0.04, 0.999 * 0.00001 + 0.001 * 0.09];
  const p2 = [0, 1].map(
    (i) => p1[i]! * (1 - lr * wd) - (lr / 0.19) * m2[i]! / (Math.sqrt(v2[i]!) / Math.sqrt(0.001999) + eps),
  );

  it('matches the hand-computed two-step trajectory (float64)', () => {
    const opt = createOptimizer({ optimizer: 'adamw', lr, weight_decay: wd, momentum: 0.9 }, 2);
    const p = Float64Array.from(p0);
    opt.step(p, Float64Array.from(g1));
    close(p, p1, 1e-14);
    opt.step(p, Float64Array.from(g2));
    close(p, p2, 1e-14);
    expect(opt.steps).toBe(2);
  });

  it('stores into float32 parameters to float32 rounding, and reset() forgets the moments', () => {
    const opt = createOptimizer({ optimizer: 'adamw', lr, weight_decay: wd, momentum: 0.9 }, 2);
    const p = Float32Array.from(p0);
    opt.step(p, Float32Array.from(g1));
    close(p, p1, 2 ** -23);
    opt.reset();
    const q = Float64Array.from(p0);
    opt.step(q, Float64Array.from(g1));
    close(q, p1, 1e-14); // first step again: bias correction restarted
  });

  it('with zero gradient only the decoupled decay acts', () => {
    const opt = createOptimizer({ optimizer: 'adamw', lr: 0.5, weight_decay: 0.2, momentum: 0 }, 2);
    const p = Float64Array.from([3, -4]);
    opt.step(p, new Float64Array(2));
    close(p, [3 * 0.9, -4 * 0.9], 1e-15);
  });
});

describe('SGD', () => {
  it('adds weight decay to the gradient: p ← p - lr (g + wd p)', () => {
    const lr = 0.05;
    const wd = 0.1;
    const opt = createOptimizer({ optimizer: 'sgd', lr, weight_decay: wd, momentum: 0.9 /* ignored */ }, 2);
    const p = Float64Array.from(p0);
    opt.step(p, Float64Array.from(g1));
    const q1 = [1 - 0.05 * (0.5 + 0.1 * 1), -2 - 0.05 * (-0.1 + 0.1 * -2)];
    close(p, q1, 1e-15);
    opt.step(p, Float64Array.from(g2));
    const q2 = [q1[0]! - 0.05 * (0.2 + 0.1 * q1[0]!), q1[1]! - 0.05 * (0.3 + 0.1 * q1[1]!)];
    close(p, q2, 1e-15);
  });
});

describe('SGD with heavy-ball momentum (torch semantics)', () => {
  it('buf ← μ buf + (g + wd p), p ← p - lr buf, buf = g + wd p at the first step', () => {
    const lr = 0.05;
    const wd = 0.1;
    const mu = 0.9;
    const opt = createOptimizer({ optimizer: 'sgd_momentum', lr, weight_decay: wd, momentum: mu }, 2);
    const p = Float64Array.from(p0);
    opt.step(p, Float64Array.from(g1));
    const b1 = [0.5 + 0.1 * 1, -0.1 + 0.1 * -2];
    const q1 = [1 - lr * b1[0]!, -2 - lr * b1[1]!];
    close(p, q1, 1e-15);
    opt.step(p, Float64Array.from(g2));
    const b2 = [mu * b1[0]! + 0.2 + wd * q1[0]!, mu * b1[1]! + 0.3 + wd * q1[1]!];
    close(p, [q1[0]! - lr * b2[0]!, q1[1]! - lr * b2[1]!], 1e-15);
  });
});

describe('global-norm clipping', () => {
  it('scales by max/(norm + 1e-6) when the norm exceeds the threshold and returns the unclipped norm', () => {
    const g = Float64Array.from([3, 4]);
    const n = clipGradNorm(g, 1);
    expect(n).toBe(5);
    close(g, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-15);
    expect(globalNorm(g)).toBeLessThan(1);
    expect(globalNorm(g)).toBeGreaterThan(1 - 1e-6);
  });

  it('leaves small gradients alone, is off at 0, and does not touch non-finite gradients', () => {
    const g = Float32Array.from([0.3, -0.4]);
    expect(clipGradNorm(g, 1)).toBeCloseTo(0.5, 7);
    close(g, [0.3, -0.4], 1e-7);
    const big = Float64Array.from([30, 40]);
    expect(clipGradNorm(big, 0)).toBe(50);
    close(big, [30, 40], 0);
    const bad = Float64Array.from([NaN, 1]);
    expect(clipGradNorm(bad, 1)).toBeNaN();
    expect(bad[1]).toBe(1);
  });

  it('computes the norm in float64 over float32 gradients', () => {
    // 4096 entries of 1e-3 (not exactly representable): float64 accumulation gives sqrt(4096)·fround(1e-3)
    const g = new Float32Array(4096).fill(1e-3);
    expect(Math.abs(globalNorm(g) - 64 * Math.fround(1e-3))).toBeLessThan(1e-15);
  });
});

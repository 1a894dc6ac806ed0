import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import {
  ALPHA_GRID_POINTS,
  gammaFn,
  gk15,
  sampleStable,
  stableCdf,
  stablePdf,
  stableQuantile,
  stableRatioTable,
  stableSf,
} from './stable';

/** Composite Simpson rule with n (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, n: number): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** Normal CDF with variance 2 by Simpson on its density (independent of the code). */
function normalVar2Cdf(x: number): number {
  const half = simpson((t) => Math.exp((-t * t) / 4), 0, Math.abs(x), 4000) / (2 * Math.sqrt(Math.PI));
  return x >= 0 ? 0.5 + half : 0.5 - half;
}

/**
 * Fourier inversion F(x) = 1/2 + (1/π)∫_0^∞ sin(xt)/t e^{-t^α} dt, with t = s⁴
 * (smooth at 0): ∫ 4 sin(x s⁴)/s e^{-s^{4α}} ds, Simpson on [0, 40^{1/4}].
 */
function fourierCdf(x: number, alpha: number): number {
  const f = (s: number): number => (s === 0 ? 0 : (4 * Math.sin(x * s ** 4) * Math.exp(-(s ** (4 * alpha)))) / s);
  return 0.5 + simpson(f, 0, 40 ** 0.25, 200_000) / Math.PI;
}

// Standard normal quantiles (mathematical constants).
const Z75 = 0.6744897501960817;
const Z95 = 1.6448536269514722;

describe('quadrature and gamma helpers', () => {
  it('Gauss–Kronrod 15 integrates x^k exactly up to degree 22 (Gauss 7 up to 13)', () => {
    for (let k = 0; k <= 22; k++) {
      const exact = k % 2 === 0 ? 2 / (k + 1) : 0;
      const r = gk15((x) => x ** k, -1, 1);
      expect(Math.abs(r.kronrod - exact)).toBeLessThan(1e-14);
      if (k <= 13) expect(Math.abs(r.gauss - exact)).toBeLessThan(1e-14);
    }
  });
  it('Γ matches closed forms', () => {
    expect(gammaFn(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 13);
    expect(gammaFn(1.5)).toBeCloseTo(Math.sqrt(Math.PI) / 2, 13);
    expect(gammaFn(5) / 24 - 1).toBeLessThan(1e-13);
    expect(Math.abs(gammaFn(11) / 3628800 - 1)).toBeLessThan(1e-13);
  });
});

describe('stableCdf', () => {
  it('α = 2 is the normal law with variance 2 (to 1e-9)', () => {
    for (let x = -12; x <= 12; x += 0.173) expect(Math.abs(stableCdf(x, 2) - normalVar2Cdf(x))).toBeLessThan(1e-9);
  });

  it('α = 1 and α = 1 + 1e-9 (numerical path) are Cauchy, 1/2 + atan(x)/π (to 1e-7)', () => {
    for (let x = -50; x <= 50; x += 0.37) {
      const c = 0.5 + Math.atan(x) / Math.PI;
      expect(Math.abs(stableCdf(x, 1) - c)).toBeLessThan(1e-12);
      expect(Math.abs(stableCdf(x, 1 + 1e-9) - c)).toBeLessThan(1e-7);
    }
  });

  it('agrees with an independent Fourier inversion for 1 < α < 2', () => {
    for (const a of [1.2, 1.5, 1.8]) {
      for (const x of [0.1, 0.5, 1, 2, 5]) expect(Math.abs(stableCdf(x, a) - fourierCdf(x, a))).toBeLessThan(1e-8);
    }
  });

  it('is monotone and symmetric, F(-x) = 1 - F(x), on a grid of α', () => {
    for (const a of [1, 1.01, 1.05, 1.2, 1.5, 1.8, 1.95, 1.999, 2]) {
      let prev = 0;
      for (let x = -30; x <= 30; x += 0.25) {
        const F = stableCdf(x, a);
        expect(F).toBeGreaterThanOrEqual(prev);
        expect(Math.abs(stableCdf(-x, a) - (1 - F))).toBeLessThan(1e-13);
        prev = F;
      }
      expect(stableCdf(0, a)).toBe(0.5);
    }
  });

  it('density: f(0) = Γ(1+1/α)/π at α = 1, 2 and matches dF/dx', () => {
    expect(stablePdf(0, 2)).toBeCloseTo(1 / (2 * Math.sqrt(Math.PI)), 13);
    expect(stablePdf(0, 1)).toBeCloseTo(1 / Math.PI, 13);
    const h = 1e-4;
    for (const a of [1.1, 1.5, 1.9]) {
      for (const x of [0.2, 0.5, 1, 3, 10]) {
        const fd = (stableCdf(x + h, a) - stableCdf(x - h, a)) / (2 * h);
        expect(Math.abs(stablePdf(x, a) - fd)).toBeLessThan(1e-8);
      }
    }
  });

  it('tail: P(X > x) x^α → Γ(α) sin(πα/2)/π (relative accuracy far out)', () => {
    for (const a of [1.2, 1.5, 1.8]) {
      const x = 1e6;
      const lim = (gammaFn(a) * Math.sin((Math.PI * a) / 2)) / Math.PI;
      expect(Math.abs((stableSf(x, a) * x ** a) / lim - 1)).toBeLessThan(1e-5);
    }
  });
});

describe('stableQuantile and the ratio table', () => {
  it('inverts the CDF', () => {
    for (const a of [1, 1.003, 1.3, 1.77, 2]) {
      for (const p of [1e-6, 0.01, 0.05, 0.25, 0.4, 0.5, 0.6, 0.75, 0.95, 0.999]) {
        expect(Math.abs(stableCdf(stableQuantile(p, a), a) - p)).toBeLessThan(1e-12);
      }
    }
  });

  it('α = 2: R = 2.4387, IQR = 1.9078; α = 1: R = 6.3138, IQR = 2 (from closed forms, to 1e-9)', () => {
    const t0 = performance.now();
    const t = stableRatioTable();
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(3000); // typically ~100 ms
    expect(t.alpha.length).toBe(ALPHA_GRID_POINTS);
    expect(t.alpha[0]).toBe(1);
    expect(t.alpha[200]).toBe(2);
    expect(t.alpha[100]).toBeCloseTo(1.5, 14);
    expect(Math.abs(t.R[200]! - Z95 / Z75)).toBeLessThan(1e-9);
    expect(Math.abs(t.IQR[200]! - 2 * Math.SQRT2 * Z75)).toBeLessThan(1e-9);
    expect(Math.abs(t.R[0]! - Math.tan(0.45 * Math.PI))).toBeLessThan(1e-9);
    expect(Math.abs(t.IQR[0]! - 2)).toBeLessThan(1e-9);
    // The brief's 4-digit figures, to 1e-4 (exactly 2.438634…, 1.907745…, 6.313751…).
    expect(Math.abs(t.R[200]! - 2.4387)).toBeLessThan(1e-4);
    expect(Math.abs(t.IQR[200]! - 1.9078)).toBeLessThan(1e-4);
    expect(Math.abs(t.R[0]! - 6.3138)).toBeLessThan(1e-4);
    for (let i = 1; i < ALPHA_GRID_POINTS; i++) expect(t.R[i]!).toBeLessThan(t.R[i - 1]!);
    expect(stableRatioTable()).toBe(t); // cached
  });
});

describe('sampleStable (Chambers–Mallows–Stuck)', () => {
  /** Kolmogorov–Smirnov distance of a sample to a CDF. */
  function ks(x: Float64Array, F: (v: number) => number): number {
    const s = Float64Array.from(x).sort();
    const n = s.length;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = F(s[i]!);
      d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
    }
    return d;
  }

  it('α = 2 has variance 2·scale²', () => {
    const x = new Float64Array(200_000);
    sampleStable(new Rng(7), 2, 1.5, x);
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let v2 = 0;
    for (const v of x) v2 += (v - m) ** 2;
    v2 /= x.length - 1;
    // sd of the sample variance ≈ 4.5·sqrt(2/n) ≈ 0.014
    expect(Math.abs(v2 - 2 * 1.5 ** 2)).toBeLessThan(0.06);
  });

  it('passes a KS test against the CDF (α = 1, 1.5, 1.9; 99.9% critical value)', () => {
    const n = 4000;
    const crit = 1.95 / Math.sqrt(n);
    for (const [a, seed] of [[1, 11], [1.5, 12], [1.9, 13]] as const) {
      const x = new Float64Array(n);
      sampleStable(new Rng(seed), a, 2, x);
      expect(ks(x, (v) => stableCdf(v / 2, a))).toBeLessThan(crit);
    }
  });

  it('is reproducible from the seed', () => {
    const a = new Float64Array(10);
    const b = new Float64Array(10);
    sampleStable(new Rng(3), 1.3, 1, a);
    sampleStable(new Rng(3), 1.3, 1, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

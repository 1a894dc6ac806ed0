import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { alphaFromRatio, estimateAlpha, iqrTheory, quantileSorted } from './estimators';
import { sampleStable, stableQuantile, stableRatioTable } from './stable';

describe('quantileSorted (numpy type 7)', () => {
  it('interpolates linearly between order statistics', () => {
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted(s, 0.25)).toBeCloseTo(1.75, 14); // h = 0.75
    expect(quantileSorted(s, 0.5)).toBeCloseTo(2.5, 14);
    expect(quantileSorted([5], 0.3)).toBe(5);
    expect(quantileSorted([], 0.3)).toBeNaN();
  });
});

describe('McCulloch table inversion', () => {
  it('recovers grid α from R(α), interpolates between, clamps outside', () => {
    const t = stableRatioTable();
    for (const i of [0, 1, 57, 100, 199, 200]) expect(alphaFromRatio(t.R[i]!)).toBeCloseTo(t.alpha[i]!, 12);
    const mid = 0.5 * (t.R[40]! + t.R[41]!);
    expect(alphaFromRatio(mid)).toBeCloseTo(0.5 * (t.alpha[40]! + t.alpha[41]!), 12);
    expect(alphaFromRatio(100)).toBe(1);
    expect(alphaFromRatio(1.5)).toBe(2);
    expect(iqrTheory(1)).toBeCloseTo(2, 9);
    expect(iqrTheory(2)).toBeCloseTo(2 * Math.SQRT2 * 0.6744897501960817, 9);
  });
});

describe('estimateAlpha on CMS samples (n = 100 000)', () => {
  const n = 100_000;
  const x = new Float64Array(n);
  const scale = 1.7;
  for (const [i, a] of [1.1, 1.3, 1.5, 1.7, 1.9, 2.0].entries()) {
    it(`α = ${a}: ecf within 0.03, mcculloch within 0.05, σ̂ within 5 %`, () => {
      sampleStable(new Rng(9000 + i), a, scale, x);
      const copy = Float64Array.from(x);
      const e = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 1 });
      const m = estimateAlpha(x, 'mcculloch', { minSamples: 500, seed: 1 });
      expect(Array.from(x)).toEqual(Array.from(copy)); // input untouched
      expect(e.method).toBe('ecf');
      expect(m.method).toBe('mcculloch');
      expect(Math.abs(e.alpha - a)).toBeLessThan(0.03);
      expect(Math.abs(m.alpha - a)).toBeLessThan(0.05);
      expect(Math.abs(e.sigma / scale - 1)).toBeLessThan(0.05);
      expect(Math.abs(m.sigma / scale - 1)).toBeLessThan(0.05);
      expect(e.reliable).toBe(true);
      expect(m.reliable).toBe(true);
      expect(e.n).toBe(n);
    });
  }
});

describe('reliability and edge cases', () => {
  it('fewer than minSamples ⇒ unreliable with α̂ = 2, σ̂ = 0', () => {
    const x = new Float64Array(499);
    sampleStable(new Rng(1), 1.5, 1, x);
    for (const method of ['ecf', 'mcculloch'] as const) {
      const r = estimateAlpha(x, method, { minSamples: 500, seed: 0 });
      expect(r).toEqual({ alpha: 2, sigma: 0, reliable: false, n: 499, method });
    }
  });

  it('non-finite samples are dropped before counting', () => {
    const x = new Float64Array(600);
    sampleStable(new Rng(2), 1.5, 1, x);
    x[3] = NaN;
    x[4] = Infinity;
    expect(estimateAlpha(x, 'mcculloch', { minSamples: 599, seed: 0 }).reliable).toBe(false);
    expect(estimateAlpha(x, 'mcculloch', { minSamples: 598, seed: 0 }).n).toBe(598);
  });

  it('α̂ ≥ 1.99 needs at least 2000 samples to be reliable', () => {
    // The exact quantiles of the normal law (α = 2): α̂ = 2 up to discretisation.
    const make = (n: number): Float64Array => {
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) s[i] = stableQuantile((i + 0.5) / n, 2);
      return s;
    };
    const small = estimateAlpha(make(1000), 'mcculloch', { minSamples: 500, seed: 0 });
    expect(small.alpha).toBeGreaterThanOrEqual(1.99);
    expect(small.reliable).toBe(false);
    const large = estimateAlpha(make(3000), 'mcculloch', { minSamples: 500, seed: 0 });
    expect(large.alpha).toBeGreaterThanOrEqual(1.99);
    expect(large.reliable).toBe(true);
  });

  it('zero IQR is unreliable; ecf falls back to mcculloch when |φ̂|² never leaves 1', () => {
    const x = new Float64Array(10_000);
    x[0] = 1;
    const r = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 0 });
    expect(r.method).toBe('mcculloch');
    expect(r.reliable).toBe(false);
    expect(r.sigma).toBe(0);
  });

  it('ecf subsamples beyond 100 000 reproducibly from the seed', () => {
    const x = new Float64Array(150_000);
    sampleStable(new Rng(5), 1.4, 1, x);
    const a = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 3 });
    const b = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 3 });
    const c = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 4 });
    expect(a).toEqual(b);
    expect(c.alpha).not.toBe(a.alpha);
    expect(a.n).toBe(150_000);
    expect(Math.abs(a.alpha - 1.4)).toBeLessThan(0.03);
  });
});

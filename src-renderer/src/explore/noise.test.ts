/** Noise-lab helpers against closed forms: Γ, the SαS density at α = 1 and 2, histograms and ranks. */
import { describe, expect, it } from 'vitest';
import { gamma, histogram, quantile, sortedFinite, stableDensity, survivalPoints, tailConstant, tailLine } from './noise';

describe('noise helpers', () => {
  it('Γ at known values', () => {
    expect(gamma(5)).toBeCloseTo(24, 10);
    expect(gamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 12);
    expect(gamma(1.5)).toBeCloseTo(Math.sqrt(Math.PI) / 2, 12);
    expect(gamma(1)).toBeCloseTo(1, 13);
  });

  it('SαS density: Cauchy at α = 1, normal with variance 2σ² at α = 2', () => {
    for (const sigma of [0.5, 1, 3]) {
      for (const x of [0, 0.3, 1, 2.5, 10]) {
        expect(stableDensity(x * sigma, 1, sigma)).toBeCloseTo(sigma / (Math.PI * (sigma ** 2 + (x * sigma) ** 2)), 7);
        const v = 2 * sigma * sigma;
        expect(stableDensity(x * sigma, 2, sigma)).toBeCloseTo(Math.exp(-((x * sigma) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v), 7);
      }
    }
  });

  it('tail constant: Cauchy P(|X| > x) = 1 - (2/π) atan(x/σ) ~ 2σ/(πx); none at α = 2', () => {
    expect(tailConstant(1, 2)).toBeCloseTo((2 / Math.PI) * 2, 12);
    const x = 1e4;
    expect(tailLine(1, 1, [x])[0]![1] / (1 - (2 / Math.PI) * Math.atan(x))).toBeCloseTo(1, 6);
    expect(tailConstant(2, 1)).toBe(0);
    expect(tailLine(2, 1, [1, 2])).toEqual([]);
  });

  it('quantile type 7 and the sorted finite copy', () => {
    const s = sortedFinite([3, NaN, 1, Infinity, 2, 4]);
    expect(Array.from(s)).toEqual([1, 2, 3, 4]);
    expect(quantile(s, 0.5)).toBe(2.5);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(4);
    expect(quantile(s, 1 / 3)).toBeCloseTo(2, 14);
  });

  it('histogram: counts add up, density integrates to the in-range share', () => {
    const xs = sortedFinite(Array.from({ length: 1000 }, (_, i) => i / 999));
    const h = histogram(xs, 10, 0);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.below + h.above).toBe(1000);
    expect(h.counts).toEqual(new Array(10).fill(100));
    expect(h.density.reduce((a, b) => a + b * h.width, 0)).toBeCloseTo(1, 12);
    const clipped = histogram(xs, 10, 0.1);
    expect(clipped.lo).toBeCloseTo(0.1, 12);
    expect(clipped.hi).toBeCloseTo(0.9, 12);
    expect(clipped.below + clipped.above).toBe(200);
    const flat = histogram(sortedFinite([2, 2, 2]), 4);
    expect(flat.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('survival points: the k-th largest |x| at mid-rank (k - 1/2)/n, decreasing', () => {
    const pts = survivalPoints([-4, 1, 3, -2], 10);
    expect(pts).toEqual([[4, 0.5 / 4], [3, 1.5 / 4], [2, 2.5 / 4], [1, 3.5 / 4]]);
    const many = survivalPoints(Array.from({ length: 10000 }, (_, i) => i + 1), 50);
    expect(many.length).toBeLessThanOrEqual(50);
    for (let i = 1; i < many.length; i++) {
      expect(many[i]![0]).toBeLessThan(many[i - 1]![0]);
      expect(many[i]![1]).toBeGreaterThan(many[i - 1]![1]);
    }
    // uniform on 1..n: P(X > x) at the k-th largest is (k - 1/2)/n with x = n - k + 1
    for (const [x, p] of many) expect(p).toBeCloseTo((10000 - x + 0.5) / 10000, 12);
  });
});

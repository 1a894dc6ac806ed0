import { describe, expect, it } from 'vitest';
import { coefficientOfVariation, detectLag, learnabilityWindow, snr } from './detect';

describe('snr', () => {
  it('is m̄ N^{1-1/α} / σ', () => {
    expect(snr(2, 100, 2, 1)).toBeCloseTo(20, 12); // 2·√100
    expect(snr(1, 1000, 1.5, 2)).toBeCloseTo(5, 12); // 1000^{1/3}/2
    expect(snr(0.3, 5000, 1, 0.5)).toBeCloseTo(0.6, 12); // α = 1: no gain with N
  });
  it('is 0 for σ ≤ 1e-12, N < 1 or non-finite input', () => {
    expect(snr(1, 100, 1.5, 1e-13)).toBe(0);
    expect(snr(1, 0, 1.5, 1)).toBe(0);
    expect(snr(NaN, 100, 1.5, 1)).toBe(0);
  });
});

describe('detectLag', () => {
  const Ngrid = [25, 50, 100, 150, 200, 400];
  it('N_required is the first N with SNR strictly above eps', () => {
    // SNR = 0.1 √N: exactly 1 at N = 100 (not > 1), 1.22 at 150.
    const r = detectLag({ mbar: 0.1, alpha: 2, sigma: 1, nSamples: 1000, Ngrid, eps: 1 });
    expect(r.N_required).toBe(150);
    expect(r.best_N).toBe(400);
    expect(r.best_snr).toBeCloseTo(2, 12);
  });
  it('caps every N at n(ℓ)', () => {
    const r = detectLag({ mbar: 0.1, alpha: 2, sigma: 1, nSamples: 120, Ngrid, eps: 1 });
    expect(r.N_required).toBe(120);
    expect(r.best_N).toBe(120);
    expect(r.best_snr).toBeCloseTo(0.1 * Math.sqrt(120), 12);
  });
  it('is -1 when never detected', () => {
    const r = detectLag({ mbar: 1e-4, alpha: 1.5, sigma: 1, nSamples: 1e6, Ngrid, eps: 0.1 });
    expect(r.N_required).toBe(-1);
    expect(r.best_N).toBe(400);
    expect(r.best_snr).toBeCloseTo(1e-4 * 400 ** (1 / 3), 15);
    const z = detectLag({ mbar: 1, alpha: 1.5, sigma: 0, nSamples: 1e6, Ngrid, eps: 0.1 });
    expect(z).toEqual({ N_required: -1, best_snr: 0, best_N: 25 });
  });
});

describe('coefficientOfVariation', () => {
  it('is the sample std (n-1) over |mean| of the first N samples', () => {
    const x = new Float64Array([2, 4, 6, 100]);
    expect(coefficientOfVariation(x, 3)).toBeCloseTo(0.5, 14); // mean 4, std 2
    expect(coefficientOfVariation(new Float64Array([-1, -3]), 10)).toBeCloseTo(Math.SQRT2 / 2, 14);
    expect(coefficientOfVariation(x, 1)).toBeNaN();
    expect(coefficientOfVariation(new Float64Array([-1, 1]), 2)).toBe(Infinity);
  });
});

describe('learnabilityWindow', () => {
  it('takes the largest detected lag with N_required ≤ N', () => {
    const lags = [4, 8, 16, 32];
    const Nreq = [25, -1, 100, 400];
    expect(learnabilityWindow(lags, Nreq, [10, 25, 50, 100, 400, 1000])).toEqual([
      { N: 10, H_N: 0 },
      { N: 25, H_N: 4 },
      { N: 50, H_N: 4 },
      { N: 100, H_N: 16 },
      { N: 400, H_N: 32 },
      { N: 1000, H_N: 32 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { envelope, hnFromEnvelope, kappa, theoryHN, theoryNRequired, type TheoryParams } from './theory';

const base = { alpha: 1.5, eps: 0.1, sigma: 2, c: 0.5 };

describe('kappa', () => {
  it('is α/(α-1)', () => {
    expect(kappa(2)).toBe(2);
    expect(kappa(1.5)).toBeCloseTo(3, 14);
    expect(kappa(1)).toBe(Infinity);
  });
});

describe('closed forms', () => {
  it('exponential by hand: τ (log K + (1/κ) log N)', () => {
    const p: TheoryParams = { decay: 'exponential', f0: 1, tau: 10, alpha: 2, eps: 0.1, sigma: 1, c: 1 };
    expect(theoryHN(p, 100)).toBeCloseTo(10 * (Math.log(10) + 0.5 * Math.log(100)), 12);
    // threshold above f0 at N = 1 would give a negative crossing: clamped at 0
    expect(theoryHN({ ...p, f0: 0.01 }, 1)).toBe(0);
  });
  it('polynomial and logarithmic by hand', () => {
    // K = c f0/(εσ) = 0.5·1/0.2 = 2.5, 1/κ = 1/3
    const pp: TheoryParams = { decay: 'polynomial', f0: 1, beta: 0.5, ...base };
    expect(theoryHN(pp, 1000)).toBeCloseTo(2.5 ** 2 * 1000 ** (2 / 3), 9);
    const pl: TheoryParams = { decay: 'logarithmic', f0: 1, gamma: 2, ...base };
    expect(theoryHN(pl, 64)).toBeCloseTo(Math.exp(Math.sqrt(2.5) * 64 ** (1 / 6)), 9);
  });
  it('N_required(H_N) = N (the two closed forms are inverse)', () => {
    const cases: TheoryParams[] = [
      { decay: 'exponential', f0: 1, tau: 25, ...base },
      { decay: 'polynomial', f0: 1, beta: 1.3, ...base },
      { decay: 'logarithmic', f0: 1, gamma: 3, ...base },
    ];
    for (const p of cases) {
      for (const N of [25, 400, 12800]) expect(theoryNRequired(p, theoryHN(p, N)) / N).toBeCloseTo(1, 9);
    }
  });
  it('heavier tails shrink H_N', () => {
    const p: TheoryParams = { decay: 'polynomial', f0: 1, beta: 1, ...base };
    expect(theoryHN({ ...p, alpha: 1.2 }, 1000)).toBeLessThan(theoryHN({ ...p, alpha: 1.8 }, 1000));
  });
});

describe('closed forms vs numerical inversion on a fine grid', () => {
  const cases: [TheoryParams, number, number][] = [
    [{ decay: 'exponential', f0: 1, tau: 20, ...base }, 1, 400],
    [{ decay: 'polynomial', f0: 1, beta: 0.7, ...base }, 1, 3000],
    [{ decay: 'logarithmic', f0: 1, gamma: 4, ...base }, 1.001, 100],
  ];
  for (const [p, lo, hi] of cases) {
    it(`${p.decay}: discrete max within one grid step below the continuous crossing`, () => {
      const h = 0.01;
      const lags: number[] = [];
      for (let l = lo; l <= hi; l += h) lags.push(l);
      const f = lags.map((l) => envelope(p, l));
      for (const N of [25, 100, 1600, 12800]) {
        const closed = theoryHN(p, N);
        expect(closed).toBeGreaterThan(lo);
        expect(closed).toBeLessThan(hi);
        const discrete = hnFromEnvelope(lags, f, p, N);
        expect(discrete).toBeLessThanOrEqual(closed + 1e-9);
        expect(closed - discrete).toBeLessThan(h + 1e-9);
      }
    });
  }
  it('hnFromEnvelope takes the last lag above threshold, 0 if none', () => {
    const p = { alpha: 2, eps: 1, sigma: 1, c: 1 }; // threshold N^{-1/2}
    expect(hnFromEnvelope([1, 2, 3, 4], [1, 0.05, 0.2, 0.01], p, 100)).toBe(3); // threshold 0.1
    expect(hnFromEnvelope([1, 2], [0.01, 0.01], p, 100)).toBe(0);
  });
});

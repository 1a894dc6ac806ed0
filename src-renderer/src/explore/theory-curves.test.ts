/** Explorer curves against the closed forms (SCIENCE.md §6) and the run summaries. */
import { describe, expect, it } from 'vitest';
import { kappa } from '../../../src-shared/theory-closed-form';
import { hnCurve, logspace, measuredPoints, medianOf, nCurve, paramsOf, runTail, type TheoryState } from './theory-curves';

const s: TheoryState = { decay: 'exponential', f0: 1, tau: 20, beta: 1, gamma: 2, alpha: 1.5, eps: 0.1, sigma: 1, c: 1, ellMax: 256, nMax: 1e6 };

describe('theory curves', () => {
  it('logspace: exact ends, constant ratio', () => {
    const v = logspace(1, 1000, 4);
    expect(v[0]).toBe(1);
    expect(v[3]).toBe(1000);
    expect(v[1]).toBeCloseTo(10, 12);
    expect(v[2]).toBeCloseTo(100, 12);
  });

  it('exponential N(ℓ): log N is linear in ℓ with slope κ/τ', () => {
    const c = nCurve(paramsOf(s), 256, 50);
    const [l0, n0] = c[0]!;
    const [l1, n1] = c.at(-1)!;
    expect(l1).toBe(256);
    expect((Math.log(n1) - Math.log(n0)) / (l1 - l0)).toBeCloseTo(kappa(1.5) / 20, 12);
  });

  it('exponential H_N(N) = τ (log K + log N / κ); below the crossing at log N = -κ log K it is dropped', () => {
    // K = c f0/(εσ) = 10: H_N = 20 (log 10 + log N / 3); positive for every N ≥ 1
    const c = hnCurve(paramsOf(s), 1e6, 30);
    for (const [N, H] of c) expect(H).toBeCloseTo(20 * (Math.log(10) + Math.log(N) / 3), 10);
    // K = 0.1: H_N > 0 only for N > K^{-κ} = 1000
    const low = hnCurve(paramsOf({ ...s, f0: 0.01 }), 1e6, 61);
    expect(low.every(([N]) => N > 1000)).toBe(true);
    expect(low.length).toBeGreaterThan(0);
  });

  it('heavier tails shrink the window (smaller α, smaller H_N at the same N)', () => {
    const h2 = hnCurve(paramsOf(s, 2), 1e4, 5).at(-1)![1];
    const h12 = hnCurve(paramsOf(s, 1.2), 1e4, 5).at(-1)![1];
    expect(h12).toBeLessThan(h2);
  });

  it('logarithmic N(ℓ) starts above ℓ = 1 (log ℓ > 0)', () => {
    const c = nCurve(paramsOf({ ...s, decay: 'logarithmic' }), 100, 20);
    expect(c[0]![0]).toBeGreaterThan(1);
  });

  it('runTail: medians of reliable lags, α̂ floored at 1.01; measured points drop -1 and 0', () => {
    expect(medianOf([3, 1, 2, NaN])).toBe(2);
    expect(medianOf([4, 1, 2, 3])).toBe(2.5);
    const summary = [
      { alpha_hat: 1.4, sigma_alpha_hat: 2, alpha_reliable: true },
      { alpha_hat: 1.0, sigma_alpha_hat: 4, alpha_reliable: true },
      { alpha_hat: 1.9, sigma_alpha_hat: 9, alpha_reliable: false },
    ];
    expect(runTail(summary)).toEqual({ alpha: 1.2, sigma: 3, lags: 2 });
    expect(runTail([{ alpha_hat: 1, sigma_alpha_hat: 1, alpha_reliable: true }])!.alpha).toBe(1.01);
    expect(runTail([])).toBeNull();
    const m = measuredPoints({
      lags: [2, 4, 8],
      summary: [{ ell: 2, N_required_at_eps: 25 }, { ell: 4, N_required_at_eps: -1 }, { ell: 8, N_required_at_eps: 400 }] as never,
      H_N: [{ N: 25, H_N: 0 }, { N: 50, H_N: 2 }, { N: 400, H_N: 8 }],
    });
    expect(m.nRequired).toEqual([{ x: 2, y: 25 }, { x: 8, y: 400 }]);
    expect(m.hn).toEqual([{ x: 50, y: 2 }, { x: 400, y: 8 }]);
    expect(m.lagMax).toBe(8);
  });
});

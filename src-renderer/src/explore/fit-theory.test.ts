/**
 * The theory fitter recovers the parameters of exact synthetic data made by
 * the shared closed forms (SCIENCE.md §6), for every law and both targets.
 */
import { describe, expect, it } from 'vitest';
import { kappa, theoryHN, theoryNRequired, type DecayKind, type TheoryParams } from '../../../src-shared/theory-closed-form';
import { fitCoordinates, fitTheory, olsLine, paramsOfFit, type FitPoint } from './fit-theory';

const th = { alpha: 1.6, eps: 0.1, sigma: 0.7, c: 2.5 };
const truth: Record<DecayKind, TheoryParams> = {
  exponential: { ...th, decay: 'exponential', f0: 0.8, tau: 37 },
  polynomial: { ...th, decay: 'polynomial', f0: 0.8, beta: 1.3 },
  logarithmic: { ...th, decay: 'logarithmic', f0: 0.8, gamma: 2.2 },
};
const paramOf = (p: TheoryParams) => p.tau ?? p.beta ?? p.gamma!;

describe('olsLine', () => {
  it('an exact line gives its slope and intercept with R² = 1', () => {
    const xs = [1, 2, 4, 8];
    const l = olsLine(xs, xs.map((x) => 3 - 0.5 * x));
    expect(l.slope).toBeCloseTo(-0.5, 14);
    expect(l.intercept).toBeCloseTo(3, 14);
    expect(l.r2).toBeCloseTo(1, 14);
  });
  it('R² of y = x + (±1) alternating noise on x = 0..3 is 1 - SSE/SST by hand', () => {
    // y = 1, 1, 3, 3: slope 0.8, intercept 0.8, residuals 0.2,-0.6,0.6,-0.2 ⇒ SSE 0.8, SST 4
    const l = olsLine([0, 1, 2, 3], [1, 1, 3, 3]);
    expect(l.slope).toBeCloseTo(0.8, 14);
    expect(l.intercept).toBeCloseTo(0.8, 14);
    expect(l.r2).toBeCloseTo(1 - 0.8 / 4, 14);
  });
});

describe('fitTheory on exact closed-form data', () => {
  for (const decay of ['exponential', 'polynomial', 'logarithmic'] as const) {
    const p = truth[decay];
    it(`${decay}: N_required(ℓ) gives back f0 and ${decay === 'exponential' ? 'τ' : decay === 'polynomial' ? 'β' : 'γ'}`, () => {
      const pts: FitPoint[] = [2, 4, 8, 16, 32, 64, 128].map((ell) => ({ x: ell, y: theoryNRequired(p, ell) }));
      const fit = fitTheory(pts, decay, 'N_required', th);
      if (typeof fit === 'string') throw new Error(fit);
      expect(fit.param).toBeCloseTo(paramOf(p), 9);
      expect(fit.f0 / p.f0).toBeCloseTo(1, 9);
      expect(fit.r2).toBeCloseTo(1, 12);
      expect(fit.n).toBe(7);
      // the fitted curve reproduces the data
      const q = paramsOfFit(fit, th);
      for (const pt of pts) expect(theoryNRequired(q, pt.x) / pt.y).toBeCloseTo(1, 8);
    });
    it(`${decay}: H_N(N) gives back the parameters (censored and non-positive points dropped)`, () => {
      const Ns = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800];
      const pts: FitPoint[] = Ns.map((N) => ({ x: N, y: theoryHN(p, N) }));
      const censorAt = 1e12; // above every H_N of the data
      const withJunk = [...pts, { x: 30, y: 0 }, { x: 60, y: censorAt }, { x: 70, y: NaN }];
      const fit = fitTheory(withJunk, decay, 'H_N', th, censorAt);
      if (typeof fit === 'string') throw new Error(fit);
      expect(fit.n).toBe(pts.length);
      expect(fit.param).toBeCloseTo(paramOf(p), 8);
      expect(fit.f0 / p.f0).toBeCloseTo(1, 8);
    });
  }

  it('exponential H_N: slope τ/κ and intercept τ log K, as the closed form says', () => {
    const p = truth.exponential;
    const fit = fitTheory([100, 1000, 10000].map((N) => ({ x: N, y: theoryHN(p, N) })), 'exponential', 'H_N', th);
    if (typeof fit === 'string') throw new Error(fit);
    const K = (th.c * p.f0) / (th.eps * th.sigma);
    expect(fit.slope).toBeCloseTo(37 / kappa(th.alpha), 10);
    expect(fit.intercept).toBeCloseTo(37 * Math.log(K), 9);
  });

  it('says why when it cannot fit', () => {
    expect(fitTheory([{ x: 4, y: 100 }], 'exponential', 'N_required', th)).toMatch(/too few/);
    expect(fitTheory([{ x: 4, y: 100 }, { x: 4, y: 200 }], 'exponential', 'N_required', th)).toMatch(/too few/);
    // N_required falling with ℓ: no decaying law
    expect(fitTheory([{ x: 4, y: 1000 }, { x: 8, y: 100 }], 'exponential', 'N_required', th)).toMatch(/no decaying/);
    expect(fitTheory([{ x: 4, y: 100 }, { x: 8, y: 200 }], 'exponential', 'N_required', { ...th, alpha: 1 })).toMatch(/α/);
    // -1 ("never detected") is not a point
    expect(fitCoordinates([{ x: 4, y: -1 }, { x: 1, y: 5 }], 'logarithmic', 'N_required').xs).toEqual([]);
  });
});

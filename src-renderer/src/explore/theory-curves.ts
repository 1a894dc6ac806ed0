/**
 * Curves of the theory explorer (SCIENCE.md §6), computed in the browser from
 * the shared closed forms, and the measured points of a run to overlay.
 */
import type { LagSummaryRow, RunDiagnostics } from '../../../src-shared/results';
import { theoryHN, theoryNRequired, type DecayKind, type TheoryParams } from '../../../src-shared/theory-closed-form';
import type { FitPoint } from './fit-theory';

/** `count` points from lo to hi, evenly spaced in log (both > 0), ends exact. */
export function logspace(lo: number, hi: number, count: number): number[] {
  if (!(lo > 0 && hi > 0) || count < 2) return count === 1 ? [lo] : [];
  const a = Math.log(lo), b = Math.log(hi);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(i === 0 ? lo : i === count - 1 ? hi : Math.exp(a + ((b - a) * i) / (count - 1)));
  return out;
}

/** The slider state of the explorer. */
export interface TheoryState {
  decay: DecayKind;
  f0: number;
  tau: number;
  beta: number;
  gamma: number;
  alpha: number;
  eps: number;
  sigma: number;
  c: number;
  /** largest lag shown */
  ellMax: number;
  /** largest N shown */
  nMax: number;
}

export function paramsOf(s: TheoryState, alpha = s.alpha): TheoryParams {
  const base = { decay: s.decay, f0: s.f0, alpha, eps: s.eps, sigma: s.sigma, c: s.c };
  if (s.decay === 'exponential') return { ...base, tau: s.tau };
  if (s.decay === 'polynomial') return { ...base, beta: s.beta };
  return { ...base, gamma: s.gamma };
}

/** Smallest lag where the law is defined (log ℓ > 0 for the logarithmic law). */
export function ellMin(decay: DecayKind): number {
  return decay === 'logarithmic' ? 1.05 : 1;
}

/**
 * N(ℓ) on `count` log-spaced lags up to ellMax: [ℓ, N] pairs, non-finite or
 * overflowing values (beyond 1e300) dropped so log axes stay valid.
 */
export function nCurve(p: TheoryParams, ellMax: number, count = 200): [number, number][] {
  const out: [number, number][] = [];
  for (const ell of logspace(ellMin(p.decay), Math.max(ellMax, ellMin(p.decay) * 1.5), count)) {
    const N = theoryNRequired(p, ell);
    if (Number.isFinite(N) && N > 0 && N < 1e300) out.push([ell, N]);
  }
  return out;
}

/** H_N(N) on `count` log-spaced N from 1 to nMax: [N, H_N] pairs with H_N > 0 and finite. */
export function hnCurve(p: TheoryParams, nMax: number, count = 200): [number, number][] {
  const out: [number, number][] = [];
  for (const N of logspace(1, Math.max(nMax, 10), count)) {
    const H = theoryHN(p, N);
    if (Number.isFinite(H) && H > 0 && H < 1e300) out.push([N, H]);
  }
  return out;
}

/** Median of finite values (NaN when none). */
export function medianOf(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** α̂ and σ̂ of a run: medians over the lags with a reliable estimate (α̂ floored at 1.01, as the master law does). */
export function runTail(summary: readonly Pick<LagSummaryRow, 'alpha_hat' | 'sigma_alpha_hat' | 'alpha_reliable'>[]): { alpha: number; sigma: number; lags: number } | null {
  const ok = summary.filter((r) => r.alpha_reliable && Number.isFinite(r.alpha_hat) && r.sigma_alpha_hat > 0 && Number.isFinite(r.sigma_alpha_hat));
  if (ok.length === 0) return null;
  return { alpha: Math.max(1.01, medianOf(ok.map((r) => r.alpha_hat))), sigma: medianOf(ok.map((r) => r.sigma_alpha_hat)), lags: ok.length };
}

/** Measured N_required(ℓ) (detected lags only) and H_N(N) (positive only) of a run. */
export function measuredPoints(d: Pick<RunDiagnostics, 'summary' | 'H_N' | 'lags'>): { nRequired: FitPoint[]; hn: FitPoint[]; lagMax: number } {
  const nRequired = d.summary.filter((r) => r.N_required_at_eps > 0 && Number.isFinite(r.N_required_at_eps)).map((r) => ({ x: r.ell, y: r.N_required_at_eps }));
  const hn = d.H_N.filter((r) => r.H_N > 0 && Number.isFinite(r.H_N) && r.N > 0).map((r) => ({ x: r.N, y: r.H_N }));
  const lagMax = d.lags.length ? Math.max(...d.lags) : Infinity;
  return { nRequired, hn, lagMax };
}

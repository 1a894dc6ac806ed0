/**
 * Fits of SCIENCE.md §6: per-unit time scales, envelope regimes and the
 * master proportionality law. Ordinary least squares in float64.
 */
import type { EnvelopeFitsRecord, EnvelopeRegimeName, MasterLawFit, UnitTauRow } from '../../src-shared/results';
import { kappa } from './theory';

export interface LineFit {
  intercept: number;
  slope: number;
  /** 1 - SSE/SST; 1 when SST = 0 (all y equal: the constant line is exact) */
  r2: number;
  n: number;
}

/**
 * OLS y = intercept + slope·x over the paired points (two-pass, centred).
 * NaN parameters when fewer than 2 points or all x equal.
 */
export function olsLine(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = x.length;
  if (n < 2) return { intercept: NaN, slope: NaN, r2: NaN, n };
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return { intercept: NaN, slope: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i]! - intercept - slope * x[i]!;
    sse += e * e;
  }
  const r2 = syy > 0 ? 1 - sse / syy : 1;
  return { intercept, slope, r2, n };
}

/** Minimum number of lags with μ_q > 0 for a per-unit fit (§6). */
export const MIN_UNIT_POINTS = 5;

/** τ = -1/b for a decaying fit, +∞ otherwise (NaN stays NaN). */
function tauOf(b: number): number {
  if (Number.isNaN(b)) return NaN;
  return b < 0 ? -1 / b : Infinity;
}

/**
 * Per-unit time scales (§6): for unit q, OLS of log μ_q(ℓ) = a + bℓ over the
 * lags with finite μ_q(ℓ) > 0. With fewer than 5 such lags every field but
 * unit_id and num_points is NaN. `muUnits[q][i]` is μ_q(lags[i]).
 */
export function fitUnitTimescales(lags: readonly number[], muUnits: readonly ArrayLike<number>[]): UnitTauRow[] {
  const out: UnitTauRow[] = [];
  const xs = new Float64Array(lags.length);
  const ys = new Float64Array(lags.length);
  for (let q = 0; q < muUnits.length; q++) {
    const mu = muUnits[q]!;
    if (mu.length !== lags.length) throw new RangeError(`fitUnitTimescales: unit ${q} has ${mu.length} values for ${lags.length} lags`);
    let m = 0;
    for (let i = 0; i < lags.length; i++) {
      const v = mu[i]!;
      if (v > 0 && Number.isFinite(v) && Number.isFinite(lags[i]!)) {
        xs[m] = lags[i]!;
        ys[m] = Math.log(v);
        m++;
      }
    }
    if (m < MIN_UNIT_POINTS) {
      out.push({ unit_id: q, tau: NaN, C: NaN, a: NaN, b: NaN, r2: NaN, num_points: m });
      continue;
    }
    const f = olsLine(xs.subarray(0, m), ys.subarray(0, m));
    out.push({ unit_id: q, tau: tauOf(f.slope), C: Math.exp(f.intercept), a: f.intercept, b: f.slope, r2: f.r2, num_points: m });
  }
  return out;
}

/** ConstGate's closed-form time scale τ = -1/log(1 - s) (§6). */
export function constTau(s: number): number {
  return -1 / Math.log1p(-s);
}

/** Minimum points for an envelope regime fit (below: NaN parameters). */
export const MIN_ENVELOPE_POINTS = 3;

function fitWhere(
  lags: readonly number[],
  logF: ArrayLike<number>,
  keep: (lag: number) => boolean,
  xf: (lag: number) => number,
): LineFit {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < lags.length; i++) {
    const l = lags[i]!;
    const y = logF[i]!;
    if (Number.isFinite(y) && Number.isFinite(l) && keep(l)) {
      xs.push(xf(l));
      ys.push(y);
    }
  }
  if (xs.length < MIN_ENVELOPE_POINTS) return { intercept: NaN, slope: NaN, r2: NaN, n: xs.length };
  return olsLine(xs, ys);
}

/**
 * Envelope regimes (§6) on the `log_mu_l1_mean` column, over the lags where
 * it is finite: exponential, power and logarithmic (lags > 1 only).
 */
export function fitEnvelope(lags: readonly number[], logF: ArrayLike<number>): EnvelopeFitsRecord {
  if (lags.length !== logF.length) throw new RangeError(`fitEnvelope: ${lags.length} lags but ${logF.length} values`);
  const e = fitWhere(lags, logF, () => true, (l) => l);
  const p = fitWhere(lags, logF, (l) => l > 0, (l) => Math.log(l));
  const g = fitWhere(lags, logF, (l) => l > 1, (l) => Math.log(Math.log(l)));
  let best: EnvelopeRegimeName = 'exp';
  let bestR2 = Number.isNaN(e.r2) ? -Infinity : e.r2;
  if (p.r2 > bestR2) {
    best = 'power';
    bestR2 = p.r2;
  }
  if (g.r2 > bestR2) best = 'log';
  return {
    exp: { a: e.intercept, b: e.slope, r2: e.r2, tau_env: tauOf(e.slope) },
    power: { c: p.intercept, d: p.slope, r2: p.r2 },
    log: { e: g.intercept, g: g.slope, r2: g.r2 },
    best,
  };
}

export interface MasterRow {
  N_required: number;
  mu_l1_mean: number;
  alpha_hat: number;
}

/** Floor on α̂ in the master law (κ_α finite). */
export const MASTER_ALPHA_FLOOR = 1.01;

/**
 * Master proportionality (§6): over rows with finite N_required > 0, finite
 * f̂ = mu_l1_mean > 0 and finite α̂, regress log N_required on
 * -κ(max(α̂, 1.01)) · log f̂. Null when fewer than 3 distinct N values or
 * fewer than `minPoints` points. Theory predicts slope ≈ 1.
 */
export function fitMasterLaw(rows: readonly MasterRow[], minPoints = 10): MasterLawFit | null {
  const xs: number[] = [];
  const ys: number[] = [];
  const distinct = new Set<number>();
  for (const r of rows) {
    const N = r.N_required;
    const f = r.mu_l1_mean;
    const a = r.alpha_hat;
    if (!(Number.isFinite(N) && N > 0 && Number.isFinite(f) && f > 0 && Number.isFinite(a))) continue;
    xs.push(-kappa(Math.max(a, MASTER_ALPHA_FLOOR)) * Math.log(f));
    ys.push(Math.log(N));
    distinct.add(N);
  }
  if (distinct.size < 3 || xs.length < minPoints) return null;
  const fit = olsLine(xs, ys);
  if (Number.isNaN(fit.slope)) return null;
  return { slope: fit.slope, intercept: fit.intercept, r2: fit.r2, n: fit.n };
}

/**
 * Fits of SCIENCE.md §6: per-unit time scales, envelope regimes and the
 * master proportionality law. Ordinary least squares in float64.
 */
import { MASTER_ALPHA_FLOOR, olsLine, tauOf } from '../../src-shared/fit-math';
import type { MasterLawFit, UnitTauRow } from '../../src-shared/results';

export {
  constTau, fitEnvelope, MASTER_ALPHA_FLOOR, MIN_ENVELOPE_POINTS, olsLine, type LineFit,
} from '../../src-shared/fit-math';
import { kappa } from './theory';

/** Minimum number of lags with μ_q > 0 for a per-unit fit (§6). */
export const MIN_UNIT_POINTS = 5;

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

export interface MasterRow {
  N_required: number;
  mu_l1_mean: number;
  alpha_hat: number;
}

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

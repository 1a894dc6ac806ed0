/**
 * The theory curve overlaid on measured results (SCIENCE.md §6 closed forms
 * in theory-closed-form.ts), estimated by one rule used by the PDF report
 * and the renderer alike:
 *   - regime: the best regime of the envelope fit on the seed-mean
 *     log_mu_l1_mean; exponential f0 = e^a, τ = -1/b; polynomial f0 = e^c,
 *     β = -d; logarithmic f0 = e^e, γ = -g; a regime that does not decay has
 *     no curve;
 *   - α = median of the reliable α̂ over (lag, seed), floored at 1.01;
 *     σ = median σ̂ of the same pairs;
 *   - c = exp(median over lags and seeds of log m̄(ℓ) - log f_fit(ℓ));
 *   - ε from the configuration.
 */
import { MASTER_ALPHA_FLOOR, median } from './fit-math';
import type { EnvelopeFitsRecord, EnvelopeRegimeName, LagSummaryRow } from './results';
import type { DecayKind, TheoryParams } from './theory-closed-form';

/** One tail estimate of one lag and seed. */
export interface AlphaPoint {
  seed: number;
  ell: number;
  alpha: number;
  sigma: number;
  reliable: boolean;
}

const DECAY_OF: Record<EnvelopeRegimeName, DecayKind> = { exp: 'exponential', power: 'polynomial', log: 'logarithmic' };

/** The fitted envelope of a regime at lag ℓ (NaN where the regime is undefined). */
export function fittedEnvelope(fit: EnvelopeFitsRecord, regime: EnvelopeRegimeName, ell: number): number {
  switch (regime) {
    case 'exp': return Math.exp(fit.exp.a + fit.exp.b * ell);
    case 'power': return ell > 0 ? Math.exp(fit.power.c + fit.power.d * Math.log(ell)) : NaN;
    case 'log': return ell > 1 ? Math.exp(fit.log.e + fit.log.g * Math.log(Math.log(ell))) : NaN;
  }
}

/** The closed-form parameters of a regime fit (§6), or why there are none. */
export function regimeParams(fit: EnvelopeFitsRecord, regime: EnvelopeRegimeName): { f0: number; tau?: number; beta?: number; gamma?: number } | string {
  const ok = (v: number) => Number.isFinite(v) && v > 0;
  switch (regime) {
    case 'exp': {
      const tau = -1 / fit.exp.b;
      return ok(tau) ? { f0: Math.exp(fit.exp.a), tau } : `the exponential fit does not decay (b = ${fit.exp.b})`;
    }
    case 'power': {
      const beta = -fit.power.d;
      return ok(beta) ? { f0: Math.exp(fit.power.c), beta } : `the power-law fit does not decay (d = ${fit.power.d})`;
    }
    case 'log': {
      const gamma = -fit.log.g;
      return ok(gamma) ? { f0: Math.exp(fit.log.e), gamma } : `the logarithmic fit does not decay (g = ${fit.log.g})`;
    }
  }
}

/** The theory parameters of one architecture (see the header), or why there are none. */
export function theoryParams(
  fit: EnvelopeFitsRecord,
  alpha: readonly Pick<AlphaPoint, 'alpha' | 'sigma' | 'reliable'>[],
  summaries: readonly (readonly Pick<LagSummaryRow, 'ell' | 'mbar_scalar'>[])[],
  eps: number,
): { params: TheoryParams; regime: EnvelopeRegimeName } | string {
  const regime = fit.best;
  const r2 = fit[regime].r2;
  if (!Number.isFinite(r2)) return 'the envelope could not be fitted (too few finite lags)';
  const rp = regimeParams(fit, regime);
  if (typeof rp === 'string') return rp;
  const reliable = alpha.filter((a) => a.reliable && Number.isFinite(a.alpha) && Number.isFinite(a.sigma) && a.sigma > 0);
  if (reliable.length === 0) return 'no reliable tail index α̂ at any lag';
  const a = Math.max(median(reliable.map((p) => p.alpha)), MASTER_ALPHA_FLOOR);
  const sigma = median(reliable.map((p) => p.sigma));
  const logRatios: number[] = [];
  for (const rows of summaries) {
    for (const r of rows) {
      const f = fittedEnvelope(fit, regime, r.ell);
      if (r.mbar_scalar > 0 && Number.isFinite(r.mbar_scalar) && f > 0 && Number.isFinite(f)) logRatios.push(Math.log(r.mbar_scalar) - Math.log(f));
    }
  }
  if (logRatios.length === 0) return 'no lag with a positive signal m̄';
  const c = Math.exp(median(logRatios));
  if (!(eps > 0)) return 'eps must be > 0';
  const params: TheoryParams = { decay: DECAY_OF[regime], alpha: a, sigma, c, eps, ...rp };
  return { params, regime };
}

/** N values for a smooth theory curve: the grid and 40 log-spaced points between its ends. */
export function theoryNs(grid: readonly number[]): number[] {
  const lo = Math.min(...grid);
  const hi = Math.max(...grid);
  const out = new Set(grid);
  if (lo > 0 && hi > lo) for (let i = 0; i <= 40; i++) out.add(lo * (hi / lo) ** (i / 40));
  return [...out].sort((x, y) => x - y);
}


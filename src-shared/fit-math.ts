/**
 * Pure fit arithmetic of SCIENCE.md §6 shared by the engine (src-workers/
 * engine/fits.ts), the PDF report and the renderer: ordinary least squares
 * in float64, the three envelope regimes, ConstGate's closed-form τ.
 */
import type { EnvelopeFitsRecord, EnvelopeRegimeName } from './results';

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

/** τ = -1/b for a decaying fit, +∞ otherwise (NaN stays NaN). */
export function tauOf(b: number): number {
  if (Number.isNaN(b)) return NaN;
  return b < 0 ? -1 / b : Infinity;
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

/** Floor on α̂ in the master law (κ_α finite). */
export const MASTER_ALPHA_FLOOR = 1.01;

/** Median of a list (NaN when empty); the list is not modified. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

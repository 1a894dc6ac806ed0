/**
 * Least-squares fit of a decay law's parameters to a measured run
 * (SCIENCE.md §6 closed forms), holding the threshold parameters α, ε, σ, c.
 *
 * Both targets are linear after a transformation, so each fit is one OLS
 * line (x, y) with κ = κ_α and K = c f0/(εσ):
 *
 *   N_required(ℓ) = (εσ/(c f(ℓ)))^κ, i.e. log N = -κ log K + κ g(ℓ) with
 *     exponential  g = ℓ/τ         → x = ℓ,          slope κ/τ
 *     polynomial   g = β log ℓ     → x = log ℓ,      slope κβ
 *     logarithmic  g = γ log log ℓ → x = log log ℓ,  slope κγ   (ℓ > 1)
 *   and the intercept gives log K = -intercept/κ.
 *
 *   H_N(N):
 *     exponential  H = τ log K + (τ/κ) log N             → y = H,         slope τ/κ, intercept τ log K
 *     polynomial   log H = (1/β) log K + log N/(βκ)      → y = log H,     slope 1/(βκ), intercept log K / β
 *     logarithmic  log log H = (1/γ) log K + log N/(γκ)  → y = log log H, slope 1/(γκ), intercept log K / γ
 *
 * Only c·f0 is identifiable: f0 = K εσ / c with the given c. Points that the
 * transformation cannot take (N ≤ 0, i.e. -1 = "never detected"; H ≤ 0 or,
 * for the logarithmic law, H ≤ 1; lags ≤ 1 for the logarithmic law) are
 * dropped, and so are H_N values at or above `censorAt` (a window as wide as
 * the lag grid is censored: the true H_N may be larger).
 */
import { kappa, type DecayKind, type TheoryParams } from '../../../src-shared/theory-closed-form';

export type FitTarget = 'N_required' | 'H_N';

export interface FitPoint {
  /** ℓ for N_required, N for H_N */
  x: number;
  /** N_required(ℓ) or H_N(N) */
  y: number;
}

export interface ThresholdInputs {
  alpha: number;
  eps: number;
  sigma: number;
  c: number;
}

export interface TheoryFit {
  decay: DecayKind;
  target: FitTarget;
  f0: number;
  /** the law's parameter: τ, β or γ */
  param: number;
  /** R² of the linear fit, in its transformed coordinates */
  r2: number;
  /** points used */
  n: number;
  slope: number;
  intercept: number;
}

export const MIN_FIT_POINTS = 2;

export interface Line {
  slope: number;
  intercept: number;
  r2: number;
  n: number;
}

/** Ordinary least squares y = intercept + slope·x (float64, centred sums). */
export function olsLine(xs: readonly number[], ys: readonly number[]): Line {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError(`olsLine: ${n} x but ${ys.length} y`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx, dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : NaN;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const r2 = syy > 0 ? 1 - sse / syy : sse === 0 ? 1 : NaN;
  return { slope, intercept, r2, n };
}

/** The transformed (x, y) of the points a fit can use. */
export function fitCoordinates(points: readonly FitPoint[], decay: DecayKind, target: FitTarget, censorAt = Infinity): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const { x, y } of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y) || !(x > 0) || !(y > 0)) continue;
    if (target === 'N_required') {
      if (decay === 'logarithmic' && !(x > 1)) continue;
      const tx = decay === 'exponential' ? x : decay === 'polynomial' ? Math.log(x) : Math.log(Math.log(x));
      xs.push(tx);
      ys.push(Math.log(y));
    } else {
      if (y >= censorAt) continue;
      if (decay === 'logarithmic' && !(y > 1)) continue;
      const ty = decay === 'exponential' ? y : decay === 'polynomial' ? Math.log(y) : Math.log(Math.log(y));
      xs.push(Math.log(x));
      ys.push(ty);
    }
  }
  return { xs, ys };
}

/**
 * Fit f0 and the decay parameter of `decay` to measured points (see the
 * header), or say why not (too few points, a slope of the wrong sign).
 */
export function fitTheory(points: readonly FitPoint[], decay: DecayKind, target: FitTarget, th: ThresholdInputs, censorAt = Infinity): TheoryFit | string {
  if (!(th.alpha > 1 && th.alpha <= 2)) return 'α must be in (1, 2] to fit (κ_α is infinite at α = 1)';
  if (!(th.eps > 0 && th.sigma > 0 && th.c > 0)) return 'ε, σ and c must be > 0';
  const { xs, ys } = fitCoordinates(points, decay, target, censorAt);
  const distinct = new Set(xs).size;
  if (xs.length < MIN_FIT_POINTS || distinct < 2) return `too few usable points (${xs.length}; need at least ${MIN_FIT_POINTS} at distinct ${target === 'N_required' ? 'lags' : 'N'})`;
  const line = olsLine(xs, ys);
  const k = kappa(th.alpha);
  if (!(line.slope > 0) || !Number.isFinite(line.slope)) return `the measured ${target === 'N_required' ? 'N_required grows' : 'H_N grows'} not at all with ${target === 'N_required' ? 'ℓ' : 'N'} (slope ${line.slope.toPrecision(3)}): no decaying ${decay} law fits`;
  let param: number;
  let logK: number;
  if (target === 'N_required') {
    param = decay === 'exponential' ? k / line.slope : line.slope / k;
    logK = -line.intercept / k;
  } else if (decay === 'exponential') {
    param = line.slope * k;
    logK = line.intercept / param;
  } else {
    param = 1 / (line.slope * k);
    logK = line.intercept * param;
  }
  const f0 = (Math.exp(logK) * th.eps * th.sigma) / th.c;
  if (!(f0 > 0) || !Number.isFinite(f0) || !Number.isFinite(param)) return 'the fit gives non-finite parameters';
  return { decay, target, f0, param, r2: line.r2, n: line.n, slope: line.slope, intercept: line.intercept };
}

/** The full TheoryParams of a fit with the thresholds it was made under. */
export function paramsOfFit(fit: TheoryFit, th: ThresholdInputs): TheoryParams {
  const base = { decay: fit.decay, f0: fit.f0, alpha: th.alpha, eps: th.eps, sigma: th.sigma, c: th.c };
  if (fit.decay === 'exponential') return { ...base, tau: fit.param };
  if (fit.decay === 'polynomial') return { ...base, beta: fit.param };
  return { ...base, gamma: fit.param };
}

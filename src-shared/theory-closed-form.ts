/**
 * Closed-form theory of the learnability window (SCIENCE.md §6). Pure, shared
 * by the engine (src-workers/engine/theory.ts re-exports it) and the renderer.
 *
 * With signal m̄(ℓ) = c·f(ℓ), noise scale σ, tail index α and threshold ε,
 * detection needs N(ℓ) = (εσ / (c f(ℓ)))^{κ_α}, κ_α = α/(α-1), and
 * H_N = max{ℓ : f(ℓ) ≥ θ_N}, θ_N = (εσ/c) N^{-1/κ_α}.
 *
 * Continuous closed form vs discrete maximum. For a decreasing envelope the
 * set {ℓ ≥ 0 : f(ℓ) ≥ θ_N} is an interval ending at the crossing ℓ* with
 * f(ℓ*) = θ_N; `theoryHN` returns that real ℓ* (clamped at 0). A measured
 * envelope lives on a lag grid, and `hnFromEnvelope` returns the largest grid
 * lag with f(ℓ) ≥ θ_N, i.e. the last grid point at or before ℓ*. So for a
 * monotone f sampled on a grid of spacing h covering ℓ*:
 * ℓ* - h < hnFromEnvelope ≤ ℓ* (on the integers, hnFromEnvelope = ⌊ℓ*⌋), and
 * the two agree to the grid resolution (tests use a fine grid). For a
 * non-monotone measured envelope the discrete rule takes the last grid lag
 * above the threshold, which the closed forms do not describe.
 */

/** Concentration exponent κ_α = α/(α-1) (+∞ at α = 1). */
export function kappa(alpha: number): number {
  return alpha / (alpha - 1);
}

/** 1/κ_α = 1 - 1/α, finite at α = 1 (= 0). */
function invKappa(alpha: number): number {
  return 1 - 1 / alpha;
}

export type DecayKind = 'exponential' | 'polynomial' | 'logarithmic';

export interface ThresholdParams {
  alpha: number;
  eps: number;
  sigma: number;
  c: number;
}

export interface TheoryParams extends ThresholdParams {
  decay: DecayKind;
  f0: number;
  /** exponential: f = f0 e^{-ℓ/τ} */
  tau?: number;
  /** polynomial: f = f0 ℓ^{-β} */
  beta?: number;
  /** logarithmic: f = f0 (log ℓ)^{-γ} (ℓ > 1) */
  gamma?: number;
}

function need(v: number | undefined, name: string, decay: DecayKind): number {
  if (v === undefined || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`theory: decay '${decay}' needs ${name} > 0, got ${String(v)}`);
  }
  return v;
}

/** The model envelope f(ℓ) of the given decay law. */
export function envelope(params: TheoryParams, ell: number): number {
  switch (params.decay) {
    case 'exponential':
      return params.f0 * Math.exp(-ell / need(params.tau, 'tau', params.decay));
    case 'polynomial':
      return params.f0 * Math.pow(ell, -need(params.beta, 'beta', params.decay));
    case 'logarithmic':
      return params.f0 * Math.pow(Math.log(ell), -need(params.gamma, 'gamma', params.decay));
    default:
      throw new RangeError(`theory: unknown decay '${String((params as { decay: unknown }).decay)}'`);
  }
}

/** Detection threshold on the envelope, θ_N = (εσ/c) N^{-1/κ_α}. */
export function envelopeThreshold(params: ThresholdParams, N: number): number {
  return ((params.eps * params.sigma) / params.c) * Math.pow(N, -invKappa(params.alpha));
}

/**
 * Closed-form H_N (continuous crossing ℓ*, clamped at 0), with
 * K = c f0/(εσ):
 * exponential τ (log K + (1/κ) log N); polynomial K^{1/β} N^{1/(βκ)};
 * logarithmic exp(K^{1/γ} N^{1/(γκ)}).
 */
export function theoryHN(params: TheoryParams, N: number): number {
  const K = (params.c * params.f0) / (params.eps * params.sigma);
  const ik = invKappa(params.alpha);
  let h: number;
  switch (params.decay) {
    case 'exponential':
      h = need(params.tau, 'tau', params.decay) * (Math.log(K) + ik * Math.log(N));
      break;
    case 'polynomial': {
      const beta = need(params.beta, 'beta', params.decay);
      h = Math.pow(K, 1 / beta) * Math.pow(N, ik / beta);
      break;
    }
    case 'logarithmic': {
      const gamma = need(params.gamma, 'gamma', params.decay);
      h = Math.exp(Math.pow(K, 1 / gamma) * Math.pow(N, ik / gamma));
      break;
    }
    default:
      throw new RangeError(`theory: unknown decay '${String((params as { decay: unknown }).decay)}'`);
  }
  return h > 0 ? h : 0;
}

/** Samples needed at lag ℓ: N(ℓ) = (εσ / (c f(ℓ)))^{κ_α}. */
export function theoryNRequired(params: TheoryParams, ell: number): number {
  return Math.pow((params.eps * params.sigma) / (params.c * envelope(params, ell)), kappa(params.alpha));
}

/**
 * Numerical inversion of a measured (or sampled) envelope:
 * max{ℓ ∈ lags : f(ℓ) ≥ θ_N}, 0 if none (non-finite f values never count).
 */
export function hnFromEnvelope(lags: readonly number[], f: ArrayLike<number>, params: ThresholdParams, N: number): number {
  if (lags.length !== f.length) throw new RangeError(`hnFromEnvelope: ${lags.length} lags but ${f.length} values`);
  const thr = envelopeThreshold(params, N);
  let H = 0;
  for (let i = 0; i < lags.length; i++) {
    const v = f[i]!;
    if (Number.isFinite(v) && v >= thr && lags[i]! > H) H = lags[i]!;
  }
  return H;
}

/**
 * Detectability, sample complexity and the learnability window
 * (SCIENCE.md §5.2).
 */

/**
 * SNR(ℓ, N) = m̄ · N^{1 - 1/α} / σ (heavy-tailed means concentrate at rate
 * N^{-1/κ_α}, 1/κ_α = 1 - 1/α). Returns 0 when σ ≤ 1e-12, when N < 1, or
 * when any input is not finite.
 */
export function snr(mbar: number, N: number, alpha: number, sigma: number): number {
  if (!(sigma > 1e-12) || !(N >= 1)) return 0;
  if (!Number.isFinite(mbar) || !Number.isFinite(alpha) || !Number.isFinite(sigma) || !Number.isFinite(N)) return 0;
  return (mbar * Math.pow(N, 1 - 1 / alpha)) / sigma;
}

export interface DetectInput {
  /** |mean ψ(ℓ)| after orientation */
  mbar: number;
  alpha: number;
  sigma: number;
  /** n(ℓ): samples available at this lag; every N of the grid is capped at it */
  nSamples: number;
  Ngrid: readonly number[];
  eps: number;
}

export interface DetectResult {
  /** first capped N of the grid with SNR > eps, else -1 */
  N_required: number;
  /** largest SNR over the (capped) grid; 0 for an empty grid */
  best_snr: number;
  /** capped N where best_snr is first reached; 0 for an empty grid */
  best_N: number;
}

/**
 * N_required(ℓ): walk N_grid in its given order, cap each N at n(ℓ), and
 * report the first capped N with SNR > eps (-1 if none), plus the best SNR
 * and the capped N where it is first reached.
 */
export function detectLag(input: DetectInput): DetectResult {
  const { mbar, alpha, sigma, nSamples, Ngrid, eps } = input;
  let Nreq = -1;
  let best = -1;
  let bestN = 0;
  for (let i = 0; i < Ngrid.length; i++) {
    const N = Math.min(Ngrid[i]!, nSamples);
    const s = snr(mbar, N, alpha, sigma);
    if (Nreq === -1 && s > eps) Nreq = N;
    if (s > best) {
      best = s;
      bestN = N;
    }
  }
  if (best < 0) best = 0;
  return { N_required: Nreq, best_snr: best, best_N: bestN };
}

/**
 * Coefficient of variation std/|mean| of the first min(N, length) samples in
 * stream order (the detection error `err_at_best_snr`). The std is the sample
 * standard deviation (divisor n-1), two-pass in float64. Returns NaN with
 * fewer than 2 samples or when std and mean are both 0, +∞ when only the
 * mean is 0.
 */
export function coefficientOfVariation(first: ArrayLike<number>, N: number): number {
  const n = Math.min(Math.floor(N), first.length);
  if (!(n >= 2)) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += first[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = first[i]! - mean;
    ss += d * d;
  }
  const std = Math.sqrt(ss / (n - 1));
  if (mean === 0) return std === 0 ? NaN : Infinity;
  return std / Math.abs(mean);
}

/**
 * H_N = max{ℓ : N_required(ℓ) detected and N_required(ℓ) ≤ N} for every N of
 * the grid (0 if none). "Detected" means finite and > 0: -1 (never detected)
 * and malformed values are skipped.
 */
export function learnabilityWindow(
  lags: readonly number[],
  Nrequired: readonly number[],
  Ngrid: readonly number[],
): { N: number; H_N: number }[] {
  if (lags.length !== Nrequired.length) throw new RangeError(`learnabilityWindow: ${lags.length} lags but ${Nrequired.length} N_required values`);
  const out: { N: number; H_N: number }[] = [];
  for (const N of Ngrid) {
    let H = 0;
    for (let i = 0; i < lags.length; i++) {
      const r = Nrequired[i]!;
      if (Number.isFinite(r) && r > 0 && r <= N && lags[i]! > H) H = lags[i]!;
    }
    out.push({ N, H_N: H });
  }
  return out;
}

/**
 * Noise-lab helpers (SCIENCE.md §5.1): the histogram and the empirical tail
 * of a SαS sample, the SαS density by Fourier inversion and its power-law
 * tail, for drawing against the truth in the browser.
 */

/** Ascending copy of the finite values. */
export function sortedFinite(samples: ArrayLike<number>): Float64Array {
  let k = 0;
  for (let i = 0; i < samples.length; i++) if (Number.isFinite(samples[i]!)) k++;
  const out = new Float64Array(k);
  k = 0;
  for (let i = 0; i < samples.length; i++) if (Number.isFinite(samples[i]!)) out[k++] = samples[i]!;
  return out.sort();
}

/** Type-7 quantile of an ascending array (numpy's default, as the estimators use). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1]!;
  return sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!);
}

export interface Histogram {
  /** bin centres */
  centers: number[];
  /** counts per bin */
  counts: number[];
  /** density: counts / (n · width), n = all finite samples (mass outside the range is left out) */
  density: number[];
  lo: number;
  hi: number;
  width: number;
  /** finite samples below lo / above hi */
  below: number;
  above: number;
  n: number;
}

/**
 * Histogram of the central part of an ascending sample: `bins` equal bins on
 * [q(clip), q(1-clip)] (heavy tails would squeeze everything into one bin
 * otherwise); the density is normalised by ALL samples, so it is comparable
 * with the true density in the range.
 */
export function histogram(sorted: Float64Array, bins: number, clip = 0.005): Histogram {
  const n = sorted.length;
  let lo = quantile(sorted, clip);
  let hi = quantile(sorted, 1 - clip);
  if (!(hi > lo)) {
    lo = (Number.isFinite(lo) ? lo : 0) - 0.5;
    hi = lo + 1;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  let below = 0, above = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    if (x < lo) below++;
    else if (x > hi) above++;
    else counts[Math.min(bins - 1, Math.floor((x - lo) / width))]!++;
  }
  const centers = counts.map((_, i) => lo + (i + 0.5) * width);
  const density = counts.map((c) => (n > 0 ? c / (n * width) : 0));
  return { centers, counts, density, lo, hi, width, below, above, n };
}

/**
 * Empirical survival P(|X| > x) at up to `maxPoints` points, log-spaced in
 * rank: with |X| sorted ascending a_0 ≤ … ≤ a_{n-1}, the point (a_{n-k}, (k-1/2)/n)
 * for k = 1..n (the mid-rank plotting position, never 0 so log axes work).
 */
export function survivalPoints(samples: ArrayLike<number>, maxPoints = 400): [number, number][] {
  const abs = sortedFinite(Array.from(samples, Math.abs));
  const n = abs.length;
  const out: [number, number][] = [];
  if (n === 0) return out;
  let last = 0;
  const count = Math.min(maxPoints, n);
  for (let i = 0; i < count; i++) {
    const k = Math.max(last + 1, Math.round(Math.exp((Math.log(n) * i) / Math.max(1, count - 1))));
    if (k > n) break;
    last = k;
    const x = abs[n - k]!;
    if (x > 0) out.push([x, (k - 0.5) / n]);
  }
  return out;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Γ(z) for real z > 0 (Lanczos g = 7; reflection below 1/2). */
export function gamma(z: number): number {
  if (z < 0.5) return Math.PI / (Math.sin(Math.PI * z) * gamma(1 - z));
  const zz = z - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (zz + i);
  const t = zz + 7.5;
  return Math.sqrt(2 * Math.PI) * Math.pow(t, zz + 0.5) * Math.exp(-t) * s;
}

/**
 * Power-law tail constant of SαS(α, σ), 1 ≤ α < 2:
 * P(|X| > x) ~ 2 C_α σ^α x^{-α}, C_α = Γ(α) sin(πα/2)/π (Samorodnitsky–Taqqu
 * Property 1.2.15); 0 at α = 2 (a Gaussian tail is not a power law).
 */
export function tailConstant(alpha: number, sigma: number): number {
  if (!(alpha >= 1 && alpha < 2)) return 0;
  return (2 * gamma(alpha) * Math.sin((Math.PI * alpha) / 2) / Math.PI) * Math.pow(sigma, alpha);
}

/** The reference line x ↦ 2 C_α σ^α x^{-α} at the given x (empty at α = 2). */
export function tailLine(alpha: number, sigma: number, xs: readonly number[]): [number, number][] {
  const k = tailConstant(alpha, sigma);
  if (!(k > 0)) return [];
  return xs.filter((x) => x > 0).map((x) => [x, Math.min(1, k * Math.pow(x, -alpha))]);
}

/**
 * SαS(α, σ) density by Fourier inversion, f(x) = (1/π) ∫_0^∞ cos(t x) e^{-(σt)^α} dt,
 * Simpson's rule on [0, 40/σ] with enough points to resolve cos(tx) (the
 * integrand is below e^{-40} beyond, for α ≥ 1). Accurate to ~1e-8 for
 * |x| ≤ 100σ; meant for the central range a histogram shows.
 */
export function stableDensity(x: number, alpha: number, sigma: number): number {
  const T = 40 / sigma;
  const steps = 2 * Math.ceil(Math.max(2000, (T * Math.abs(x)) / 0.1) / 2);
  const h = T / steps;
  let s = 0;
  for (let i = 0; i <= steps; i++) {
    const t = i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    s += w * Math.cos(t * x) * Math.exp(-Math.pow(sigma * t, alpha));
  }
  return (s * h) / 3 / Math.PI;
}

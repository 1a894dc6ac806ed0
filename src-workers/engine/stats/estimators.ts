/**
 * Tail index α̂ and scale σ̂ of a symmetric α-stable sample (SCIENCE.md §5.1).
 *
 * Conventions (documented once here):
 * - Non-finite samples (NaN, ±∞) are dropped first; `n` is the number of
 *   finite samples. The caller's array is never modified (we sort copies).
 * - Sample quantiles use linear interpolation between order statistics,
 *   numpy's default "type 7": with the sorted values x_0 ≤ … ≤ x_{n-1},
 *   h = (n-1)p, q(p) = x_⌊h⌋ + (h - ⌊h⌋)(x_{⌊h⌋+1} - x_⌊h⌋).
 * - `method` of the result is the method actually used: 'ecf' falls back to
 *   'mcculloch' when fewer than 3 grid points survive the |φ̂|² window.
 * - The `seed` only drives the ecf subsample (n > 100 000); mcculloch uses
 *   every finite sample.
 *
 * Speed: where WebAssembly SIMD exists, the sort (a radix sort) and the ecf
 * sums run in WebAssembly (diagnostics/wasm/stats-module.ts) with exactly the
 * results of the TypeScript code below, which remains the fallback; the
 * tests check the two agree bit for bit.
 */
import { Rng } from '../rng';
import type { AlphaMethod } from '../../../src-shared/config';
import { stableRatioTable } from './stable';
import { MAX_WASM_SAMPLES, statsWasm } from '../diagnostics/wasm/stats-wasm';

/** Which implementation estimateAlpha uses: 'auto' (WebAssembly where available) or 'js'. */
export type EstimatorEngine = 'auto' | 'js';

export type { AlphaMethod };

export interface AlphaEstimate {
  alpha: number;
  sigma: number;
  reliable: boolean;
  n: number;
  method: AlphaMethod;
}

export interface EstimateOptions {
  minSamples: number;
  seed: number;
  /** default 'auto'; 'js' forces the TypeScript path (tests, comparisons) */
  engine?: EstimatorEngine;
}

/** Largest sample the ecf regression uses (seeded uniform subsample beyond). */
export const ECF_MAX_SAMPLES = 100_000;
const ECF_GRID = 50;

/** Type-7 quantile of an ascending sorted array (see the header). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1]!;
  if (lo < 0) return sorted[0]!;
  const x0 = sorted[lo]!;
  return x0 + (h - lo) * (sorted[lo + 1]! - x0);
}

/** Finite samples copied into a new ascending-sorted array. */
function sortedFiniteJs(samples: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < samples.length; i++) if (Number.isFinite(samples[i]!)) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (Number.isFinite(v)) out[j++] = v;
  }
  out.sort();
  return out;
}

/**
 * α from the quantile ratio R̂ by linear interpolation of the tabulated R(α)
 * (decreasing in α), clamped to the grid: R̂ ≥ R(1) ⇒ 1, R̂ ≤ R(2) ⇒ 2.
 */
export function alphaFromRatio(ratio: number): number {
  const t = stableRatioTable();
  const R = t.R;
  const last = R.length - 1;
  if (Number.isNaN(ratio)) return NaN;
  if (ratio >= R[0]!) return t.alpha[0]!;
  if (ratio <= R[last]!) return t.alpha[last]!;
  // Binary search for R[i] ≥ ratio > R[i+1].
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (R[mid]! >= ratio) lo = mid;
    else hi = mid;
  }
  const w = (R[lo]! - ratio) / (R[lo]! - R[hi]!);
  return t.alpha[lo]! + w * (t.alpha[hi]! - t.alpha[lo]!);
}

/** IQR of the standard SαS law at α ∈ [1, 2], linear interpolation on the grid. */
export function iqrTheory(alpha: number): number {
  const t = stableRatioTable();
  const last = t.alpha.length - 1;
  const a = Math.min(2, Math.max(1, alpha));
  const pos = (a - 1) * last;
  const i = Math.min(last - 1, Math.floor(pos));
  const w = pos - i;
  return t.IQR[i]! + w * (t.IQR[i + 1]! - t.IQR[i]!);
}

interface Core {
  alpha: number;
  sigma: number;
  iqr: number;
  method: AlphaMethod;
}

/** McCulloch's quantile-ratio estimator on a sorted sample. */
function mccullochSorted(sorted: Float64Array): Core {
  const q05 = quantileSorted(sorted, 0.05);
  const q25 = quantileSorted(sorted, 0.25);
  const q75 = quantileSorted(sorted, 0.75);
  const q95 = quantileSorted(sorted, 0.95);
  const iqr = q75 - q25;
  if (!(iqr > 0)) return { alpha: 2, sigma: 0, iqr, method: 'mcculloch' };
  const alpha = alphaFromRatio((q95 - q05) / iqr);
  return { alpha, sigma: iqr / iqrTheory(alpha), iqr, method: 'mcculloch' };
}

/** Seeded uniform subsample (without replacement) of at most `max` values, sorted. */
function subsampleSorted(sorted: Float64Array, max: number, seed: number): Float64Array {
  if (sorted.length <= max) return sorted;
  // Partial Fisher–Yates on a copy in sorted order: the first `max` slots are the subsample.
  const work = Float64Array.from(sorted);
  const rng = new Rng(seed);
  const n = work.length;
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(n - i);
    const t = work[i]!;
    work[i] = work[j]!;
    work[j] = t;
  }
  const out = work.slice(0, max);
  out.sort();
  return out;
}

/**
 * The finite samples, ascending: a view into the WebAssembly memory (valid
 * until the next estimator call) or, in TypeScript, a new array.
 */
function sortedFinite(samples: ArrayLike<number>, js: boolean): Float64Array {
  const w = js || samples.length > MAX_WASM_SAMPLES ? null : statsWasm();
  return w ? w.sortFinite(samples) : sortedFiniteJs(samples);
}

// Preallocated ecf scratch (50 grid points).
const ECF_T = new Float64Array(ECF_GRID);
const ECF_C = new Float64Array(ECF_GRID);
const ECF_S = new Float64Array(ECF_GRID);

/**
 * ECF_C[k] = Σ_i cos(t_k x_i), ECF_S[k] = Σ_i sin(t_k x_i), t_k = tLo + k·dt,
 * by the rotation recurrence e^{i t_{k+1} x} = e^{i t_k x}·e^{i dt x}: the
 * samples one at a time in index order (the WebAssembly twin in
 * diagnostics/wasm/stats-module.ts adds them in the same order).
 */
function ecfSumsJs(sample: ArrayLike<number>, tLo: number, dt: number): void {
  for (let k = 0; k < ECF_GRID; k++) {
    ECF_C[k] = 0;
    ECF_S[k] = 0;
  }
  const n = sample.length;
  let i = 0;
  // two samples advance together (twice the instruction-level parallelism);
  // each sum still adds sample i, then i+1
  for (; i + 1 < n; i += 2) {
    const xa = sample[i]!, xb = sample[i + 1]!;
    let ca = Math.cos(tLo * xa), sa = Math.sin(tLo * xa);
    const cda = Math.cos(dt * xa), sda = Math.sin(dt * xa);
    let cb = Math.cos(tLo * xb), sb = Math.sin(tLo * xb);
    const cdb = Math.cos(dt * xb), sdb = Math.sin(dt * xb);
    for (let k = 0; k < ECF_GRID; k++) {
      ECF_C[k] = (ECF_C[k]! + ca) + cb;
      ECF_S[k] = (ECF_S[k]! + sa) + sb;
      const ca2 = ca * cda - sa * sda;
      sa = sa * cda + ca * sda;
      ca = ca2;
      const cb2 = cb * cdb - sb * sdb;
      sb = sb * cdb + cb * sdb;
      cb = cb2;
    }
  }
  for (; i < n; i++) {
    const x = sample[i]!;
    let c = Math.cos(tLo * x);
    let sn = Math.sin(tLo * x);
    const cd = Math.cos(dt * x);
    const sd = Math.sin(dt * x);
    for (let k = 0; k < ECF_GRID; k++) {
      ECF_C[k] += c;
      ECF_S[k] += sn;
      const c2 = c * cd - sn * sd;
      sn = sn * cd + c * sd;
      c = c2;
    }
  }
}

function ecfSumsInto(sample: ArrayLike<number>, tLo: number, dt: number, js: boolean): void {
  const w = js || sample.length > MAX_WASM_SAMPLES ? null : statsWasm();
  if (w) w.ecfSums(sample, tLo, dt, ECF_GRID, ECF_C, ECF_S);
  else ecfSumsJs(sample, tLo, dt);
}

/**
 * The ecf grid sums Σ_i cos(t_k x_i), Σ_i sin(t_k x_i) for t_k = tLo + k·dt,
 * k < 50, as estimateAlpha computes them (copies; for tests and tools).
 */
export function ecfGridSums(sample: ArrayLike<number>, tLo: number, dt: number, engine: EstimatorEngine = 'auto'): { cos: Float64Array; sin: Float64Array } {
  ecfSumsInto(sample, tLo, dt, engine === 'js');
  return { cos: Float64Array.from(ECF_C), sin: Float64Array.from(ECF_S) };
}

/**
 * Koutrouvelis-type regression on the empirical characteristic function
 * (§5.1): |φ(t)|² = exp(-2σ^α t^α) ⇒ log(-log|φ|²) = log 2 + α log σ + α log t.
 */
function ecfSorted(sample: Float64Array, js: boolean): Core {
  const n = sample.length;
  const iqr = quantileSorted(sample, 0.75) - quantileSorted(sample, 0.25);
  // Scale guess s and the t grid.
  let s = iqr / 1.349;
  let tLo: number;
  let tHi: number;
  if (!(iqr > 1e-12)) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += sample[i]!;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = sample[i]! - mean;
      ss += d * d;
    }
    s = 1.349 * Math.sqrt(n > 1 ? ss / (n - 1) : 0);
  }
  if (s > 1e-12) {
    tLo = 0.05 / s;
    tHi = 3 / s;
  } else {
    tLo = 0.1;
    tHi = 2;
  }
  const dt = (tHi - tLo) / (ECF_GRID - 1);
  for (let k = 0; k < ECF_GRID; k++) ECF_T[k] = tLo + k * dt;
  // Σ cos(t_k x), Σ sin(t_k x) for the evenly spaced t_k by the angle-addition
  // recurrence (4 trig calls per sample instead of 100; error ~50 ulp, tested)
  ecfSumsInto(sample, tLo, dt, js);
  // Points kept by the |φ̂|² window; relax, then fall back.
  const select = (lo: number, hi: number): number => {
    let m = 0;
    for (let k = 0; k < ECF_GRID; k++) {
      const mc = ECF_C[k]! / n;
      const ms = ECF_S[k]! / n;
      const p2 = mc * mc + ms * ms;
      if (p2 > lo && p2 < hi) m++;
    }
    return m;
  };
  let lo = 0.01;
  let hi = 0.95;
  if (select(lo, hi) < 5) {
    lo = 1e-4;
    hi = 0.999;
  }
  if (select(lo, hi) < 3) return mccullochSorted(sample);
  // Weighted least squares Y = A + B X, weights exp(-2 (log|φ̂|² + 0.7)²).
  let sw = 0, sx = 0, sy = 0;
  for (let k = 0; k < ECF_GRID; k++) {
    const mc = ECF_C[k]! / n;
    const ms = ECF_S[k]! / n;
    const p2 = mc * mc + ms * ms;
    if (!(p2 > lo && p2 < hi)) continue;
    const lp = Math.log(p2);
    const w = Math.exp(-2 * (lp + 0.7) * (lp + 0.7));
    sw += w;
    sx += w * Math.log(ECF_T[k]!);
    sy += w * Math.log(-lp);
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0, sxy = 0;
  for (let k = 0; k < ECF_GRID; k++) {
    const mc = ECF_C[k]! / n;
    const ms = ECF_S[k]! / n;
    const p2 = mc * mc + ms * ms;
    if (!(p2 > lo && p2 < hi)) continue;
    const lp = Math.log(p2);
    const w = Math.exp(-2 * (lp + 0.7) * (lp + 0.7));
    const dx = Math.log(ECF_T[k]!) - mx;
    sxx += w * dx * dx;
    sxy += w * dx * (Math.log(-lp) - my);
  }
  if (!(sxx > 0)) return mccullochSorted(sample);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const alpha = Math.min(2, Math.max(1, slope));
  const sigma = Math.pow(Math.exp(intercept) / 2, 1 / alpha);
  return { alpha, sigma, iqr, method: 'ecf' };
}

/**
 * Estimate (α̂, σ̂) of a SαS sample by `method` (§5.1), with the reliability
 * flag: false when n < minSamples (then α̂ = 2, σ̂ = 0), when σ̂ ≤ 1e-12,
 * when α̂ ≤ 1.01 or ≥ 1.99 with n < 2000, or when the sample IQR ≤ 1e-10.
 */
export function estimateAlpha(samples: ArrayLike<number>, method: AlphaMethod, opts: EstimateOptions): AlphaEstimate {
  if (method !== 'ecf' && method !== 'mcculloch') throw new RangeError(`estimateAlpha: method must be 'ecf' or 'mcculloch', got ${String(method)}`);
  const sorted = sortedFinite(samples, opts.engine === 'js');
  const n = sorted.length;
  if (n < opts.minSamples || n === 0) return { alpha: 2, sigma: 0, reliable: false, n, method };
  const js = opts.engine === 'js';
  const core = method === 'mcculloch' ? mccullochSorted(sorted) : ecfSorted(subsampleSorted(sorted, ECF_MAX_SAMPLES, opts.seed), js);
  let reliable = true;
  if (!(core.sigma > 1e-12)) reliable = false;
  if ((core.alpha <= 1.01 || core.alpha >= 1.99) && n < 2000) reliable = false;
  if (!(core.iqr > 1e-10)) reliable = false;
  if (!Number.isFinite(core.alpha) || !Number.isFinite(core.sigma)) reliable = false;
  return { alpha: core.alpha, sigma: core.sigma, reliable, n, method: core.method };
}

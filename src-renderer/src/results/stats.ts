/**
 * Small float64 statistics for the results views: seed aggregation, OLS, the
 * envelope regime fits (SCIENCE.md §6), quantiles for box plots.
 *
 * The renderer may not import src-workers, so this RESTATES (does not copy
 * behaviour by import) the engine's rules in src-workers/engine/aggregate.ts
 * (meanStd, aggregate per key skipping non-finite values and an opt-in
 * "not detected" sentinel) and src-workers/engine/fits.ts (olsLine,
 * fitEnvelope, constTau, MASTER_ALPHA_FLOOR). results/engine-parity.test.ts
 * checks on random inputs that both give the same numbers.
 */
import type { EnvelopeFitsRecord, EnvelopeRegimeName } from '../../../src-shared/results';

export interface Stat {
  mean: number;
  /** sample standard deviation (n-1); 0 for one value; NaN for none */
  std: number;
  count: number;
}

/** Mean and sample std (two-pass, float64). */
export function meanStd(values: ArrayLike<number>): Stat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, count: 0 };
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i]!;
  m /= n;
  if (n === 1) return { mean: m, std: 0, count: 1 };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - m) * (values[i]! - m);
  return { mean: m, std: Math.sqrt(ss / (n - 1)), count: n };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Linear-interpolated quantile (type 7) of a sorted array. */
export function quantileSorted(s: ArrayLike<number>, p: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export interface KeyedStat extends Stat {
  key: number;
}

/**
 * Per key, mean / std / count across seeds (§6 multi-seed aggregation):
 * non-finite values are skipped, and `notDetected` when given (-1 for
 * N_required). Keys of every seed are listed (count 0 → NaN), sorted.
 */
export function aggregateByKey(
  series: readonly { keys: ArrayLike<number>; values: ArrayLike<number> }[],
  notDetected?: number,
): KeyedStat[] {
  const byKey = new Map<number, number[]>();
  for (const s of series) {
    for (let i = 0; i < s.keys.length; i++) {
      const k = s.keys[i]!;
      if (!Number.isFinite(k)) continue;
      let list = byKey.get(k);
      if (!list) byKey.set(k, (list = []));
      const v = s.values[i]!;
      if (!Number.isFinite(v) || (notDetected !== undefined && v === notDetected)) continue;
      list.push(v);
    }
  }
  return [...byKey.keys()].sort((a, b) => a - b).map((key) => ({ key, ...meanStd(byKey.get(key)!) }));
}

export interface LineFit {
  intercept: number;
  slope: number;
  r2: number;
  n: number;
}

/** OLS y = intercept + slope·x (centred two-pass); NaN with < 2 points or constant x; r2 = 1 when SST = 0. */
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
  return { intercept, slope, r2: syy > 0 ? 1 - sse / syy : 1, n };
}

/** Minimum points of an envelope regime fit (§6; the engine's MIN_ENVELOPE_POINTS). */
export const MIN_ENVELOPE_POINTS = 3;
/** Floor on α̂ in the master law and the theory curve (the engine's MASTER_ALPHA_FLOOR). */
export const MASTER_ALPHA_FLOOR = 1.01;

function tauOf(b: number): number {
  if (Number.isNaN(b)) return NaN;
  return b < 0 ? -1 / b : Infinity;
}

function fitWhere(lags: readonly number[], logF: ArrayLike<number>, keep: (l: number) => boolean, xf: (l: number) => number): LineFit {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < lags.length; i++) {
    const l = lags[i]!;
    const v = logF[i]!;
    if (Number.isFinite(v) && Number.isFinite(l) && keep(l)) {
      xs.push(xf(l));
      ys.push(v);
    }
  }
  if (xs.length < MIN_ENVELOPE_POINTS) return { intercept: NaN, slope: NaN, r2: NaN, n: xs.length };
  return olsLine(xs, ys);
}

/**
 * The three envelope regimes of §6 on log f̂ (finite values): exponential
 * log f = a + bℓ, power log f = c + d log ℓ (ℓ > 0), logarithmic
 * log f = e + g log log ℓ (ℓ > 1); best = largest R² (exp, power, log on ties).
 */
export function fitEnvelope(lags: readonly number[], logF: ArrayLike<number>): EnvelopeFitsRecord {
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

/** ConstGate's closed-form time scale τ = -1/log(1 - s) (§6). */
export function constTau(s: number): number {
  return -1 / Math.log1p(-s);
}

export interface BoxStats {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  /** values outside the 1.5·IQR whiskers */
  outliers: number[];
  n: number;
}

/** Tukey box plot of finite values: whiskers at the extreme values within 1.5 IQR of the quartiles. */
export function boxStats(values: readonly number[]): BoxStats {
  const s = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (s.length === 0) return { min: NaN, q1: NaN, median: NaN, q3: NaN, max: NaN, outliers: [], n: 0 };
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const lo = q1 - 1.5 * (q3 - q1);
  const hi = q3 + 1.5 * (q3 - q1);
  let min = Infinity, max = -Infinity;
  const outliers: number[] = [];
  for (const v of s) {
    if (v < lo || v > hi) outliers.push(v);
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, q1, median: quantileSorted(s, 0.5), q3, max, outliers, n: s.length };
}

/**
 * Small float64 statistics for the results views: seed aggregation and
 * quantiles for box plots; the §6 fit arithmetic (OLS, envelope regimes,
 * ConstGate's τ) is the one copy in src-shared/fit-math.ts, re-exported here.
 *
 * The renderer may not import src-workers, so the seed aggregation RESTATES
 * the engine's rule in src-workers/engine/aggregate.ts (meanStd, aggregate
 * per key skipping non-finite values and an opt-in "not detected" sentinel);
 * results/engine-parity.test.ts checks on random inputs that both give the
 * same numbers.
 */
export {
  constTau, fitEnvelope, MASTER_ALPHA_FLOOR, median, MIN_ENVELOPE_POINTS, olsLine, type LineFit,
} from '../../../src-shared/fit-math';

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

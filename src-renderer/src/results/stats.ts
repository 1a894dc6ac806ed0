/**
 * Small float64 statistics for the results views: quantiles for box plots,
 * plus the one copy of the §6 fit arithmetic (src-shared/fit-math.ts: OLS,
 * envelope regimes, ConstGate's τ) and of the multi-seed aggregation
 * (src-shared/seed-aggregate.ts: mean / sample std per key, non-finite values
 * and an opt-in "not detected" sentinel skipped), re-exported here.
 */
import { aggregateSeeds, meanStd, type AggregateRow, type AggregateStat } from '../../../src-shared/seed-aggregate';

export {
  constTau, fitEnvelope, MASTER_ALPHA_FLOOR, median, MIN_ENVELOPE_POINTS, olsLine, type LineFit,
} from '../../../src-shared/fit-math';
export { meanStd };

/** mean, sample std (n-1; 0 for one value; NaN for none) and count */
export type Stat = AggregateStat;

/** Linear-interpolated quantile (type 7) of a sorted array. */
export function quantileSorted(s: ArrayLike<number>, p: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export type KeyedStat = AggregateRow;

/**
 * Per key, mean / std / count across seeds (§6 multi-seed aggregation):
 * non-finite values are skipped, and `notDetected` when given (-1 for
 * N_required). Keys of every seed are listed (count 0 → NaN), sorted.
 */
export function aggregateByKey(
  series: readonly { keys: ArrayLike<number>; values: ArrayLike<number> }[],
  notDetected?: number,
): KeyedStat[] {
  return aggregateSeeds(series, notDetected !== undefined ? { notDetected } : {});
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

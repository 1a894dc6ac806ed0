/**
 * Multi-seed aggregation (SCIENCE.md §6): per key (a lag ℓ or a sample size
 * N), the mean, the sample standard deviation (divisor n-1; 0 for a single
 * seed) and the number of seeds that contributed. One copy for the result
 * files and exports (src-main/core), the PDF report and the results views
 * (the renderer): plain TypeScript, no Node or DOM APIs.
 *
 * What counts as a value, explicitly:
 * - a (seed, key) pair whose key is absent from that seed is missing;
 * - non-finite values (NaN, ±∞; also NaN written for "not fitted") are
 *   skipped;
 * - the "not detected" sentinel is skipped when the caller names it
 *   (`notDetected: -1` for N_required columns). It is opt-in, not a default,
 *   because -1 is a legitimate value of other columns (log μ, fits);
 * - non-finite keys are ignored; a key repeated within one seed is an error.
 * Keys with no value from any seed are still listed, with count 0 and NaN
 * mean and std, so every seed's key grid shows up. Rows are sorted by key.
 */

export interface AggregateStat {
  mean: number;
  std: number;
  count: number;
}

export interface AggregateRow extends AggregateStat {
  key: number;
}

/** One seed's column: values[i] belongs to keys[i]. */
export interface SeedSeries {
  keys: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface AggregateOptions {
  /** value meaning "not detected", skipped like a missing value (e.g. -1 for N_required) */
  notDetected?: number;
}

/** The N_required "not detected" sentinel (SCIENCE.md §5.2). */
export const NOT_DETECTED = -1;

/** Mean and sample std of a list in float64 (two-pass). */
export function meanStd(values: ArrayLike<number>): AggregateStat {
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

/** Aggregate one column across seeds (see the header for the rules). */
export function aggregateSeeds(series: readonly SeedSeries[], opts: AggregateOptions = {}): AggregateRow[] {
  const byKey = new Map<number, number[]>();
  series.forEach((s, si) => {
    if (s.keys.length !== s.values.length) {
      throw new RangeError(`aggregateSeeds: seed #${si} has ${s.keys.length} keys but ${s.values.length} values`);
    }
    const seen = new Set<number>();
    for (let i = 0; i < s.keys.length; i++) {
      const k = s.keys[i]!;
      if (!Number.isFinite(k)) continue;
      if (seen.has(k)) throw new RangeError(`aggregateSeeds: key ${k} appears twice in seed #${si}`);
      seen.add(k);
      let list = byKey.get(k);
      if (!list) {
        list = [];
        byKey.set(k, list);
      }
      const v = s.values[i]!;
      if (!Number.isFinite(v)) continue;
      if (opts.notDetected !== undefined && v === opts.notDetected) continue;
      list.push(v);
    }
  });
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  return keys.map((key) => ({ key, ...meanStd(byKey.get(key)!) }));
}

/**
 * Aggregate several columns of per-seed row tables (e.g. the rows of each
 * seed's summary file) keyed by `keyField`. Fields listed in
 * `notDetectedFields` skip the -1 sentinel. Values that are not numbers count
 * as missing.
 */
export function aggregateTable<F extends string>(
  perSeed: readonly (readonly Readonly<Record<string, unknown>>[])[],
  keyField: string,
  fields: readonly F[],
  opts: { notDetectedFields?: readonly F[] } = {},
): { key: number; stats: Record<F, AggregateStat> }[] {
  const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
  const perField = fields.map((f) =>
    aggregateSeeds(
      perSeed.map((rows) => ({ keys: rows.map((r) => num(r[keyField])), values: rows.map((r) => num(r[f])) })),
      opts.notDetectedFields?.includes(f) ? { notDetected: NOT_DETECTED } : {},
    ),
  );
  const keys = perField.length > 0 ? perField[0]!.map((r) => r.key) : [];
  return keys.map((key, i) => {
    const stats = {} as Record<F, AggregateStat>;
    fields.forEach((f, j) => {
      const r = perField[j]![i]!;
      stats[f] = { mean: r.mean, std: r.std, count: r.count };
    });
    return { key, stats };
  });
}

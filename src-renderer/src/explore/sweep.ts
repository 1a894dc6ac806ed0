/**
 * The noise lab's sweep: the grids a user picks, the work they cost (the
 * service's bound, NOISE_LAB_LIMITS.maxSweepWork), and the chart data of
 * α̂ − α with ±1 standard deviation error bars per (method, n).
 */
import { NOISE_LAB_LIMITS, type NoiseLabSweepRow } from '../../../src-shared/api';
import type { AlphaMethod } from '../../../src-shared/config';

/** from, from + step, …, up to `to` (inclusive within 1e-9), rounded to 6 decimals; empty when the step is not > 0. */
export function rangeList(from: number, to: number, step: number): number[] {
  if (!(step > 0) || !(to >= from)) return [];
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const v = from + i * step;
    if (v > to + 1e-9 || out.length > 1000) break;
    out.push(Math.round(v * 1e6) / 1e6);
  }
  return out;
}

/** `count` consecutive seeds from `base`. */
export function seedList(base: number, count: number): number[] {
  return Array.from({ length: Math.max(0, Math.floor(count)) }, (_, i) => base + i);
}

/** The service's cost of a sweep: alphas × seeds × Σ ns × (1 + methods). */
export function sweepWork(alphas: number, ns: readonly number[], seeds: number, methods: number): number {
  return alphas * seeds * ns.reduce((s, n) => s + n, 0) * (1 + methods);
}

export function sweepTooLarge(work: number): boolean {
  return work > NOISE_LAB_LIMITS.maxSweepWork;
}

/** One error-bar series: [x, α̂ − α, low, high] per α (x offset so the bars of a group sit side by side). */
export interface ErrorBarSeries {
  method: AlphaMethod;
  n: number;
  name: string;
  data: [number, number, number, number][];
}

/**
 * Series per (method, n), in the rows' order of first appearance; each point
 * at α + offset, with the bias α̂ − α and the bar bias ± std. `spread` is the
 * total horizontal width a group of bars takes (in α units).
 */
export function errorBarSeries(rows: readonly NoiseLabSweepRow[], spread = 0.04): ErrorBarSeries[] {
  const keys: string[] = [];
  const byKey = new Map<string, ErrorBarSeries>();
  for (const r of rows) {
    const key = `${r.method} n=${r.n}`;
    if (!byKey.has(key)) {
      keys.push(key);
      byKey.set(key, { method: r.method, n: r.n, name: key, data: [] });
    }
  }
  const m = keys.length;
  keys.forEach((key, i) => {
    const s = byKey.get(key)!;
    const off = m > 1 ? (i / (m - 1) - 0.5) * spread : 0;
    for (const r of rows) {
      if (`${r.method} n=${r.n}` !== key) continue;
      const bias = r.mean_alpha_hat - r.alpha;
      s.data.push([r.alpha + off, bias, bias - r.std, bias + r.std]);
    }
  });
  return keys.map((k) => byKey.get(k)!);
}

/** RMSE against n per (method, α): [n, rmse] pairs sorted by n. */
export function rmseSeries(rows: readonly NoiseLabSweepRow[]): { name: string; method: AlphaMethod; alpha: number; data: [number, number][] }[] {
  const map = new Map<string, { name: string; method: AlphaMethod; alpha: number; data: [number, number][] }>();
  for (const r of rows) {
    const name = `${r.method} α=${r.alpha}`;
    let s = map.get(name);
    if (!s) map.set(name, (s = { name, method: r.method, alpha: r.alpha, data: [] }));
    s.data.push([r.n, r.rmse]);
  }
  for (const s of map.values()) s.data.sort((a, b) => a[0] - b[0]);
  return [...map.values()];
}

import { describe, expect, it } from 'vitest';
import { SyntheticTask, ZigguratNormal, type TaskSpec } from './task';

const spec: TaskSpec = { D: 5, T: 40, task_lags: [1, 3, 7, 50], task_coeffs: [0.6, -0.5, 0.4, 0.3], noise_std: 0.3 };

function ids(...a: number[]): Int32Array {
  return Int32Array.from(a);
}

function fill64(task: SyntheticTask, set: 'train' | 'diag' | 'val', epoch: number, idList: Int32Array) {
  const B = idList.length;
  const x = new Float64Array(task.T * B * task.D);
  const y = new Float64Array(task.T * B);
  task.fill(set, epoch, idList, B, x, y);
  return { x, y, B };
}

/** Sequence b of a time-major batch as [T][D] and [T]. */
function column(x: Float64Array | Float32Array, y: Float64Array | Float32Array, B: number, b: number, T: number, D: number) {
  const xs = new Float64Array(T * D);
  const ys = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < D; d++) xs[t * D + d] = x[(t * B + b) * D + d]!;
    ys[t] = y[t * B + b]!;
  }
  return { xs, ys };
}

/** Σ_k c_k u·x_{t-ℓ_k}, straight from the definition (SCIENCE.md §1). */
function cleanTarget(xs: Float64Array, u: Float64Array, s: TaskSpec, t: number): number {
  let v = 0;
  s.task_lags.forEach((l, k) => {
    if (t - l < 0) return;
    let dot = 0;
    for (let d = 0; d < s.D; d++) dot += u[d]! * xs[(t - l) * s.D + d]!;
    v += s.task_coeffs[k]! * dot;
  });
  return v;
}

/** Standard normal CDF by composite Simpson integration of the density (independent of the code). */
function normalCdf(z: number): number {
  if (z < 0) return 1 - normalCdf(-z);
  const n = 2000;
  const h = z / n;
  const f = (s: number) => Math.exp(-0.5 * s * s) / Math.sqrt(2 * Math.PI);
  let acc = f(0) + f(z);
  for (let i = 1; i < n; i++) acc += (i % 2 ? 4 : 2) * f(i * h);
  return 0.5 + (acc * h) / 3;
}

describe('SyntheticTask', () => {
  it('u is a unit vector fixed by the seed', () => {
    const a = new SyntheticTask(spec, 7);
    const b = new SyntheticTask(spec, 7);
    const c = new SyntheticTask(spec, 8);
    let n2 = 0;
    for (const v of a.u) n2 += v * v;
    expect(Math.abs(Math.sqrt(n2) - 1)).toBeLessThan(1e-14);
    expect(Array.from(b.u)).toEqual(Array.from(a.u));
    expect(Array.from(c.u)).not.toEqual(Array.from(a.u));
  });

  it('y equals the formula recomputed from x (noise-free, float64)', () => {
    const s0 = { ...spec, noise_std: 0 };
    const task = new SyntheticTask(s0, 11);
    const { x, y, B } = fill64(task, 'train', 0, ids(0, 4, 9));
    for (let b = 0; b < B; b++) {
      const { xs, ys } = column(x, y, B, b, s0.T, s0.D);
      for (let t = 0; t < s0.T; t++) {
        const want = cleanTarget(xs, task.u, s0, t);
        expect(Math.abs(ys[t]! - want)).toBeLessThan(1e-12 * (1 + Math.abs(want)));
      }
      // before the shortest lag nothing is visible yet
      expect(ys[0]).toBe(0);
    }
  });

  it('y equals the formula in float32 storage, to float32 rounding', () => {
    const s0 = { ...spec, noise_std: 0 };
    const task = new SyntheticTask(s0, 12);
    const B = 2;
    const x = new Float32Array(s0.T * B * s0.D);
    const y = new Float32Array(s0.T * B);
    task.fill('diag', 0, ids(3, 1), B, x, y);
    for (let b = 0; b < B; b++) {
      const { xs, ys } = column(x, y, B, b, s0.T, s0.D);
      for (let t = 0; t < s0.T; t++) {
        const want = cleanTarget(xs, task.u, s0, t);
        // x and y each carry a float32 rounding (2^-24 relative) of O(Σ|c_k|·|x|) quantities
        expect(Math.abs(ys[t]! - want)).toBeLessThan(1e-6 * (1 + Math.abs(want)) * 10);
      }
    }
  });

  it('the residual y - formula is N(0, noise_std²) noise, independent of the signal', () => {
    const task = new SyntheticTask(spec, 13);
    const n = 400;
    const { x, y, B } = fill64(task, 'train', 0, Int32Array.from({ length: n }, (_, i) => i));
    let s1 = 0;
    let s2 = 0;
    let sx = 0;
    let cnt = 0;
    for (let b = 0; b < B; b++) {
      const { xs, ys } = column(x, y, B, b, spec.T, spec.D);
      for (let t = 0; t < spec.T; t++) {
        const clean = cleanTarget(xs, task.u, spec, t);
        const e = ys[t]! - clean;
        s1 += e;
        s2 += e * e;
        sx += e * clean;
        cnt++;
      }
    }
    const mean = s1 / cnt;
    const variance = s2 / cnt - mean * mean;
    const sd = spec.noise_std;
    expect(Math.abs(mean)).toBeLessThan((5 * sd) / Math.sqrt(cnt));
    // var of the sample variance of a normal: 2σ⁴/n
    expect(Math.abs(variance - sd * sd)).toBeLessThan(5 * sd * sd * Math.sqrt(2 / cnt));
    // E[ε·clean] = 0; |clean| has variance Σc² ≤ 1.
    expect(Math.abs(sx / cnt)).toBeLessThan((5 * sd * 1.0) / Math.sqrt(cnt));
  });

  it('the covariance of y_t with u·x_{t-ℓ} recovers each coefficient', () => {
    const s = { ...spec, T: 80 };
    const task = new SyntheticTask(s, 14);
    const n = 300;
    const { x, y, B } = fill64(task, 'val', 2, Int32Array.from({ length: n }, (_, i) => i));
    s.task_lags.forEach((l, k) => {
      if (l >= s.T) return;
      let acc = 0;
      let cnt = 0;
      for (let b = 0; b < B; b++) {
        for (let t = l; t < s.T; t++) {
          let p = 0;
          for (let d = 0; d < s.D; d++) p += task.u[d]! * x[((t - l) * B + b) * s.D + d]!;
          acc += y[t * B + b]! * p;
          cnt++;
        }
      }
      // E[y_t·u·x_{t-ℓ_k}] = c_k; each product has variance ≤ Var(y)·1 + c_k² ≤ 2
      expect(Math.abs(acc / cnt - s.task_coeffs[k]!)).toBeLessThan(5 * Math.sqrt(2 / cnt));
    });
  });

  it('same (seed, set, id) gives identical data, in any batch and any task object', () => {
    const a = new SyntheticTask(spec, 21);
    const b = new SyntheticTask(spec, 21);
    const one = fill64(a, 'train', 0, ids(17));
    const many = fill64(b, 'train', 0, ids(3, 17, 5, 0));
    const alone = column(one.x, one.y, 1, 0, spec.T, spec.D);
    const inBatch = column(many.x, many.y, 4, 1, spec.T, spec.D);
    expect(Array.from(inBatch.xs)).toEqual(Array.from(alone.xs));
    expect(Array.from(inBatch.ys)).toEqual(Array.from(alone.ys));
    // a second call regenerates bit-identical values
    const again = fill64(a, 'train', 0, ids(17));
    expect(Array.from(again.x)).toEqual(Array.from(one.x));
    expect(Array.from(again.y)).toEqual(Array.from(one.y));
  });

  it('different ids, sets, validation epochs and seeds give different data; epoch only matters for val', () => {
    const task = new SyntheticTask(spec, 31);
    const get = (set: 'train' | 'diag' | 'val', epoch: number, id: number, t = task) => Array.from(fill64(t, set, epoch, ids(id)).x);
    const base = get('train', 0, 5);
    expect(get('train', 0, 6)).not.toEqual(base);
    expect(get('diag', 0, 5)).not.toEqual(base);
    expect(get('val', 0, 5)).not.toEqual(base);
    expect(get('val', 1, 5)).not.toEqual(get('val', 0, 5));
    expect(get('train', 3, 5)).toEqual(base);
    expect(get('diag', 3, 5)).toEqual(get('diag', 0, 5));
    expect(get('train', 0, 5, new SyntheticTask(spec, 32))).not.toEqual(base);
  });

  it('x is white standard normal: moments, lag/dimension correlations', () => {
    const s = { ...spec, D: 4, T: 64 };
    const task = new SyntheticTask(s, 41);
    const n = 1000;
    const B = n;
    const x = new Float64Array(s.T * B * s.D);
    const y = new Float64Array(s.T * B);
    task.fill('train', 0, Int32Array.from({ length: n }, (_, i) => i), B, x, y);
    const m = x.length;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (const v of x) {
      s1 += v;
      s2 += v * v;
      s3 += v * v * v;
      s4 += v * v * v * v;
    }
    const z = 5; // standard errors allowed
    expect(Math.abs(s1 / m)).toBeLessThan(z / Math.sqrt(m));
    expect(Math.abs(s2 / m - 1)).toBeLessThan(z * Math.sqrt(2 / m));
    expect(Math.abs(s3 / m)).toBeLessThan(z * Math.sqrt(15 / m));
    expect(Math.abs(s4 / m - 3)).toBeLessThan(z * Math.sqrt(96 / m));
    // neighbouring dimensions and neighbouring time steps uncorrelated
    let cd = 0;
    let ct = 0;
    let nd = 0;
    let nt = 0;
    for (let t = 0; t < s.T; t++) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * s.D;
        for (let d = 0; d + 1 < s.D; d++, nd++) cd += x[o + d]! * x[o + d + 1]!;
        if (t + 1 < s.T) {
          ct += x[o]! * x[((t + 1) * B + b) * s.D]!;
          nt++;
        }
      }
    }
    expect(Math.abs(cd / nd)).toBeLessThan(z / Math.sqrt(nd));
    expect(Math.abs(ct / nt)).toBeLessThan(z / Math.sqrt(nt));
  });

  it('rejects inconsistent specs', () => {
    expect(() => new SyntheticTask({ ...spec, task_coeffs: [1] }, 1)).toThrow(/same length/);
    expect(() => new SyntheticTask({ ...spec, task_lags: [1, 2, -3, 4] }, 1)).toThrow(/lag/);
    expect(() => new SyntheticTask({ ...spec, noise_std: -1 }, 1)).toThrow(/noise_std/);
  });
});

describe('ZigguratNormal', () => {
  it('fill() gives the same stream as next(), and reseed() restarts it', () => {
    const a = new ZigguratNormal(5);
    const b = new ZigguratNormal(5);
    const block = new Float64Array(20000);
    a.fill(block, 0, block.length);
    for (let i = 0; i < block.length; i++) expect(block[i]).toBe(b.next());
    a.reseed(5);
    expect(a.next()).toBe(block[0]);
  });

  it('matches the standard normal CDF, tails included', () => {
    const z = new ZigguratNormal(2024);
    const n = 1_000_000;
    const points = [-3.8, -3.44, -2.5, -1.5, -0.7, -0.2, 0, 0.3, 0.9, 1.7, 2.2, 3.0, 3.44, 3.8];
    const counts = new Float64Array(points.length);
    for (let i = 0; i < n; i++) {
      const v = z.next();
      for (let k = 0; k < points.length; k++) if (v <= points[k]!) counts[k]! += 1;
    }
    points.forEach((p, k) => {
      const F = normalCdf(p);
      const se = Math.sqrt((F * (1 - F)) / n);
      expect(Math.abs(counts[k]! / n - F)).toBeLessThan(5 * se + 1e-7);
    });
  });

  it('produces the tail beyond the base strip (|x| > 3.4426) at the right rate', () => {
    const z = new ZigguratNormal(99);
    const n = 2_000_000;
    let tail = 0;
    let far = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(z.next());
      if (a > 3.442619855899) tail++;
      if (a > 4.5) far++;
    }
    const p = 2 * (1 - normalCdf(3.442619855899));
    expect(Math.abs(tail / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    const pf = 2 * (1 - normalCdf(4.5));
    expect(Math.abs(far / n - pf)).toBeLessThan(5 * Math.sqrt(pf / n) + 2 / n);
  });
});

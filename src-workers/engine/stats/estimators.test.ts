import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { alphaFromRatio, ecfGridSums, estimateAlpha, iqrTheory, quantileSorted } from './estimators';
import { statsWasm } from '../diagnostics/wasm/stats-wasm';
import { sampleStable, stableQuantile, stableRatioTable } from './stable';

describe('quantileSorted (numpy type 7)', () => {
  it('interpolates linearly between order statistics', () => {
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted(s, 0.25)).toBeCloseTo(1.75, 14); // h = 0.75
    expect(quantileSorted(s, 0.5)).toBeCloseTo(2.5, 14);
    expect(quantileSorted([5], 0.3)).toBe(5);
    expect(quantileSorted([], 0.3)).toBeNaN();
  });
});

describe('McCulloch table inversion', () => {
  it('recovers grid α from R(α), interpolates between, clamps outside', () => {
    const t = stableRatioTable();
    for (const i of [0, 1, 57, 100, 199, 200]) expect(alphaFromRatio(t.R[i]!)).toBeCloseTo(t.alpha[i]!, 12);
    const mid = 0.5 * (t.R[40]! + t.R[41]!);
    expect(alphaFromRatio(mid)).toBeCloseTo(0.5 * (t.alpha[40]! + t.alpha[41]!), 12);
    expect(alphaFromRatio(100)).toBe(1);
    expect(alphaFromRatio(1.5)).toBe(2);
    expect(iqrTheory(1)).toBeCloseTo(2, 9);
    expect(iqrTheory(2)).toBeCloseTo(2 * Math.SQRT2 * 0.6744897501960817, 9);
  });
});

describe('estimateAlpha on CMS samples (n = 100 000)', () => {
  const n = 100_000;
  const x = new Float64Array(n);
  const scale = 1.7;
  for (const [i, a] of [1.1, 1.3, 1.5, 1.7, 1.9, 2.0].entries()) {
    it(`α = ${a}: ecf within 0.03, mcculloch within 0.05, σ̂ within 5 %`, () => {
      sampleStable(new Rng(9000 + i), a, scale, x);
      const copy = Float64Array.from(x);
      const e = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 1 });
      const m = estimateAlpha(x, 'mcculloch', { minSamples: 500, seed: 1 });
      expect(Array.from(x)).toEqual(Array.from(copy)); // input untouched
      expect(e.method).toBe('ecf');
      expect(m.method).toBe('mcculloch');
      expect(Math.abs(e.alpha - a)).toBeLessThan(0.03);
      expect(Math.abs(m.alpha - a)).toBeLessThan(0.05);
      expect(Math.abs(e.sigma / scale - 1)).toBeLessThan(0.05);
      expect(Math.abs(m.sigma / scale - 1)).toBeLessThan(0.05);
      expect(e.reliable).toBe(true);
      expect(m.reliable).toBe(true);
      expect(e.n).toBe(n);
    });
  }
});

describe('reliability and edge cases', () => {
  it('fewer than minSamples ⇒ unreliable with α̂ = 2, σ̂ = 0', () => {
    const x = new Float64Array(499);
    sampleStable(new Rng(1), 1.5, 1, x);
    for (const method of ['ecf', 'mcculloch'] as const) {
      const r = estimateAlpha(x, method, { minSamples: 500, seed: 0 });
      expect(r).toEqual({ alpha: 2, sigma: 0, reliable: false, n: 499, method });
    }
  });

  it('non-finite samples are dropped before counting', () => {
    const x = new Float64Array(600);
    sampleStable(new Rng(2), 1.5, 1, x);
    x[3] = NaN;
    x[4] = Infinity;
    expect(estimateAlpha(x, 'mcculloch', { minSamples: 599, seed: 0 }).reliable).toBe(false);
    expect(estimateAlpha(x, 'mcculloch', { minSamples: 598, seed: 0 }).n).toBe(598);
  });

  it('α̂ ≥ 1.99 needs at least 2000 samples to be reliable', () => {
    // The exact quantiles of the normal law (α = 2): α̂ = 2 up to discretisation.
    const make = (n: number): Float64Array => {
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) s[i] = stableQuantile((i + 0.5) / n, 2);
      return s;
    };
    const small = estimateAlpha(make(1000), 'mcculloch', { minSamples: 500, seed: 0 });
    expect(small.alpha).toBeGreaterThanOrEqual(1.99);
    expect(small.reliable).toBe(false);
    const large = estimateAlpha(make(3000), 'mcculloch', { minSamples: 500, seed: 0 });
    expect(large.alpha).toBeGreaterThanOrEqual(1.99);
    expect(large.reliable).toBe(true);
  });

  it('zero IQR is unreliable; ecf falls back to mcculloch when |φ̂|² never leaves 1', () => {
    const x = new Float64Array(10_000);
    x[0] = 1;
    const r = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 0 });
    expect(r.method).toBe('mcculloch');
    expect(r.reliable).toBe(false);
    expect(r.sigma).toBe(0);
  });

  it('ecf subsamples beyond 100 000 reproducibly from the seed', () => {
    const x = new Float64Array(150_000);
    sampleStable(new Rng(5), 1.4, 1, x);
    const a = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 3 });
    const b = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 3 });
    const c = estimateAlpha(x, 'ecf', { minSamples: 500, seed: 4 });
    expect(a).toEqual(b);
    expect(c.alpha).not.toBe(a.alpha);
    expect(a.n).toBe(150_000);
    expect(Math.abs(a.alpha - 1.4)).toBeLessThan(0.03);
  });
});

describe('fast paths (WebAssembly sort and ecf sums) give the TypeScript results exactly', () => {
  it('the radix sort of the finite samples is Float64Array.prototype.sort, bit for bit', () => {
    const w = statsWasm();
    if (!w) return;
    const rng = new Rng(31);
    const cases: Float64Array[] = [
      Float64Array.from([3]),
      Float64Array.from([-0, 0, -0, 0, 1, -1, 0]),
      Float64Array.from([NaN, Infinity, -Infinity, 2, NaN, -2]),
      Float64Array.from([5e-324, -5e-324, 2.2250738585072014e-308, -Number.MAX_VALUE, Number.MAX_VALUE, 1, 1, 1]),
      Float64Array.from({ length: 5000 }, () => Math.round(rng.gaussian() * 4) / 4), // many ties
      Float64Array.from({ length: 70_001 }, () => rng.gaussian() * Math.exp(10 * rng.gaussian())), // wide exponents
      Float64Array.from({ length: 3000 }, (_, i) => 1 + i * 2 ** -52), // differences only in the low bits
      new Float64Array(0),
    ];
    for (const x of cases) {
      const want = Float64Array.from(Array.from(x).filter(Number.isFinite)).sort();
      const got = w.sortFinite(x);
      expect(got.length).toBe(want.length);
      expect(Array.from(got).every((v, i) => Object.is(v, want[i]))).toBe(true);
    }
  });

  it('estimateAlpha: the same α̂, σ̂ and flags with and without WebAssembly', () => {
    const rng = new Rng(41);
    for (const n of [600, 4097, 60_001, 120_000]) {
      for (const a of [1.05, 1.5, 2]) {
        const x = new Float64Array(n);
        sampleStable(rng, a, 0.3, x);
        x[3] = NaN;
        x[5] = -0;
        x[7] = x[8]!;
        for (const method of ['ecf', 'mcculloch'] as const) {
          const fast = estimateAlpha(x, method, { minSamples: 500, seed: 5 });
          const ts = estimateAlpha(x, method, { minSamples: 500, seed: 5, engine: 'js' });
          expect(Object.is(fast.alpha, ts.alpha)).toBe(true);
          expect(Object.is(fast.sigma, ts.sigma)).toBe(true);
          expect(fast).toEqual(ts);
        }
      }
    }
  });

  it('ecf terms by the rotation recurrence agree with the direct cos(t_k x), sin(t_k x) (a bound in ulps)', () => {
    // One sample at a time, so each grid sum is exactly that sample's term.
    // The recurrence starts from the rounded angles fl(t_0 x) and fl(Δx) and
    // each complex product adds ≲ 3 ulp of modulus/phase error, so after k
    // steps: |error| ≤ u·((6k + 4) + |t_0 x| + k|Δx|), u = 2^-53; the direct
    // form's own rounding of t_k = t_0 + kΔ and of t_k·x adds u·2|t_k x|.
    const u = 2 ** -53;
    const rng = new Rng(51);
    const s = 1.2;
    const tLo = 0.05 / s, dt = (3 / s - tLo) / 49;
    let worst = 0;
    for (let r = 0; r < 400; r++) {
      const x = rng.gaussian() * Math.exp(3 * rng.gaussian()); // |x| from ~1e-4 to ~1e4
      for (const engine of ['auto', 'js'] as const) {
        const { cos, sin } = ecfGridSums([x], tLo, dt, engine);
        for (let k = 0; k < 50; k++) {
          const t = tLo + k * dt;
          const bound = 2 * u * ((6 * k + 4) + Math.abs(tLo * x) + k * Math.abs(dt * x) + 2 * Math.abs(t * x));
          const err = Math.max(Math.abs(cos[k]! - Math.cos(t * x)), Math.abs(sin[k]! - Math.sin(t * x)));
          worst = Math.max(worst, err / bound);
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('ecf grid sums over many samples: WebAssembly and TypeScript agree bit for bit', () => {
    const x = new Float64Array(20_001);
    sampleStable(new Rng(52), 1.7, 1, x);
    const tLo = 0.05 / 1.2, dt = (3 / 1.2 - tLo) / 49;
    const a = ecfGridSums(x, tLo, dt, 'auto'), b = ecfGridSums(x, tLo, dt, 'js');
    expect(Array.from(a.cos)).toEqual(Array.from(b.cos));
    expect(Array.from(a.sin)).toEqual(Array.from(b.sin));
  });
});

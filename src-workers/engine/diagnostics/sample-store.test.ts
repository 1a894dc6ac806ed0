import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng } from '../rng';
import { LagSampleStore } from './sample-store';

/** Upper p-quantile of χ²(df) by the Wilson–Hilferty cube approximation. */
function chi2Critical(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}
const Z_999 = 3.090232306167813; // standard normal 0.999 quantile

function chi2(counts: ArrayLike<number>, expected: number): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += (counts[i]! - expected) ** 2 / expected;
  return s;
}

describe('LagSampleStore: mean, first samples, orientation (§5)', () => {
  it('keeps the running mean and the first firstCap samples in stream order', () => {
    const st = new LagSampleStore({ seed: 1, reservoirSize: 10, firstCap: 5 });
    const xs = [3, -1, 4, 1, -5, 9, 2, -6];
    for (const x of xs) st.push(x);
    expect(st.count).toBe(8);
    expect(st.mean).toBe(7 / 8);
    expect(Array.from(st.firstSamples())).toEqual([3, -1, 4, 1, -5]);
    expect(Array.from(st.reservoir()).sort((a, b) => a - b)).toEqual(xs.slice().sort((a, b) => a - b));
  });

  it('a negative mean flips the mean, every reservoir sample and every first sample', () => {
    const st = new LagSampleStore({ seed: 2, reservoirSize: 4, firstCap: 3 });
    const xs = [-2, 1, -3, -0.5, 0.25, -7, 1.5];
    for (const x of xs) st.push(x);
    const before = Array.from(st.reservoir());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeLessThan(0);
    expect(st.orient(true)).toBe(-1);
    expect(st.mean).toBeCloseTo(-mean, 15);
    expect(Array.from(st.firstSamples())).toEqual([2, -1, 3]);
    expect(Array.from(st.reservoir())).toEqual(before.map((x) => -x));
    expect(st.orient(true)).toBe(-1); // idempotent: orient once
    expect(Array.from(st.firstSamples())).toEqual([2, -1, 3]);
    expect(() => st.push(1)).toThrow(/after orient/);
  });

  it('a positive mean, a zero mean, a non-finite mean or orientation off keep the sign +1', () => {
    const pos = new LagSampleStore({ seed: 3, reservoirSize: 8, firstCap: 8 });
    [1, -0.5, 2].forEach((x) => pos.push(x));
    expect(pos.orient(true)).toBe(1);
    expect(Array.from(pos.firstSamples())).toEqual([1, -0.5, 2]);

    // (i mod 10) - 4.5 sums to exactly 0 over whole periods
    const zero = new LagSampleStore({ seed: 3, reservoirSize: 8, firstCap: 4 });
    for (let i = 0; i < 1000; i++) zero.push((i % 10) - 4.5);
    expect(zero.mean).toBe(0);
    expect(zero.orient(true)).toBe(1);
    expect(Array.from(zero.firstSamples())).toEqual([-4.5, -3.5, -2.5, -1.5]);

    const nan = new LagSampleStore({ seed: 3, reservoirSize: 8, firstCap: 2 });
    [-1, NaN, -2].forEach((x) => nan.push(x));
    expect(nan.orient(true)).toBe(1);
    expect(nan.firstSamples()[0]).toBe(-1);

    const off = new LagSampleStore({ seed: 3, reservoirSize: 8, firstCap: 2 });
    [-1, -2].forEach((x) => off.push(x));
    expect(off.orient(false)).toBe(1);
    expect(off.mean).toBe(-1.5);
  });

  it('the compensated mean is exact where a naive float64 sum is not', () => {
    // 1e16, then 1e6 ones, then -1e16: the exact sum is 1e6
    const st = new LagSampleStore({ seed: 4, reservoirSize: 16, firstCap: 0 });
    st.push(1e16);
    for (let i = 0; i < 1_000_000; i++) st.push(1);
    st.push(-1e16);
    expect(st.mean * st.count).toBe(1e6);
  });
});

describe('LagSampleStore: the reservoir is a uniform sample', () => {
  it('every 2-subset of a 5-stream is equally likely (χ², 10 cells)', () => {
    const R = 20_000;
    const counts = new Float64Array(10);
    const pairIndex = (a: number, b: number): number => {
      const [i, j] = a < b ? [a, b] : [b, a];
      let k = 0;
      for (let p = 0; p < 5; p++) for (let q = p + 1; q < 5; q++, k++) if (p === i && q === j) return k;
      return -1;
    };
    for (let r = 0; r < R; r++) {
      const st = new LagSampleStore({ seed: deriveSeed(2024, r), reservoirSize: 2, firstCap: 0 });
      for (let i = 0; i < 5; i++) st.push(i);
      const res = st.reservoir();
      counts[pairIndex(res[0]!, res[1]!)]! += 1;
    }
    expect(chi2(counts, R / 10)).toBeLessThan(chi2Critical(9, Z_999));
  });

  it('inclusion is uniform over 100 positions (k = 10, χ² over positions)', () => {
    const R = 2000, n = 100, k = 10;
    const counts = new Float64Array(n);
    for (let r = 0; r < R; r++) {
      const st = new LagSampleStore({ seed: deriveSeed(7, r), reservoirSize: k, firstCap: 0 });
      for (let i = 0; i < n; i++) st.push(i);
      const res = st.reservoir();
      expect(res.length).toBe(k);
      expect(new Set(res).size).toBe(k);
      for (const x of res) counts[x]! += 1;
    }
    expect(chi2(counts, (R * k) / n)).toBeLessThan(chi2Critical(n - 1, Z_999));
  });

  it('inclusion is uniform along a long stream (n = 20 000, k = 50, 40 position bins)', () => {
    const R = 400, n = 20_000, k = 50, bins = 40;
    const counts = new Float64Array(bins);
    for (let r = 0; r < R; r++) {
      const st = new LagSampleStore({ seed: deriveSeed(11, r), reservoirSize: k, firstCap: 0 });
      for (let i = 0; i < n; i++) st.push(i);
      for (const x of st.reservoir()) counts[Math.floor((x * bins) / n)]! += 1;
    }
    expect(chi2(counts, (R * k) / bins)).toBeLessThan(chi2Critical(bins - 1, Z_999));
  });

  it('is deterministic given the seed and the stream', () => {
    const a = new LagSampleStore({ seed: 99, reservoirSize: 32, firstCap: 0 });
    const b = new LagSampleStore({ seed: 99, reservoirSize: 32, firstCap: 0, expectedCount: 10 });
    for (let i = 0; i < 5000; i++) {
      a.push(Math.sin(i));
      b.push(Math.sin(i));
    }
    expect(Array.from(b.reservoir())).toEqual(Array.from(a.reservoir()));
  });
});

describe('LagSampleStore: bounded memory', () => {
  it('10^7 samples into a store of 1000: the arrays never grow', () => {
    const st = new LagSampleStore({ seed: 5, reservoirSize: 1000, firstCap: 200 });
    const bytes0 = st.bytes;
    expect(bytes0).toBe((1000 + 200) * 8);
    const resBuf = st.reservoir().buffer;
    for (let i = 0; i < 10_000_000; i++) st.push(i & 1023);
    expect(st.count).toBe(10_000_000);
    expect(st.bytes).toBe(bytes0);
    expect(st.reservoir().buffer).toBe(resBuf);
    expect(st.reservoir().length).toBe(1000);
    expect(st.firstSamples().length).toBe(200);
    // 10^7 = 9765·1024 + 640: the exact sum of (i mod 1024)
    const exactSum = 9765 * (1023 * 1024) / 2 + (639 * 640) / 2;
    expect(st.mean).toBe(exactSum / 1e7);
  });

  it('allocates only what an expected short stream needs, and grows at most to the bound', () => {
    const st = new LagSampleStore({ seed: 6, reservoirSize: 1000, firstCap: 500, expectedCount: 30 });
    expect(st.bytes).toBe(60 * 8);
    for (let i = 0; i < 40; i++) st.push(i);
    expect(st.reservoir().length).toBe(40);
    expect(st.firstSamples().length).toBe(40);
    for (let i = 40; i < 5000; i++) st.push(i);
    expect(st.bytes).toBe((1000 + 500) * 8);
    expect(Array.from(st.firstSamples())).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('LagSampleStore.pushMany', () => {
  it('is push() sample by sample: the same sum, first samples, random draws and reservoir, for any chunking', () => {
    const n = 30_000;
    const rng = new Rng(4);
    // values of mixed magnitude so the compensated sum has work to do
    const xs = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1e12 : 1) * rng.gaussian());
    const configs: { k: number; firstCap: number; expected?: number }[] = [
      { k: 50, firstCap: 300 }, { k: 1000, firstCap: 0, expected: n }, { k: 40_000, firstCap: 5000, expected: 100 },
    ];
    for (const { k, firstCap, expected } of configs) {
      const make = () => new LagSampleStore({ seed: 3, reservoirSize: k, firstCap, ...(expected ? { expectedCount: expected } : {}) });
      for (const chunk of [1, 7, 255, 4096, n]) {
        const ref = make();
        for (let i = 0; i < n; i++) ref.push(xs[i]!);
        const st = make();
        for (let o = 0; o < n; o += chunk) st.pushMany(xs, o, Math.min(chunk, n - o));
        expect(st.count).toBe(n);
        expect(Object.is(st.mean, ref.mean)).toBe(true);
        expect(Array.from(st.firstSamples())).toEqual(Array.from(ref.firstSamples()));
        expect(Array.from(st.reservoir())).toEqual(Array.from(ref.reservoir()));
        expect(st.bytes).toBe(ref.bytes);
        // the random stream is in the same state: later replacements agree too
        for (let i = 0; i < 5000; i++) {
          st.push(-i);
          ref.push(-i);
        }
        expect(Array.from(st.reservoir())).toEqual(Array.from(ref.reservoir()));
      }
    }
  });

  it('refuses samples after orient()', () => {
    const st = new LagSampleStore({ seed: 1, reservoirSize: 4, firstCap: 2 });
    st.pushMany([1, 2, 3], 0, 3);
    st.orient();
    expect(() => st.pushMany([4], 0, 1)).toThrow(/after orient/);
  });
});

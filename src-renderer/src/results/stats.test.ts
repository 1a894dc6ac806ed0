import { describe, expect, it } from 'vitest';
import { aggregateByKey, boxStats, constTau, fitEnvelope, meanStd, median, olsLine, quantileSorted } from './stats';

describe('results/stats', () => {
  it('meanStd: sample standard deviation with divisor n-1', () => {
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(meanStd([7])).toEqual({ mean: 7, std: 0, count: 1 });
    expect(meanStd([]).count).toBe(0);
  });

  it('aggregateByKey skips non-finite values and the not-detected sentinel, keeps every key', () => {
    const r = aggregateByKey([
      { keys: [1, 2, 3], values: [10, -1, NaN] },
      { keys: [1, 2, 3], values: [20, 30, Infinity] },
    ], -1);
    expect(r.map((x) => x.key)).toEqual([1, 2, 3]);
    expect(r[0]).toMatchObject({ mean: 15, count: 2 });
    expect(r[0]!.std).toBeCloseTo(Math.SQRT2 * 5, 12);
    expect(r[1]).toMatchObject({ mean: 30, std: 0, count: 1 });
    expect(r[2]!.count).toBe(0);
    expect(r[2]!.mean).toBeNaN();
  });

  it('olsLine recovers an exact line with R² = 1', () => {
    const x = [0, 1, 2, 5, 9];
    const f = olsLine(x, x.map((v) => 2 + 3 * v));
    expect(f.slope).toBeCloseTo(3, 12);
    expect(f.intercept).toBeCloseTo(2, 12);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(olsLine([1, 1], [1, 2]).slope).toBeNaN();
  });

  it('fitEnvelope picks the regime that generated an exact envelope (§6)', () => {
    const lags = Array.from({ length: 40 }, (_, i) => 3 + 5 * i);
    const exp = fitEnvelope(lags, lags.map((l) => -0.5 - l / 40));
    expect(exp.best).toBe('exp');
    expect(exp.exp.tau_env).toBeCloseTo(40, 9);
    expect(exp.exp.a).toBeCloseTo(-0.5, 9);
    const pow = fitEnvelope(lags, lags.map((l) => 1 - 1.5 * Math.log(l)));
    expect(pow.best).toBe('power');
    expect(pow.power.d).toBeCloseTo(-1.5, 9);
    const lg = fitEnvelope(lags, lags.map((l) => 0.2 - 2 * Math.log(Math.log(l))));
    expect(lg.best).toBe('log');
    expect(lg.log.g).toBeCloseTo(-2, 9);
    expect(lg.log.e).toBeCloseTo(0.2, 9);
    // fewer than 3 finite points: NaN, best falls back to exp
    const few = fitEnvelope([4, 8, 12], [1, NaN, 2]);
    expect(few.exp.r2).toBeNaN();
    expect(few.best).toBe('exp');
  });

  it('constTau is -1/log(1 - s)', () => {
    expect(constTau(0.05)).toBeCloseTo(-1 / Math.log(0.95), 12);
    expect(constTau(1 - Math.exp(-1 / 20))).toBeCloseTo(20, 9);
  });

  it('quantiles and Tukey boxes', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    const b = boxStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 100, NaN, Infinity]);
    // finite values 1..9, 100: q1 = 3.25, q3 = 7.75 (type 7), whisker limit 7.75 + 1.5·4.5 = 14.5
    expect(b.n).toBe(10);
    expect(b.q1).toBeCloseTo(3.25, 12);
    expect(b.median).toBeCloseTo(5.5, 12);
    expect(b.q3).toBeCloseTo(7.75, 12);
    expect(b.outliers).toEqual([100]);
    expect(b.max).toBe(9);
    expect(b.min).toBe(1);
  });
});

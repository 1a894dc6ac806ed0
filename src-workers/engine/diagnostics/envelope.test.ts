import { describe, expect, it } from 'vitest';
import { DiagnosticsAccumulator } from './accumulator';
import { EnvelopeAccumulator, LOG_FLOOR } from './envelope';

describe('EnvelopeAccumulator (§4.3) on hand-made rows', () => {
  it('m_b, f̂, the mean of logs and μ_q follow their definitions', () => {
    // 2 lags, H = 2; sequence 0: lag 0 rows (1,-3), (2, 0); lag 1 row (0, 0)
    //                sequence 1: lag 0 row (-4, 4);        lag 1 row (0.5, -0.5)
    const env = new EnvelopeAccumulator(2, 2);
    env.addRow(0, [1, -3]);
    env.addRow(0, [2, 0]);
    env.addRow(1, [0, 0]);
    env.endSequence();
    env.addRow(0, [-4, 4]);
    env.addRow(1, [0.5, -0.5]);
    env.endSequence();
    const r = env.result();
    // lag 0: m_0 = (1+3+2+0)/4 = 1.5, m_1 = 8/2 = 4
    expect(r.muL1Mean[0]).toBe((1.5 + 4) / 2);
    expect(r.logMuL1Mean[0]).toBeCloseTo((Math.log(1.5) + Math.log(4)) / 2, 15);
    // μ_q over (b,t) rows: q0 (1+2+4)/3, q1 (3+0+4)/3
    expect(r.muUnits[0]![0]).toBeCloseTo(7 / 3, 15);
    expect(r.muUnits[0]![1]).toBeCloseTo(7 / 3, 15);
    // lag 1: m_0 = 0 (log floor 1e-30), m_1 = 0.5
    expect(r.muL1Mean[1]).toBe(0.25);
    expect(r.logMuL1Mean[1]).toBeCloseTo((Math.log(LOG_FLOOR) + Math.log(0.5)) / 2, 12);
    expect(Array.from(r.muUnits[1]!)).toEqual([0.25, 0.25]);
    expect(r.nSeq).toBe(2);
  });
});

describe('ConstGate with include_first_order_diag 0 (§4.3 closed form)', () => {
  it('f̂(ℓ) = (1 - s)^ℓ to 1e-12, log f̂ = ℓ log(1 - s), every μ_q equal', () => {
    const s = 0.05, T = 80, H = 5, B = 3;
    const lags = [1, 2, 4, 9, 17, 40, 79];
    const leak = new Float64Array(T * B * H).fill(1 - s);
    const rdiag = new Float64Array(T * B * H).fill(0.123); // ignored at order 0
    const acc = new DiagnosticsAccumulator({ arch: 'const', H, T, lags, includeFirstOrder: false, wSeed: 1, firstCap: 10 });
    const v = new Float64Array(T * B * H).fill(0.5);
    const yhat = new Float64Array(T * B).fill(1);
    const y = new Float64Array(T * B);
    const wOut = new Float64Array(H).fill(1);
    acc.addBatch({ B, record: { leak, rdiag }, v, yhat, y, wOut, wOff: 0 });
    const env = acc.finish(true);
    lags.forEach((lag, i) => {
      const want = Math.pow(1 - s, lag);
      expect(Math.abs(env.muL1Mean[i]! / want - 1)).toBeLessThan(1e-12);
      expect(Math.abs(env.logMuL1Mean[i]! / (lag * Math.log(1 - s)) - 1)).toBeLessThan(1e-12);
      for (let q = 0; q < H; q++) expect(env.muUnits[i]![q]).toBe(env.muUnits[i]![0]);
      expect(Math.abs(env.muUnits[i]![0]! / want - 1)).toBeLessThan(1e-12);
      // ψ = μ·Σ_q δ_q v_q = (1-s)^ℓ · (ŷ-y) · H · 1 · 0.5, the same for every (b, t)
      const st = acc.stores[i]!;
      expect(st.count).toBe(B * (T - lag));
      expect(Math.abs(st.mean / (want * H * 0.5) - 1)).toBeLessThan(1e-12);
    });
  });
});

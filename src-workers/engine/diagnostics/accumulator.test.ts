import { describe, expect, it } from 'vitest';
import type { Arch } from '../models/types';
import { RECORDED_TERMS } from '../models/types';
import { Rng } from '../rng';
import { DiagnosticsAccumulator } from './accumulator';
import { bruteMu, packBatch, randomTerms } from './test-helpers';

describe('ψ (§5) on a hand-built tiny case', () => {
  it('equals Σ_q μ δ v evaluated from the definition, in sequence-major, time-minor order', () => {
    const T = 5, B = 2, H = 2, lags = [1, 2, 4];
    for (const arch of ['diag', 'gru', 'lstm'] as Arch[]) {
      const record = randomTerms(arch, T, B, H, 31);
      const rng = new Rng(32);
      const v = Float64Array.from({ length: T * B * H }, () => rng.range(-1, 1));
      const yhat = Float64Array.from({ length: T * B }, () => rng.range(-1, 1));
      const y = Float64Array.from({ length: T * B }, () => rng.range(-1, 1));
      const params = Float64Array.from([9, 9, 0.7, -1.3, 9]); // W_out at offset 2
      const acc = new DiagnosticsAccumulator({ arch, H, T, lags, includeFirstOrder: true, wSeed: 3, firstCap: 100 });
      acc.addBatch({ B, record, v, yhat, y, wOut: params, wOff: 2 });
      lags.forEach((lag, i) => {
        const want: number[] = [];
        for (let b = 0; b < B; b++) {
          for (let t = lag; t < T; t++) {
            let psi = 0;
            for (let q = 0; q < H; q++) {
              const mu = bruteMu(arch, record, B, H, b, t, q, lag, true).mu;
              const delta = (yhat[t * B + b]! - y[t * B + b]!) * params[2 + q]!;
              psi += mu * delta * v[((t - lag) * B + b) * H + q]!;
            }
            want.push(psi);
          }
        }
        const got = Array.from(acc.stores[i]!.firstSamples());
        expect(got.length).toBe(B * (T - lag));
        got.forEach((g, k) => expect(Math.abs(g - want[k]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k]!))));
      });
    }
  });
});

describe('per-lag results do not depend on the diagnostic batch size', () => {
  it('same samples in the same order ⇒ identical mean, first samples, reservoir and envelope', () => {
    const arch: Arch = 'gru';
    const nSeq = 7, T = 12, H = 3, lags = [1, 3, 5, 11];
    // per-sequence data [nSeq][T][·], then packed time-major per batch
    const perSeq: Record<string, Float64Array> = {};
    const terms = randomTerms(arch, T, nSeq, H, 5); // [T][nSeq][H]: reorder to [nSeq][T][H]
    for (const name of RECORDED_TERMS[arch]) {
      const a = new Float64Array(nSeq * T * H);
      for (let s = 0; s < nSeq; s++) for (let t = 0; t < T; t++) for (let q = 0; q < H; q++) a[(s * T + t) * H + q] = terms[name]![(t * nSeq + s) * H + q]!;
      perSeq[name] = a;
    }
    const rng = new Rng(6);
    const vS = Float64Array.from({ length: nSeq * T * H }, () => rng.gaussian());
    const yhS = Float64Array.from({ length: nSeq * T }, () => rng.gaussian());
    const yS = Float64Array.from({ length: nSeq * T }, () => rng.gaussian());
    const wOut = Float64Array.from([0.3, -0.8, 1.1]);

    const run = (bs: number): DiagnosticsAccumulator => {
      const acc = new DiagnosticsAccumulator({ arch, H, T, lags, includeFirstOrder: true, wSeed: 42, firstCap: 20, reservoirSize: 8, nSeqExpected: nSeq });
      for (let start = 0; start < nSeq; start += bs) {
        const B = Math.min(bs, nSeq - start);
        const record: Record<string, Float64Array> = {};
        for (const name of RECORDED_TERMS[arch]) record[name] = packBatch(perSeq[name]!, T, H, start, B);
        acc.addBatch({ B, record, v: packBatch(vS, T, H, start, B), yhat: packBatch(yhS, T, 1, start, B), y: packBatch(yS, T, 1, start, B), wOut, wOff: 0 });
      }
      return acc;
    };
    const ref = run(nSeq);
    const refEnv = ref.finish(true);
    for (const bs of [1, 2, 3, 5]) {
      const acc = run(bs);
      const env = acc.finish(true);
      expect(acc.sequences).toBe(nSeq);
      expect(Array.from(env.muL1Mean)).toEqual(Array.from(refEnv.muL1Mean));
      expect(Array.from(env.logMuL1Mean)).toEqual(Array.from(refEnv.logMuL1Mean));
      env.muUnits.forEach((u, i) => expect(Array.from(u)).toEqual(Array.from(refEnv.muUnits[i]!)));
      lags.forEach((lag, i) => {
        const a = acc.stores[i]!, r = ref.stores[i]!;
        expect(a.count).toBe(nSeq * (T - lag));
        expect(a.mean).toBe(r.mean);
        expect(a.orientation).toBe(r.orientation);
        expect(Array.from(a.firstSamples())).toEqual(Array.from(r.firstSamples()));
        expect(Array.from(a.reservoir())).toEqual(Array.from(r.reservoir()));
      });
    }
  });

  it('rejects lags outside [1, T-1]', () => {
    expect(() => new DiagnosticsAccumulator({ arch: 'const', H: 1, T: 5, lags: [5], includeFirstOrder: false, wSeed: 0, firstCap: 1 })).toThrow(/lag 5/);
    expect(() => new DiagnosticsAccumulator({ arch: 'const', H: 1, T: 5, lags: [0], includeFirstOrder: false, wSeed: 0, firstCap: 1 })).toThrow(/lag 0/);
  });
});

import { describe, expect, it } from 'vitest';
import { ARCHS } from '../models/types';
import { clampFactor, MuPrefix } from './mu';
import { bruteMu, randomTerms } from './test-helpers';

describe('clampFactor', () => {
  it('clamps to [1e-12, 1]', () => {
    expect(clampFactor(0)).toBe(1e-12);
    expect(clampFactor(-3)).toBe(1e-12);
    expect(clampFactor(1e-14)).toBe(1e-12);
    expect(clampFactor(0.3)).toBe(0.3);
    expect(clampFactor(1.5)).toBe(1);
    expect(clampFactor(NaN)).toBe(1e-12);
  });
});

describe('μ by prefix sums equals the window product and sum (§4.2)', () => {
  const T = 14, B = 3, H = 4;
  for (const arch of ARCHS) {
    for (const first of [false, true]) {
      it(`${arch}, include_first_order_diag ${first ? 1 : 0}, every lag 1..T-1`, () => {
        const terms = randomTerms(arch, T, B, H, 1000 + ARCHS.indexOf(arch));
        const p = new MuPrefix(arch, H, T, first);
        const row = new Float64Array(H);
        let worst = 0;
        let checked = 0;
        for (let b = 0; b < B; b++) {
          p.build(terms, B, T, b);
          for (let lag = 1; lag < T; lag++) {
            for (let t = lag; t < T; t++) {
              p.row(t, lag, row);
              for (let q = 0; q < H; q++) {
                const ref = bruteMu(arch, terms, B, H, b, t, q, lag, first);
                const err = Math.abs(row[q]! - ref.mu) / Math.max(ref.scale, 1e-300);
                worst = Math.max(worst, err);
                checked++;
              }
            }
          }
        }
        expect(checked).toBe(B * H * ((T - 1) * T) / 2);
        expect(worst).toBeLessThan(1e-12);
      });
    }
  }

  it('a shorter T than maxT and a rebuilt prefix give the same rows', () => {
    const T = 9, B = 2, H = 3;
    const terms = randomTerms('gru', T, B, H, 77);
    const big = new MuPrefix('gru', H, 40, true);
    const row = new Float64Array(H);
    big.build(terms, B, T, 1);
    big.build(terms, B, T, 0); // rebuilding overwrites everything
    for (let lag = 1; lag < T; lag++) {
      for (let t = lag; t < T; t++) {
        big.row(t, lag, row);
        for (let q = 0; q < H; q++) {
          const ref = bruteMu('gru', terms, B, H, 0, t, q, lag, true);
          expect(Math.abs(row[q]! - ref.mu)).toBeLessThanOrEqual(1e-12 * ref.scale);
        }
      }
    }
  });

  it('a saturated gate (leak 0 → 1e-12, ratio ~1e12) does not spoil later windows', () => {
    // one sequence, one unit: leak_0 = 0 with rdiag_0 = 0.7 puts 7e11 into the
    // ratio prefix; windows after it hold O(1) terms and must stay exact.
    const T = 200, H = 1, B = 1;
    const leak = new Float64Array(T).fill(0.9);
    const rdiag = new Float64Array(T);
    leak[0] = 0;
    rdiag[0] = 0.7;
    for (let t = 1; t < T; t++) rdiag[t] = 0.01 * Math.sin(t) + 1e-3;
    const terms = { leak, rdiag };
    const p = new MuPrefix('diag', H, T, true);
    p.build(terms, B, T, 0);
    const row = new Float64Array(1);
    for (const lag of [1, 3, 10, 50]) {
      for (let t = lag; t < T; t++) {
        p.row(t, lag, row);
        const ref = bruteMu('diag', terms, B, H, 0, t, 0, lag, true);
        expect(Math.abs(row[0]! - ref.mu)).toBeLessThanOrEqual(1e-13 * ref.scale);
      }
    }
  });

  it('ConstGate-like constant leak: μ⁰ = (1-s)^ℓ and μ¹ = ℓ·(1-s)^(ℓ-1)·rdiag', () => {
    const T = 64, H = 2, B = 1, s = 0.05;
    const leak = new Float64Array(T * H).fill(1 - s);
    const rdiag = new Float64Array(T * H).fill(0.02);
    const p = new MuPrefix('const', H, T, true);
    p.build({ leak, rdiag }, B, T, 0);
    const p0 = new MuPrefix('const', H, T, false);
    p0.build({ leak, rdiag }, B, T, 0);
    const row = new Float64Array(H);
    for (const lag of [1, 7, 33, 63]) {
      const m0 = Math.pow(1 - s, lag);
      p0.row(T - 1, lag, row);
      expect(Math.abs(row[0]! / m0 - 1)).toBeLessThan(1e-13);
      p.row(T - 1, lag, row);
      const want = m0 + lag * Math.pow(1 - s, lag - 1) * 0.02;
      expect(Math.abs(row[1]! / want - 1)).toBeLessThan(1e-13);
    }
  });

  it('lstm uses e_{j-1} with e_{-1} = 0 only at the window start j = 0', () => {
    // closed form with constant f, e, cdiag: μ¹ = μ⁰ · ℓ · cdiag·e/f (every j ≥ 1)
    const T = 10, H = 1, B = 1, f = 0.8, e = 0.6, c = 0.3;
    const forget = new Float64Array(T).fill(f);
    const expr = new Float64Array(T).fill(e);
    const cdiag = new Float64Array(T).fill(c);
    const p = new MuPrefix('lstm', H, T, true);
    p.build({ forget, expr, cdiag }, B, T, 0);
    const row = new Float64Array(1);
    for (let lag = 1; lag < T; lag++) {
      p.row(T - 1, lag, row);
      const m0 = e * Math.pow(f, lag);
      expect(Math.abs(row[0]! - (m0 + m0 * lag * (c * e) / f))).toBeLessThan(1e-14);
    }
  });

  it('rejects a missing term and a T above maxT', () => {
    const p = new MuPrefix('gru', 2, 4, true);
    expect(() => p.build({ leak: new Float64Array(8), rdiag: new Float64Array(8) }, 1, 4, 0)).toThrow(/'r'/);
    expect(() => p.build(randomTerms('gru', 5, 1, 2, 1), 1, 5, 0)).toThrow(/maxT/);
  });
});

import { describe, expect, it } from 'vitest';
import { constTau, fitEnvelope, fitMasterLaw, fitUnitTimescales, olsLine, type MasterRow } from './fits';
import { kappa } from './theory';

const lags = Array.from({ length: 32 }, (_, i) => 4 + 4 * i); // 4..128

describe('olsLine', () => {
  it('recovers an exact line and gives R² from its definition', () => {
    const f = olsLine([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(f.slope).toBeCloseTo(2, 14);
    expect(f.intercept).toBeCloseTo(1, 14);
    expect(f.r2).toBeCloseTo(1, 14);
    // y = x + (1,-1,1,-1): SST = 5 + 4 = … computed by hand: slope 0.6, R² = 1 - SSE/SST
    const g = olsLine([1, 2, 3, 4], [2, 1, 4, 3]);
    expect(g.slope).toBeCloseTo(0.6, 14); // Sxy = 3, Sxx = 5
    expect(g.r2).toBeCloseTo(1 - 3.2 / 5, 14); // SST = 5, SSE = 5 - 0.6·3
  });
});

describe('fitUnitTimescales', () => {
  it('recovers τ and C from exact exponential curves; τ = ∞ for non-decaying units', () => {
    const units = [
      lags.map((l) => 0.7 * Math.exp(-l / 12.5)),
      lags.map((l) => 2 * Math.exp(l / 50)),
      lags.map((l, i) => (i < 28 ? 0 : Math.exp(-l))), // only 4 positive points
    ];
    const r = fitUnitTimescales(lags, units);
    expect(r[0]!.unit_id).toBe(0);
    expect(r[0]!.tau).toBeCloseTo(12.5, 9);
    expect(r[0]!.C).toBeCloseTo(0.7, 12);
    expect(r[0]!.a).toBeCloseTo(Math.log(0.7), 12);
    expect(r[0]!.b).toBeCloseTo(-1 / 12.5, 14);
    expect(r[0]!.r2).toBeCloseTo(1, 12);
    expect(r[0]!.num_points).toBe(32);
    expect(r[1]!.tau).toBe(Infinity);
    expect(r[1]!.b).toBeCloseTo(1 / 50, 14);
    expect(r[2]!.num_points).toBe(4);
    expect(r[2]!.tau).toBeNaN();
  });
  it("ConstGate: μ = (1-s)^ℓ gives τ = -1/log(1-s) = constTau(s)", () => {
    const s = 0.05;
    const r = fitUnitTimescales(lags, [lags.map((l) => (1 - s) ** l)]);
    expect(r[0]!.tau).toBeCloseTo(-1 / Math.log(0.95), 9);
    expect(constTau(s)).toBeCloseTo(-1 / Math.log(0.95), 12);
    expect(constTau(0.005)).toBeCloseTo(199.4991, 3); // ≈ 1/s - 1/2
  });
});

describe('fitEnvelope', () => {
  it('exponential curve: exp regime exact and best', () => {
    const r = fitEnvelope(lags, lags.map((l) => -0.3 - l / 40));
    expect(r.exp.a).toBeCloseTo(-0.3, 12);
    expect(r.exp.tau_env).toBeCloseTo(40, 9);
    expect(r.exp.r2).toBeCloseTo(1, 12);
    expect(r.best).toBe('exp');
  });
  it('power curve: power regime exact and best', () => {
    const r = fitEnvelope(lags, lags.map((l) => 1.2 - 0.8 * Math.log(l)));
    expect(r.power.c).toBeCloseTo(1.2, 12);
    expect(r.power.d).toBeCloseTo(-0.8, 12);
    expect(r.power.r2).toBeCloseTo(1, 12);
    expect(r.best).toBe('power');
  });
  it('log-log curve: log regime on lags > 1 only, non-finite values skipped', () => {
    const ls = [1, ...lags];
    const y = ls.map((l) => (l === 1 ? Number.NEGATIVE_INFINITY : 0.5 - 1.5 * Math.log(Math.log(l))));
    y[5] = NaN;
    const r = fitEnvelope(ls, y);
    expect(r.log.e).toBeCloseTo(0.5, 11);
    expect(r.log.g).toBeCloseTo(-1.5, 11);
    expect(r.log.r2).toBeCloseTo(1, 12);
    expect(r.best).toBe('log');
  });
});

describe('fitMasterLaw', () => {
  // Exact theory rows: N = (εσ/(c f))^κ with εσ/c = 1 ⇒ log N = -κ log f (slope 1).
  const rows: MasterRow[] = lags.map((l, i) => {
    const alpha = 1.2 + (i % 7) * 0.1;
    const f = Math.exp(-l / 60);
    return { N_required: f ** -kappa(alpha), mu_l1_mean: f, alpha_hat: alpha };
  });
  it('slope 1, intercept 0, R² 1 on exact rows; α̂ floored at 1.01; -1 rows ignored', () => {
    const f = 0.5;
    const extra: MasterRow[] = [
      { N_required: f ** -kappa(1.01), mu_l1_mean: f, alpha_hat: 1.0 },
      { N_required: -1, mu_l1_mean: 0.001, alpha_hat: 1.5 },
    ];
    const r = fitMasterLaw([...rows, ...extra])!;
    expect(r.slope).toBeCloseTo(1, 10);
    expect(r.intercept).toBeCloseTo(0, 9);
    expect(r.r2).toBeCloseTo(1, 12);
    expect(r.n).toBe(33);
  });
  it('null with fewer than minPoints points or fewer than 3 distinct N', () => {
    expect(fitMasterLaw(rows.slice(0, 9))).toBeNull();
    expect(fitMasterLaw(rows.slice(0, 9), 5)).not.toBeNull();
    const two: MasterRow[] = Array.from({ length: 12 }, (_, i) => ({ N_required: i % 2 ? 100 : 200, mu_l1_mean: 0.1 + i * 0.01, alpha_hat: 1.5 }));
    expect(fitMasterLaw(two)).toBeNull();
  });
});

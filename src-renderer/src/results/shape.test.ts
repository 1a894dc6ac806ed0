import { describe, expect, it } from 'vitest';
import { theoryHN } from '../../../src-shared/theory-closed-form';
import { shapeExperiment, withCurves } from './shape';
import { BASE_SPEC, synthConfig, synthRuns, type SynthSpec } from './test-fixtures';
import { fittedEnvelope, regimeParams, theoryNs, theoryParams } from './theory-rule';

describe('results/shape + theory-rule on exact synthetic diagnostics', () => {
  const s: SynthSpec = { ...BASE_SPEC, unreliableLags: [4, 8] };
  const cfg = synthConfig(s);
  const res = shapeExperiment(cfg, synthRuns(s));
  const kap = s.alpha / (s.alpha - 1);

  it('groups by architecture in the configuration order', () => {
    expect(res.archs.map((a) => a.arch)).toEqual(['const', 'gru']);
    expect(res.archs[0]!.seeds).toEqual([1, 2]);
  });

  it('envelope: the seed-mean log envelope and its refit are the generating line (offsets cancel)', () => {
    const a = res.archs[0]!;
    for (const p of a.envelope) {
      expect(p.logF.mean).toBeCloseTo(s.a + s.b * p.ell, 12);
      // two seeds at ±0.1: sample std = 0.1·√2
      expect(p.logF.std).toBeCloseTo(0.1 * Math.SQRT2, 12);
    }
    expect(a.envelopeFit!.best).toBe('exp');
    expect(a.envelopeFit!.exp.tau_env).toBeCloseTo(-1 / s.b, 9);
  });

  it('theory parameters: regime, f0, τ, α, σ and c recovered (report rule)', () => {
    const t = res.archs[1]!.theory;
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.regime).toBe('exp');
    expect(t.params.tau!).toBeCloseTo(-1 / s.b, 9);
    expect(t.params.f0).toBeCloseTo(Math.exp(s.a), 9);
    expect(t.params.alpha).toBe(s.alpha);
    expect(t.params.sigma).toBe(s.sigma);
    // m̄ = c f̂_s, f_fit = seed-mean: log ratios log c ± 0.1, median log c
    expect(t.params.c).toBeCloseTo(s.c, 9);
    // closed form H_N = τ (log(c f0/(εσ)) + (1/κ) log N), restated here
    for (const p of t.points) {
      const expected = Math.max(0, (-1 / s.b) * (Math.log((s.c * Math.exp(s.a)) / (s.eps * s.sigma)) + Math.log(p.N) / kap));
      expect(p.H_N).toBeCloseTo(expected, 9);
    }
    expect(t.points.map((p) => p.N)).toEqual(theoryNs(s.Ns));
  });

  it('master law: N_required = (εσ/(c f))^κ makes log N exactly linear in −κ log f with slope 1', () => {
    const a = res.archs[0]!;
    expect(a.master.length).toBe(2 * (s.lags.length - 2)); // undetected lags 4, 8 excluded
    expect(a.masterPooled.slope).toBeCloseTo(1, 9);
    expect(a.masterPooled.intercept).toBeCloseTo(kap * Math.log((s.eps * s.sigma) / s.c), 9);
    expect(a.masterPooled.r2).toBeCloseTo(1, 9);
    for (const p of a.master) expect(p.x).toBeCloseTo(-kap * (s.a + s.b * p.ell + (p.seed === 1 ? -0.1 : 0.1)), 9);
  });

  it('α̂ and σ̂ per lag use reliable estimates only; unreliable ones are kept as points', () => {
    const a = res.archs[0]!;
    const at4 = a.alpha.find((x) => x.key === 4)!;
    expect(at4.count).toBe(0);
    const at12 = a.alpha.find((x) => x.key === 12)!;
    expect(at12).toMatchObject({ mean: s.alpha, std: 0, count: 2 });
    expect(a.alphaPoints.filter((p) => !p.reliable).map((p) => p.ell).sort((x, y) => x - y)).toEqual([4, 4, 8, 8]);
    expect(a.sigma.find((x) => x.key === 12)!.mean).toBe(s.sigma);
  });

  it('H_N aggregate matches the §5.2 definition per seed', () => {
    const a = res.archs[0]!;
    for (const h of a.hn) {
      const perSeed = a.diags.map(({ d }) => d.summary.reduce((m, r) => (r.N_required_at_eps !== -1 && r.N_required_at_eps <= h.key && r.ell > m ? r.ell : m), 0));
      expect(h.mean).toBeCloseTo((perSeed[0]! + perSeed[1]!) / 2, 12);
      expect(h.count).toBe(2);
    }
  });

  it('τ: closed form for ConstGate only, per-unit values pooled over seeds', () => {
    expect(res.archs[0]!.tauClosedForm).toBeCloseTo(-1 / Math.log(1 - 0.05), 12);
    expect(res.archs[1]!.tauClosedForm).toBeNull();
    expect(res.archs[0]!.tau.sort((x, y) => x - y)).toEqual([10, 10, 20, 20, 30, 30, 40, 40]);
    expect(res.archs[0]!.tauBox.median).toBe(25);
  });

  it('learning curves and gate statistics: seed mean per epoch', () => {
    const a = res.archs[0]!;
    // train_loss = 1/(e+1+si), si = 0, 1
    a.curves.train_loss.forEach((st) => expect(st.mean).toBeCloseTo((1 / (st.key + 1) + 1 / (st.key + 2)) / 2, 12));
    expect(a.gates.get('leak_mean')![0]!.mean).toBeCloseTo(0.905, 12);
  });

  it('withCurves: lean results (no curves) plus the curves fetched later aggregate like the full results', () => {
    const full = synthRuns(s);
    const lean = full.map((r) => ({ ...r, result: { ...r.result, curve: [], gateStats: [] } }));
    const shapedLean = shapeExperiment(cfg, lean);
    expect(shapedLean.archs[0]!.curves.train_loss).toEqual([]);
    // the curves of every run but the last (that one keeps its empty lists)
    const map = new Map(full.slice(0, -1).map((r) => [r.record.id, { curve: r.result.curve, gateStats: r.result.gateStats }]));
    const done = withCurves(shapedLean, map);
    const const0 = done.archs[0]!;
    // const: seeds 1 and 2, si = 0, 1: train_loss seed mean (1/(e+1) + 1/(e+2))/2, leak_mean (0.90 + 0.91)/2
    const0.curves.train_loss.forEach((st) => expect(st.mean).toBeCloseTo((1 / (st.key + 1) + 1 / (st.key + 2)) / 2, 12));
    expect(const0.gates.get('leak_mean')!.map((g) => g.mean)).toEqual(Array.from({ length: s.epochs }, () => expect.closeTo(0.905, 12)));
    expect(const0.runs.map((r) => r.result.curve.length)).toEqual([s.epochs, s.epochs]);
    // gru, seed 2 is the last run: only seed 1's curve (si = 0: 1/(e+1))
    const gru = done.archs[1]!;
    expect(gru.runs.map((r) => r.result.curve.length)).toEqual([s.epochs, 0]);
    gru.curves.train_loss.forEach((st) => {
      expect(st.count).toBe(1);
      expect(st.mean).toBeCloseTo(1 / (st.key + 1), 12);
    });
    // everything else is the lean shaping's, shared; the lean object is not changed
    for (const k of ['hn', 'envelope', 'alpha', 'master', 'theory', 'diags', 'tauBox'] as const) expect(const0[k]).toBe(shapedLean.archs[0]![k]);
    expect(shapedLean.archs[0]!.runs.map((r) => r.result.curve.length)).toEqual([0, 0]);
    expect(done.Ns).toEqual(shapedLean.Ns);
  });

  it('theory rule: non-decaying fits and missing reliable α̂ give a reason, not a curve', () => {
    const fit = { exp: { a: 0, b: 0.1, r2: 0.9, tau_env: Infinity }, power: { c: 0, d: 0, r2: 0.1 }, log: { e: 0, g: 0, r2: 0.1 }, best: 'exp' as const };
    expect(typeof regimeParams(fit, 'exp')).toBe('string');
    const decaying = { ...fit, exp: { a: 0, b: -0.1, r2: 0.9, tau_env: 10 } };
    expect(theoryParams(decaying, [{ alpha: 1.5, sigma: 1, reliable: false }], [[{ ell: 4, mbar_scalar: 1 }]], 0.1)).toBe('no reliable tail index α̂ at any lag');
    const ok = theoryParams(decaying, [{ alpha: 1.005, sigma: 1, reliable: true }], [[{ ell: 4, mbar_scalar: Math.exp(-0.4) * 3 }]], 0.1);
    expect(typeof ok).not.toBe('string');
    if (typeof ok !== 'string') {
      expect(ok.params.alpha).toBe(1.01); // floored like the master law
      expect(ok.params.c).toBeCloseTo(3, 12);
      expect(fittedEnvelope(decaying, 'exp', 10)).toBeCloseTo(Math.exp(-1), 12);
      // H_N at the crossing: f(H_N) = θ_N = (εσ/c) N^{-1/κ}
      const N = 500;
      const h = theoryHN(ok.params, N);
      expect(fittedEnvelope(decaying, 'exp', h)).toBeCloseTo((0.1 * 1 / 3) * Math.pow(N, -(1 - 1 / 1.01)), 9);
    }
  });
});

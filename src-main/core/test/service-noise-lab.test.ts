/**
 * The noise lab's Api methods (sampleStable, estimateAlpha, noiseLabSweep)
 * through the real service: laws of the draws (SCIENCE.md §5.1: α = 2 is the
 * normal law with variance 2σ², α = 1 the Cauchy law with median |X| = σ),
 * the estimators recovering the truth, the sweep's statistics against their
 * definitions, and every kind of invalid argument.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOISE_LAB_LIMITS } from '../../../src-shared/api';
import { apiError, testService } from './service-helpers';

describe('noise lab Api', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ workers: 1, paused: true });
  });
  afterAll(async () => s.cleanup());

  it('sampleStable: reproducible, linear in the scale, normal at α = 2 and Cauchy at α = 1', async () => {
    const a = await s.api.sampleStable({ alpha: 1.5, scale: 1, n: 1000, seed: 7 });
    const b = await s.api.sampleStable({ alpha: 1.5, scale: 1, n: 1000, seed: 7 });
    const c = await s.api.sampleStable({ alpha: 1.5, scale: 2, n: 1000, seed: 7 });
    expect(a.samples).toBeInstanceOf(Float64Array);
    expect(a.samples).toHaveLength(1000);
    expect(Array.from(b.samples)).toEqual(Array.from(a.samples));
    // CMS: X = scale · (function of V, W), so doubling the scale doubles each sample
    for (let i = 0; i < 1000; i++) expect(c.samples[i]).toBeCloseTo(2 * a.samples[i]!, 12);

    // α = 2, σ = 1.5: N(0, 2σ²) = variance 4.5; standard error of the variance ≈ 4.5·sqrt(2/n) ≈ 0.045
    const g = (await s.api.sampleStable({ alpha: 2, scale: 1.5, n: 20_000, seed: 3 })).samples;
    let m = 0;
    for (const x of g) m += x;
    m /= g.length;
    let v = 0;
    for (const x of g) v += (x - m) ** 2;
    v /= g.length - 1;
    expect(Math.abs(m)).toBeLessThan(0.1); // sd of the mean ≈ 0.015
    expect(v).toBeGreaterThan(4.5 - 0.25);
    expect(v).toBeLessThan(4.5 + 0.25);

    // α = 1, σ = 2: Cauchy, P(|X| < 2) = 1/2 (binomial sd 0.0035 at n = 20 000)
    const cy = (await s.api.sampleStable({ alpha: 1, scale: 2, n: 20_000, seed: 4 })).samples;
    const inside = cy.reduce((k, x) => k + (Math.abs(x) < 2 ? 1 : 0), 0) / cy.length;
    expect(Math.abs(inside - 0.5)).toBeLessThan(0.02);
  });

  it('estimateAlpha: both estimators recover (α, σ) of a large draw; samples and draw agree', async () => {
    for (const method of ['ecf', 'mcculloch'] as const) {
      const e = await s.api.estimateAlpha({ draw: { alpha: 1.5, scale: 2, n: 100_000, seed: 11 }, method });
      expect(e.method).toBe(method);
      expect(e.n).toBe(100_000);
      expect(e.reliable).toBe(true);
      expect(Math.abs(e.alpha - 1.5)).toBeLessThan(0.05);
      expect(Math.abs(e.sigma - 2) / 2).toBeLessThan(0.05);
      expect(e.ms).toBeGreaterThanOrEqual(0);
    }
    const d = await s.api.sampleStable({ alpha: 1.3, scale: 1, n: 5000, seed: 5 });
    const viaDraw = await s.api.estimateAlpha({ draw: { alpha: 1.3, scale: 1, n: 5000, seed: 5 }, method: 'ecf' });
    const viaSamples = await s.api.estimateAlpha({ samples: d.samples, method: 'ecf', seed: 5 });
    const viaList = await s.api.estimateAlpha({ samples: Array.from(d.samples), method: 'ecf', seed: 5 });
    expect(viaSamples.alpha).toBe(viaDraw.alpha);
    expect(viaList.sigma).toBe(viaDraw.sigma);
  });

  it('estimateAlpha: fewer samples than minSamples ⇒ unreliable with α̂ = 2, σ̂ = 0 (§5.1)', async () => {
    const e = await s.api.estimateAlpha({ draw: { alpha: 1.2, scale: 1, n: 100, seed: 1 }, method: 'mcculloch', minSamples: 500 });
    expect(e).toMatchObject({ alpha: 2, sigma: 0, reliable: false, n: 100 });
    // non-finite samples are dropped before counting
    const f = await s.api.estimateAlpha({ samples: [1, 2, NaN, Infinity, 3], method: 'ecf', minSamples: 4 });
    expect(f).toMatchObject({ alpha: 2, sigma: 0, reliable: false, n: 3 });
  });

  it('noiseLabSweep: one row per (α, n, method) with the statistics of their definitions', async () => {
    const seeds = [1, 2, 3, 4];
    const r = await s.api.noiseLabSweep({ alphas: [1.2, 1.8], ns: [500, 4000], seeds, methods: ['ecf', 'mcculloch'] });
    expect(r.scale).toBe(1);
    expect(r.rows.map((x) => [x.alpha, x.n, x.method])).toEqual([
      [1.2, 500, 'ecf'], [1.2, 500, 'mcculloch'], [1.2, 4000, 'ecf'], [1.2, 4000, 'mcculloch'],
      [1.8, 500, 'ecf'], [1.8, 500, 'mcculloch'], [1.8, 4000, 'ecf'], [1.8, 4000, 'mcculloch'],
    ]);
    for (const row of r.rows) {
      expect(row.trials).toBe(4);
      // each cell re-derived from the single draws it summarises
      const est = await Promise.all(seeds.map((seed) => s.api.estimateAlpha({ draw: { alpha: row.alpha, scale: 1, n: row.n, seed }, method: row.method })));
      const a = est.map((e) => e.alpha);
      const mean = a.reduce((p, x) => p + x, 0) / 4;
      const sd = Math.sqrt(a.reduce((p, x) => p + (x - mean) ** 2, 0) / 3);
      const rmse = Math.sqrt(a.reduce((p, x) => p + (x - row.alpha) ** 2, 0) / 4);
      expect(row.mean_alpha_hat).toBeCloseTo(mean, 12);
      expect(row.std).toBeCloseTo(sd, 12);
      expect(row.rmse).toBeCloseTo(rmse, 12);
      // rmse² = bias² + (k-1)/k · sd² (decomposition of the mean squared error)
      expect(row.rmse ** 2).toBeCloseTo((mean - row.alpha) ** 2 + (3 / 4) * sd ** 2, 12);
      expect(row.reliable_fraction).toBe(est.filter((e) => e.reliable).length / 4);
      expect(row.mean_sigma_hat).toBeCloseTo(est.reduce((p, e) => p + e.sigma, 0) / 4, 12);
      if (row.n === 4000) expect(row.rmse).toBeLessThan(0.15);
    }
  });

  it('rejects invalid arguments with field errors', async () => {
    const cases: [string, () => Promise<unknown>, string][] = [
      ['no argument', () => s.api.sampleStable(undefined as never), ''],
      ['alpha > 2', () => s.api.sampleStable({ alpha: 2.5, scale: 1, n: 100, seed: 1 }), 'alpha'],
      ['alpha NaN', () => s.api.sampleStable({ alpha: NaN, scale: 1, n: 100, seed: 1 }), 'alpha'],
      ['scale 0', () => s.api.sampleStable({ alpha: 1.5, scale: 0, n: 100, seed: 1 }), 'scale'],
      ['n too large', () => s.api.sampleStable({ alpha: 1.5, scale: 1, n: NOISE_LAB_LIMITS.maxSamples + 1, seed: 1 }), 'n'],
      ['n missing', () => s.api.sampleStable({ alpha: 1.5, scale: 1, seed: 1 } as never), 'n'],
      ['seed negative', () => s.api.sampleStable({ alpha: 1.5, scale: 1, n: 100, seed: -1 }), 'seed'],
      ['unknown key', () => s.api.sampleStable({ alpha: 1.5, scale: 1, n: 100, seed: 1, extra: 1 } as never), 'extra'],
      ['no method', () => s.api.estimateAlpha({ samples: [1, 2] } as never), 'method'],
      ['bad method', () => s.api.estimateAlpha({ samples: [1, 2], method: 'hill' as never }), 'method'],
      ['neither', () => s.api.estimateAlpha({ method: 'ecf' }), 'samples'],
      ['both', () => s.api.estimateAlpha({ method: 'ecf', samples: [1], draw: { alpha: 1.5, scale: 1, n: 100, seed: 1 } }), 'draw'],
      ['bad samples', () => s.api.estimateAlpha({ method: 'ecf', samples: ['1'] as never }), 'samples'],
      ['bad draw', () => s.api.estimateAlpha({ method: 'ecf', draw: { alpha: 0.5, scale: 1, n: 100, seed: 1 } }), 'draw.alpha'],
      ['draw extra key', () => s.api.estimateAlpha({ method: 'ecf', draw: { alpha: 1.5, scale: 1, n: 100, seed: 1, x: 2 } as never }), 'draw.x'],
      ['minSamples 0', () => s.api.estimateAlpha({ method: 'ecf', samples: [1], minSamples: 0 }), 'minSamples'],
      ['empty alphas', () => s.api.noiseLabSweep({ alphas: [], ns: [100], seeds: [1] }), 'alphas'],
      ['alpha out of range', () => s.api.noiseLabSweep({ alphas: [1.5, 3], ns: [100], seeds: [1] }), 'alphas'],
      ['ns not integers', () => s.api.noiseLabSweep({ alphas: [1.5], ns: [100.5], seeds: [1] }), 'ns'],
      ['seeds missing', () => s.api.noiseLabSweep({ alphas: [1.5], ns: [100] } as never), 'seeds'],
      ['bad methods', () => s.api.noiseLabSweep({ alphas: [1.5], ns: [100], seeds: [1], methods: ['x' as never] }), 'methods'],
      ['too much work', () => s.api.noiseLabSweep({ alphas: [1.1, 1.5, 1.9], ns: [200_000], seeds: [1, 2, 3, 4] }), 'ns'],
    ];
    for (const [what, call, field] of cases) {
      const e = await apiError(call()).catch((err: Error) => { throw new Error(`${what}: ${err.message}`); });
      expect(e.code, what).toBe('invalid');
      expect(e.fields?.map((f) => f.field), what).toContain(field);
      expect(e.message.length, what).toBeGreaterThan(0);
    }
  });
});

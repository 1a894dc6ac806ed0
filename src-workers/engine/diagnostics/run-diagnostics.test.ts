import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, lagGrid, type ExperimentConfig } from '../../../src-shared/config';
import { LAG_SUMMARY_COLUMNS } from '../../../src-shared/results';
import { createTsKernels } from '../kernels/ts-kernels';
import type { FloatArray, Kernels } from '../kernels/types';
import { createInitialisedModel } from '../models';
import { buildLayout } from '../models/params';
import type { ForwardOptions, Model, ModelShape } from '../models/types';
import { coefficientOfVariation } from '../stats/detect';
import { SyntheticTask } from '../task';
import { makeDirection, runDiagnostics, type DiagnosticTask } from './run-diagnostics';

function cfgWith(over: Partial<ExperimentConfig>): ExperimentConfig {
  return { ...DEFAULT_CONFIG, ...over } as ExperimentConfig;
}

const SUMMARY_HEADER = 'ell,mu_l1_mean,log_mu_l1_mean,alpha_hat,sigma_alpha_hat,N_required_at_eps,best_snr,err_at_best_snr,best_N_for_ell,mbar_scalar,alpha_reliable,alpha_method,n_samples';

describe('makeDirection (§5)', () => {
  it('is a unit vector, reproducible from w_seed, different for another seed', () => {
    const a = new Float64Array(1000), b = new Float64Array(1000), c = new Float64Array(1000);
    makeDirection(1000, 212, a);
    makeDirection(1000, 212, b);
    makeDirection(1000, 213, c);
    let n2 = 0, dot = 0;
    for (let i = 0; i < 1000; i++) {
      n2 += a[i]! * a[i]!;
      dot += a[i]! * c[i]!;
    }
    expect(Math.abs(n2 - 1)).toBeLessThan(1e-12);
    expect(Array.from(b)).toEqual(Array.from(a));
    // two independent unit Gaussian directions in R^1000: |cos| ~ 1/sqrt(1000)
    expect(Math.abs(dot)).toBeLessThan(0.2);
  });
});

describe('runDiagnostics on a ConstGate model (§4.3 closed form)', () => {
  it('include_first_order_diag 0 ⇒ mu_l1_mean = (1 - const_s)^ℓ, every μ_q equal; file columns exact', async () => {
    const cfg = cfgWith({
      Nseq_diag: 6, T: 40, D: 3, H: 4, lag_min: 1, lag_max: 39, num_lags: 7, include_first_order_diag: 0,
      const_s: 0.05, layernorm: true, orth_init: true, N_grid: [10, 50, 100], min_samples_alpha: 50,
      task_lags: [2, 5], task_coeffs: [0.6, 0.4], alpha_method: 'mcculloch', w_seed: 9,
    });
    const shape: ModelShape = { arch: 'const', D: cfg.D, H: cfg.H, layernorm: true, constS: cfg.const_s };
    const model = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 4, maxT: cfg.T }, { seed: 1, orthInit: true });
    const task = new SyntheticTask(cfg, 3);
    const batches: number[] = [];
    const lagCalls: number[] = [];
    const res = await runDiagnostics(model, task, cfg, { onBatch: (d) => batches.push(d), onLag: (i) => lagCalls.push(i) });
    expect(res.lags).toEqual(lagGrid(cfg));
    expect(batches).toEqual([4, 6]);
    expect(lagCalls).toEqual(res.lags.map((_, i) => i + 1));
    expect(LAG_SUMMARY_COLUMNS.join(',')).toBe(SUMMARY_HEADER);
    expect(res.summary.length).toBe(res.lags.length);
    res.summary.forEach((row, i) => {
      expect(Object.keys(row).join(',')).toBe(SUMMARY_HEADER);
      const lag = res.lags[i]!;
      const want = Math.pow(1 - cfg.const_s, lag);
      expect(row.ell).toBe(lag);
      expect(Math.abs(row.mu_l1_mean / want - 1)).toBeLessThan(1e-12);
      expect(Math.abs(row.log_mu_l1_mean / (lag * Math.log(1 - cfg.const_s)) - 1)).toBeLessThan(1e-12);
      expect(row.n_samples).toBe(cfg.Nseq_diag * (cfg.T - lag));
      const u = res.muUnits[i]!;
      expect(u.length).toBe(cfg.H);
      for (let q = 0; q < cfg.H; q++) expect(Math.abs(u[q]! / want - 1)).toBeLessThan(1e-12);
      expect(row.mbar_scalar).toBeGreaterThanOrEqual(0);
    });
    expect(res.H_N.map((r) => r.N)).toEqual(cfg.N_grid);
  });
});

/**
 * A stand-in model whose forward and tangent are known in closed form, to
 * check the wiring of runDiagnostics: ConstGate terms leak = 1 - s, rdiag = 0;
 * ŷ = 0; v_{b,t,q} = dir[q]. Then ψ_{b,t}(ℓ) = (1-s)^ℓ · (0 - y_{b,t}) · c with
 * c = Σ_q W_out[q]·dir[q], W_out placed after a dummy tensor.
 */
function fakeConstModel(H: number, D: number, s: number, maxBatch: number, maxT: number): Model<Float64Array> {
  const layout = buildLayout([
    { name: 'dummy', rows: 1, cols: 3, init: 'uniform' },
    { name: 'W_out', rows: H, cols: 1, init: 'uniform' },
    { name: 'b_out', rows: 1, cols: 1, init: 'zero' },
  ]);
  const kernels: Kernels<Float64Array> = createTsKernels('f64');
  const params = new Float64Array(layout.size);
  for (let q = 0; q < H; q++) params[layout.byName['W_out']!.offset + q] = 0.5 + 0.25 * q;
  params.fill(7, 0, 3);
  const shape: ModelShape = { arch: 'const', D, H, layernorm: false, constS: s };
  return {
    shape, layout, kernels, maxBatch, maxT, params, grads: new Float64Array(layout.size),
    forward(_x: Float64Array, B: number, T: number, yhat: Float64Array, opts: ForwardOptions<Float64Array>) {
      yhat.fill(0, 0, T * B);
      opts.record!['leak']!.fill(1 - s, 0, T * B * H);
      opts.record!['rdiag']!.fill(0, 0, T * B * H);
    },
    backward() {
      throw new Error('not used');
    },
    tangent(_x: Float64Array, B: number, T: number, dir: Float64Array, v: Float64Array) {
      for (let i = 0; i < T * B; i++) for (let q = 0; q < H; q++) v[i * H + q] = dir[q]!;
    },
  };
}

/** y_{id,t} = sign·(1 + id + t/100): known targets indexed by the global sequence id. */
function fakeTask(sign: number, T: number): DiagnosticTask {
  return {
    fill(_set, _epoch, ids: ArrayLike<number>, B: number, _x: FloatArray, y: FloatArray) {
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) y[t * B + b] = sign * (1 + ids[b]! + t / 100);
    },
  };
}

describe('runDiagnostics wiring (ψ from a model with known terms)', () => {
  for (const sign of [1, -1]) {
    it(`m̄ and err_at_best_snr follow ψ = (1-s)^ℓ (ŷ - y) Σ_q W_out[q] dir[q] (targets of sign ${sign})`, async () => {
      const H = 3, D = 2, T = 30, s = 0.1;
      const cfg = cfgWith({
        Nseq_diag: 5, T, D, H, lag_min: 2, lag_max: 20, num_lags: 4, include_first_order_diag: 1, const_s: s,
        N_grid: [5, 20, 60], min_samples_alpha: 20, alpha_method: 'mcculloch', w_seed: 4, eps: 0.1,
      });
      const model = fakeConstModel(H, D, s, 2, T);
      const res = await runDiagnostics(model, fakeTask(sign, T), cfg, { batchSize: 2 });
      const dir = new Float64Array(model.layout.size);
      makeDirection(model.layout.size, cfg.w_seed, dir);
      let c = 0;
      for (let q = 0; q < H; q++) c += model.params[model.layout.byName['W_out']!.offset + q]! * dir[q]!;
      res.summary.forEach((row, i) => {
        const lag = res.lags[i]!;
        const samples: number[] = [];
        for (let id = 0; id < cfg.Nseq_diag; id++) {
          for (let t = lag; t < T; t++) samples.push(Math.pow(1 - s, lag) * -(sign * (1 + id + t / 100)) * c);
        }
        const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
        expect(Math.abs(row.mbar_scalar - Math.abs(mean))).toBeLessThanOrEqual(1e-12 * Math.abs(mean));
        expect(Math.abs(row.mu_l1_mean / Math.pow(1 - s, lag) - 1)).toBeLessThan(1e-12);
        const o = mean < 0 ? -1 : 1;
        const oriented = Float64Array.from(samples, (x) => o * x);
        if (row.best_N_for_ell >= 1) {
          const want = coefficientOfVariation(oriented, row.best_N_for_ell);
          expect(Math.abs(row.err_at_best_snr - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
        }
        expect(res.orientation[i]).toBe(o);
      });
    });
  }
});

describe('runDiagnostics does not depend on the diagnostic batch size', () => {
  it('gru, f64: the same summary and μ_q for batch sizes 1, 3 and 7', async () => {
    const cfg = cfgWith({
      Nseq_diag: 7, T: 24, D: 3, H: 4, lag_min: 1, lag_max: 20, num_lags: 5, include_first_order_diag: 1,
      layernorm: true, orth_init: true, N_grid: [10, 40, 100], min_samples_alpha: 30, alpha_method: 'ecf',
      task_lags: [1, 3], task_coeffs: [0.5, 0.5], w_seed: 17,
    });
    const shape: ModelShape = { arch: 'gru', D: cfg.D, H: cfg.H, layernorm: true, constS: cfg.const_s };
    const model = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch: 7, maxT: cfg.T }, { seed: 5, orthInit: true });
    const task = new SyntheticTask(cfg, 8);
    const ref = await runDiagnostics(model, task, cfg, { batchSize: 7, reservoirSize: 16 });
    for (const bs of [1, 3]) {
      const r = await runDiagnostics(model, task, cfg, { batchSize: bs, reservoirSize: 16 });
      expect(r.batchSize).toBe(bs);
      r.summary.forEach((row, i) => {
        const want = ref.summary[i]!;
        for (const col of LAG_SUMMARY_COLUMNS) {
          const a = row[col], b = want[col];
          if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(b) && b !== 0) {
            expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.abs(b));
          } else {
            expect(a).toEqual(b);
          }
        }
      });
      r.muUnits.forEach((u, i) => u.forEach((x, q) => expect(Math.abs(x - ref.muUnits[i]![q]!)).toBeLessThanOrEqual(1e-12 * Math.abs(x))));
      expect(r.H_N).toEqual(ref.H_N);
    }
  });
});

describe('runDiagnostics engines', () => {
  it('WebAssembly and TypeScript engines give identical results (float32 and float64 models)', async () => {
    const cfg = cfgWith({
      Nseq_diag: 9, T: 40, D: 3, H: 5, lag_min: 1, lag_max: 39, num_lags: 6, include_first_order_diag: 1,
      layernorm: true, orth_init: true, N_grid: [10, 50, 200], min_samples_alpha: 30, alpha_method: 'ecf',
      task_lags: [1, 3], task_coeffs: [0.5, 0.5], w_seed: 23,
    });
    for (const arch of ['shared', 'gru', 'lstm'] as const) {
      for (const precision of ['f32', 'f64'] as const) {
        const shape: ModelShape = { arch, D: cfg.D, H: cfg.H, layernorm: true, constS: cfg.const_s };
        const model = createInitialisedModel(shape, { kernels: createTsKernels(precision), maxBatch: 4, maxT: cfg.T }, { seed: 6, orthInit: true });
        const task = new SyntheticTask(cfg, 9);
        const js = await runDiagnostics(model, task, cfg, { engine: 'js' });
        const auto = await runDiagnostics(model, task, cfg);
        js.summary.forEach((row, i) => {
          for (const col of LAG_SUMMARY_COLUMNS) expect(Object.is(auto.summary[i]![col], row[col])).toBe(true);
        });
        js.muUnits.forEach((u, i) => expect(Array.from(auto.muUnits[i]!)).toEqual(Array.from(u)));
        expect(auto.H_N).toEqual(js.H_N);
        expect(auto.orientation).toEqual(js.orientation);
      }
    }
  });
});

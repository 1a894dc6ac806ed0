/**
 * Synthetic results for the unit tests of results/ (not used by the app):
 * runs whose diagnostics follow the §6 closed forms EXACTLY, so tests can
 * assert values derived from the mathematics.
 *   envelope  log f̂_s(ℓ) = a + bℓ + δ_s (δ_s a per-seed offset), f̂ = e^{log f̂}
 *   signal    m̄(ℓ) = c·f̂(ℓ)
 *   α̂(ℓ) = alpha, σ̂(ℓ) = sigma, except at `unreliableLags`: α̂ = 2, σ̂ = 0,
 *   unreliable, N_required = -1 (as the engine reports too few samples)
 *   N_required(ℓ) = (εσ/(c f̂))^{κ_α} (continuous, not snapped to a grid)
 */
import { DEFAULT_CONFIG, type ArchName, type ExperimentConfig } from '../../../src-shared/config';
import type { LagSummaryRow, RunDiagnostics, RunRecord, RunResult } from '../../../src-shared/results';
import type { LoadedRun } from './shape';

export interface SynthSpec {
  archs: ArchName[];
  seeds: number[];
  lags: number[];
  Ns: number[];
  H: number;
  epochs: number;
  a: number;
  b: number;
  c: number;
  alpha: number;
  sigma: number;
  eps: number;
  /** per-seed offset of log f̂ by seed index */
  offsets: number[];
  unreliableLags?: number[];
  const_s?: number;
}

export function synthConfig(s: SynthSpec): ExperimentConfig {
  return {
    ...DEFAULT_CONFIG, models: s.archs, seeds: s.seeds, N_grid: s.Ns, eps: s.eps, H: s.H, epochs: s.epochs,
    const_s: s.const_s ?? DEFAULT_CONFIG.const_s,
  } as ExperimentConfig;
}

export function synthDiagnostics(s: SynthSpec, seedIndex: number): RunDiagnostics {
  const kap = s.alpha / (s.alpha - 1);
  const off = s.offsets[seedIndex] ?? 0;
  const summary: LagSummaryRow[] = s.lags.map((ell) => {
    const logF = s.a + s.b * ell + off;
    const f = Math.exp(logF);
    const unreliable = s.unreliableLags?.includes(ell) ?? false;
    return {
      ell, mu_l1_mean: f, log_mu_l1_mean: logF, alpha_hat: unreliable ? 2 : s.alpha, sigma_alpha_hat: unreliable ? 0 : s.sigma,
      // σ̂ = 0 (unreliable) gives SNR 0: never detected (§5.2)
      N_required_at_eps: unreliable ? -1 : Math.pow((s.eps * s.sigma) / (s.c * f), kap), best_snr: 1, err_at_best_snr: 0, best_N_for_ell: 0,
      mbar_scalar: s.c * f, alpha_reliable: !unreliable, alpha_method: 'ecf', n_samples: 1000,
    };
  });
  // H_N by its definition from N_required (§5.2)
  const H_N = s.Ns.map((N) => ({ N, H_N: summary.reduce((h, r) => (r.N_required_at_eps !== -1 && r.N_required_at_eps <= N && r.ell > h ? r.ell : h), 0) }));
  // per-unit μ_q(ℓ) = e^{-ℓ/τ_q} with τ_q = 10 (q + 1)
  const muUnits = s.lags.map((ell) => Float64Array.from({ length: s.H }, (_, q) => Math.exp(-ell / (10 * (q + 1)))));
  const tau = Array.from({ length: s.H }, (_, q) => ({ unit_id: q, tau: 10 * (q + 1), C: 1, a: 0, b: -1 / (10 * (q + 1)), r2: 1, num_points: s.lags.length }));
  return {
    lags: [...s.lags], summary, muUnits, H_N, tau,
    envelope: { exp: { a: s.a + off, b: s.b, r2: 1, tau_env: -1 / s.b }, power: { c: 0, d: 0, r2: 0.5 }, log: { e: 0, g: 0, r2: 0.4 }, best: 'exp' },
    master: { slope: 1, intercept: kap * Math.log((s.eps * s.sigma) / s.c), r2: 1, n: s.lags.length },
    constTau: null, batchSize: 8,
  };
}

export function synthRuns(s: SynthSpec): LoadedRun[] {
  const out: LoadedRun[] = [];
  let id = 1;
  s.seeds.forEach((seed, si) => {
    for (const arch of s.archs) {
      const record: RunRecord = {
        id: id++, experimentId: 1, index: out.length, arch, seed, status: 'done', backend: 'cpu', kernels: 'ts', attempts: 1,
        createdAt: 0, startedAt: 0, finishedAt: 1, wallMs: 1, trainMs: 1, diagnosticsMs: 0, error: null, hasResult: true, epochsDone: s.epochs,
      };
      const result: RunResult = {
        curve: Array.from({ length: s.epochs }, (_, e) => ({ epoch: e, train_loss: 1 / (e + 1 + si), train_acc: 1 - 1 / (e + 2), val_loss: 2 / (e + 1 + si), val_acc: 1 - 2 / (e + 3) })),
        gateStats: Array.from({ length: s.epochs }, (_, e) => ({ epoch: e, metric: 'leak_mean', value: 0.9 + 0.01 * si })),
        diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'ts', wallMs: 1, diagnosticsStatus: 'done',
        diagnostics: synthDiagnostics(s, si),
      };
      out.push({ record, result });
    }
  });
  return out;
}

export const BASE_SPEC: SynthSpec = {
  archs: ['const', 'gru'], seeds: [1, 2], lags: Array.from({ length: 30 }, (_, i) => 4 + 4 * i), Ns: [25, 100, 400, 1600, 6400],
  H: 4, epochs: 5, a: -1, b: -0.05, c: 0.5, alpha: 1.6, sigma: 2, eps: 0.1, offsets: [-0.1, 0.1], const_s: 0.05,
};

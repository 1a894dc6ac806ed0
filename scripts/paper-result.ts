/**
 * A synthetic result of the `paper` size for the store and UI benchmarks
 * (scripts/bench-store.ts, scripts/bench-ui.ts): every table at its real
 * size, with values shaped like a real run's, deterministic per (arch, seed).
 * Not a simulation.
 */
import { ARCH_NAMES, lagGrid, type ArchName, type ExperimentConfig } from '../src-shared/config';
import type { RunResult } from '../src-shared/results';
import { gateMetricNames } from '../src-workers/engine/train';

/** Deterministic pseudo-random doubles in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A paper-size result shaped like a real one: the envelope decays as
 * exp(-ℓ/τ_env) with τ_env growing along ARCH_NAMES, N_required ∝ f^-κ up to
 * the largest budget, H_N grows with log N; learning curves decay.
 */
export function paperResult(cfg: ExperimentConfig, arch: ArchName, seed: number): RunResult {
  const r = lcg(seed * 31 + ARCH_NAMES.indexOf(arch) * 7919);
  const lags = lagGrid(cfg);
  const tauEnv = 20 + 12 * ARCH_NAMES.indexOf(arch) + 3 * r();
  const nMax = cfg.N_grid[cfg.N_grid.length - 1]!;
  return {
    curve: Array.from({ length: cfg.epochs }, (_, epoch) => {
      const loss = 0.2 + 0.8 / (1 + epoch / 30) + 0.01 * r();
      const val = loss + 0.02 + 0.01 * r();
      return { epoch, train_loss: loss, train_acc: 1 - loss, val_loss: val, val_acc: 1 - val };
    }),
    gateStats: Array.from({ length: Math.ceil(cfg.epochs / cfg.gate_log_every) }, (_, k) => k * cfg.gate_log_every)
      .flatMap((epoch) => gateMetricNames(arch).map((metric) => ({ epoch, metric, value: 0.3 + 0.4 * r() }))),
    diverged: false,
    divergedEpoch: null,
    cancelled: false,
    kernelsName: 'wasm-simd-f32',
    wallMs: 3.6e6 * (1 + r()),
    trainMs: 3.0e6,
    diagnosticsMs: 6.0e5,
    diagnosticsStatus: 'done',
    diagnostics: {
      lags,
      summary: lags.map((ell) => {
        const f = Math.exp(-ell / tauEnv) * (1 + 0.05 * r());
        const nreq = Math.round(100 / f ** 1.5);
        return {
          ell, mu_l1_mean: f, log_mu_l1_mean: Math.log(f) - 0.1 * r(), alpha_hat: 1.5 + 0.4 * r(), sigma_alpha_hat: 0.5 + r(),
          N_required_at_eps: nreq <= nMax ? nreq : NaN, best_snr: 10 * r(), err_at_best_snr: r(), best_N_for_ell: nMax,
          mbar_scalar: f * 1e-3, alpha_reliable: r() > 0.1, alpha_method: cfg.alpha_method, n_samples: cfg.Nseq_diag * (cfg.T - ell),
        };
      }),
      muUnits: lags.map((ell) => Float64Array.from({ length: cfg.H }, (_, q) => Math.exp(-ell / (5 + q)) * (0.5 + r()))),
      H_N: cfg.N_grid.map((N) => ({ N, H_N: Math.max(0, Math.round((tauEnv * Math.log(N / 100)) / 1.5)) })),
      tau: Array.from({ length: cfg.H }, (_, q) => ({
        unit_id: q, tau: 5 + q + r(), C: r(), a: -r(), b: -1 / (5 + q), r2: 0.9 + 0.1 * r(), num_points: lags.length,
      })),
      envelope: {
        exp: { a: 0, b: -1 / tauEnv, r2: 0.99, tau_env: tauEnv }, power: { c: 1, d: -1, r2: 0.9 }, log: { e: 1, g: -2, r2: 0.8 }, best: 'exp',
      },
      master: { slope: 1 + 0.05 * (r() - 0.5), intercept: 0.3, r2: 0.97, n: 40 },
      constTau: arch === 'const' ? { s: cfg.const_s, leak: 1 - cfg.const_s, tau: -1 / Math.log(1 - cfg.const_s) } : null,
      batchSize: 64,
    },
  };
}

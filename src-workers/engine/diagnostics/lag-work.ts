/**
 * The per-lag half of the diagnostics (SCIENCE.md §4.2, §4.3, §5, §8) for
 * any subset of the lag grid: the μ/ψ accumulation of every diagnostic
 * sequence, then each lag's statistics (orientation, α̂ and σ̂, m̄, detection,
 * the error at the best N). Nothing couples two lags (each has its own
 * envelope sums, sample store and seeds, all derived from the lag itself), so
 * the grid may be split between threads and the rows put back in order: the
 * results are those of one LagWork over the whole grid, bit for bit.
 */
import type { ExperimentConfig } from '../../../src-shared/config';
import type { LagSummaryRow } from '../../../src-shared/results';
import type { Arch } from '../models/types';
import { deriveSeed } from '../rng';
import { coefficientOfVariation, detectLag } from '../stats/detect';
import { estimateAlpha } from '../stats/estimators';
import { DiagnosticsAccumulator, type DiagnosticBatch, type DiagnosticsEngine } from './accumulator';
import { DEFAULT_RESERVOIR_SIZE } from './sample-store';
import type { BatchPrecision, BatchViews } from './wasm/sweep-wasm';

/** Stream id of α̂'s seeds: deriveSeed(w_seed, ALPHA_STREAM, ℓ). */
export const ALPHA_STREAM = 0x616c_7068; // 'alph'

/** The configuration fields the per-lag work reads. */
export type LagWorkConfig = Pick<ExperimentConfig,
  'include_first_order_diag' | 'w_seed' | 'N_grid' | 'alpha_method' | 'min_samples_alpha' | 'eps' | 'orient_matched_statistic_sign' | 'Nseq_diag'>;

export interface LagWorkSpec {
  arch: Arch;
  H: number;
  T: number;
  /** the lags of this work, a subset of the grid in grid order */
  lags: readonly number[];
  cfg: LagWorkConfig;
  reservoirSize?: number;
  engine?: DiagnosticsEngine;
  /** wasm engine: batch arrays of this size and precision in its memory (read without a copy) */
  batchArrays?: { B: number; precision: BatchPrecision };
}

/** One lag's results. */
export interface LagResult {
  row: LagSummaryRow;
  /** μ_q(ℓ), H values */
  muUnits: Float64Array;
  orientation: number;
  /** N_required at eps (for H_N) */
  nRequired: number;
}

export class LagWork {
  private readonly acc: DiagnosticsAccumulator;

  constructor(private readonly spec: LagWorkSpec) {
    const { cfg } = spec;
    const Ngrid = cfg.N_grid;
    this.acc = new DiagnosticsAccumulator({
      arch: spec.arch, H: spec.H, T: spec.T, lags: spec.lags,
      includeFirstOrder: cfg.include_first_order_diag === 1,
      wSeed: cfg.w_seed,
      firstCap: Ngrid.length > 0 ? Math.max(...Ngrid) : 0,
      reservoirSize: spec.reservoirSize ?? DEFAULT_RESERVOIR_SIZE,
      nSeqExpected: cfg.Nseq_diag,
      engine: spec.engine ?? 'auto',
      ...(spec.batchArrays ? { batchArrays: spec.batchArrays } : {}),
    });
  }

  /** The wasm engine's batch arrays (spec.batchArrays), else null. */
  batchArrays(): BatchViews<Float32Array> | BatchViews<Float64Array> | null {
    return this.acc.batchArrays();
  }

  addBatch(batch: DiagnosticBatch): void {
    this.acc.addBatch(batch);
  }

  /** Orient, estimate and detect, lag by lag (onLag after each: lags of this work done). */
  finish(onLag?: (done: number) => void): LagResult[] {
    const { cfg, lags } = this.spec;
    const env = this.acc.finish(cfg.orient_matched_statistic_sign === 1);
    const out: LagResult[] = [];
    for (let i = 0; i < lags.length; i++) {
      const lag = lags[i]!;
      const store = this.acc.stores[i]!;
      const nSamples = store.count; // n(ℓ) = Nseq_diag·(T-ℓ)
      const est = estimateAlpha(store.reservoir(), cfg.alpha_method, {
        minSamples: cfg.min_samples_alpha,
        seed: deriveSeed(cfg.w_seed, ALPHA_STREAM, lag),
        engine: this.acc.engine === 'js' ? 'js' : 'auto',
      });
      const mbar = Math.abs(store.mean);
      const det = detectLag({ mbar, alpha: est.alpha, sigma: est.sigma, nSamples, Ngrid: cfg.N_grid, eps: cfg.eps });
      // CV of the first best_N oriented samples in stream order (NaN below 2 samples)
      const err = coefficientOfVariation(store.firstSamples(), det.best_N);
      out.push({
        row: {
          ell: lag,
          mu_l1_mean: env.muL1Mean[i]!,
          log_mu_l1_mean: env.logMuL1Mean[i]!,
          alpha_hat: est.alpha,
          sigma_alpha_hat: est.sigma,
          N_required_at_eps: det.N_required,
          best_snr: det.best_snr,
          err_at_best_snr: err,
          best_N_for_ell: det.best_N,
          mbar_scalar: mbar,
          alpha_reliable: est.reliable,
          alpha_method: est.method,
          n_samples: nSamples,
        },
        muUnits: env.muUnits[i]!,
        orientation: store.orientation,
        nRequired: det.N_required,
      });
      onLag?.(i + 1);
    }
    return out;
  }
}

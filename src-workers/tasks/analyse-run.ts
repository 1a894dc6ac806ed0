/**
 * Diagnostics and fits of one trained run (SCIENCE.md §4-§6), as plain data
 * for the result files of §8. Plain TypeScript (no Node APIs): the pool task
 * calls it in its worker thread right after training.
 *
 *   runDiagnostics → summary rows, μ_q(ℓ), H_N
 *   fitUnitTimescales on the lag grid and μ_q(ℓ)     → per-unit τ
 *   fitEnvelope on log_mu_l1_mean (finite lags)      → exp / power / log regimes
 *   fitMasterLaw on the summary rows                 → slope ≈ 1 expected, or why skipped
 *   constTau(const_s) for const                      → closed-form τ
 */
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { ConstTauRecord, LagSummaryRow, MasterFitRecord, RunDiagnostics } from '../../src-shared/results';
import { runDiagnostics, type DiagnosticTask, type LagExecutorFactory } from '../engine/diagnostics/run-diagnostics';
import { constTau, fitEnvelope, fitMasterLaw, fitUnitTimescales, type MasterRow } from '../engine/fits';
import type { FloatArray } from '../engine/kernels/types';
import type { TrainableModel } from '../engine/models/types';
import type { DiagnosticsStage } from './protocol';

/** Minimum lags for the master-law fit (SCIENCE.md §6, `min_points`). */
export const MASTER_MIN_POINTS = 10;
/** Minimum distinct N_required values for the master-law fit (SCIENCE.md §6). */
export const MASTER_MIN_DISTINCT_N = 3;

export interface AnalyseHooks {
  /** diagnostics progress: diagnostic batches done / total, then lag statistics done / total */
  progress?(stage: DiagnosticsStage, done: number, total: number): void;
}

/** μ_q(ℓ) per lag (H values each) → per unit (one value per lag), as fitUnitTimescales wants. */
export function perUnit(muUnits: readonly ArrayLike<number>[], H: number): Float64Array[] {
  const out = Array.from({ length: H }, () => new Float64Array(muUnits.length));
  muUnits.forEach((row, i) => {
    if (row.length !== H) throw new RangeError(`μ units: lag #${i} has ${row.length} values, expected H=${H}`);
    for (let q = 0; q < H; q++) out[q]![i] = row[q]!;
  });
  return out;
}

/** The master-law fit on the summary rows, or `{ skipped: reason }`. */
export function masterFit(summary: readonly LagSummaryRow[], minPoints = MASTER_MIN_POINTS): MasterFitRecord {
  const rows: MasterRow[] = summary.map((r) => ({ N_required: r.N_required_at_eps, mu_l1_mean: r.mu_l1_mean, alpha_hat: r.alpha_hat }));
  const fit = fitMasterLaw(rows, minPoints);
  if (fit) return fit;
  const usable = rows.filter((r) => r.N_required > 0 && Number.isFinite(r.N_required) && r.mu_l1_mean > 0
    && Number.isFinite(r.mu_l1_mean) && Number.isFinite(r.alpha_hat));
  const distinct = new Set(usable.map((r) => r.N_required)).size;
  return {
    skipped: `needs at least ${minPoints} lags with N_required > 0 and at least ${MASTER_MIN_DISTINCT_N} distinct N_required values `
      + `(got ${usable.length} lag${usable.length === 1 ? '' : 's'}, ${distinct} distinct value${distinct === 1 ? '' : 's'})`,
  };
}

export function constTauRecord(s: number): ConstTauRecord {
  return { s, leak: 1 - s, tau: constTau(s) };
}

/**
 * Diagnostics of `model` (the trained parameters; the last finite ones for a
 * diverged run) on the run's diagnostic set, then the fits. `hooks.progress`
 * may throw to abandon the run (cancellation); the error propagates.
 */
export async function analyseRun<A extends FloatArray>(
  model: TrainableModel<A>, task: DiagnosticTask, cfg: ExperimentConfig, arch: ArchName, hooks: AnalyseHooks = {},
  opts: { lagExecutor?: LagExecutorFactory } = {},
): Promise<RunDiagnostics> {
  let perBatch = 0;
  const d = await runDiagnostics(model, task, cfg, {
    ...(opts.lagExecutor ? { lagExecutor: opts.lagExecutor } : {}),
    onBatch: (done, total) => {
      // done/total count sequences; every batch but the last is full
      if (perBatch === 0) perBatch = done;
      hooks.progress?.('batch', Math.ceil(done / perBatch), Math.ceil(total / perBatch));
    },
    onLag: (i, n) => hooks.progress?.('lag', i, n),
  });
  return {
    lags: d.lags,
    summary: d.summary,
    muUnits: d.muUnits,
    H_N: d.H_N,
    tau: fitUnitTimescales(d.lags, perUnit(d.muUnits, model.shape.H)),
    envelope: fitEnvelope(d.lags, d.summary.map((r) => r.log_mu_l1_mean)),
    master: masterFit(d.summary),
    constTau: arch === 'const' ? constTauRecord(cfg.const_s) : null,
    batchSize: d.batchSize,
  };
}

/**
 * Messages between the main thread and a pool worker running one unit
 * (one run = one (architecture, seed) of an experiment, DESIGN.md §2).
 *
 * Progress travels over a MessagePort (piscina's documented pattern), never
 * stdout. Cancellation is a shared Int32 flag: the worker's training loop is
 * synchronous, so it cannot receive port messages while it runs, but it can
 * read shared memory between mini-batches (and between diagnostic batches).
 *
 * Everything here is plain data (structured clone): numbers, strings,
 * booleans, arrays, plain objects and Float64Arrays.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { SummaryRow } from '../engine/diagnostics/run-diagnostics';
import type { EnvelopeFits, MasterFit, UnitTimescale } from '../engine/fits';

export interface EpochRow {
  epoch: number;
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
}

export interface GateStat {
  epoch: number;
  metric: string;
  value: number;
}

/** Diagnostics progress: `batch` (diagnostic batches done / total), then `lag` (lag statistics done / total). */
export type DiagnosticsStage = 'batch' | 'lag';

export type ProgressMessage =
  | { type: 'start'; arch: ArchName; seed: number }
  | { type: 'epoch'; arch: ArchName; seed: number; row: EpochRow }
  | { type: 'diagnostics'; arch: ArchName; seed: number; stage: DiagnosticsStage; done: number; total: number }
  /** last message of a unit on its port (messages on one port arrive in order) */
  | { type: 'end'; arch: ArchName; seed: number };

export interface RunUnitInput {
  config: ExperimentConfig;
  arch: ArchName;
  seed: number;
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** progress messages go here (transferred to the worker) */
  port?: MessagePort;
  /** Int32Array view of length >= 1; a non-zero element 0 asks the run to stop */
  stopFlag?: SharedArrayBuffer;
}

/**
 * done; skipped (not asked for, or the run was cancelled during training);
 * cancelled (stopped during the diagnostics); failed (they threw).
 */
export type DiagnosticsStatus = 'done' | 'skipped' | 'cancelled' | 'failed';

/** The master proportionality fit (SCIENCE.md §6), or why it was skipped. */
export type MasterFitResult = MasterFit | { skipped: string };

/** ConstGate's closed-form time scale (SCIENCE.md §6): leak = 1 - s, τ = -1/log(1 - s). */
export interface ConstTau {
  s: number;
  leak: number;
  tau: number;
}

/** Diagnostics of one trained run and the fits on them (SCIENCE.md §4-§6, files of §8). */
export interface UnitDiagnostics {
  lags: number[];
  /** rows of `<model>_summary.csv` */
  summary: SummaryRow[];
  /** μ_q(ℓ): one Float64Array of H values per lag (`<model>_mu_units.csv`) */
  muUnits: Float64Array[];
  /** learnability window per N of N_grid (`<model>_H_N.csv`) */
  H_N: { N: number; H_N: number }[];
  /** per-unit time scales (`<model>_tau_from_mu_units.csv`) */
  tau: UnitTimescale[];
  /** envelope regimes on log_mu_l1_mean (`<model>_envelope_fits.json`) */
  envelope: EnvelopeFits;
  /** `<model>_master_fit.json` */
  master: MasterFitResult;
  /** const only (`const_tau_const.json`) */
  constTau: ConstTau | null;
  /** sequences per diagnostic batch */
  batchSize: number;
}

export interface RunUnitOutput {
  arch: ArchName;
  seed: number;
  curve: EpochRow[];
  gateStats: GateStat[];
  diverged: boolean;
  divergedEpoch: number | null;
  cancelled: boolean;
  kernelsName: string;
  /** wall time of the unit, milliseconds */
  wallMs: number;
  /** wall time of training, milliseconds */
  trainMs?: number;
  /** wall time of diagnostics and fits, milliseconds (0 when not run) */
  diagnosticsMs?: number;
  /** what became of the diagnostics (absent: not run) */
  diagnosticsStatus?: DiagnosticsStatus;
  /** the results when diagnosticsStatus is 'done', else null */
  diagnostics?: UnitDiagnostics | null;
  /** why diagnosticsStatus is 'failed' (the training results are still valid) */
  diagnosticsError?: string;
}

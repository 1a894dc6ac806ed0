/**
 * Plain-data types of what the workstation persists: one run's result (the
 * rows of the reference result files, SCIENCE.md §8, plus our fits and
 * status), and the experiment / run records the store lists. Shared by every
 * process (main, workers, renderer): plain TypeScript, no imports from other
 * layers. They are the single definition: the engine (training, diagnostics,
 * fits) and the worker protocol produce these types directly.
 * `src-main/core/store/test/result-types.test.ts` checks at compile time that
 * a worker's `RunUnitOutput` is a `RunResult` and that a stored
 * `RunDiagnostics` is what the result-file writers accept.
 *
 * Numbers follow IEEE 754 doubles: NaN and ±Infinity are legitimate values
 * (a fit with too few points is NaN, τ of a non-decaying unit is +∞).
 */
import type { ArchName, BackendName, ExperimentConfig } from './config';
import type { RunKernelShape } from './gpu-tuning';

// ---------------------------------------------------------------------------
// One run's result
// ---------------------------------------------------------------------------

/** A row of `<model>_learning_curve.csv` (the two `acc` columns hold R², §3). */
export interface LearningCurveRow {
  /** 0-based */
  epoch: number;
  train_loss: number;
  /** train R² */
  train_acc: number;
  val_loss: number;
  /** validation R² */
  val_acc: number;
}

/** A row of `gate_stats_<model>.csv` (§3). */
export interface GateStatRow {
  epoch: number;
  metric: string;
  value: number;
}

/** A row of `<model>_summary.csv` (§8), one per lag. */
export interface LagSummaryRow {
  ell: number;
  mu_l1_mean: number;
  log_mu_l1_mean: number;
  alpha_hat: number;
  sigma_alpha_hat: number;
  /** first N of N_grid with SNR > eps, else -1 (§5.2) */
  N_required_at_eps: number;
  best_snr: number;
  err_at_best_snr: number;
  best_N_for_ell: number;
  mbar_scalar: number;
  alpha_reliable: boolean;
  alpha_method: string;
  n_samples: number;
}

/** The columns of `<model>_summary.csv`, in file order. */
export const LAG_SUMMARY_COLUMNS = [
  'ell', 'mu_l1_mean', 'log_mu_l1_mean', 'alpha_hat', 'sigma_alpha_hat', 'N_required_at_eps',
  'best_snr', 'err_at_best_snr', 'best_N_for_ell', 'mbar_scalar', 'alpha_reliable', 'alpha_method',
  'n_samples',
] as const satisfies readonly (keyof LagSummaryRow)[];

/** A row of `<model>_tau_from_mu_units.csv` (§6). */
export interface UnitTauRow {
  unit_id: number;
  /** -1/b; +∞ when b ≥ 0; NaN when not fitted */
  tau: number;
  /** e^a */
  C: number;
  a: number;
  b: number;
  r2: number;
  num_points: number;
}

export type EnvelopeRegimeName = 'exp' | 'power' | 'log';

/** `<model>_envelope_fits.json` (§6; `log` and `best` are ours). */
export interface EnvelopeFitsRecord {
  /** log f = a + bℓ, τ_env = -1/b (+∞ when b ≥ 0) */
  exp: { a: number; b: number; r2: number; tau_env: number };
  /** log f = c + d log ℓ (lags > 0) */
  power: { c: number; d: number; r2: number };
  /** log f = e + g log log ℓ (lags > 1) */
  log: { e: number; g: number; r2: number };
  /** regime with the largest R² (first of exp, power, log on ties; 'exp' when none fitted) */
  best: EnvelopeRegimeName;
}

/** The master proportionality fit (§6): log N_required on -κ(α̂)·log f̂. */
export interface MasterLawFit {
  slope: number;
  intercept: number;
  r2: number;
  n: number;
}

/** `<model>_master_fit.json` (ours, §6): the fit, or why it was skipped. */
export type MasterFitRecord = MasterLawFit | { skipped: string };

/** `const_tau_const.json` (const only): leak = 1 - s, τ = -1/log(1 - s). */
export interface ConstTauRecord {
  s: number;
  leak: number;
  tau: number;
}

/** A row of `<model>_H_N.csv` (§5.2). */
export interface HNRow {
  N: number;
  H_N: number;
}

/** Diagnostics of one run and the fits on them (§4-§6). */
export interface RunDiagnostics {
  /** the lag grid, one entry per summary row and per muUnits entry */
  lags: number[];
  summary: LagSummaryRow[];
  /** μ_q(ℓ): one Float64Array of H values per lag (`<model>_mu_units.csv`) */
  muUnits: Float64Array[];
  H_N: HNRow[];
  tau: UnitTauRow[];
  envelope: EnvelopeFitsRecord;
  master: MasterFitRecord;
  /** const only, else null */
  constTau: ConstTauRecord | null;
  /** sequences per diagnostic batch */
  batchSize: number;
}

/** The backend a run executes on (the configuration's `auto` resolves to one of these). */
export type ComputeBackend = 'cpu' | 'webgpu';

export const COMPUTE_BACKENDS: readonly ComputeBackend[] = ['cpu', 'webgpu'];

/** done; skipped (not asked for, or cancelled during training); cancelled (during them); failed (they threw). */
export type DiagnosticsStatus = 'done' | 'skipped' | 'cancelled' | 'failed';

/**
 * One run's persisted result: what a pool worker returns for a unit (its
 * `RunUnitOutput` without arch and seed, which the run record holds).
 * Optional fields are absent when the producer did not report them.
 */
export interface RunResult {
  curve: LearningCurveRow[];
  gateStats: GateStatRow[];
  diverged: boolean;
  /** 0-based epoch whose loss became non-finite; null when not diverged */
  divergedEpoch: number | null;
  cancelled: boolean;
  /** kernel set used for training (e.g. wasm-simd-f32) */
  kernelsName: string;
  /** wall time of the unit, milliseconds */
  wallMs: number;
  /** wall time of training, milliseconds */
  trainMs?: number;
  /** wall time of diagnostics and fits, milliseconds (0 when not run) */
  diagnosticsMs?: number;
  /** what became of the diagnostics (absent: not run) */
  diagnosticsStatus?: DiagnosticsStatus;
  /** the results when diagnosticsStatus is 'done', else null or absent */
  diagnostics?: RunDiagnostics | null;
  /** why diagnosticsStatus is 'failed' (the training results are still valid) */
  diagnosticsError?: string;
  /** the backend the run executed on (absent: not reported, e.g. imported results) */
  backend?: ComputeBackend;
  /** webgpu runs: the adapter's description (absent on the CPU) */
  adapter?: string;
  /** webgpu runs: the kernel shape the model used, and whether it was a stored tuning or the defaults (absent on the CPU) */
  kernelShape?: RunKernelShape;
}

// ---------------------------------------------------------------------------
// Runs and experiments as the store lists them
// ---------------------------------------------------------------------------

/**
 * queued → running → done | failed | diverged | cancelled | interrupted;
 * interrupted | failed | cancelled → queued (resume / re-run); queued → cancelled.
 */
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'diverged' | 'cancelled' | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'done', 'failed', 'diverged', 'cancelled', 'interrupted'];

/** Statuses a run does not leave by itself (the experiment is finished when every run is in one). */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['done', 'failed', 'diverged', 'cancelled'];

/** Allowed status changes (DESIGN.md §2). */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'cancelled'],
  running: ['done', 'failed', 'diverged', 'cancelled', 'interrupted'],
  done: [],
  failed: ['queued'],
  diverged: [],
  cancelled: ['queued'],
  interrupted: ['queued'],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** The final status of a run from its result: failed diagnostics, else diverged, else cancelled, else done. */
export function statusOfResult(r: Pick<RunResult, 'diverged' | 'cancelled' | 'diagnosticsStatus'>): RunStatus {
  if (r.diagnosticsStatus === 'failed') return 'failed';
  if (r.diverged) return 'diverged';
  if (r.cancelled) return 'cancelled';
  return 'done';
}

/** A run as stored (times: milliseconds since the Unix epoch). */
export interface RunRecord {
  id: number;
  experimentId: number;
  /** position in the experiment (expandRuns order: seeds outer, models inner) */
  index: number;
  arch: ArchName;
  seed: number;
  status: RunStatus;
  /** backend asked for (the configuration's `backend`) */
  backend: BackendName;
  /**
   * backend used: the resolution of `backend` when the run started, then the
   * one its result reports; null before its first start (and for imported
   * runs). The store always sets it (absent means null).
   */
  backendUsed?: ComputeBackend | null;
  /** webgpu runs: the adapter's description; else null (absent: null) */
  adapter?: string | null;
  /** webgpu runs: the kernel shape of the stored result (RunResult.kernelShape); else null (absent: null) */
  kernelShape?: RunKernelShape | null;
  /** kernel set used, once known */
  kernels: string | null;
  /** times the run was started */
  attempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  wallMs: number | null;
  trainMs: number | null;
  diagnosticsMs: number | null;
  /** why the run failed (or was interrupted), else null */
  error: string | null;
  /** whether a result is stored (getRunResult returns it) */
  hasResult: boolean;
  /** learning-curve rows stored so far (live progress) */
  epochsDone: number;
  /**
   * the run's rows came from imported result files (src-main/core/imports); it
   * cannot be queued again. The store always sets it (optional only so that
   * records built by hand elsewhere stay valid; absent means false).
   */
  imported?: boolean;
  /** imported runs: where in the import its files were (e.g. `seed_212/gru`, '' for the top level); else null (absent: null) */
  source?: string | null;
}

/** Runs of an experiment by status, and in all. */
export type RunProgress = Record<RunStatus, number> & { total: number };

/** An experiment as listed (without its configuration and runs). */
export interface ExperimentSummary {
  id: number;
  name: string;
  tags: string[];
  notes: string;
  /** preset the configuration started from, if any */
  preset: string | null;
  /** version of the workstation that created it */
  appVersion: string;
  createdAt: number;
  /** when every run reached done, failed, diverged or cancelled; null while any is not */
  finishedAt: number | null;
  models: ArchName[];
  seeds: number[];
  T: number;
  H: number;
  epochs: number;
  optimizer: string;
  progress: RunProgress;
  /**
   * the folder or .zip the experiment was imported from; null when it was run
   * here. The store always sets it (absent means null).
   */
  source?: string | null;
}

/** An experiment with its validated configuration and its runs. */
export interface ExperimentDetail extends ExperimentSummary {
  config: ExperimentConfig;
  runs: RunRecord[];
}

/** An entry of a run's event log. */
export interface RunEvent {
  id: number;
  runId: number;
  at: number;
  kind: string;
  message: string;
  data: unknown;
}

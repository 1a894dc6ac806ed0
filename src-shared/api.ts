/**
 * The one typed API of the workstation (DESIGN.md §1, §2).
 *
 * Implemented once, in the main process (src-main/core/service.ts, over the
 * store and the scheduler), and reached through two transports that carry the
 * same calls and events:
 *   - Electron IPC, through the preload's contextBridge (src-preload);
 *   - HTTP + WebSocket to the local web host (src-main/server), for browsers.
 *
 * Every method takes ONE plain-data argument object (or none) and returns a
 * Promise of plain data, so a transport forwards `(method, arg)` unchanged.
 * Numbers may be NaN or ±Infinity (the science produces them): transports
 * must encode them faithfully (src-shared/wire.ts).
 * Arguments are untrusted at the transport boundary: the service validates
 * every one (config through the shared schema) and answers with ApiError.
 */
import type { AlphaMethod, ArchName, ConfigError, ExperimentConfig, OptimizerName } from './config';
import type { GpuTuningRecord, GpuTuningState, ListGpuTuningsArg, StartGpuTuningArg } from './gpu-tuning';
import type {
  ExperimentDetail, ExperimentSummary, LearningCurveRow, RunEvent, RunRecord, RunResult,
} from './results';

/** Filters of the experiments table (all optional, combined with AND). */
export interface ExperimentFilter {
  /** case-insensitive substring of the name or the notes */
  text?: string;
  /** has every one of these tags */
  tags?: string[];
  /** runs this architecture */
  arch?: ArchName;
  optimizer?: OptimizerName;
  H?: number;
  T?: number;
  preset?: string;
  /** true: every run finished; false: some run queued, running or interrupted */
  finished?: boolean;
  /** created at or after (ms since the epoch) */
  createdFrom?: number;
  /** created before (ms since the epoch) */
  createdTo?: number;
}

export interface ListExperimentsArg {
  filter?: ExperimentFilter;
  /** default 100, at most MAX_LIST_LIMIT (src-main/core/store/experiments.ts) */
  limit?: number;
  offset?: number;
}

export interface GetRunResultArg {
  runId: number;
  /** include diagnostics.muUnits (default true); false: an empty list, the BLOBs are not read */
  muUnits?: boolean;
}

/** most run ids in one getRunResults call */
export const MAX_RUN_RESULTS_BATCH = 100;

export interface GetRunResultsArg {
  runIds: number[];
  /** include diagnostics.muUnits (default true) */
  muUnits?: boolean;
  /** include the learning curve and the gate statistics (default true); false: empty lists, the rows are not read */
  curves?: boolean;
}

export interface ExperimentList {
  /** experiments matching the filter, newest first */
  items: ExperimentSummary[];
  /** how many match in all (for paging) */
  total: number;
}

export interface CreateExperimentArg {
  name: string;
  /** start from this preset ('smoke' | 'quick' | 'paper'); fields absent from both take the defaults */
  preset?: string;
  /** field overrides (or a whole configuration), validated by the shared schema */
  config?: Record<string, unknown>;
  tags?: string[];
  notes?: string;
  /** queue the runs at once (default true) */
  start?: boolean;
}

export interface UpdateExperimentArg {
  id: number;
  name?: string;
  tags?: string[];
  notes?: string;
}

export interface ValidateConfigArg {
  preset?: string;
  config?: Record<string, unknown>;
}

export type ValidateConfigResult =
  | { ok: true; config: ExperimentConfig; runs: { arch: ArchName; seed: number }[] }
  | { ok: false; errors: ConfigError[] };

/** A rough cost estimate shown before launch. */
export interface RunEstimate {
  runs: number;
  /** seconds of one worker for all runs (training + diagnostics), from measured kernel speed */
  cpuSeconds: number;
  /** wall seconds with the current worker count */
  wallSeconds: number;
  /** peak memory of one run in bytes */
  peakBytesPerRun: number;
}

export interface QueueState {
  paused: boolean;
  /** worker threads of the pool */
  workers: number;
  /** the most runs on the WebGPU backend at a time (1..64): each keeps its own buffers in GPU memory */
  gpuRuns: number;
  running: number[];
  queued: number[];
}

/**
 * The range of setGpuRuns / QueueState.gpuRuns: 1..MAX_GPU_RUNS, the bound
 * the scheduler enforces (src-main/core/scheduler.ts re-exports it). Here so
 * the renderer can bound its input without reaching into src-main.
 */
export const MAX_GPU_RUNS = 64;

export interface SystemInfo {
  appVersion: string;
  dataDir: string;
  cores: number;
  workers: number;
  /** how the host is reached: 'electron' or 'web' */
  host: 'electron' | 'web';
  /** backend availability: the CPU always; WebGPU when an adapter exists */
  backends: { name: 'cpu' | 'webgpu'; available: boolean; description: string; fallback?: boolean }[];
  platform: string;
  node: string;
}

export type ExportFormat = 'csv' | 'zip' | 'pdf';

/**
 * Tables of the 'csv' export (src-main/core/exports/README.md): each a CSV
 * whose per-run rows start with experiment_id, run_id, arch, seed.
 */
export const EXPORT_CSV_TABLES = [
  'experiment', 'config', 'runs', 'learning_curve', 'gate_stats', 'summary', 'mu_units', 'tau_from_mu_units', 'H_N',
  'envelope_fits', 'master_fit', 'const_tau', 'summary_agg', 'H_N_agg',
] as const;

export type ExportCsvTable = (typeof EXPORT_CSV_TABLES)[number];

/**
 * 'zip': the reference result layout (SCIENCE.md §8), the files `lw run --out`
 * writes; 'csv': a ZIP of plain CSV tables (EXPORT_CSV_TABLES), or the one
 * table named by `table` as a single .csv file; 'pdf': the report.
 */
export interface ExportArg {
  /** an experiment (all its runs), or one run */
  experimentId?: number;
  runId?: number;
  format: ExportFormat;
  /** format 'csv' only: just this table, as one .csv file */
  table?: ExportCsvTable;
}

/** A produced file, delivered as bytes (IPC) or as a download (HTTP: GET /api/export). */
export interface ExportedFile {
  fileName: string;
  mime: string;
  bytes: Uint8Array;
}

export interface ImportArg {
  /** a folder or .zip of the reference pipeline's results, on the host's file system */
  path: string;
  name?: string;
}

/**
 * Noise lab (SCIENCE.md §5.1): symmetric α-stable draws and the tail-index
 * estimators, computed by the service with the engine's own code. A draw
 * (alpha, scale, n, seed) is reproducible: the same four numbers give the same
 * samples in sampleStable, estimateAlpha's `draw` and every noiseLabSweep cell.
 */
export const NOISE_LAB_LIMITS = {
  /** samples of one draw */
  maxSamples: 200_000,
  minSamples: 10,
  alphaMin: 1,
  alphaMax: 2,
  maxAlphas: 41,
  maxNs: 16,
  maxSeeds: 64,
  /** a sweep's work: Σ over (alpha, n, seed) of n · (1 + methods) (about 1 s on one core) */
  maxSweepWork: 6_000_000,
} as const;

/** One SαS(α, scale) draw by Chambers–Mallows–Stuck. */
export interface StableDrawArg {
  alpha: number;
  scale: number;
  n: number;
  seed: number;
}

export interface StableDraw extends StableDrawArg {
  samples: Float64Array;
}

/** Estimate (α̂, σ̂) of the given samples, or of a draw the service regenerates. */
export interface EstimateAlphaArg {
  samples?: Float64Array | number[];
  draw?: StableDrawArg;
  method: AlphaMethod;
  /** fewer finite samples than this: unreliable, α̂ = 2, σ̂ = 0 (default 500, as min_samples_alpha) */
  minSamples?: number;
  /** seeds the ecf subsample beyond 100 000 samples (default: the draw's seed, else 0) */
  seed?: number;
}

export interface AlphaEstimateResult {
  alpha: number;
  sigma: number;
  reliable: boolean;
  /** finite samples used */
  n: number;
  /** the method actually used (ecf falls back to mcculloch) */
  method: AlphaMethod;
  /** milliseconds the estimate took */
  ms: number;
}

/** Every (alpha, n, seed) draw, with scale `scale`, estimated by every method. */
export interface NoiseLabSweepArg {
  alphas: number[];
  ns: number[];
  seeds: number[];
  methods?: AlphaMethod[];
  /** default 1 */
  scale?: number;
  /** default 500 */
  minSamples?: number;
}

/** Statistics over the seeds of one (alpha, n, method) cell. */
export interface NoiseLabSweepRow {
  alpha: number;
  n: number;
  method: AlphaMethod;
  trials: number;
  mean_alpha_hat: number;
  /** sample standard deviation over the seeds (0 for one seed) */
  std: number;
  /** sqrt(mean (α̂ - α)²) */
  rmse: number;
  mean_sigma_hat: number;
  /** share of the estimates flagged reliable */
  reliable_fraction: number;
  /** how many times ecf fell back to mcculloch */
  fallbacks: number;
}

export interface NoiseLabSweepResult {
  rows: NoiseLabSweepRow[];
  scale: number;
  ms: number;
}

/** Live events, pushed to every client (IPC channel / WebSocket). */
export type ApiEvent =
  | { type: 'experiment-created'; experiment: ExperimentSummary }
  | { type: 'experiment-updated'; experiment: ExperimentSummary }
  | { type: 'experiment-deleted'; experimentId: number }
  | { type: 'run-status'; run: RunRecord }
  | {
    type: 'run-progress';
    runId: number;
    experimentId: number;
    phase: 'train' | 'diagnostics';
    /** training: the epoch just finished (0-based) and its row */
    epoch?: number;
    epochs?: number;
    row?: LearningCurveRow;
    /** diagnostics: steps done / total (batches, then lags) */
    stage?: 'batches' | 'lags';
    done?: number;
    total?: number;
    /** estimated seconds left for this run */
    etaSeconds?: number;
  }
  | { type: 'queue'; state: QueueState }
  /** the GPU kernel tuning: when it starts, as it progresses (at most 4 a second) and when it ends */
  | { type: 'gpu-tuning'; state: GpuTuningState };

export interface Api {
  // experiments
  listExperiments(arg: ListExperimentsArg): Promise<ExperimentList>;
  getExperiment(arg: { id: number }): Promise<ExperimentDetail>;
  createExperiment(arg: CreateExperimentArg): Promise<ExperimentDetail>;
  updateExperiment(arg: UpdateExperimentArg): Promise<ExperimentSummary>;
  /** a new experiment with the same configuration (and optional overrides) */
  duplicateExperiment(arg: { id: number; name?: string; config?: Record<string, unknown>; start?: boolean }): Promise<ExperimentDetail>;
  deleteExperiment(arg: { id: number }): Promise<{ deleted: boolean }>;
  /** queue an experiment's interrupted / failed / cancelled runs again */
  resumeExperiment(arg: { id: number }): Promise<ExperimentDetail>;
  cancelExperiment(arg: { id: number }): Promise<ExperimentDetail>;

  // runs
  getRun(arg: { runId: number }): Promise<RunRecord>;
  /**
   * A run's stored result (null when none is stored). `muUnits: false` leaves
   * out the per-unit envelopes (diagnostics.muUnits is then an empty list; the
   * lag grid, summaries, τ fits and all else are there): most of a paper-sized
   * result's bytes, needed only to draw per-unit envelopes. Default true.
   */
  getRunResult(arg: GetRunResultArg): Promise<RunResult | null>;
  /**
   * getRunResult of several runs in one call (at most MAX_RUN_RESULTS_BATCH
   * ids, each an existing run): the results in the order of `runIds`.
   * `curves: false` also leaves out the learning curves and gate statistics
   * (curve and gateStats are then empty lists). Both default to true.
   */
  getRunResults(arg: GetRunResultsArg): Promise<(RunResult | null)[]>;
  listRunEvents(arg: { runId: number; afterId?: number; limit?: number }): Promise<RunEvent[]>;
  cancelRun(arg: { runId: number }): Promise<RunRecord>;
  rerunRun(arg: { runId: number }): Promise<RunRecord>;

  // queue
  getQueue(): Promise<QueueState>;
  pauseQueue(): Promise<QueueState>;
  resumeQueue(): Promise<QueueState>;
  setWorkers(arg: { workers: number }): Promise<QueueState>;
  /** the most concurrent WebGPU runs (1..64); running ones finish, a lower cap takes effect as they end */
  setGpuRuns(arg: { gpuRuns: number }): Promise<QueueState>;

  // configuration
  validateConfig(arg: ValidateConfigArg): Promise<ValidateConfigResult>;
  estimateRuns(arg: ValidateConfigArg): Promise<RunEstimate>;

  // files
  exportData(arg: ExportArg): Promise<ExportedFile>;
  importResults(arg: ImportArg): Promise<ExperimentDetail>;

  // system
  getSystemInfo(): Promise<SystemInfo>;

  // GPU kernel tuning (src-shared/gpu-tuning.ts)
  /**
   * Tune the WebGPU kernels' shape for the model shapes of a configuration
   * (preset + overrides, as createExperiment resolves them: models, D, H,
   * layernorm, batch_size, T) on this host's adapter, in the background:
   * returns the state at once; 'gpu-tuning' events follow. The winners are
   * stored (a complete sweep's replaces the stored one of its key; one cut
   * short by a cancel or the budget only where its key has none) and every
   * later webgpu run of those shapes uses them. Refused (conflict) while a
   * tuning runs or runs are on the GPU (this host's, or runs another process
   * has marked running on webgpu), and without a hardware adapter (a
   * software one only on a host started with LW_TUNE_ALLOW_SOFTWARE=1); once
   * started, its failure is the state's error, never a conflict.
   */
  startGpuTuning(arg: StartGpuTuningArg): Promise<GpuTuningState>;
  /** the running tuning, or the last one to have ended */
  getGpuTuningState(): Promise<GpuTuningState>;
  /**
   * stop the running tuning after its current configuration: the model
   * shapes swept to the end are stored, the one cut short only where its key
   * has no tuning yet; no tuning: the state unchanged
   */
  cancelGpuTuning(): Promise<GpuTuningState>;
  /** the stored tunings (every adapter's, or one's), ordered by adapter, arch, D, H, batch */
  listGpuTunings(arg?: ListGpuTuningsArg): Promise<GpuTuningRecord[]>;
  /** forget a stored tuning (runs of its shape then use the default kernel shape); false when there was none */
  deleteGpuTuning(arg: { id: number }): Promise<{ deleted: boolean }>;

  // noise lab (bounded work, computed in the host process)
  sampleStable(arg: StableDrawArg): Promise<StableDraw>;
  estimateAlpha(arg: EstimateAlphaArg): Promise<AlphaEstimateResult>;
  noiseLabSweep(arg: NoiseLabSweepArg): Promise<NoiseLabSweepResult>;
}

export type ApiMethod = keyof Api;

/** Every method name, for transports that check the name before dispatching. */
export const API_METHODS: readonly ApiMethod[] = [
  'listExperiments', 'getExperiment', 'createExperiment', 'updateExperiment', 'duplicateExperiment',
  'deleteExperiment', 'resumeExperiment', 'cancelExperiment',
  'getRun', 'getRunResult', 'getRunResults', 'listRunEvents', 'cancelRun', 'rerunRun',
  'getQueue', 'pauseQueue', 'resumeQueue', 'setWorkers', 'setGpuRuns',
  'validateConfig', 'estimateRuns',
  'exportData', 'importResults',
  'getSystemInfo',
  'startGpuTuning', 'getGpuTuningState', 'cancelGpuTuning', 'listGpuTunings', 'deleteGpuTuning',
  'sampleStable', 'estimateAlpha', 'noiseLabSweep',
];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/** Error kinds a client can act on (shown to the user with the message). */
export type ApiErrorCode =
  | 'invalid' // bad argument or configuration: `fields` says which
  | 'not-found'
  | 'conflict' // wrong state, e.g. cancel a finished run
  | 'unauthorized'
  | 'internal';

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  fields?: ConfigError[];
}

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly fields?: ConfigError[]) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) };
  }
}

/**
 * Kernel tuning of the WebGPU backend (issue 6): the contract shared by the
 * tuner (src-workers/tasks/gpu-tune.ts, on a pool worker's device), the store
 * (migrations/0004, src-main/core/store/gpu-tunings.ts), the scheduler (which
 * hands a webgpu run the tunings of its model shape) and the UI / CLI
 * (`lw tune`, Settings).
 *
 * A tuning is the kernel shape (threads per workgroup, sequences per
 * workgroup, unroll factor) whose training step was the fastest on one
 * adapter for one model shape and mini-batch: the GPU kernels' results do not
 * depend on it beyond float32 summation order (unroll: bit-identical), only
 * their speed does. Runs apply the stored tuning of their (adapter, arch, D,
 * H, layernorm, batch) automatically and record the shape they used.
 *
 * Plain TypeScript: no Node APIs.
 */
import type { ArchName } from './config';

/** The kernel shape of a WebGPU model (src-workers/backends/webgpu/types.ts GpuKernelShape). */
export interface KernelShape {
  /** threads per workgroup (a power of two) */
  workgroupSize: number;
  /** sequences per workgroup (≥ 1) */
  seqsPerWorkgroup: number;
  /**
   * unroll of the input- and hidden-axis loops: a factor 1…32 (1 = rolled,
   * the models' default since the H200 measurement of 2026-11-28) or 'auto'
   * (per loop, from a register budget: the default before it)
   */
  unroll: UnrollSetting;
}

/** An unroll setting: a factor 1…MAX_UNROLL (1 = rolled) or 'auto' (per loop). */
export type UnrollSetting = number | 'auto';

/** Largest unroll factor a kernel shape may have. */
export const MAX_UNROLL = 32;

/** What a tuning applies to: the device and the model shape and mini-batch the kernels are sized for. */
export interface TuningKey {
  /** the adapter's label (src-workers/backends/select.ts adapterLabel), as runs record it */
  adapter: string;
  arch: ArchName;
  D: number;
  H: number;
  layernorm: boolean;
  /** the mini-batch size (batch_size): with S it sets the number of workgroups */
  batch: number;
}

/** A stored tuning. */
export interface GpuTuningRecord extends TuningKey {
  id: number;
  shape: KernelShape;
  /** median wall time of a training step with `shape` / with the default shape, milliseconds */
  stepMs: number;
  defaultStepMs: number | null;
  /** the sequence length the steps were timed at */
  T: number;
  /** configurations timed (refused ones not counted) */
  tried: number;
  /** when it was measured, milliseconds since the Unix epoch */
  tunedAt: number;
}

/** A tuning as the scheduler hands it to a webgpu run: the worker applies the one whose adapter is its device's. */
export interface RunGpuTuning {
  adapter: string;
  shape: KernelShape;
}

/** The kernel shape a webgpu run used, and where it came from (a stored tuning, or the backend's defaults). */
export interface RunKernelShape extends KernelShape {
  source: 'tuned' | 'default';
}

/** One model shape to tune (the shape of a run of an experiment). */
export interface TuneModelShape {
  arch: ArchName;
  D: number;
  H: number;
  layernorm: boolean;
  /** const architecture's s (ignored by the others; the kernels' cost does not depend on it) */
  constS: number;
}

/** Bounds of a tuning request. */
export const TUNE_LIMITS = {
  /** seconds the sweep may take in all (each model shape gets an equal share; its default is always timed) */
  budgetMin: 10,
  budgetMax: 3600,
  budgetDefault: 120,
  /** timed repetitions of each configuration (median) */
  repsMin: 1,
  repsMax: 20,
  repsDefault: 3,
} as const;

/** What the pool's tuning task is asked (the scheduler's tuneGpu; the service resolves a preset or config to it). */
export interface TuneGpuRequest {
  models: TuneModelShape[];
  /** mini-batch size and sequence length of the timed steps */
  batch: number;
  T: number;
  budgetSeconds: number;
  reps: number;
  /** tune on a software (fallback) adapter too — tests on SwiftShader only; default false (refused with a reason) */
  allowSoftware?: boolean;
  /** the configurations swept (default TUNE_GRID) */
  grid?: TuneGrid;
  /**
   * the largest batch the timed models accept, as runs make their models
   * (train.ts modelMaxBatch: the training or the evaluation batch; the
   * default S depends on it); default `batch`
   */
  maxBatch?: number;
}

/**
 * The sweep: the default shape, the default with each `unroll` setting, every
 * (S ≤ batch, WG) with the default unroll, and the fastest of those with each
 * `unroll` setting (src-workers/backends/webgpu/kernel-sweep.ts). The
 * default unroll is 1 (rolled), so the grid's settings are the others.
 */
export interface TuneGrid {
  seqs: number[];
  wg: number[];
  unroll: UnrollSetting[];
}

export const TUNE_GRID: Readonly<TuneGrid> = Object.freeze<TuneGrid>({ seqs: [1, 2, 4, 8], wg: [32, 64, 128, 256], unroll: ['auto', 4] });

/** Progress of a tuning: one line per configuration timed (or refused). */
export interface TuneProgress {
  arch: ArchName;
  /** configurations of this model shape done so far, and the planned count (a budget may cut it short) */
  done: number;
  planned: number;
  /** the configuration, e.g. "S 2, WG 128, unroll auto: step 12.3 ms" or "...: refused (reason)" */
  message: string;
}

/** What the tuning task returns for one model shape. */
export interface TuneShapeResult {
  model: TuneModelShape;
  /** the fastest training step's shape, null when no configuration could be timed */
  best: KernelShape | null;
  stepMs: number | null;
  defaultStepMs: number | null;
  tried: number;
  refused: number;
  /**
   * false: a cancel or the spent budget cut this shape's sweep short (its best
   * is over part of the grid: the scheduler stores it only where its key has
   * no tuning yet, never over one); absent or true: every configuration of
   * the grid was tried
   */
  complete?: boolean;
}

export interface TuneGpuOutput {
  adapter: string;
  /** a software adapter (the timings say nothing about a real GPU) */
  fallback: boolean;
  batch: number;
  T: number;
  results: TuneShapeResult[];
  /** configurations not tried because the budget was spent */
  skippedForBudget: number;
  /** stopped on request before the sweep ended (results: what was measured) */
  cancelled: boolean;
}

/** What tuning returns to the UI / CLI: the tuning task's output and the records stored from it. */
export interface TuneGpuResult extends TuneGpuOutput {
  stored: GpuTuningRecord[];
}

/** Whether `s` is a kernel shape the WebGPU models accept in principle (the device may still refuse it). */
export function isKernelShape(s: unknown): s is KernelShape {
  if (typeof s !== 'object' || s === null) return false;
  const k = s as Record<string, unknown>;
  const wg = k.workgroupSize;
  const seqs = k.seqsPerWorkgroup;
  const unroll = k.unroll;
  return Number.isInteger(wg) && (wg as number) >= 1 && (wg as number) <= 1024 && ((wg as number) & ((wg as number) - 1)) === 0
    && Number.isInteger(seqs) && (seqs as number) >= 1 && (seqs as number) <= 1024
    && isUnrollSetting(unroll);
}

/** Whether `u` is an unroll setting: 'auto' or an integer 1…MAX_UNROLL. */
export function isUnrollSetting(u: unknown): u is UnrollSetting {
  return u === 'auto' || (Number.isInteger(u) && (u as number) >= 1 && (u as number) <= MAX_UNROLL);
}

/** An unroll setting from command-line text ('auto' or an integer 1…32); null when it is neither. */
export function parseUnrollSetting(text: string): UnrollSetting | null {
  const t = text.trim();
  if (t === 'auto') return 'auto';
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  return isUnrollSetting(n) ? n : null;
}

/** "1.35×": the default shape's step time over the tuned one's; '' when either is unknown. */
export function speedUpText(stepMs: number | null, defaultStepMs: number | null): string {
  if (stepMs === null || defaultStepMs === null || !(stepMs > 0) || !Number.isFinite(defaultStepMs) || !Number.isFinite(stepMs)) return '';
  return `${(defaultStepMs / stepMs).toFixed(2)}×`;
}

/** "S 2, WG 128, unroll auto" */
export function kernelShapeLabel(s: KernelShape): string {
  return `S ${s.seqsPerWorkgroup}, WG ${s.workgroupSize}, unroll ${s.unroll}`;
}

/** Arguments of the Api's startGpuTuning (src-shared/api.ts): the model shapes come from a configuration, as createExperiment resolves it. */
export interface StartGpuTuningArg {
  /** start from this preset ('smoke' | 'quick' | 'paper') */
  preset?: string;
  /** field overrides (or a whole configuration), validated by the shared schema: models, D, H, layernorm, const_s, batch_size, T */
  config?: Record<string, unknown>;
  /** tune these architectures (default: the configuration's models) */
  models?: ArchName[];
  /** default TUNE_LIMITS.budgetDefault */
  budgetSeconds?: number;
  /** default TUNE_LIMITS.repsDefault */
  reps?: number;
}

/** Arguments of the Api's listGpuTunings: every stored tuning, or one adapter's. */
export interface ListGpuTuningsArg {
  adapter?: string;
}

/** What a tuning was asked (GpuTuningState.request): the resolved configuration's shapes and the sweep's bounds. */
export interface GpuTuningRequestInfo {
  preset?: string;
  models: ArchName[];
  D: number;
  H: number;
  layernorm: boolean;
  batch: number;
  T: number;
  budgetSeconds: number;
  reps: number;
}

/** The most progress lines GpuTuningState keeps (the latest). */
export const GPU_TUNING_PROGRESS_LINES = 200;

/**
 * The host's tuning, as the UI shows it (the Api's getGpuTuningState and the
 * 'gpu-tuning' event): the running one, or the last one to have ended (kept
 * by the host until the next starts, so a reloaded page sees it).
 */
export interface GpuTuningState {
  /**
   * increases with every state the host publishes (start, progress, end):
   * a client keeps the snapshot with the highest seq, so a reply that
   * arrives after a newer event never overwrites it
   */
  seq: number;
  active: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  request: GpuTuningRequestInfo | null;
  /** the latest progress lines (at most GPU_TUNING_PROGRESS_LINES) */
  progress: TuneProgress[];
  /** per architecture of the request: configurations done and planned (0 planned: not started) */
  perModel: { arch: ArchName; done: number; planned: number }[];
  /** what the tuning task measured and the records stored (null while active, or when it failed) */
  result: TuneGpuResult | null;
  /** why it failed */
  error: string | null;
  /** stopped on request */
  cancelled: boolean;
  /** the host tunes on a software adapter too (started with LW_TUNE_ALLOW_SOFTWARE=1: tests on SwiftShader) */
  allowSoftware: boolean;
  /** the host's usable WebGPU adapter (its label, as runs and tunings record it), null when it has none */
  adapter: { label: string; software: boolean } | null;
  /** why a tuning cannot start on this host (no adapter, a software one), else null */
  unavailable: string | null;
}

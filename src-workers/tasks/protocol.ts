/**
 * Messages between the main thread and a pool worker running one unit
 * (one run = one (architecture, seed) of an experiment, DESIGN.md §2).
 *
 * Progress travels over a MessagePort (piscina's documented pattern), never
 * stdout. Cancellation is a shared Int32 flag: on the CPU the worker's
 * training loop never yields to the event loop (its awaits resolve as
 * microtasks), so it cannot receive port messages while it runs, but it can
 * read shared memory between mini-batches (and between diagnostic batches).
 *
 * Everything here is plain data (structured clone): numbers, strings,
 * booleans, arrays, plain objects and Float64Arrays.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { RunGpuTuning, TuneGpuOutput, TuneGpuRequest, TuneProgress } from '../../src-shared/gpu-tuning';
import type { ComputeBackend, LearningCurveRow, RunResult } from '../../src-shared/results';

/** Diagnostics progress: `batch` (diagnostic batches done / total), then `lag` (lag statistics done / total). */
export type DiagnosticsStage = 'batch' | 'lag';

export type ProgressMessage =
  | { type: 'start'; arch: ArchName; seed: number }
  | { type: 'epoch'; arch: ArchName; seed: number; row: LearningCurveRow }
  | { type: 'diagnostics'; arch: ArchName; seed: number; stage: DiagnosticsStage; done: number; total: number }
  /** last message of a unit on its port (messages on one port arrive in order) */
  | { type: 'end'; arch: ArchName; seed: number };

export interface RunUnitInput {
  config: ExperimentConfig;
  arch: ArchName;
  seed: number;
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** the backend the host resolved for this run (src-workers/backends/select.ts); absent: cpu */
  backend?: ComputeBackend;
  /** webgpu: fall back to the CPU when no GPU device or model can be had (the run asked for `auto`) */
  cpuFallback?: boolean;
  /**
   * webgpu: the stored kernel tunings of the run's model shape and mini-batch,
   * every adapter's (the store's runTuningsFor); the worker applies the one
   * whose adapter is its device's (adapterLabel), else the backend's defaults
   */
  gpuTunings?: RunGpuTuning[];
  /** progress messages go here (transferred to the worker) */
  port?: MessagePort;
  /** Int32Array view of length >= 1; a non-zero element 0 asks the run to stop */
  stopFlag?: SharedArrayBuffer;
  /**
   * Int32Array view, element 0: how many of the pool's GPU runs are in their
   * diagnostics now (each takes its share of the cores for its lag threads);
   * element 1 (where the view has it): how many of its runs compute on the
   * CPU now (each keeps a core busy, not lent to lag threads)
   */
  diagnosticsLoad?: SharedArrayBuffer;
}

/**
 * What a unit returns: its persisted result (src-shared/results.ts, the
 * single definition of the rows, diagnostics and fits) and which run it was.
 */
export interface RunUnitOutput extends RunResult {
  arch: ArchName;
  seed: number;
  /** why a webgpu run ran on the CPU instead (cpuFallback), for the run's log */
  backendNote?: string;
  /** why a webgpu run did not use its adapter's stored tuning (the device refused that kernel shape), for the run's log */
  kernelNote?: string;
}

// ---------------------------------------------------------------------------
// The GPU kernel tuning task (pool task 'tuneGpuTask', src-workers/tasks/gpu-tune.ts)
// ---------------------------------------------------------------------------

/** What the tuning task reports as it goes, and when it stops measuring (gpu-tune.ts tuneGpu's hooks). */
export interface TuneGpuHooks {
  /**
   * one call per configuration timed, refused or found timed already; a
   * model shape whose sweep ended short of its planned count (the budget
   * spent) gets a last line at the planned count saying why
   */
  progress?(p: TuneProgress): void;
  /** asked between configurations: true stops the tuning (its output then says cancelled) */
  shouldStop?(): boolean;
}

/** The tuner (gpu-tune.ts tuneGpu; tests put fakes in its place). */
export type TuneGpuFn = (req: TuneGpuRequest, hooks?: TuneGpuHooks) => Promise<TuneGpuOutput>;

/** Progress messages of a tuning on its MessagePort; `end` is the last. */
export type TuneMessage = { type: 'progress'; progress: TuneProgress } | { type: 'end' };

export interface TuneGpuInput {
  req: TuneGpuRequest;
  /** progress messages go here (transferred to the worker) */
  port?: MessagePort;
  /** Int32Array view of length >= 1; a non-zero element 0 stops the tuning after its current configuration */
  stopFlag?: SharedArrayBuffer;
}

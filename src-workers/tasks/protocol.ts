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
import type { LearningCurveRow, RunResult } from '../../src-shared/results';

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
  /** progress messages go here (transferred to the worker) */
  port?: MessagePort;
  /** Int32Array view of length >= 1; a non-zero element 0 asks the run to stop */
  stopFlag?: SharedArrayBuffer;
}

/**
 * What a unit returns: its persisted result (src-shared/results.ts, the
 * single definition of the rows, diagnostics and fits) and which run it was.
 */
export interface RunUnitOutput extends RunResult {
  arch: ArchName;
  seed: number;
}

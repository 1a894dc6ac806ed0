/**
 * Messages between the main thread and a pool worker running one unit
 * (one run = one (architecture, seed) of an experiment, DESIGN.md §2).
 *
 * Progress travels over a MessagePort (piscina's documented pattern), never
 * stdout. Cancellation is a shared Int32 flag: the worker's training loop is
 * synchronous, so it cannot receive port messages while it runs, but it can
 * read shared memory between mini-batches.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';

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

export type ProgressMessage =
  | { type: 'start'; arch: ArchName; seed: number }
  | { type: 'epoch'; arch: ArchName; seed: number; row: EpochRow }
  /** last message of a unit on its port (messages on one port arrive in order) */
  | { type: 'end'; arch: ArchName; seed: number };

export interface RunUnitInput {
  config: ExperimentConfig;
  arch: ArchName;
  seed: number;
  /** progress messages go here (transferred to the worker) */
  port?: MessagePort;
  /** Int32Array view of length >= 1; a non-zero element 0 asks the run to stop */
  stopFlag?: SharedArrayBuffer;
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
}

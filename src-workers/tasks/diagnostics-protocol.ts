/**
 * What the run's thread and a diagnostics lag thread share
 * (diagnostics-threads.ts ↔ diagnostics-worker.ts): the thread's start-up
 * data, its requests, and the typed views both sides take of the shared
 * batch arrays.
 */
import type { LagWorkSpec } from '../engine/diagnostics/lag-work';
import type { LagBatchArrays } from '../engine/diagnostics/run-diagnostics';

/** One set of a batch's arrays, shared with the run's thread. */
export interface LagSetBuffers { y: SharedArrayBuffer; yhat: SharedArrayBuffer; v: SharedArrayBuffer; record: Record<string, SharedArrayBuffer> }

export interface LagThreadData {
  spec: LagWorkSpec;
  precision: 'f32' | 'f64';
  /** two sets (the run's thread fills one while this thread reads the other) and W_out */
  buffers: { sets: LagSetBuffers[]; wOut: SharedArrayBuffer };
}

export type LagThreadRequest = { type: 'batch'; B: number; set: number } | { type: 'finish' };

/** A float view of shared memory in the model's precision. */
export function sharedView(b: SharedArrayBuffer, precision: 'f32' | 'f64'): Float32Array | Float64Array {
  return precision === 'f64' ? new Float64Array(b) : new Float32Array(b);
}

/** The batch arrays of one shared set. */
export function lagSetArrays(set: LagSetBuffers, precision: 'f32' | 'f64'): LagBatchArrays {
  const record: Record<string, Float32Array | Float64Array> = {};
  for (const [name, b] of Object.entries(set.record)) record[name] = sharedView(b, precision);
  return { y: sharedView(set.y, precision), yhat: sharedView(set.yhat, precision), v: sharedView(set.v, precision), record };
}

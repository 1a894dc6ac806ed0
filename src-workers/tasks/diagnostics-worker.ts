/**
 * One lag thread of the diagnostics (diagnostics-threads.ts): a LagWork over
 * its share of the lag grid, reading each batch from the memory it shares
 * with the run's thread (the model wrote ŷ, v and the §4.1 terms there).
 *
 * Messages in: { type: 'batch', B, set } (the first B sequences of shared
 * array set `set`), { type: 'finish' }. Out: 'ready' once built, 'done' per batch,
 * 'lag' per lag finished, then { type: 'result', results }; { type: 'error',
 * message } for any failure (the thread then waits to be terminated).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LagWork, type LagWorkSpec } from '../engine/diagnostics/lag-work';

/** One set of a batch's arrays, shared with the run's thread. */
export interface LagSetBuffers { y: SharedArrayBuffer; yhat: SharedArrayBuffer; v: SharedArrayBuffer; record: Record<string, SharedArrayBuffer> }

export interface LagThreadData {
  spec: LagWorkSpec;
  precision: 'f32' | 'f64';
  /** two sets (the run's thread fills one while this thread reads the other) and W_out */
  buffers: { sets: LagSetBuffers[]; wOut: SharedArrayBuffer };
}

export type LagThreadRequest = { type: 'batch'; B: number; set: number } | { type: 'finish' };

const port = parentPort!;
const fail = (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });

try {
  const data = workerData as LagThreadData;
  const view = (b: SharedArrayBuffer): Float32Array | Float64Array => (data.precision === 'f64' ? new Float64Array(b) : new Float32Array(b));
  const { buffers } = data;
  const wOut = view(buffers.wOut);
  const sets = buffers.sets.map((set) => {
    const record: Record<string, Float32Array | Float64Array> = {};
    for (const [name, b] of Object.entries(set.record)) record[name] = view(b);
    return { y: view(set.y), yhat: view(set.yhat), v: view(set.v), record };
  });
  const work = new LagWork(data.spec);
  port.on('message', (m: LagThreadRequest) => {
    try {
      if (m.type === 'batch') {
        const { record, v, yhat, y } = sets[m.set]!;
        work.addBatch({ B: m.B, record, v, yhat, y, wOut, wOff: 0 });
        port.postMessage({ type: 'done' });
      } else {
        const results = work.finish(() => port.postMessage({ type: 'lag' }));
        port.postMessage({ type: 'result', results });
      }
    } catch (err) {
      fail(err);
    }
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  fail(err);
}

/**
 * The diagnostics' per-lag work split between worker threads (a
 * LagExecutorFactory for runDiagnostics, engine/diagnostics/run-diagnostics.ts).
 *
 * Why: on a GPU run the diagnostics pass is the host's μ/ψ work (SCIENCE.md
 * §4.2), 128 lags × T × H per sequence: measured on an H200 machine,
 * 309–693 s per `paper` run on one thread while the GPU waited (its own
 * passes take a fraction of a second per batch). Lags are independent
 * (lag-work.ts), so each thread takes every K-th lag of the grid (costs
 * T − ℓ balance that way), reads each batch from memory shared with the run's
 * thread — the model writes ŷ, v and the §4.1 terms straight into it — and
 * sends its lags' results back at the end; they are put back in grid order.
 * The numbers are those of one thread, bit for bit (tested).
 *
 * CPU runs do not use it: their pool already keeps every core busy.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LagResult } from '../engine/diagnostics/lag-work';
import type { LagExecutor, LagExecutorFactory, LagExecutorSpec } from '../engine/diagnostics/run-diagnostics';
import { RECORDED_TERMS } from '../engine/models/types';
import { lagSetArrays, sharedView, type LagSetBuffers, type LagThreadData, type LagThreadRequest } from './diagnostics-protocol';

/** The thread entry in development (TypeScript through tsx). */
export const DEV_DIAGNOSTICS_WORKER = fileURLToPath(new URL('./diagnostics-worker.mjs', import.meta.url));
/** The built entry's name, beside the bundle that contains this code (electron.vite.config.ts). */
export const BUILT_DIAGNOSTICS_WORKER = 'diagnostics-worker.js';

export function diagnosticsWorkerFile(): string {
  const built = join(dirname(fileURLToPath(import.meta.url)), BUILT_DIAGNOSTICS_WORKER);
  return existsSync(built) ? built : DEV_DIAGNOSTICS_WORKER;
}

type Reply = { type: 'ready' } | { type: 'done' } | { type: 'lag' } | { type: 'result'; results: LagResult[] } | { type: 'error'; message: string };

interface Waiter { want: Reply['type']; resolve: (r: Reply) => void; reject: (e: Error) => void }

/** A lag thread: requests answered in order (one reply each, 'lag' progress aside). */
class LagThread {
  private readonly worker: Worker;
  private readonly waiting: Waiter[] = [];
  private failed: Error | null = null;
  onLag: (() => void) | null = null;

  constructor(file: string, data: LagThreadData, readonly index: number) {
    this.worker = new Worker(file, { workerData: data });
    this.worker.on('message', (r: Reply) => {
      if (r.type === 'lag') {
        this.onLag?.();
        return;
      }
      const w = this.waiting.shift();
      if (r.type === 'error') this.fail(new Error(`diagnostics lag thread ${index}: ${r.message}`), w);
      else if (w && r.type === w.want) w.resolve(r);
      else this.fail(new Error(`diagnostics lag thread ${index}: unexpected '${r.type}'`), w);
    });
    this.worker.on('error', (err) => this.fail(new Error(`diagnostics lag thread ${index} failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.failed) this.fail(new Error(`diagnostics lag thread ${index} exited (code ${code})`));
    });
  }

  /** Fail this thread: `w` (already taken from the queue) and every waiter still queued are rejected. */
  private fail(err: Error, w?: Waiter): void {
    this.failed ??= err;
    w?.reject(this.failed);
    for (const q of this.waiting.splice(0)) q.reject(this.failed);
  }

  /** Send `msg` (none: only wait) and resolve with its reply, of type `want`. */
  request(want: Reply['type'], msg?: LagThreadRequest): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ want, resolve, reject });
      if (msg) this.worker.postMessage(msg);
    });
  }

  terminate(): void {
    this.fail(new Error(`diagnostics lag thread ${this.index} was stopped`));
    void this.worker.terminate();
  }
}

/**
 * Run the lag grid on `threads` threads (at most one per lag); `workerFile`
 * defaults to diagnosticsWorkerFile().
 */
export function threadedLagExecutor(threads: number, workerFile = diagnosticsWorkerFile()): LagExecutorFactory {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`diagnostics threads must be a positive integer (got ${threads})`);
  return async (spec: LagExecutorSpec): Promise<LagExecutor> => {
    const { T, H, Bmax, lags, arch, precision } = spec;
    const K = Math.min(threads, lags.length);
    const bytes = precision === 'f64' ? 8 : 4;
    const shared = (n: number) => new SharedArrayBuffer(n * bytes);
    // two sets of batch arrays: the run's thread fills one (GPU passes, data) while the lag threads read the other
    const makeSet = (): LagSetBuffers => {
      const set: LagSetBuffers = { y: shared(T * Bmax), yhat: shared(T * Bmax), v: shared(T * Bmax * H), record: {} };
      for (const name of RECORDED_TERMS[arch]) set.record[name] = shared(T * Bmax * H);
      return set;
    };
    const buffers: LagThreadData['buffers'] = { sets: [makeSet(), makeSet()], wOut: shared(H) };
    const sets = buffers.sets.map((set) => lagSetArrays(set, precision));
    /** the set being filled, and per set the threads' acknowledgement of the batch it last held */
    let cur = 0;
    const inFlight: (Promise<unknown> | null)[] = [null, null];
    const wOutView = sharedView(buffers.wOut, precision);

    // thread k: lags k, k+K, k+2K, … of the grid (grid index kept to put the results back)
    const groups: number[][] = Array.from({ length: K }, () => []);
    lags.forEach((_, i) => groups[i % K]!.push(i));
    const { batchArrays: _none, Bmax: _b, precision: _p, ...work } = spec;
    const pool: LagThread[] = [];
    const dispose = () => pool.forEach((t) => t.terminate());
    try {
      groups.forEach((g, k) => pool.push(new LagThread(workerFile, { spec: { ...work, lags: g.map((i) => lags[i]!) }, precision, buffers }, k)));
      await Promise.all(pool.map((t) => t.request('ready')));
    } catch (err) {
      dispose();
      throw err;
    }
    let wOutSet = false;
    return {
      get arrays() {
        return sets[cur]!;
      },
      async addBatch(B, wOut, wOff) {
        if (!wOutSet) { // the parameters do not change during the diagnostics
          for (let q = 0; q < H; q++) wOutView[q] = wOut[wOff + q]!;
          wOutSet = true;
        }
        const acks = Promise.all(pool.map((t) => t.request('done', { type: 'batch', B, set: cur })));
        acks.catch(() => {}); // awaited below or by finish(); a failure is reported there
        inFlight[cur] = acks;
        cur = 1 - cur;
        await inFlight[cur]; // the set filled next is free once the threads are done with its last batch
        inFlight[cur] = null;
      },
      async finish(onLag) {
        // onLag runs in a message listener: what it throws (a cancellation) must reject finish(), not escape
        let done = 0;
        let thrown: { err: unknown } | null = null;
        for (const t of pool) {
          t.onLag = () => {
            if (thrown) return;
            try {
              onLag?.(++done);
            } catch (err) {
              thrown = { err };
              dispose();
            }
          };
        }
        let replies: Reply[];
        try {
          await Promise.all(inFlight);
          replies = await Promise.all(pool.map((t) => t.request('result', { type: 'finish' })));
        } catch (err) {
          throw thrown ? (thrown as { err: unknown }).err : err;
        }
        const out: LagResult[] = new Array(lags.length);
        replies.forEach((r, k) => {
          const results = (r as { results: LagResult[] }).results;
          groups[k]!.forEach((i, j) => { out[i] = results[j]!; });
        });
        return out;
      },
      dispose,
    };
  };
}

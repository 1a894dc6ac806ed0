/**
 * The interactive pool: one worker thread for short interactive computations
 * (the noise lab's Api methods: up to about a second of CPU each), so that the
 * host's main thread keeps answering IPC / HTTP and forwarding progress while
 * they run. Separate from the run pool (pool.ts), so a noise-lab click never
 * waits behind training runs.
 *
 * The piscina pool is created on first use; its thread closes after
 * `idleTimeoutMs` without work and is started again on the next call. A
 * worker that dies (crash, process.exit) fails only the call it was running,
 * with a clear error; piscina starts a fresh thread for the next one.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { NoiseLabArgs, NoiseLabMethod, NoiseLabRequest, NoiseLabResults } from './noise-lab-task';

/** the development entry: loads noise-lab-task.ts through tsx */
export const DEFAULT_NOISE_LAB_WORKER_FILE = fileURLToPath(new URL('./noise-lab-worker.mjs', import.meta.url));
/** the bundled entry's name, built beside the run pool's (electron.vite.config.ts) */
export const BUILT_NOISE_LAB_WORKER = 'noise-lab-worker.js';
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * The interactive worker entry to use given the run pool's entry: the built
 * noise-lab-worker.js when the run pool's file sits in a build folder that has
 * one (out/main/run-unit-worker.js → out/main/noise-lab-worker.js), else the
 * development entry.
 */
export function noiseLabWorkerFileFor(runWorkerFile?: string): string {
  if (runWorkerFile) {
    const built = join(dirname(runWorkerFile), BUILT_NOISE_LAB_WORKER);
    if (existsSync(built)) return built;
  }
  return DEFAULT_NOISE_LAB_WORKER_FILE;
}

export interface InteractivePoolOptions {
  /** the worker entry (default: noise-lab-worker.mjs beside this file) */
  filename?: string;
  /** close the idle thread after this long (default 30 s) */
  idleTimeoutMs?: number;
  /** problems not tied to a call (default console.warn) */
  warn?: (message: string) => void;
}

export interface InteractivePool {
  run<M extends NoiseLabMethod>(method: M, arg: NoiseLabArgs[M]): Promise<NoiseLabResults[M]>;
  /** whether the piscina pool has been created (it is, on the first run) */
  readonly started: boolean;
  /** worker threads alive now (0 or 1) */
  readonly threads: number;
  /** stop the thread; calls in flight reject, later calls are refused */
  destroy(): Promise<void>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createInteractivePool(opts: InteractivePoolOptions = {}): InteractivePool {
  const warn = opts.warn ?? ((m: string) => console.warn(`interactive pool: ${m}`));
  let pool: Piscina | null = null;
  let destroyed = false;
  const get = (): Piscina => {
    if (!pool) {
      pool = new Piscina({
        filename: opts.filename ?? DEFAULT_NOISE_LAB_WORKER_FILE,
        minThreads: 0,
        maxThreads: 1,
        idleTimeout: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        concurrentTasksPerWorker: 1,
      });
      // errors not tied to a task (an idle worker failing) must not go unhandled
      pool.on('error', (err: unknown) => warn(`worker error: ${message(err)}`));
    }
    return pool;
  };

  return {
    async run(method, arg) {
      if (destroyed) throw new Error(`${method}: the interactive worker pool is closed`);
      let task = { method, arg } as NoiseLabRequest;
      const transferList: ArrayBuffer[] = [];
      if (task.method === 'estimateAlpha' && task.arg.samples) {
        // a copy of the caller's samples (never detach them), moved rather than cloned
        const copy = Float64Array.from(task.arg.samples);
        transferList.push(copy.buffer);
        task = { method: 'estimateAlpha', arg: { ...task.arg, samples: copy } };
      }
      try {
        return (await get().run(task, { transferList })) as NoiseLabResults[typeof method];
      } catch (err) {
        // arguments are checked before they get here: a RangeError is the computation's own refusal
        if (err instanceof RangeError) throw err;
        if (destroyed) throw new Error(`${method}: cancelled, the workstation is shutting down`);
        throw new Error(`${method} failed in the noise lab's worker thread (${message(err)}); the next call starts a fresh thread`);
      }
    },
    get started() {
      return pool !== null;
    },
    get threads() {
      return pool ? pool.threads.length : 0;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      const p = pool;
      pool = null;
      if (p) await p.destroy();
    },
  };
}

/**
 * The worker pool that runs units (DESIGN.md §2 step 3): piscina worker
 * threads, one unit per task, progress streamed over a MessagePort per task,
 * cancellation through one shared flag.
 *
 * `workers: 0` runs units one after another on the calling thread (no pool),
 * for debugging and profiling.
 *
 * `tune` runs a GPU kernel tuning (src-workers/tasks/gpu-tune.ts) as the
 * workers' named task 'tuneGpuTask' (run-unit.ts), with its progress over a
 * MessagePort and its own stop flag, as units; in-process with `workers: 0`.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { useHeadlessNvidiaDriver } from '../backends/webgpu/nvidia-headless';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { RunGpuTuning, TuneGpuOutput, TuneGpuRequest, TuneProgress } from '../../src-shared/gpu-tuning';
import type { ComputeBackend } from '../../src-shared/results';
import type { ProgressMessage, RunUnitInput, RunUnitOutput, TuneGpuInput, TuneMessage } from './protocol';
import type { TunerModule } from './run-unit';

export interface UnitRequest {
  config: ExperimentConfig;
  arch: ArchName;
  seed: number;
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** the backend the host resolved (default cpu) */
  backend?: ComputeBackend;
  /** webgpu: run on the CPU when no GPU device or model can be had (`auto`) */
  cpuFallback?: boolean;
  /** webgpu: the stored tunings of the run's model shape and mini-batch (every adapter's; the worker applies its device's) */
  gpuTunings?: RunGpuTuning[];
  /**
   * this unit's own stop flag (Int32Array view, element 0 non-zero = stop), so
   * one unit can be cancelled alone; stop() sets it too while the unit is in
   * flight. Default: the pool's flag.
   */
  stopFlag?: SharedArrayBuffer;
}

export interface RunPool {
  /** number of worker threads (0: in-process) */
  readonly threads: number;
  run(req: UnitRequest, onProgress?: (m: ProgressMessage) => void): Promise<RunUnitOutput>;
  /**
   * Tune the GPU kernels on a worker's device (its own thread; in-process
   * with 0 threads): one progress call per configuration; a non-zero element
   * 0 of `stopFlag` (Int32Array view) stops it after its current
   * configuration, as stop() does. Rejects with the tuner's error (an
   * invalid request: RangeError naming the field; a software adapter
   * without allowSoftware; no device).
   */
  tune(req: TuneGpuRequest, onProgress?: (p: TuneProgress) => void, stopFlag?: SharedArrayBuffer): Promise<TuneGpuOutput>;
  /** ask every running and queued unit (and tuning) to stop at its next mini-batch (configuration) */
  stop(): void;
  readonly stopped: boolean;
  destroy(): Promise<void>;
}

export interface RunPoolOptions {
  /** worker threads; 0 runs in-process. Default: available cores */
  workers?: number;
  /** the worker entry (default: run-unit-worker.mjs beside this file; a bundle may pass its own) */
  filename?: string;
  /** workers 0 only: the tuner module (default: gpu-tune.ts; tests pass fakes) */
  loadTuner?: () => Promise<TunerModule>;
}

export const DEFAULT_WORKER_FILE = fileURLToPath(new URL('./run-unit-worker.mjs', import.meta.url));

export function defaultWorkerCount(tasks: number): number {
  return Math.max(1, Math.min(tasks, availableParallelism()));
}

export function createRunPool(opts: RunPoolOptions = {}): RunPool {
  // a worker's process.env is its own copy: the Vulkan driver choice must be made in this thread's (the OS's) environment
  useHeadlessNvidiaDriver();
  const threads = opts.workers ?? availableParallelism();
  const stopBuf = new SharedArrayBuffer(4);
  // shared by the workers: [GPU runs in their diagnostics, runs computing on the CPU]; each GPU run's lag
  // threads take a share of the cores the CPU runs leave
  const diagnosticsLoad = new SharedArrayBuffer(8);
  const stopFlag = new Int32Array(stopBuf);
  const isStopped = () => Atomics.load(stopFlag, 0) !== 0;
  /** own flags of the units in flight (stop() sets them too) */
  const ownFlags = new Set<Int32Array>();
  const stop = () => {
    Atomics.store(stopFlag, 0, 1);
    for (const f of ownFlags) Atomics.store(f, 0, 1);
  };
  /** a tuning's own flag (given or new), set now when the pool is stopped, and set by stop() while it runs */
  const tuneFlag = (given?: SharedArrayBuffer): { buf: SharedArrayBuffer; flag: Int32Array } => {
    const buf = given ?? new SharedArrayBuffer(4);
    const flag = new Int32Array(buf);
    if (isStopped()) Atomics.store(flag, 0, 1);
    ownFlags.add(flag);
    return { buf, flag };
  };

  if (threads === 0) {
    return {
      threads: 0,
      async run(req, onProgress) {
        const { runUnit } = await import('./run-unit');
        const own = req.stopFlag ? new Int32Array(req.stopFlag) : null;
        return runUnit(req.config, req.arch, req.seed, {
          ...(onProgress ? { emit: onProgress } : {}),
          shouldStop: own ? () => isStopped() || Atomics.load(own, 0) !== 0 : isStopped,
        }, {
          diagnostics: req.diagnostics ?? true, backend: req.backend ?? 'cpu', cpuFallback: req.cpuFallback ?? false,
          diagnosticsLoad: new Int32Array(diagnosticsLoad),
          ...(req.gpuTunings ? { gpuTunings: req.gpuTunings } : {}),
        });
      },
      async tune(req, onProgress, given) {
        const { runTuneGpu } = await import('./run-unit');
        const { flag } = tuneFlag(given);
        try {
          return await runTuneGpu(req, {
            ...(onProgress ? { progress: onProgress } : {}),
            shouldStop: () => Atomics.load(flag, 0) !== 0,
          }, opts.loadTuner);
        } finally {
          ownFlags.delete(flag);
        }
      },
      stop,
      get stopped() {
        return isStopped();
      },
      destroy: async () => {},
    };
  }

  const pool = new Piscina({
    filename: opts.filename ?? DEFAULT_WORKER_FILE,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 1000,
    // one unit per worker at a time: training is CPU-bound (or holds the worker's GPU device)
    concurrentTasksPerWorker: 1,
  });

  return {
    threads,
    async run(req, onProgress) {
      const { port1, port2 } = new MessageChannel();
      let ended!: () => void;
      const endSeen = new Promise<void>((resolve) => (ended = resolve));
      const own = req.stopFlag ? new Int32Array(req.stopFlag) : null;
      if (own) {
        if (isStopped()) Atomics.store(own, 0, 1);
        ownFlags.add(own);
      }
      port1.on('message', (m: ProgressMessage) => {
        if (m.type === 'end') ended();
        else onProgress?.(m);
      });
      try {
        const out = (await pool.run(
          {
            config: req.config, arch: req.arch, seed: req.seed, diagnostics: req.diagnostics ?? true,
            backend: req.backend ?? 'cpu', cpuFallback: req.cpuFallback ?? false,
            port: port2, stopFlag: req.stopFlag ?? stopBuf, diagnosticsLoad,
            ...(req.gpuTunings ? { gpuTunings: req.gpuTunings } : {}),
          } satisfies RunUnitInput,
          { transferList: [port2] },
        )) as RunUnitOutput;
        // the result and the progress travel on different channels: wait for the
        // unit's last progress message so that no line arrives after its result
        await Promise.race([endSeen, new Promise((r) => setTimeout(r, 2000).unref())]);
        return out;
      } finally {
        port1.close();
        if (own) ownFlags.delete(own);
      }
    },
    async tune(req, onProgress, given) {
      const { port1, port2 } = new MessageChannel();
      let ended!: () => void;
      const endSeen = new Promise<void>((resolve) => (ended = resolve));
      const { buf, flag } = tuneFlag(given);
      port1.on('message', (m: TuneMessage) => {
        if (m.type === 'end') ended();
        else onProgress?.(m.progress);
      });
      try {
        const out = (await pool.run({ req, port: port2, stopFlag: buf } satisfies TuneGpuInput, { name: 'tuneGpuTask', transferList: [port2] })) as TuneGpuOutput;
        // the last progress line before the result (they travel on different channels)
        await Promise.race([endSeen, new Promise((r) => setTimeout(r, 2000).unref())]);
        return out;
      } finally {
        port1.close();
        ownFlags.delete(flag);
      }
    },
    stop,
    get stopped() {
      return isStopped();
    },
    destroy: () => pool.destroy(),
  };
}

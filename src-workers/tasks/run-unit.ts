/**
 * Pool task: train one unit (architecture, seed), then run its diagnostics
 * and fits on the trained model (the last finite parameters when the run
 * diverged), and return plain data.
 *
 * `runUnit` is the plain function (usable in-process); the default export is
 * the piscina entry point, which forwards progress over the task's
 * MessagePort. The returned object is structured-cloneable (rows, typed
 * arrays and plain objects; the model stays in the worker).
 *
 * Cancellation: the stop flag is polled between training mini-batches and
 * between diagnostic batches / lags. A run cancelled during training skips
 * its diagnostics; one cancelled during its diagnostics returns without them.
 *
 * Backend (resolved by the host, src-workers/backends/select.ts): 'cpu' runs
 * the engine's CPU kernels; 'webgpu' imports the GPU backend dynamically (so
 * CPU runs never load dawn.node), takes the thread's device (acquireGpu),
 * trains and diagnoses on a GPU model made through trainRun's createModel
 * hook, and disposes it at the end. When no device or GPU model can be had,
 * the run fails with the reason, or, with `cpuFallback` (the host chose
 * webgpu for `auto`), runs on the CPU and says why in `backendNote`. The
 * output names the backend used and the adapter.
 */
import { availableParallelism } from 'node:os';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { ComputeBackend, DiagnosticsStatus, RunDiagnostics } from '../../src-shared/results';
import { adapterLabel } from '../backends/select';
import type { GpuContext, GpuModelFactory, GpuModelOptions } from '../backends/webgpu/types';
import { trainRun, type CreateModelHook, type TrainResult } from '../engine/train';
import { analyseRun } from './analyse-run';
import { threadedLagExecutor } from './diagnostics-threads';
import type { ProgressMessage, RunUnitInput, RunUnitOutput } from './protocol';

export interface RunUnitHooks {
  emit?(msg: ProgressMessage): void;
  shouldStop?(): boolean;
}

/** What run-unit needs from the GPU backend (src-workers/backends/webgpu/index.ts). */
export interface GpuBackendModule {
  acquireGpu(): Promise<GpuContext>;
  createGpuModel: GpuModelFactory;
}

export interface RunUnitOptions {
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** the backend the host resolved (default 'cpu') */
  backend?: ComputeBackend;
  /** webgpu only: run on the CPU, with a note, when no GPU device or model can be had (`auto`) */
  cpuFallback?: boolean;
  /** the GPU backend (default: a dynamic import of src-workers/backends/webgpu; tests pass others) */
  loadGpu?: () => Promise<GpuBackendModule>;
  /**
   * Threads for the diagnostics' per-lag work of a run trained on the GPU
   * (diagnostics-threads.ts; default diagnosticsThreadsFor(the runs in their
   * diagnostics, this one included)). CPU runs use their own thread: the pool
   * already keeps every core busy.
   */
  diagnosticsThreads?: number;
  /**
   * element 0: the pool's GPU runs in their diagnostics; element 1 (when
   * present): its runs computing on the CPU (RunUnitInput.diagnosticsLoad)
   */
  diagnosticsLoad?: Int32Array;
}

/**
 * Lag threads of a GPU run's diagnostics when `active` runs (this one
 * included) are in theirs and `cpuBusy` runs compute on the CPU: the cores
 * but one and but the CPU runs', shared between them, at most 8 (the μ/ψ work
 * of a `paper` run is then minutes shorter; more threads gain little on the
 * 128-lag grid and each holds its lags' sample stores), at least 1.
 */
export function diagnosticsThreadsFor(active: number, cores = availableParallelism(), cpuBusy = 0): number {
  return Math.max(1, Math.min(8, Math.floor((cores - 1 - Math.max(0, cpuBusy)) / Math.max(1, active))));
}

/**
 * Count this run in element `slot` of the pool's load while `work` runs;
 * `work` gets the count with this run in it (no view, or no such element:
 * 1, and nothing counted).
 */
async function counted<T>(load: Int32Array | undefined, slot: number, work: (count: number) => Promise<T>): Promise<T> {
  if (!load || load.length <= slot) return work(1);
  const count = Atomics.add(load, slot, 1) + 1;
  try {
    return await work(count);
  } finally {
    Atomics.sub(load, slot, 1);
  }
}

/** A lone GPU run's lag threads (the benchmarks'). */
export function defaultDiagnosticsThreads(): number {
  return diagnosticsThreadsFor(1);
}

class DiagnosticsCancelled extends Error {}

/** The GPU could not be set up (module, device or model); distinct from a failure while training. */
export class GpuSetupError extends Error {}

/** The GPU backend, loaded only by webgpu runs (dawn.node stays out of CPU workers). */
export async function importGpuBackend(): Promise<GpuBackendModule> {
  return import('../backends/webgpu/index');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The createModel hook of a webgpu run (the thread's device; GPU models), and
 * the adapter's name. Rejects with GpuSetupError when there is no device;
 * the hook rejects with one when a model cannot be made.
 */
export async function webgpuModelHook(
  load: () => Promise<GpuBackendModule> = importGpuBackend,
  tuning?: GpuModelOptions['tuning'],
): Promise<{ hook: CreateModelHook; adapter: string }> {
  let mod: GpuBackendModule;
  let ctx: GpuContext;
  try {
    mod = await load();
    ctx = await mod.acquireGpu();
  } catch (err) {
    throw new GpuSetupError(`no WebGPU device: ${message(err)}`);
  }
  const adapter = adapterLabel(ctx.adapter);
  const hook: CreateModelHook = async (shape, o) => {
    try {
      return mod.createGpuModel(ctx, shape, tuning ? { ...o, tuning } : o);
    } catch (err) {
      throw new GpuSetupError(`the WebGPU model could not be made on ${adapter}: ${message(err)}`);
    }
  };
  return { hook, adapter };
}

export async function runUnit(
  config: ExperimentConfig, arch: ArchName, seed: number, hooks: RunUnitHooks = {}, opts: RunUnitOptions = {},
): Promise<RunUnitOutput> {
  const t0 = performance.now();
  hooks.emit?.({ type: 'start', arch, seed });
  const trainOpts = {
    hooks: {
      onEpoch: (row: TrainResult['curve'][number]) => hooks.emit?.({ type: 'epoch', arch, seed, row: { ...row } }),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
    },
  };
  let backend: ComputeBackend = 'cpu';
  let adapter: string | undefined;
  let backendNote: string | undefined;
  let res: TrainResult | null = null;
  if (opts.backend === 'webgpu') {
    try {
      const gpu = await webgpuModelHook(opts.loadGpu);
      res = await trainRun(config, arch, seed, { ...trainOpts, createModel: gpu.hook });
      backend = 'webgpu';
      adapter = gpu.adapter;
    } catch (err) {
      if (!(err instanceof GpuSetupError && opts.cpuFallback)) throw err;
      backendNote = `webgpu → cpu: ${err.message}`;
    }
  }
  // on the CPU (chosen, or the GPU's fallback): counted as a busy core while it computes
  res ??= await counted(opts.diagnosticsLoad, 1, () => trainRun(config, arch, seed, trainOpts));
  const t1 = performance.now();

  let diagnostics: RunDiagnostics | null = null;
  let diagnosticsStatus: DiagnosticsStatus = 'skipped';
  let diagnosticsError: string | undefined;
  let cancelled = res.cancelled;
  if ((opts.diagnostics ?? true) && !cancelled) {
    try {
      const trained = res;
      const analyse = (threads: number) => analyseRun(trained.model, trained.task, config, arch, {
        progress: (stage, done, total) => {
          if (hooks.shouldStop?.()) throw new DiagnosticsCancelled();
          hooks.emit?.({ type: 'diagnostics', arch, seed, stage, done, total });
        },
      }, threads > 1 ? { lagExecutor: threadedLagExecutor(threads) } : {});
      const load = opts.diagnosticsLoad;
      if (backend === 'webgpu') {
        // lag threads: a share of the cores the pool's CPU runs leave, between the GPU runs in their diagnostics
        diagnostics = await counted(load, 0, (active) => {
          const cpuBusy = load && load.length > 1 ? Atomics.load(load, 1) : 0;
          return analyse(opts.diagnosticsThreads ?? diagnosticsThreadsFor(active, undefined, cpuBusy));
        });
      } else {
        diagnostics = await counted(load, 1, () => analyse(1));
      }
      diagnosticsStatus = 'done';
    } catch (err) {
      if (err instanceof DiagnosticsCancelled) {
        cancelled = true;
        diagnosticsStatus = 'cancelled';
      } else {
        diagnosticsStatus = 'failed';
        diagnosticsError = message(err);
      }
    }
  }
  res.model.dispose?.();
  const t2 = performance.now();

  return {
    arch,
    seed,
    curve: res.curve.map((r) => ({ ...r })),
    gateStats: res.gateStats.map((g) => ({ ...g })),
    diverged: res.diverged,
    divergedEpoch: res.divergedEpoch,
    cancelled,
    kernelsName: res.kernelsName,
    wallMs: t2 - t0,
    trainMs: t1 - t0,
    diagnosticsMs: t2 - t1,
    diagnosticsStatus,
    diagnostics,
    ...(diagnosticsError !== undefined ? { diagnosticsError } : {}),
    backend,
    ...(adapter !== undefined ? { adapter } : {}),
    ...(backendNote !== undefined ? { backendNote } : {}),
  };
}

/**
 * A piscina entry point; `createRunUnitTask({ loadGpu })` lets a test worker
 * put another GPU backend in place of src-workers/backends/webgpu.
 */
export function createRunUnitTask(opts: Pick<RunUnitOptions, 'loadGpu'> = {}): (input: RunUnitInput) => Promise<RunUnitOutput> {
  return async (input) => {
    const flag = input.stopFlag ? new Int32Array(input.stopFlag) : null;
    const port = input.port;
    try {
      return await runUnit(input.config, input.arch, input.seed, {
        ...(port ? { emit: (m: ProgressMessage) => port.postMessage(m) } : {}),
        ...(flag ? { shouldStop: () => Atomics.load(flag, 0) !== 0 } : {}),
      }, {
        ...opts, diagnostics: input.diagnostics ?? true, backend: input.backend ?? 'cpu', cpuFallback: input.cpuFallback ?? false,
        ...(input.diagnosticsLoad ? { diagnosticsLoad: new Int32Array(input.diagnosticsLoad) } : {}),
      });
    } finally {
      port?.postMessage({ type: 'end', arch: input.arch, seed: input.seed } satisfies ProgressMessage);
      port?.close();
    }
  };
}

/** piscina entry point */
const runUnitTask = createRunUnitTask();
export default runUnitTask;

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
 *
 * Kernel tunings (src-shared/gpu-tuning.ts): a webgpu run is handed the
 * stored tunings of its model shape (every adapter's) and makes its model
 * with the one of its device's adapter. When the device refuses that shape
 * (a stale tuning: another driver, other limits) — createGpuModel throws, or
 * its kernels fail to compile or their pipelines fail validation (the device
 * is checked once the model is made, before training) — the model is made
 * with the default shape instead and `kernelNote` says so, so a stale tuning
 * does not fail the run. (A failure later in training, e.g. the device lost
 * or out of memory, fails the run whatever its shape, as without a tuning.)
 * The output's `kernelShape` is the shape the model used and whether it was
 * tuned.
 *
 * `tuneGpuTask` is the pool's second task (piscina `name: 'tuneGpuTask'`):
 * the kernel tuning of src-workers/tasks/gpu-tune.ts on the worker's device,
 * imported only when a tuning runs (CPU workers never load dawn.node).
 */
import { availableParallelism } from 'node:os';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import {
  isKernelShape, kernelShapeLabel, type RunGpuTuning, type RunKernelShape, type TuneGpuOutput, type TuneGpuRequest,
} from '../../src-shared/gpu-tuning';
import type { ComputeBackend, DiagnosticsStatus, RunDiagnostics } from '../../src-shared/results';
import { adapterLabel } from '../backends/select';
import type { GpuContext, GpuModel, GpuModelFactory, GpuTuning } from '../backends/webgpu/types';
import { trainRun, type CreateModelHook, type TrainResult } from '../engine/train';
import { analyseRun } from './analyse-run';
import { threadedLagExecutor } from './diagnostics-threads';
import type {
  ProgressMessage, RunUnitInput, RunUnitOutput, TuneGpuFn, TuneGpuHooks, TuneGpuInput, TuneMessage,
} from './protocol';

export interface RunUnitHooks {
  emit?(msg: ProgressMessage): void;
  shouldStop?(): boolean;
}

/** What run-unit needs from the GPU backend (src-workers/backends/webgpu/index.ts). */
export interface GpuBackendModule {
  acquireGpu(): Promise<GpuContext>;
  createGpuModel: GpuModelFactory;
  /**
   * wait for the device and throw the first GPU error since the last call
   * (compilation, validation: runtime.ts flush); a model made with a stored
   * tuning is checked with it before training (absent: not checked)
   */
  flush?(ctx: GpuContext): Promise<void>;
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
  /** webgpu: the stored tunings of the run's model shape, every adapter's; the device's adapter's is applied */
  gpuTunings?: readonly RunGpuTuning[];
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
  const [{ acquireGpu, createGpuModel }, { flush }] = await Promise.all([import('../backends/webgpu/index'), import('../backends/webgpu/runtime')]);
  return { acquireGpu, createGpuModel, flush };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The shape a GPU model reports (model.tuning) with its source; null when the backend does not report one. */
function kernelShapeOf(model: unknown, source: RunKernelShape['source']): RunKernelShape | null {
  const t = (model as Partial<GpuModel>).tuning;
  return isKernelShape(t) ? { workgroupSize: t.workgroupSize, seqsPerWorkgroup: t.seqsPerWorkgroup, unroll: t.unroll, source } : null;
}

/** What webgpuModelHook gives a run. */
export interface WebgpuModelHook {
  hook: CreateModelHook;
  /** the adapter's label (adapterLabel) */
  adapter: string;
  /** the kernel shape of the last model the hook made and its source (null before one is made, or when the backend does not report it) */
  readonly kernelShape: RunKernelShape | null;
  /** why the adapter's stored tuning was not used (the device refused its shape), else undefined */
  readonly kernelNote: string | undefined;
}

/**
 * The createModel hook of a webgpu run (the thread's device; GPU models), and
 * the adapter's name. Rejects with GpuSetupError when there is no device;
 * the hook rejects with one when a model cannot be made.
 *
 * `tuning` forces a kernel shape (benchmarks; a refusal fails). Otherwise the
 * stored tuning of `tunings` whose adapter is this device's is applied
 * (source 'tuned'); when the device refuses it (createGpuModel throws, or the
 * device reports an error once the model is made: its kernels' compilation
 * or pipeline validation, GpuBackendModule.flush), the model is made with
 * the default shape (source 'default') and `kernelNote` says why. No tuning
 * for this adapter: the defaults.
 */
export async function webgpuModelHook(
  load: () => Promise<GpuBackendModule> = importGpuBackend,
  tuning?: GpuTuning,
  tunings?: readonly RunGpuTuning[],
): Promise<WebgpuModelHook> {
  let mod: GpuBackendModule;
  let ctx: GpuContext;
  try {
    mod = await load();
    ctx = await mod.acquireGpu();
  } catch (err) {
    throw new GpuSetupError(`no WebGPU device: ${message(err)}`);
  }
  const adapter = adapterLabel(ctx.adapter);
  const stored = tuning ? undefined : tunings?.find((t) => t.adapter === adapter && isKernelShape(t.shape));
  let kernelShape: RunKernelShape | null = null;
  let kernelNote: string | undefined;
  /**
   * The model made with the stored tuning and checked on the device, or null
   * when the device refused it (kernelNote then says why): a stale tuning
   * (another driver, other limits) must not fail a run.
   */
  const tunedModel = async (shape: Parameters<CreateModelHook>[0], o: Parameters<CreateModelHook>[1], tuned: RunGpuTuning): Promise<GpuModel | null> => {
    const refused = (what: string, err: unknown): null => {
      kernelNote = `the stored kernel tuning for ${adapter} (${kernelShapeLabel(tuned.shape)}) ${what} (${message(err).split('\n')[0]}): `
        + 'the default kernel shape is used';
      return null;
    };
    let model: GpuModel;
    try {
      model = mod.createGpuModel(ctx, shape, { ...o, tuning: { ...tuned.shape } });
    } catch (err) {
      return refused('was refused by the device', err);
    }
    // its kernels compiled and their pipelines validated on this device (else the device's error list says why)
    try {
      await mod.flush?.(ctx);
    } catch (err) {
      model.dispose();
      return refused('failed on the device', err);
    }
    return model;
  };
  const hook: CreateModelHook = async (shape, o) => {
    let model: GpuModel | null = null;
    let source: RunKernelShape['source'] = 'default';
    try {
      if (stored) model = await tunedModel(shape, o, stored);
      else if (tuning) model = mod.createGpuModel(ctx, shape, { ...o, tuning });
      if (model) source = 'tuned';
      model ??= mod.createGpuModel(ctx, shape, o);
    } catch (err) {
      throw new GpuSetupError(`the WebGPU model could not be made on ${adapter}: ${message(err)}`);
    }
    kernelShape = kernelShapeOf(model, source);
    return model;
  };
  return {
    hook,
    adapter,
    get kernelShape() {
      return kernelShape;
    },
    get kernelNote() {
      return kernelNote;
    },
  };
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
  let kernelShape: RunKernelShape | null = null;
  let kernelNote: string | undefined;
  let res: TrainResult | null = null;
  if (opts.backend === 'webgpu') {
    try {
      const gpu = await webgpuModelHook(opts.loadGpu, undefined, opts.gpuTunings);
      res = await trainRun(config, arch, seed, { ...trainOpts, createModel: gpu.hook });
      backend = 'webgpu';
      adapter = gpu.adapter;
      kernelShape = gpu.kernelShape;
      kernelNote = gpu.kernelNote;
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
    ...(kernelShape !== null ? { kernelShape } : {}),
    ...(kernelNote !== undefined ? { kernelNote } : {}),
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
        ...(input.gpuTunings ? { gpuTunings: input.gpuTunings } : {}),
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

// ---------------------------------------------------------------------------
// The GPU kernel tuning task
// ---------------------------------------------------------------------------

/** What the tuning task needs: gpu-tune.ts (tests pass fakes). */
export interface TunerModule {
  tuneGpu: TuneGpuFn;
}

/** The tuner, loaded only when a tuning runs (it loads the GPU backend). */
export async function importTuner(): Promise<TunerModule> {
  return import('./gpu-tune');
}

/** Tune on this thread's device (the pool's in-process mode, and the body of tuneGpuTask). */
export async function runTuneGpu(req: TuneGpuRequest, hooks: TuneGpuHooks = {}, load: () => Promise<TunerModule> = importTuner): Promise<TuneGpuOutput> {
  const { tuneGpu } = await load();
  return tuneGpu(req, hooks);
}

/**
 * The piscina entry of a tuning (`pool.run(input, { name: 'tuneGpuTask' })`):
 * progress over the task's MessagePort, its stop flag polled between
 * configurations. `createTuneGpuTask({ loadTuner })` lets a test worker put
 * another tuner in place of gpu-tune.ts.
 */
export function createTuneGpuTask(opts: { loadTuner?: () => Promise<TunerModule> } = {}): (input: TuneGpuInput) => Promise<TuneGpuOutput> {
  return async (input) => {
    const flag = input.stopFlag ? new Int32Array(input.stopFlag) : null;
    const port = input.port;
    try {
      return await runTuneGpu(input.req, {
        ...(port ? { progress: (p) => port.postMessage({ type: 'progress', progress: { ...p } } satisfies TuneMessage) } : {}),
        ...(flag ? { shouldStop: () => Atomics.load(flag, 0) !== 0 } : {}),
      }, opts.loadTuner);
    } finally {
      port?.postMessage({ type: 'end' } satisfies TuneMessage);
      port?.close();
    }
  };
}

/** piscina named task: a GPU kernel tuning */
export const tuneGpuTask = createTuneGpuTask();

/**
 * The service: the one implementation of the Api (src-shared/api.ts) over the
 * store and the scheduler, used by the Electron main process (IPC) and the
 * web host (HTTP + WebSocket) alike.
 *
 *   const service = createService({ dataDir, host: 'web' });   // or { store, … }
 *   const off = service.subscribe((e) => socket.send(encode(e)));
 *   await service.api.createExperiment({ name: 'sweep', preset: 'quick', config: { H: 64 } });
 *   await service.close();                                      // running runs become interrupted
 *
 * Start-up: the process registers in the data directory's host registry, and
 * runs left `running` by a crash (and claimed by no live process) become
 * `interrupted`, resumable with resumeExperiment / rerunRun. Queued runs
 * start at once (on the next tick, so subscribers attached right after
 * createService see every event).
 *
 * GPU kernel tuning (startGpuTuning …): one at a time, in the background on
 * the scheduler's pool (scheduler.tuneGpu; refused as scheduler.tuningRefusal
 * says, GPU runs of other processes included); the service keeps its
 * GpuTuningState (the latest one, until the next starts; its seq increases
 * with every change) and sends it as 'gpu-tuning' events: at the start, at
 * most every progressIntervalMs while it runs, and at once on a cancel and
 * at the end. A software adapter is tuned only when the host
 * runs with LW_TUNE_ALLOW_SOFTWARE=1 (tests on SwiftShader).
 *
 * Every argument is validated (service-args.ts; configurations by the shared
 * schema); problems are ApiError('invalid', message, fields) and nothing is
 * stored. Store errors map to ApiError: validation → invalid, missing →
 * not-found, wrong state → conflict; anything else → internal.
 */
import { availableParallelism, arch as cpuArch, platform } from 'node:os';
import { dirname } from 'node:path';
import {
  ApiError, API_METHODS, type Api, type ApiEvent, type CreateExperimentArg, type ExperimentList, type ExportArg,
  type ImportArg, type QueueState, type RunEstimate, type SystemInfo, type ValidateConfigResult,
} from '../../src-shared/api';
import { expandRuns, resolveConfig, type ConfigError, type ExperimentConfig } from '../../src-shared/config';
import { GPU_TUNING_PROGRESS_LINES, type GpuTuningState, type TuneGpuResult, type TuneProgress } from '../../src-shared/gpu-tuning';
import { PRESET_NAMES } from '../../src-shared/presets';
import type { ExperimentDetail, RunRecord } from '../../src-shared/results';
import { cpuKernelName } from './cpu-kernels';
import { describeWebGpu, tuningAdapter, webgpuProblem, type WebGpuProbe } from '../../src-workers/backends/select';
import { probeWebGpu } from '../../src-workers/backends/webgpu/probe';
import { createInteractivePool, noiseLabWorkerFileFor, type InteractivePool } from '../../src-workers/tasks/interactive-pool';
import { estimateExperiment } from './estimate';
import { EventBus } from './event-bus';
import { HostRegistry, recoverInterruptedRuns } from './host-registry';
import { DEFAULT_PROGRESS_INTERVAL_MS, describeError, MAX_GPU_RUNS, MAX_WORKERS, RESUMABLE, Scheduler, summaryOf } from './scheduler';
import {
  Args, checkEstimateAlphaArg, checkGetRunResultArg, checkGetRunResultsArg, checkId, checkListArg, checkListGpuTuningsArg, checkNoiseLabSweepArg,
  checkStableDrawArg, checkStartGpuTuningArg, EXPORT_FORMATS, MAX_EVENTS_LIMIT, MAX_PATH,
} from './service-args';
import {
  APP_VERSION, openStore, StoreError, StoreNotFoundError, StoreStateError, StoreValidationError, type Store,
} from './store';
import { KeyedThrottle } from './throttle';
import { tuneRequestOf } from './tune-request';

export interface ServiceOptions {
  /** open (and own) the store of this data directory; or */
  dataDir?: string;
  /** use this open store (the caller closes it, after close()) */
  store?: Store;
  /** how clients reach this process */
  host: 'electron' | 'web';
  /** concurrent runs (default: the core count) */
  workers?: number;
  /** concurrent runs on the GPU (resolved backend webgpu; default: the scheduler's DEFAULT_GPU_RUNS) */
  gpuRuns?: number;
  /** pool worker entry (bundled app, tests) */
  workerFile?: string;
  /**
   * the interactive pool's worker entry (noise lab; tests). Default: the built
   * noise-lab-worker.js beside `workerFile` when there is one, else the
   * development entry src-workers/tasks/noise-lab-worker.mjs
   */
  noiseLabWorkerFile?: string;
  /** migrations folder when opening by dataDir (bundled app) */
  migrationsDir?: string;
  /** start with the queue paused */
  paused?: boolean;
  /** progress throttle (default 250 ms: at most 4 events per second per run) */
  progressIntervalMs?: number;
  /** internal problems (default console.warn) */
  warn?: (message: string) => void;
  /** WebGPU adapter detection (default: probeWebGpu, cached per process; tests pass fakes) */
  webgpuProbe?: () => Promise<WebGpuProbe>;
  /**
   * GPU kernel tuning on a software adapter too (default: $LW_TUNE_ALLOW_SOFTWARE === '1').
   * For tests on SwiftShader only: a software adapter's timings say nothing about a GPU.
   */
  allowSoftwareTuning?: boolean;
}

export interface Service {
  api: Api;
  subscribe(fn: (e: ApiEvent) => void): () => void;
  close(): Promise<void>;
  readonly store: Store;
  readonly scheduler: Scheduler;
  /** the runs start-up recovery marked interrupted */
  readonly recovered: RunRecord[];
}


/** Whether a backend can run here (explicit WebGPU: an adapter that gives a device; the refusal names the field and the adapter). */
async function backendProblem(cfg: ExperimentConfig, probe: () => Promise<WebGpuProbe>): Promise<ConfigError | null> {
  return cfg.backend === 'webgpu' ? webgpuProblem(await probe()) : null;
}

/** Map anything thrown to an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreValidationError) {
    return new ApiError('invalid', err.errors.map((e) => e.message).join('; ') || err.message, err.errors.map((e) => ({ field: e.field, message: e.message })));
  }
  if (err instanceof StoreNotFoundError) return new ApiError('not-found', err.message);
  if (err instanceof StoreStateError) return new ApiError('conflict', err.message);
  if (err instanceof RangeError || err instanceof StoreError) return new ApiError('invalid', err.message);
  return new ApiError('internal', err instanceof Error ? err.message : String(err));
}

export function createService(opts: ServiceOptions): Service {
  if (opts.host !== 'electron' && opts.host !== 'web') throw new TypeError(`createService: host must be 'electron' or 'web' (got ${String(opts.host)})`);
  if (!opts.store && !opts.dataDir) throw new TypeError('createService needs a dataDir or a store');
  const ownStore = !opts.store;
  const store = opts.store ?? openStore({ dataDir: opts.dataDir!, ...(opts.migrationsDir ? { migrationsDir: opts.migrationsDir } : {}) });
  const dataDir = opts.dataDir ?? dirname(store.path);
  const warn = opts.warn ?? ((m: string) => console.warn(`workstation: ${m}`));
  const webgpuProbe = opts.webgpuProbe ?? probeWebGpu;
  const events = new EventBus<ApiEvent>((err) => warn(`an event listener threw: ${err instanceof Error ? err.message : String(err)}`));
  let registry: HostRegistry | null = null;
  let scheduler: Scheduler;
  let recovered: RunRecord[];
  try {
    registry = HostRegistry.open(dataDir, opts.host);
    recovered = recoverInterruptedRuns(store, registry);
    scheduler = new Scheduler({
      store, events, registry, warn,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.gpuRuns !== undefined ? { gpuRuns: opts.gpuRuns } : {}),
      ...(opts.workerFile ? { workerFile: opts.workerFile } : {}),
      ...(opts.paused ? { paused: true } : {}),
      ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
      backendProbe: webgpuProbe,
    });
  } catch (err) {
    registry?.close();
    if (ownStore) store.close();
    throw err;
  }
  let closed = false;
  // the noise lab's computations run on their own worker thread (started on first use), off this thread
  const interactive = createInteractivePool({ filename: opts.noiseLabWorkerFile ?? noiseLabWorkerFileFor(opts.workerFile), warn });
  /** a call cut short by close() is a conflict, like one made after it */
  const noiseLab: InteractivePool['run'] = async (method, arg) => {
    try {
      return await interactive.run(method, arg);
    } catch (err) {
      if (closed) throw new ApiError('conflict', 'the workstation is shutting down');
      throw err;
    }
  };
  const startTimer = setImmediate(() => scheduler.start());

  const emit = (e: ApiEvent) => events.emit(e);
  const requireExperiment = (id: number): ExperimentDetail => {
    const e = store.getExperiment(id);
    if (!e) throw new ApiError('not-found', `no experiment with id ${id}`);
    return e;
  };
  const requireRun = (runId: number): RunRecord => {
    const r = store.getRun(runId);
    if (!r) throw new ApiError('not-found', `no run with id ${runId}`);
    return r;
  };

  /** preset < config overrides, through the shared schema; plus backend availability */
  const resolve = async (preset: string | undefined, config: Record<string, unknown> | undefined, base?: ExperimentConfig):
    Promise<{ ok: true; config: ExperimentConfig } | { ok: false; errors: ConfigError[] }> => {
    const r = base ? resolveConfig(base, config) : resolveConfig(preset ?? null, config);
    if (!r.ok) return r;
    const b = await backendProblem(r.config, webgpuProbe);
    return b ? { ok: false, errors: [b] } : r;
  };
  const invalidConfig = (errors: ConfigError[]) => new ApiError('invalid', `invalid configuration: ${errors.map((e) => e.message).join('; ')}`, errors);

  /** Store an experiment (validated by the store too: name, tags, notes) and queue or hold its runs. */
  const create = (name: unknown, config: ExperimentConfig, meta: { tags?: string[]; notes?: string; preset?: string | null }, start: boolean): ExperimentDetail => {
    const created = store.db.transaction(() => {
      const e = store.createExperiment(name as string, config, {
        ...(meta.tags ? { tags: meta.tags } : {}), ...(meta.notes !== undefined ? { notes: meta.notes } : {}), preset: meta.preset ?? null,
      });
      // start: false holds the runs as cancelled ("not started"), so resumeExperiment starts them
      if (!start) for (const r of e.runs) store.setRunStatus(r.id, 'cancelled', { error: 'not started (created with start: false); resume the experiment to run it' });
      return store.getExperiment(e.id)!;
    }).immediate();
    emit({ type: 'experiment-created', experiment: summaryOf(created) });
    if (start) scheduler.pump();
    return store.getExperiment(created.id) ?? created;
  };

  // GPU kernel tuning: one at a time (the scheduler's tuneGpu, in the background); its state is kept for the UI
  const allowSoftware = opts.allowSoftwareTuning ?? process.env['LW_TUNE_ALLOW_SOFTWARE'] === '1';
  const tuningEventMs = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  type TuningCore = Omit<GpuTuningState, 'adapter' | 'unavailable'>;
  let tuning: TuningCore = {
    // from the clock, so a page left open across a restart of the host (which had published fewer states than
    // milliseconds passed) takes this host's states as newer than the old one's
    seq: Date.now(), active: false, startedAt: null, finishedAt: null, request: null, progress: [], perModel: [], result: null, error: null, cancelled: false, allowSoftware,
  };
  let tuningHost: Pick<GpuTuningState, 'adapter' | 'unavailable'> | null = null;
  const tuningHostOf = async () => (tuningHost ??= tuningAdapter(await webgpuProbe(), allowSoftware));
  const tuningSnapshot = (): GpuTuningState => ({
    ...tuning, progress: [...tuning.progress], perModel: tuning.perModel.map((m) => ({ ...m })),
    ...(tuningHost ?? { adapter: null, unavailable: 'the WebGPU adapter is not known yet' }),
  });
  const tuningEvents = new KeyedThrottle<0>(tuningEventMs);
  /** a 'gpu-tuning' event now (force: a pending throttled one dropped), or at most one per progressIntervalMs (the latest state goes out) */
  const emitTuning = (force: boolean): void => {
    const fn = () => emit({ type: 'gpu-tuning', state: tuningSnapshot() });
    if (force) tuningEvents.forget(0); // at once, and the next throttled one an interval after it
    tuningEvents.run(0, fn);
  };
  /** the next state (seq + 1) */
  const setTuning = (next: Omit<TuningCore, 'seq'>): void => {
    tuning = { ...next, seq: tuning.seq + 1 };
  };
  const onTuneProgress = (p: TuneProgress): void => {
    const progress = tuning.progress.length >= GPU_TUNING_PROGRESS_LINES ? tuning.progress.slice(1 - GPU_TUNING_PROGRESS_LINES) : tuning.progress;
    progress.push(p);
    const perModel = tuning.perModel.map((m) => (m.arch === p.arch ? { arch: m.arch, done: p.done, planned: p.planned } : m));
    setTuning({ ...tuning, progress, perModel });
    emitTuning(false);
  };

  const impl: Api = {
    async listExperiments(arg): Promise<ExperimentList> {
      const a = checkListArg(arg);
      return store.listExperiments(a);
    },

    async getExperiment(arg) {
      return requireExperiment(checkId('getExperiment', arg));
    },

    async createExperiment(arg: CreateExperimentArg) {
      const a = new Args('createExperiment', arg, ['name', 'preset', 'config', 'tags', 'notes', 'start']);
      const name = a.str('name', { required: true, nonEmpty: true, max: 200 });
      const preset = a.oneOf('preset', PRESET_NAMES);
      const config = a.record('config');
      const tags = a.strings('tags');
      const notes = a.str('notes', { max: 100_000 });
      const start = a.bool('start') ?? true;
      let resolved: ExperimentConfig | null = null;
      // the configuration is checked only once its parts are of the right kind (else those errors say enough)
      if ((a.obj.preset === undefined || preset !== undefined) && (a.obj.config === undefined || config !== undefined)) {
        const r = await resolve(preset, config);
        if (r.ok) resolved = r.config;
        else a.errors.push(...r.errors);
      }
      a.done();
      return create(name, resolved!, { ...(tags ? { tags } : {}), ...(notes !== undefined ? { notes } : {}), preset: preset ?? null }, start);
    },

    async updateExperiment(arg) {
      const a = new Args('updateExperiment', arg, ['id', 'name', 'tags', 'notes']);
      const id = a.id('id');
      const name = a.str('name', { nonEmpty: true, max: 200 });
      const tags = a.strings('tags');
      const notes = a.str('notes', { max: 100_000 });
      a.done();
      requireExperiment(id!);
      // one transaction: all three or nothing (the store validates each)
      store.db.transaction(() => {
        if (name !== undefined) store.renameExperiment(id!, name);
        if (tags !== undefined) store.setExperimentTags(id!, tags);
        if (notes !== undefined) store.setExperimentNotes(id!, notes);
      }).immediate();
      const summary = summaryOf(requireExperiment(id!));
      emit({ type: 'experiment-updated', experiment: summary });
      return summary;
    },

    async duplicateExperiment(arg) {
      const a = new Args('duplicateExperiment', arg, ['id', 'name', 'config', 'start']);
      const id = a.id('id');
      const name = a.str('name', { nonEmpty: true, max: 200 });
      const config = a.record('config');
      const start = a.bool('start') ?? true;
      a.done();
      const src = requireExperiment(id!);
      const r = await resolve(undefined, config, src.config);
      if (!r.ok) throw invalidConfig(r.errors);
      const copyName = name ?? `${src.name} (copy)`.slice(0, 200);
      return create(copyName, r.config, { tags: src.tags, notes: src.notes, preset: src.preset }, start);
    },

    async deleteExperiment(arg) {
      const id = checkId('deleteExperiment', arg);
      scheduler.forgetExperiment(id);
      const deleted = store.deleteExperiment(id);
      if (deleted) {
        emit({ type: 'experiment-deleted', experimentId: id });
        scheduler.queueChanged(true);
      }
      return { deleted };
    },

    async resumeExperiment(arg) {
      const id = checkId('resumeExperiment', arg);
      const e = requireExperiment(id);
      if (e.runs.some((r) => r.imported && RESUMABLE.includes(r.status))) {
        throw new ApiError('conflict', `experiment ${id} was imported: its runs cannot be run here (duplicate it to run the configuration)`);
      }
      scheduler.resumeExperiment(id);
      return requireExperiment(id);
    },

    async cancelExperiment(arg) {
      const id = checkId('cancelExperiment', arg);
      requireExperiment(id);
      scheduler.cancelExperiment(id);
      return requireExperiment(id);
    },

    async getRun(arg) {
      return requireRun(checkId('getRun', arg, 'runId'));
    },

    async getRunResult(arg) {
      const { runId, muUnits } = checkGetRunResultArg(arg);
      requireRun(runId);
      return store.getRunResult(runId, { muUnits });
    },

    async getRunResults(arg) {
      const { runIds, muUnits, curves } = checkGetRunResultsArg(arg);
      for (const id of runIds) requireRun(id);
      return runIds.map((id) => store.getRunResult(id, { muUnits, curves }));
    },

    async listRunEvents(arg) {
      const a = new Args('listRunEvents', arg, ['runId', 'afterId', 'limit']);
      const runId = a.id('runId');
      const afterId = a.int('afterId', 0, Number.MAX_SAFE_INTEGER);
      const limit = a.int('limit', 1, MAX_EVENTS_LIMIT);
      a.done();
      requireRun(runId!);
      return store.listRunEvents(runId!, { ...(afterId !== undefined ? { afterId } : {}), ...(limit !== undefined ? { limit } : {}) });
    },

    async cancelRun(arg) {
      const runId = checkId('cancelRun', arg, 'runId');
      requireRun(runId);
      return scheduler.cancelRun(runId);
    },

    async rerunRun(arg) {
      const runId = checkId('rerunRun', arg, 'runId');
      const r = requireRun(runId);
      if (r.imported) throw new ApiError('conflict', `run ${runId} was imported: it cannot be run here`);
      return scheduler.rerunRun(runId);
    },

    async getQueue(): Promise<QueueState> {
      return scheduler.queueState();
    },

    async pauseQueue() {
      return scheduler.pause();
    },

    async resumeQueue() {
      return scheduler.resume();
    },

    async setWorkers(arg) {
      const a = new Args('setWorkers', arg, ['workers']);
      const w = a.requiredInt('workers', 1, MAX_WORKERS);
      a.done();
      return scheduler.setWorkers(w!);
    },

    async setGpuRuns(arg) {
      const a = new Args('setGpuRuns', arg, ['gpuRuns']);
      const g = a.requiredInt('gpuRuns', 1, MAX_GPU_RUNS);
      a.done();
      return scheduler.setGpuRuns(g!);
    },

    async validateConfig(arg): Promise<ValidateConfigResult> {
      const a = new Args('validateConfig', arg, ['preset', 'config'], true);
      const preset = a.oneOf('preset', PRESET_NAMES);
      const config = a.record('config');
      if (a.errors.length > 0) return { ok: false, errors: a.errors };
      const r = await resolve(preset, config);
      if (!r.ok) return { ok: false, errors: r.errors };
      return { ok: true, config: r.config, runs: expandRuns(r.config) };
    },

    async estimateRuns(arg): Promise<RunEstimate> {
      const a = new Args('estimateRuns', arg, ['preset', 'config'], true);
      const preset = a.oneOf('preset', PRESET_NAMES);
      const config = a.record('config');
      a.done();
      const r = await resolve(preset, config);
      if (!r.ok) throw invalidConfig(r.errors);
      const e = estimateExperiment(r.config, Math.max(1, scheduler.workers));
      return { runs: e.runs, cpuSeconds: e.cpuSeconds, wallSeconds: e.wallSeconds, peakBytesPerRun: e.peakBytesPerRun };
    },

    async exportData(arg: ExportArg) {
      const a = new Args('exportData', arg, ['experimentId', 'runId', 'format', 'table']);
      const experimentId = a.id('experimentId', false);
      const runId = a.id('runId', false);
      a.oneOf('format', EXPORT_FORMATS, true);
      const hasE = a.obj.experimentId !== undefined;
      const hasR = a.obj.runId !== undefined;
      if (!hasE && !hasR) a.add('experimentId', 'exportData needs experimentId or runId');
      if (hasE && hasR) a.add('runId', 'exportData takes experimentId or runId, not both');
      a.done();
      if (experimentId !== undefined) requireExperiment(experimentId);
      if (runId !== undefined) requireRun(runId);
      const { exportData } = await import('./exports/index');
      return exportData(store, arg);
    },

    async importResults(arg: ImportArg) {
      const a = new Args('importResults', arg, ['path', 'name']);
      a.str('path', { required: true, nonEmpty: true, max: MAX_PATH });
      a.str('name', { nonEmpty: true, max: 200 });
      a.done();
      const { importReferenceResults } = await import('./imports/index');
      const detail = await importReferenceResults(store, arg);
      emit({ type: 'experiment-created', experiment: summaryOf(detail) });
      return detail;
    },

    async getSystemInfo(): Promise<SystemInfo> {
      return {
        appVersion: APP_VERSION,
        dataDir,
        cores: availableParallelism(),
        workers: scheduler.workers,
        host: opts.host,
        backends: [
          { name: 'cpu', available: true, description: `CPU: ${cpuKernelName()} kernels, one run per worker thread` },
          describeWebGpu(await webgpuProbe()),
        ],
        platform: `${platform()} ${cpuArch()}`,
        node: process.version,
      };
    },

    async startGpuTuning(arg) {
      const a = checkStartGpuTuningArg(arg);
      // the configuration as createExperiment resolves it (models given apart override its models, checked by the schema too)
      const r = resolveConfig(a.preset ?? null, a.models ? { ...(a.config ?? {}), models: a.models } : a.config);
      if (!r.ok) throw invalidConfig(r.errors);
      const c = r.config;
      const host = await tuningHostOf();
      if (host.unavailable) throw new ApiError('conflict', host.unavailable);
      if (tuning.active) throw new ApiError('conflict', 'a GPU kernel tuning is running already: wait for it to end, or cancel it');
      // the scheduler's reasons (closing, a tuning, GPU runs here or in another process), asked before anything changes
      const refusal = scheduler.tuningRefusal();
      if (refusal !== null) throw new ApiError('conflict', refusal);
      setTuning({
        active: true, startedAt: Date.now(), finishedAt: null,
        request: {
          ...(a.preset !== undefined ? { preset: a.preset } : {}), models: [...c.models], D: c.D, H: c.H, layernorm: c.layernorm,
          batch: c.batch_size, T: c.T, budgetSeconds: a.budgetSeconds, reps: a.reps,
        },
        progress: [], perModel: c.models.map((arch) => ({ arch, done: 0, planned: 0 })), result: null, error: null, cancelled: false, allowSoftware,
      });
      // started: whatever happens from here (even a rejection at once) is the tuning's outcome, never a conflict of this call
      let run: Promise<TuneGpuResult>;
      try {
        run = scheduler.tuneGpu(tuneRequestOf(c, { budgetSeconds: a.budgetSeconds, reps: a.reps, allowSoftware }), onTuneProgress);
      } catch (err) {
        run = Promise.reject(err);
      }
      void run.then(
        (result) => setTuning({ ...tuning, active: false, finishedAt: Date.now(), result, cancelled: tuning.cancelled || result.cancelled }),
        (err: unknown) => setTuning({ ...tuning, active: false, finishedAt: Date.now(), error: describeError(err) }),
      ).then(() => emitTuning(true));
      emitTuning(true);
      return tuningSnapshot();
    },

    async getGpuTuningState() {
      await tuningHostOf();
      return tuningSnapshot();
    },

    async cancelGpuTuning() {
      await tuningHostOf();
      if (tuning.active && !tuning.cancelled) {
        scheduler.cancelGpuTuning();
        setTuning({ ...tuning, cancelled: true });
        emitTuning(true);
      }
      return tuningSnapshot();
    },

    async listGpuTunings(arg) {
      return store.listGpuTunings(checkListGpuTuningsArg(arg));
    },

    async deleteGpuTuning(arg) {
      const id = checkId('deleteGpuTuning', arg);
      try {
        store.deleteGpuTuning(id);
      } catch (err) {
        if (err instanceof StoreNotFoundError) return { deleted: false };
        throw err;
      }
      return { deleted: true };
    },

    // noise lab (noise-lab-compute.ts): checked here, computed on the interactive pool's thread
    async sampleStable(arg) {
      return noiseLab('sampleStable', checkStableDrawArg(arg));
    },

    async estimateAlpha(arg) {
      return noiseLab('estimateAlpha', checkEstimateAlphaArg(arg));
    },

    async noiseLabSweep(arg) {
      return noiseLab('noiseLabSweep', checkNoiseLabSweepArg(arg));
    },
  };

  // every method: arguments checked first, errors mapped to ApiError, nothing after close()
  const api = {} as Record<string, (arg: unknown) => Promise<unknown>>;
  for (const m of API_METHODS) {
    const fn = (impl[m] as (arg: unknown) => Promise<unknown>).bind(impl);
    api[m] = async (arg: unknown) => {
      if (closed) throw new ApiError('conflict', 'the workstation is shutting down');
      try {
        return await fn(arg);
      } catch (err) {
        throw toApiError(err);
      }
    };
  }

  return {
    api: api as unknown as Api,
    subscribe: (fn) => events.subscribe(fn),
    store,
    scheduler,
    recovered,
    async close() {
      if (closed) return;
      closed = true;
      clearImmediate(startTimer);
      tuningEvents.clear();
      if (tuning.active) scheduler.cancelGpuTuning();
      await Promise.all([
        scheduler.close(),
        interactive.destroy().catch((err: unknown) => warn(`closing the noise lab's worker: ${err instanceof Error ? err.message : String(err)}`)),
      ]);
      events.clear();
      registry?.close();
      if (ownStore) store.close();
    },
  };
}

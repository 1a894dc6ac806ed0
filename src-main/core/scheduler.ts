/**
 * The scheduler (DESIGN.md §2 steps 3-4): takes queued runs from the store
 * and executes them on one piscina pool (src-workers/tasks/pool.ts), at most
 * `workers` at a time.
 *
 *   queued ──start──▶ running ──result──▶ done | diverged | cancelled | failed
 *                        └──worker threw / died──▶ failed (this run only)
 *                        └──scheduler closed──▶ interrupted (resumable)
 *
 * Per run: claimed in the host registry, marked running, given its own
 * shared stop flag; progress messages (one per epoch, per diagnostic batch
 * and lag) are forwarded THROTTLED: at most one `run-progress` event per
 * `progressIntervalMs` per run (default 250 ms, so ≤ 4 per second per run),
 * the last state always delivered. Learning-curve rows are persisted in ONE
 * transaction for all runs per `persistIntervalMs` (default 1 s): with the
 * store's synchronous=FULL each commit is an fsync on the main thread, so
 * per-run or per-epoch commits would cost far more than the 5 % of a core
 * allowed (scripts/bench-progress.ts). A resumed run restarts from its first
 * epoch anyway, so stored rows serve live views and post-mortems only.
 * Diagnostics steps are logged as run events at each tenth of a stage. The finished result is written with `store.saveRunResult` (one
 * transaction), which also records the kernels used.
 *
 * Backend: each run's backend is resolved here and passed to its worker
 * (selectBackend, src-workers/backends/select.ts): `cpu` and `webgpu` as
 * asked; `auto` once the WebGPU probe has answered
 * (src-workers/backends/webgpu/probe.ts: a child process, about 0.1 s, once
 * per process, 10 s at most) — webgpu only for a hardware adapter — with a
 * 'backend' event giving the selection and its reason before it trains. The
 * backend is stored with the run when it starts (`backendUsed`, and the
 * probe's adapter for webgpu), then as its result reports it. A webgpu run
 * that gets no device fails with the reason when webgpu was asked for; one
 * chosen by `auto` runs on the CPU instead, logged as a 'backend' event.
 *
 * GPU runs: every webgpu run opens its own device and keeps its caches in GPU
 * memory (an LSTM at the paper size needs about 2.5 GB), so at most `gpuRuns`
 * (default 4) runs whose resolved backend is webgpu run at once. When the
 * next queued run would go to the GPU and the GPU is full, the next queued
 * run that resolves to the CPU starts instead (when a worker is free); the
 * GPU runs keep their queue order, and one that ends in any way frees its
 * place. An `auto` run whose probe has not answered yet holds the GPU runs
 * queued after it until it resolves.
 *
 * GPU kernel tunings (src-shared/gpu-tuning.ts): a webgpu run is handed the
 * stored tunings of its model shape and mini-batch (store.runTuningsFor),
 * every adapter's; its worker applies its device's and
 * reports the kernel shape used (stored with the result) and, when the device
 * refused the tuned shape, a note (a 'kernel' event of the run). `tuneGpu`
 * measures the kernel shapes on a pool worker's device: refused
 * (tuningRefusal) while runs are on the GPU — this scheduler's, or runs
 * another process (the app, `lw run`) has marked running on webgpu in the
 * store — or a tuning runs; while it runs no webgpu run of this scheduler
 * starts (they wait like runs over the `gpuRuns` cap; CPU runs go on, the
 * tuning holding one worker). That hold is per process: another process's
 * scheduler does not see it and may start GPU runs meanwhile. The winners are
 * stored (saveGpuTunings) and the queue is pumped when it ends in any way;
 * drain() waits for it.
 *
 * Cancel: a queued run is marked cancelled at once; a running one gets its
 * flag set and stops at its next mini-batch (or diagnostic batch / lag), its
 * partial result saved as cancelled. Pause: nothing new starts, running runs
 * finish. A worker that throws or exits fails only its run (piscina replaces
 * the worker). `close()` stops the running runs and marks them interrupted.
 */
import { availableParallelism } from 'node:os';
import { MAX_GPU_RUNS, type ApiEvent, type QueueState } from '../../src-shared/api';
import type { ExperimentConfig } from '../../src-shared/config';
import type { GpuTuningRecord, RunGpuTuning, TuneGpuOutput, TuneGpuRequest, TuneGpuResult, TuneProgress } from '../../src-shared/gpu-tuning';
import type { ComputeBackend, ExperimentDetail, ExperimentSummary, LearningCurveRow, RunRecord, RunStatus } from '../../src-shared/results';
import { adapterLabel, selectBackend, type BackendChoice, type WebGpuProbe } from '../../src-workers/backends/select';
import { probeWebGpu } from '../../src-workers/backends/webgpu/probe';
import { createRunPool, type RunPool } from '../../src-workers/tasks/pool';
import type { ProgressMessage, RunUnitOutput } from '../../src-workers/tasks/protocol';
import { runCost, type RunCost } from './estimate';
import { EventBus } from './event-bus';
import type { HostRegistry } from './host-registry';
import {
  StoreNotFoundError, StoreStateError, StoreValidationError, type NewGpuTuning, type RunTuningKey, type Store,
} from './store';
import { KeyedThrottle } from './throttle';

export const DEFAULT_PROGRESS_INTERVAL_MS = 250;
export const DEFAULT_PERSIST_INTERVAL_MS = 1000;
export const CLOSED_MESSAGE = 'the workstation was closed while this run was running';
/** how long close() waits for running units to stop before terminating the workers */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** statuses resumeExperiment queues again by default */
export const RESUMABLE: readonly RunStatus[] = ['interrupted', 'failed', 'cancelled'];

export interface RunEnd {
  /** the stored run after its end */
  run: RunRecord;
  /** what the worker returned (null when it threw or died) */
  output: RunUnitOutput | null;
  /** why it failed (worker error), else null */
  error: string | null;
}

export interface SchedulerHooks {
  /** every progress message of a run, unthrottled, on the main thread (the CLI's lines) */
  onMessage?(run: RunRecord, msg: ProgressMessage): void;
  /** a run ended (after its status and result were stored) */
  onRunEnd?(end: RunEnd): void;
}

export interface SchedulerOptions {
  store: Store;
  /** concurrent runs and pool threads (default: the core count); 0 runs units in-process, one at a time */
  workers?: number;
  /** pool worker entry (tests, bundles) */
  workerFile?: string;
  /** run diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** take queued runs of these experiments only (default: every experiment) */
  experimentIds?: readonly number[];
  /** claims of runs, so other processes' recovery leaves them alone */
  registry?: HostRegistry | null;
  /** start paused */
  paused?: boolean;
  progressIntervalMs?: number;
  /** learning-curve rows of every run are stored together this often (default 1000 ms) */
  persistIntervalMs?: number;
  closeTimeoutMs?: number;
  hooks?: SchedulerHooks;
  /** events go here (default: a new bus; see `events`) */
  events?: EventBus<ApiEvent>;
  /** internal problems that must not stop the scheduler (default: console.warn) */
  warn?: (message: string) => void;
  /** WebGPU adapter detection, for the backend of `auto` runs (default: probeWebGpu) */
  backendProbe?: () => Promise<WebGpuProbe>;
  /** at most this many concurrent runs whose resolved backend is webgpu (default DEFAULT_GPU_RUNS; 1..MAX_GPU_RUNS) */
  gpuRuns?: number;
}

/** The GPU kernel tuning in progress. */
interface Tuning {
  flag: Int32Array;
  /** resolves when the pool's task has ended (in any way) */
  settled: Promise<void>;
}

interface PoolSlot {
  pool: RunPool;
  threads: number;
  active: number;
  retired: boolean;
}

type Phase = 'train' | 'diagnostics';
type Stage = 'batches' | 'lags';

interface Flight {
  run: RunRecord;
  config: ExperimentConfig;
  flag: Int32Array;
  slot: PoolSlot;
  /** its resolved backend is webgpu: it holds one of the `gpuRuns` places */
  gpu: boolean;
  predicted: RunCost;
  t0: number;
  /** learning-curve rows not yet stored */
  rows: LearningCurveRow[];
  lastRow: LearningCurveRow | null;
  phase: Phase;
  stage: Stage | null;
  done: number;
  total: number;
  trainEnd: number;
  stageT0: number;
  /** measured / predicted epoch time, once known */
  scale: number;
  stop: null | 'cancel' | 'close' | 'deleted';
  flush: () => void;
  settled: Promise<void>;
}

export function describeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // piscina's words for a worker that called process.exit or crashed
  if (/worker exited with code/i.test(msg) || /terminat/i.test(msg)) return `the worker stopped unexpectedly (${msg})`;
  return msg;
}

/** Whether step `done` of `total` crosses a tenth of the stage (or is its first or last step). */
export function isTenthStep(done: number, total: number): boolean {
  if (total <= 10 || done <= 1 || done >= total) return true;
  return Math.floor((10 * done) / total) > Math.floor((10 * (done - 1)) / total);
}

export function summaryOf(e: ExperimentDetail): ExperimentSummary {
  const { config: _c, runs: _r, ...summary } = e;
  return summary;
}

export class Scheduler {
  readonly store: Store;
  readonly events: EventBus<ApiEvent>;
  private readonly opts: SchedulerOptions;
  private readonly flights = new Map<number, Flight>();
  private readonly configs = new Map<number, ExperimentConfig | null>();
  private readonly scope: Set<number> | null;
  private readonly throttle: KeyedThrottle<number>;
  private readonly slow: KeyedThrottle<string>;
  private readonly persist: KeyedThrottle<0>;
  /** flights with learning-curve rows not yet stored */
  private readonly unsaved = new Set<Flight>();
  private readonly persistAll = () => this.persistRows();
  private readonly warn: (m: string) => void;
  private slot: PoolSlot;
  private readonly retiring = new Set<PoolSlot>();
  private workersN: number;
  private gpuRunsN: number;
  /** running flights with `gpu` */
  private gpuActive = 0;
  private paused_: boolean;
  private closed = false;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  /** the WebGPU probe's answer once known (asked at the first `auto` run) */
  private probe: WebGpuProbe | null = null;
  private probing = false;
  /** the GPU kernel tuning running now */
  private tuning: Tuning | null = null;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.events = opts.events ?? new EventBus<ApiEvent>();
    this.scope = opts.experimentIds ? new Set(opts.experimentIds) : null;
    this.workersN = checkWorkers(opts.workers ?? availableParallelism());
    this.gpuRunsN = checkGpuRuns(opts.gpuRuns ?? DEFAULT_GPU_RUNS);
    this.paused_ = opts.paused ?? false;
    const interval = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.throttle = new KeyedThrottle<number>(interval);
    this.slow = new KeyedThrottle<string>(interval);
    this.persist = new KeyedThrottle<0>(opts.persistIntervalMs ?? DEFAULT_PERSIST_INTERVAL_MS);
    this.warn = opts.warn ?? ((m) => console.warn(`scheduler: ${m}`));
    this.slot = this.newSlot(this.workersN);
  }

  // --- state --------------------------------------------------------------

  get workers(): number {
    return this.workersN;
  }

  /** the most concurrent webgpu runs */
  get gpuRuns(): number {
    return this.gpuRunsN;
  }

  /** ids of the running runs whose resolved backend is webgpu */
  get runningOnGpu(): number[] {
    return [...this.flights.values()].filter((f) => f.gpu).map((f) => f.run.id);
  }

  get paused(): boolean {
    return this.paused_;
  }

  /** ids of the runs executing now */
  get running(): number[] {
    return [...this.flights.keys()];
  }

  isRunning(runId: number): boolean {
    return this.flights.has(runId);
  }

  private get capacity(): number {
    return Math.max(1, this.workersN);
  }

  /** workers busy: the running runs and a tuning */
  private get busy(): number {
    return this.flights.size + (this.tuning ? 1 : 0);
  }

  /** a GPU kernel tuning is running (webgpu runs wait for its end) */
  get tuningActive(): boolean {
    return this.tuning !== null;
  }

  queueState(): QueueState {
    return { paused: this.paused_, workers: this.workersN, gpuRuns: this.gpuRunsN, running: this.running, queued: this.queuedRuns(10_000).map((r) => r.id) };
  }

  /** Add experiments to the scope of a scoped scheduler (no-op for an unscoped one). */
  addScope(experimentId: number): void {
    this.scope?.add(experimentId);
  }

  // --- the queue ----------------------------------------------------------

  /** Start taking queued runs (call once listeners are attached). */
  start(): void {
    this.pump();
  }

  pause(): QueueState {
    if (!this.paused_) {
      this.paused_ = true;
      this.queueChanged(true);
    }
    this.checkIdle();
    return this.queueState();
  }

  resume(): QueueState {
    if (this.paused_) {
      this.paused_ = false;
      this.queueChanged(true);
    }
    this.pump();
    return this.queueState();
  }

  /** Change the number of concurrent runs (running runs finish on the previous pool). */
  setWorkers(n: number): QueueState {
    const w = checkWorkers(n);
    if (w !== this.workersN) {
      this.workersN = w;
      const old = this.slot;
      old.retired = true;
      this.retiring.add(old);
      this.slot = this.newSlot(w);
      this.retireIfIdle(old);
      this.queueChanged(true);
      this.pump();
    }
    return this.queueState();
  }

  /** Change the most concurrent webgpu runs (running ones finish; a lower cap takes effect as they end). */
  setGpuRuns(n: number): QueueState {
    const g = checkGpuRuns(n);
    if (g !== this.gpuRunsN) {
      this.gpuRunsN = g;
      this.queueChanged(true);
      this.pump();
    }
    return this.queueState();
  }

  /** Resolves when nothing runs (no run, no GPU tuning) and nothing in scope is queued (or the queue is paused). */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.flights.size === 0 && this.tuning === null && (this.paused_ || this.closed || this.queuedRuns(1).length === 0);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const fn of w) fn();
  }

  private newSlot(workers: number): PoolSlot {
    const pool = createRunPool({ workers, ...(this.opts.workerFile ? { filename: this.opts.workerFile } : {}) });
    return { pool, threads: workers, active: 0, retired: false };
  }

  private retireIfIdle(slot: PoolSlot): void {
    if (slot.retired && slot.active === 0 && this.retiring.delete(slot)) {
      slot.pool.destroy().catch((err) => this.warn(`closing a pool: ${describeError(err)}`));
    }
  }

  /** Queued runs this scheduler may take, oldest experiment first, in run order. */
  private queuedRuns(limit: number): RunRecord[] {
    if (!this.scope) return this.store.listRunsByStatus('queued', limit);
    const out: RunRecord[] = [];
    for (const id of [...this.scope].sort((a, b) => a - b)) {
      for (const r of this.store.listRuns(id)) {
        if (r.status === 'queued') out.push(r);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Start queued runs while there is room. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && !this.paused_ && this.busy < this.capacity) {
        if (this.startPass() === 0) break;
      }
    } catch (err) {
      this.warn(`taking queued runs: ${describeError(err)}`);
    } finally {
      this.pumping = false;
    }
    this.checkIdle();
  }

  /**
   * One pass over the queue, in order, starting runs while workers are free;
   * returns how many started. Looks at as many queued runs as there are free
   * workers, and further (doubling) only while runs wait for the GPU, to find
   * CPU runs that may overtake them.
   */
  private startPass(): number {
    let limit = this.capacity - this.busy;
    let started = 0;
    for (;;) {
      const queue = this.queuedRuns(limit);
      let gpuWaits = false; // a run waits for a GPU place
      let gpuHeld = false; // webgpu runs from here on wait (order among GPU runs)
      for (const r of queue) {
        if (this.busy >= this.capacity) return started;
        const config = this.configOf(r.experimentId);
        if (!config) continue;
        const backend = this.backendOf(config);
        if (backend === null) {
          this.askProbe(); // it starts when the probe answers; it may go to the GPU
          gpuHeld = true;
        } else if (backend === 'webgpu' && (gpuHeld || this.gpuActive >= this.gpuRunsN || this.tuning)) {
          // the GPU is full or being tuned; else it only keeps its place behind an unresolved `auto` run
          if (this.gpuActive >= this.gpuRunsN || this.tuning) gpuWaits = true;
          gpuHeld = true;
        } else if (this.startRun(r, config)) started++;
      }
      if (!gpuWaits || queue.length < limit || this.busy >= this.capacity) return started;
      limit *= 2;
    }
  }

  /** The backend a run of `config` goes to: null for `auto` until the WebGPU probe has answered. */
  private backendOf(config: ExperimentConfig): ComputeBackend | null {
    if (config.backend === 'auto') return this.probe ? selectBackend('auto', this.probe).backend : null;
    return config.backend === 'webgpu' ? 'webgpu' : 'cpu';
  }

  private configOf(experimentId: number): ExperimentConfig | null {
    if (!this.configs.has(experimentId)) this.configs.set(experimentId, this.store.getExperiment(experimentId)?.config ?? null);
    return this.configs.get(experimentId)!;
  }

  /** Start a queued run whose backend is known (startPass decides which). */
  private startRun(queued: RunRecord, config: ExperimentConfig): boolean {
    const choice: BackendChoice | null = config.backend === 'auto' ? selectBackend('auto', this.probe!) : null;
    const backend: ComputeBackend = choice ? choice.backend : config.backend === 'webgpu' ? 'webgpu' : 'cpu';
    // the adapter the probe saw, when it is known now (the worker reports the one it used)
    const adapter = backend === 'webgpu' && this.probe?.available ? adapterLabel(this.probe) : undefined;
    const registry = this.opts.registry ?? null;
    registry?.claim(queued.id); // before it is marked running: another process's recovery must see the claim
    let run: RunRecord;
    try {
      run = this.store.setRunStatus(queued.id, 'running', { backendUsed: backend, ...(adapter !== undefined ? { adapter } : {}) });
    } catch (err) {
      registry?.release(queued.id);
      if (err instanceof StoreStateError || err instanceof StoreNotFoundError) return false; // taken or removed meanwhile
      throw err;
    }
    const buf = new SharedArrayBuffer(4);
    const slot = this.slot;
    const diagnostics = this.opts.diagnostics ?? true;
    const gpuTunings = backend === 'webgpu' ? this.tuningsFor(run, config) : [];
    const f: Flight = {
      run, config, flag: new Int32Array(buf), slot, gpu: backend === 'webgpu', predicted: runCost(config, run.arch, diagnostics), t0: performance.now(),
      rows: [], lastRow: null, phase: 'train', stage: null, done: 0, total: 0, trainEnd: 0, stageT0: 0, scale: 1,
      stop: null, flush: () => this.flushProgress(f), settled: Promise.resolve(),
    };
    this.flights.set(run.id, f);
    slot.active++;
    if (f.gpu) this.gpuActive++;
    if (choice) this.recordBackend(run.id, choice, this.probe!);
    this.events.emit({ type: 'run-status', run });
    this.experimentChanged(run.experimentId);
    this.queueChanged();
    f.settled = slot.pool
      .run({
        config, arch: run.arch, seed: run.seed, diagnostics, stopFlag: buf, backend, cpuFallback: choice !== null,
        ...(gpuTunings.length > 0 ? { gpuTunings } : {}),
      }, (m) => this.onMessage(f, m))
      .then((out) => this.finish(f, out, null), (err: unknown) => this.finish(f, null, err));
    return true;
  }

  /** The stored kernel tunings of a webgpu run's model shape and mini-batch (none when they cannot be read: the defaults). */
  private tuningsFor(run: RunRecord, config: ExperimentConfig): RunGpuTuning[] {
    const key: RunTuningKey = { arch: run.arch, D: config.D, H: config.H, layernorm: config.layernorm, batch: config.batch_size };
    try {
      return this.store.runTuningsFor(key);
    } catch (err) {
      this.warn(`reading the GPU kernel tunings of run ${run.id}: ${describeError(err)} (it uses the default kernel shape)`);
      return [];
    }
  }

  /** Start the WebGPU probe once; queued `auto` runs start when it answers. */
  private askProbe(): void {
    if (this.probing) return;
    this.probing = true;
    const answer = (p: WebGpuProbe) => {
      this.probe = p;
      this.pump();
    };
    (this.opts.backendProbe ?? probeWebGpu)().then(answer, (err: unknown) => answer({
      available: false, fallback: false, vendor: '', architecture: '', description: '', reason: `the WebGPU probe failed: ${describeError(err)}`,
    }));
  }

  /** Log which backend `auto` chose for a run, and why (DESIGN.md §3). */
  private recordBackend(runId: number, c: BackendChoice, p: WebGpuProbe): void {
    try {
      this.store.appendRunEvent(runId, 'backend', `backend auto → ${c.backend}: ${c.reason}`, {
        requested: 'auto', backend: c.backend, reason: c.reason,
        adapter: { available: p.available, fallback: p.fallback, vendor: p.vendor, architecture: p.architecture, description: p.description },
      });
    } catch (err) {
      this.warn(`recording the backend of run ${runId}: ${describeError(err)}`);
    }
  }

  // --- progress -----------------------------------------------------------

  private onMessage(f: Flight, m: ProgressMessage): void {
    if (f.stop === 'deleted') return;
    try {
      this.opts.hooks?.onMessage?.(f.run, m);
    } catch (err) {
      this.warn(`progress hook: ${describeError(err)}`);
    }
    const now = performance.now();
    if (m.type === 'epoch') {
      f.rows.push(m.row);
      this.unsaved.add(f);
      this.persist.run(0, this.persistAll);
      f.lastRow = m.row;
      f.phase = 'train';
      const perEpoch = (now - f.t0) / 1000 / (m.row.epoch + 1);
      if (f.predicted.epochSeconds > 0) f.scale = perEpoch / f.predicted.epochSeconds;
    } else if (m.type === 'diagnostics') {
      const stage: Stage = m.stage === 'batch' ? 'batches' : 'lags';
      if (f.phase !== 'diagnostics') {
        f.phase = 'diagnostics';
        f.trainEnd = now;
      }
      if (f.stage !== stage) {
        f.stage = stage;
        f.stageT0 = now;
      }
      f.done = m.done;
      f.total = m.total;
      if (isTenthStep(m.done, m.total)) {
        try {
          this.store.appendRunEvent(f.run.id, 'progress', `diagnostics ${stage} ${m.done}/${m.total}`, { phase: 'diagnostics', stage, done: m.done, total: m.total });
        } catch {
          // the run was removed meanwhile
        }
      }
    } else return;
    this.throttle.run(f.run.id, f.flush);
  }

  /**
   * Seconds left: training extrapolates the measured epoch time and adds the
   * estimated diagnostics (estimate.ts) scaled by measured / estimated epoch
   * time; diagnostics extrapolate the current stage (batches carry the μ and
   * ψ work; the lag statistics after them are counted as a tenth).
   */
  private etaSeconds(f: Flight, now: number): number {
    if (f.phase === 'train') {
      const epochsDone = f.lastRow ? f.lastRow.epoch + 1 : 0;
      const perEpoch = epochsDone > 0 ? (now - f.t0) / 1000 / epochsDone : f.predicted.epochSeconds;
      return Math.max(0, (f.config.epochs - epochsDone) * perEpoch + f.predicted.diagnosticsSeconds * f.scale);
    }
    const rest = f.done > 0 ? ((now - f.stageT0) / 1000 / f.done) * (f.total - f.done) : f.predicted.diagnosticsSeconds * f.scale;
    return Math.max(0, rest + (f.stage === 'batches' ? 0.1 * f.predicted.diagnosticsSeconds * f.scale : 0));
  }

  /** Store the pending learning-curve rows of every run, in one transaction (one commit). */
  private persistRows(): void {
    if (this.unsaved.size === 0) return;
    const flights = [...this.unsaved];
    this.unsaved.clear();
    try {
      this.store.db.transaction(() => {
        for (const f of flights) {
          if (f.rows.length === 0 || f.stop === 'deleted' || !this.flights.has(f.run.id)) continue;
          const rows = f.rows;
          f.rows = [];
          try {
            this.store.saveProgress(f.run.id, rows); // a savepoint: a refusal undoes this run's rows only
          } catch (err) {
            // the run left `running` outside this process (cancelled elsewhere, deleted): its result decides
            if (!(err instanceof StoreStateError || err instanceof StoreNotFoundError)) this.warn(`saving progress of run ${f.run.id}: ${describeError(err)}`);
          }
        }
      }).immediate();
    } catch (err) {
      this.warn(`saving progress: ${describeError(err)}`);
    }
  }

  private flushProgress(f: Flight): void {
    if (f.stop === 'deleted' || !this.flights.has(f.run.id)) return;
    const now = performance.now();
    const base = { type: 'run-progress' as const, runId: f.run.id, experimentId: f.run.experimentId, etaSeconds: this.etaSeconds(f, now) };
    if (f.phase === 'train') {
      if (!f.lastRow) return;
      this.events.emit({ ...base, phase: 'train', epoch: f.lastRow.epoch, epochs: f.config.epochs, row: f.lastRow });
    } else {
      this.events.emit({ ...base, phase: 'diagnostics', stage: f.stage ?? 'batches', done: f.done, total: f.total, epochs: f.config.epochs });
    }
  }

  // --- the end of a run ---------------------------------------------------

  private finish(f: Flight, output: RunUnitOutput | null, err: unknown): void {
    const id = f.run.id;
    try {
      this.throttle.forget(id);
      this.unsaved.delete(f);
      f.rows = [];
      let error: string | null = null;
      if (f.stop !== 'deleted') {
        if (output) {
          if (f.stop === 'close' && output.cancelled) this.setStatus(id, 'interrupted', CLOSED_MESSAGE);
          else this.saveResult(f, output);
        } else {
          error = describeError(err);
          if (f.stop === 'close') this.setStatus(id, 'interrupted', CLOSED_MESSAGE);
          else if (f.stop === 'cancel') this.setStatus(id, 'cancelled', `cancelled; the worker then stopped with: ${error}`);
          else this.setStatus(id, 'failed', error);
        }
      }
      this.flights.delete(id);
      this.opts.registry?.release(id);
      if (f.stop !== 'deleted') {
        const run = this.store.getRun(id);
        if (run) {
          this.events.emit({ type: 'run-status', run });
          this.experimentChanged(run.experimentId);
          try {
            this.opts.hooks?.onRunEnd?.({ run, output, error });
          } catch (e) {
            this.warn(`run-end hook: ${describeError(e)}`);
          }
        }
      }
    } catch (e) {
      this.warn(`finishing run ${id}: ${describeError(e)}`);
    } finally {
      this.flights.delete(id);
      f.slot.active--;
      if (f.gpu) this.gpuActive--;
      this.retireIfIdle(f.slot);
      this.queueChanged();
      this.pump();
      this.checkIdle();
    }
  }

  private saveResult(f: Flight, output: RunUnitOutput): void {
    const { arch: _a, seed: _s, backendNote, kernelNote, ...result } = output;
    if (backendNote) {
      try {
        this.store.appendRunEvent(f.run.id, 'backend', backendNote, { requested: f.config.backend, backend: result.backend ?? 'cpu', reason: backendNote });
      } catch (err) {
        this.warn(`recording the backend of run ${f.run.id}: ${describeError(err)}`);
      }
    }
    if (kernelNote) {
      try {
        this.store.appendRunEvent(f.run.id, 'kernel', kernelNote, { kernelShape: result.kernelShape ?? null, reason: kernelNote });
      } catch (err) {
        this.warn(`recording the kernel shape of run ${f.run.id}: ${describeError(err)}`);
      }
    }
    try {
      this.store.saveRunResult(f.run.id, result);
    } catch (err) {
      if (err instanceof StoreValidationError) this.setStatus(f.run.id, 'failed', `the result could not be stored: ${err.message}`);
      else if (err instanceof StoreStateError || err instanceof StoreNotFoundError) this.warn(`run ${f.run.id} changed while it ran; its result was not stored (${err.message})`);
      else throw err;
    }
  }

  /** A status change from `running`, tolerating one made meanwhile by someone else. */
  private setStatus(runId: number, to: RunStatus, error: string): void {
    try {
      this.store.setRunStatus(runId, to, { error });
    } catch (err) {
      if (!(err instanceof StoreStateError || err instanceof StoreNotFoundError)) throw err;
    }
  }

  // --- commands -----------------------------------------------------------

  /** Cancel a run: queued ⇒ cancelled at once; running ⇒ its worker stops at the next mini-batch. */
  cancelRun(runId: number): RunRecord {
    const f = this.flights.get(runId);
    if (f) {
      if (f.stop === null) f.stop = 'cancel';
      Atomics.store(f.flag, 0, 1);
      return this.store.getRun(runId) ?? f.run;
    }
    const r = this.store.getRun(runId);
    if (!r) throw new StoreNotFoundError(`no run with id ${runId}`);
    if (r.status !== 'queued' && r.status !== 'running') {
      throw new StoreStateError(`run ${runId} (${r.arch}, seed ${r.seed}) is ${r.status}: only queued or running runs can be cancelled`);
    }
    // running but not here: another workstation process runs it; its result will be refused
    const rec = this.store.setRunStatus(runId, 'cancelled', r.status === 'running' ? { error: 'cancelled while another workstation process was running it' } : {});
    this.statusChanged([rec]);
    return rec;
  }

  /** Cancel every queued and running run of an experiment. */
  cancelExperiment(experimentId: number): RunRecord[] {
    const changed = this.store.db.transaction(() => {
      const runs = this.store.listRuns(experimentId);
      const out: RunRecord[] = [];
      for (const r of runs) {
        if (this.flights.has(r.id)) continue;
        if (r.status === 'queued') out.push(this.store.setRunStatus(r.id, 'cancelled'));
        else if (r.status === 'running') out.push(this.store.setRunStatus(r.id, 'cancelled', { error: 'cancelled while another workstation process was running it' }));
      }
      return out;
    }).immediate();
    for (const f of this.flights.values()) {
      if (f.run.experimentId !== experimentId) continue;
      if (f.stop === null) f.stop = 'cancel';
      Atomics.store(f.flag, 0, 1);
    }
    this.statusChanged(changed);
    return changed;
  }

  /** Queue a failed, cancelled or interrupted run again. */
  rerunRun(runId: number): RunRecord {
    const r = this.store.getRun(runId);
    if (!r) throw new StoreNotFoundError(`no run with id ${runId}`);
    if (!RESUMABLE.includes(r.status)) {
      throw new StoreStateError(`run ${runId} (${r.arch}, seed ${r.seed}) is ${r.status}: only failed, cancelled or interrupted runs can run again`);
    }
    if (r.imported) throw new StoreStateError(`run ${runId} was imported: it cannot be run here`);
    const rec = this.store.setRunStatus(runId, 'queued');
    this.addScope(r.experimentId);
    this.statusChanged([rec]);
    this.pump();
    return rec;
  }

  /** Queue an experiment's runs in `statuses` (default interrupted, failed, cancelled) again. */
  resumeExperiment(experimentId: number, statuses: readonly RunStatus[] = RESUMABLE): RunRecord[] {
    const changed = this.store.db.transaction(() => {
      const out: RunRecord[] = [];
      for (const r of this.store.listRuns(experimentId)) {
        if (statuses.includes(r.status) && RESUMABLE.includes(r.status) && !r.imported) out.push(this.store.setRunStatus(r.id, 'queued'));
      }
      return out;
    }).immediate();
    this.addScope(experimentId);
    this.statusChanged(changed);
    this.pump();
    return changed;
  }

  /** Before an experiment is deleted: stop its running runs and forget them (nothing of them is stored). */
  forgetExperiment(experimentId: number): void {
    for (const f of this.flights.values()) {
      if (f.run.experimentId !== experimentId) continue;
      f.stop = 'deleted';
      Atomics.store(f.flag, 0, 1);
      this.throttle.forget(f.run.id);
    }
    this.configs.delete(experimentId);
    this.scope?.delete(experimentId);
  }

  // --- GPU kernel tuning -------------------------------------------------

  /**
   * Why a GPU kernel tuning cannot start now, or null when it can: this
   * scheduler is closed, a tuning runs, runs of this scheduler are on the
   * GPU, or the store has runs marked running on webgpu that this scheduler
   * is not running (another process's: the app, `lw run`). tuneGpu refuses
   * with the same words.
   */
  tuningRefusal(): string | null {
    if (this.closed) return 'the workstation is closing: no GPU tuning starts';
    if (this.tuning) return 'a GPU kernel tuning is running already: wait for it to end, or cancel it';
    const onGpu = this.gpuActive;
    if (onGpu > 0) {
      return `${onGpu} run${onGpu === 1 ? ' is' : 's are'} using the GPU: tune when ${onGpu === 1 ? 'it has' : 'they have'} finished, or pause the queue`;
    }
    let elsewhere: number;
    try {
      elsewhere = this.store.listRunsByStatus('running', MAX_RUNNING_LISTED)
        .filter((r) => r.backendUsed === 'webgpu' && !this.flights.has(r.id)).length;
    } catch (err) {
      return `cannot tell whether runs are using the GPU: ${describeError(err)}`;
    }
    if (elsewhere > 0) {
      return `${elsewhere} run${elsewhere === 1 ? ' of another process (the app, lw run) is' : 's of other processes (the app, lw run) are'} using the GPU: `
        + `tune when ${elsewhere === 1 ? 'it has' : 'they have'} finished, or pause ${elsewhere === 1 ? 'its' : 'their'} queue`;
    }
    return null;
  }

  /**
   * Tune the GPU kernels (src-workers/tasks/gpu-tune.ts) on a pool worker's
   * device, and store the fastest shape of every model shape measured
   * (saveGpuTunings): a complete sweep's replaces the stored one of its key;
   * a sweep cut short (a cancel, or the spent budget: complete false) is
   * stored only where its key has no tuning yet. Refused (a rejection,
   * nothing started) when tuningRefusal() says why. While it runs no webgpu
   * run of this scheduler starts; when it ends in any way the queue goes on.
   * Results from a software adapter are stored only when the request allows
   * software (tests).
   */
  async tuneGpu(req: TuneGpuRequest, onProgress?: (p: TuneProgress) => void): Promise<TuneGpuResult> {
    const refusal = this.tuningRefusal();
    if (refusal !== null) throw new Error(refusal);
    const buf = new SharedArrayBuffer(4);
    const slot = this.slot;
    const progress = (p: TuneProgress) => {
      try {
        onProgress?.(p);
      } catch (err) {
        this.warn(`tuning progress hook: ${describeError(err)}`);
      }
    };
    let task: Promise<TuneGpuOutput>;
    try {
      task = slot.pool.tune(req, progress, buf);
    } catch (err) {
      task = Promise.reject(err);
    }
    this.tuning = { flag: new Int32Array(buf), settled: task.then(() => {}, () => {}) };
    slot.active++;
    try {
      const output = await task;
      return { ...output, stored: this.storeTunings(req, output) };
    } finally {
      this.tuning = null;
      slot.active--;
      this.retireIfIdle(slot);
      this.pump();
      this.checkIdle();
    }
  }

  /** Ask the running tuning to stop after its current configuration; false when none runs. */
  cancelGpuTuning(): boolean {
    if (!this.tuning) return false;
    Atomics.store(this.tuning.flag, 0, 1);
    return true;
  }

  /** The measured best shapes as tunings of the output's adapter and batch (one per key: the fastest). */
  private storeTunings(req: TuneGpuRequest, out: TuneGpuOutput): GpuTuningRecord[] {
    if (out.fallback && req.allowSoftware !== true) {
      this.warn(`the tuning ran on a software adapter (${out.adapter}): nothing stored`);
      return [];
    }
    const byKey = new Map<string, NewGpuTuning>();
    for (const r of out.results) {
      if (r.best === null || r.stepMs === null) continue;
      // a sweep cut short (a cancel, or the budget): its best is over part of the grid, never put over a stored one
      if (r.complete === false && this.store.runTuningsFor({ arch: r.model.arch, D: r.model.D, H: r.model.H, layernorm: r.model.layernorm, batch: out.batch })
        .some((t) => t.adapter === out.adapter)) continue;
      const row: NewGpuTuning = {
        adapter: out.adapter, arch: r.model.arch, D: r.model.D, H: r.model.H, layernorm: r.model.layernorm, batch: out.batch,
        shape: { ...r.best }, stepMs: r.stepMs, defaultStepMs: r.defaultStepMs, T: out.T, tried: r.tried,
      };
      const key = JSON.stringify([row.arch, row.D, row.H, row.layernorm]);
      const seen = byKey.get(key);
      if (!seen || row.stepMs < seen.stepMs) byKey.set(key, row);
    }
    return byKey.size > 0 ? this.store.saveGpuTunings([...byKey.values()]) : [];
  }

  // --- events -------------------------------------------------------------

  private statusChanged(runs: readonly RunRecord[]): void {
    const exps = new Set<number>();
    for (const run of runs) {
      this.events.emit({ type: 'run-status', run });
      exps.add(run.experimentId);
    }
    for (const e of exps) this.experimentChanged(e);
    if (runs.length > 0) this.queueChanged();
    this.checkIdle();
  }

  /** experiment-updated (progress counts), at most one per interval per experiment */
  experimentChanged(experimentId: number): void {
    if (this.events.size === 0) return;
    this.slow.run(`e${experimentId}`, () => {
      const e = this.store.getExperiment(experimentId);
      if (e) this.events.emit({ type: 'experiment-updated', experiment: summaryOf(e) });
    });
  }

  /** the queue state, at most one per interval (or now) */
  queueChanged(now = false): void {
    if (this.events.size === 0) return;
    const fn = () => this.events.emit({ type: 'queue', state: this.queueState() });
    if (now) {
      this.slow.drop('q');
      fn();
    } else this.slow.run('q', fn);
  }

  // --- shutdown -----------------------------------------------------------

  /**
   * Stop taking runs; running runs are asked to stop and are marked
   * interrupted (resumable); the pools are closed. Waits at most
   * `closeTimeoutMs` for the units to stop, then terminates the workers.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.flights.values()) {
      if (f.stop === null) f.stop = 'close';
      Atomics.store(f.flag, 0, 1);
    }
    if (this.tuning) Atomics.store(this.tuning.flag, 0, 1);
    const tuned = this.tuning?.settled ?? Promise.resolve();
    const all = () => Promise.all([...[...this.flights.values()].map((f) => f.settled), tuned]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, this.opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    const slots = [this.slot, ...this.retiring];
    this.retiring.clear();
    await Promise.all(slots.map((s) => s.pool.destroy().catch(() => {})));
    await all();
    this.throttle.clear();
    this.slow.clear();
    this.persist.clear();
    this.unsaved.clear();
    this.checkIdle();
  }
}

function checkWorkers(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_WORKERS) throw new RangeError(`workers must be an integer from 0 to ${MAX_WORKERS} (got ${n})`);
  return n;
}

/** the most concurrent runs one scheduler accepts */
export const MAX_WORKERS = 256;

function checkGpuRuns(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_GPU_RUNS) throw new RangeError(`gpuRuns must be an integer from 1 to ${MAX_GPU_RUNS} (got ${n})`);
  return n;
}

/** the most running runs tuningRefusal reads from the store */
const MAX_RUNNING_LISTED = 100_000;

/** concurrent webgpu runs by default: each holds its own device and caches (about 2.5 GB for an LSTM at the paper size) */
export const DEFAULT_GPU_RUNS = 4;
/** the most concurrent webgpu runs one scheduler accepts (the Api's bound, src-shared/api.ts) */
export { MAX_GPU_RUNS };

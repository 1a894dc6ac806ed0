/**
 * Run an experiment from the command line: store it (SQLite, DESIGN.md §4),
 * execute its runs through the scheduler (one piscina pool, progress
 * persisted, results written in one transaction each), print progress lines,
 * and, when an output folder is given, write the reference result layout
 * (SCIENCE.md §8) as each unit finishes and the seed aggregates at the end.
 *
 * Per unit (as soon as it ends): learning curve, gate stats, the diagnostics
 * files (summary, μ units, τ, envelope and master fits, H_N, const τ), its
 * status file, and the seed's H_N_summary.csv (rewritten with every model
 * of that seed finished so far). At the end: <out>/aggregate/.
 *
 * Without a store, the experiment goes to a private temporary database that
 * is removed afterwards (the files are then the only record).
 * `driveRuns` is the shared engine of `lw run` and `lw resume`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import { kernelShapeLabel, type RunKernelShape } from '../../src-shared/gpu-tuning';
import type { ComputeBackend, DiagnosticsStatus, ExperimentDetail, LagSummaryRow, RunRecord } from '../../src-shared/results';
import type { WebGpuProbe } from '../../src-workers/backends/select';
import type { RunUnitOutput } from '../../src-workers/tasks/protocol';
import { writeHNSummaryAgg, writeSummaryAgg, type HNRows } from '../core/aggregate-results';
import { HostRegistry } from '../core/host-registry';
import {
  runStatusOfFailure, runStatusOfResult, writeCliArgs, writeDiagnostics, writeGateStats, writeHNSummary, writeLearningCurve,
  writeRunStatus,
} from '../core/results-writer';
import { Scheduler, type RunEnd } from '../core/scheduler';
import { openStore, type Store } from '../core/store';
import { INTERRUPTED_MESSAGE } from '../core/store/runs';
import { diagnosticsLine, epochLine, isProgressStep, runLabel, seconds } from './progress';

export type RunStatus = 'done' | 'diverged' | 'failed' | 'cancelled';
export type { DiagnosticsStatus };

export interface RunReport {
  /** the stored run's id */
  runId?: number;
  arch: ArchName;
  seed: number;
  status: RunStatus;
  epochs: number;
  divergedEpoch: number | null;
  error?: string;
  wallMs: number;
  trainMs?: number;
  diagnosticsMs?: number;
  diagnostics: DiagnosticsStatus;
  kernels?: string;
  /** the backend the run executed on, and its adapter (webgpu), when reported */
  backend?: ComputeBackend;
  adapter?: string;
  /** webgpu runs: the kernel shape used, a stored tuning's or the defaults */
  kernelShape?: RunKernelShape;
  files: string[];
}

export interface ExperimentReport {
  /** the stored experiment (in the private temporary store when none was given) */
  experimentId: number;
  /** the reference layout folder, or null when none was written */
  out: string | null;
  workers: number;
  runs: RunReport[];
  /** files of <out>/aggregate/ */
  aggregateFiles: string[];
  wallMs: number;
}

export interface DriveOptions {
  /** worker threads (0: in-process) */
  workers: number;
  /** the most concurrent webgpu runs (default: the scheduler's DEFAULT_GPU_RUNS) */
  gpuRuns?: number;
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** one line per event (progress, run ends) */
  log?: (line: string) => void;
  /** no per-epoch and per-diagnostics-step lines */
  quiet?: boolean;
  /** abort: cancel every run (running ones stop at their next mini-batch) */
  signal?: AbortSignal;
  /** pool worker entry (tests, bundles) */
  workerFile?: string;
  /** WebGPU adapter detection for `auto` runs (default: the scheduler's, probeWebGpu) */
  webgpuProbe?: () => Promise<WebGpuProbe>;
}

export interface RunExperimentOptions extends DriveOptions {
  /** write the reference layout here (config.json, seed_<S>/…, aggregate/) */
  out?: string | null;
  /** record the experiment here (default: a private temporary store) */
  store?: Store;
  name?: string;
  preset?: string | null;
  tags?: string[];
  notes?: string;
  /** called once the experiment is stored, before any run starts */
  onCreated?: (e: ExperimentDetail) => void;
}

/** What a finished unit left for the per-seed and aggregate files. */
interface UnitResults {
  summary: LagSummaryRow[];
  H_N: HNRows;
}

/** The reference layout of one experiment, written unit by unit. */
export class ResultFolder {
  /** results by seed, then model */
  private readonly results = new Map<number, Map<ArchName, UnitResults>>();

  constructor(readonly out: string, readonly cfg: ExperimentConfig) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
    for (const seed of cfg.seeds) writeCliArgs(out, cfg, seed);
  }

  private writeSeedHN(seed: number): string {
    const bySeed = this.results.get(seed)!;
    const perModel: Partial<Record<ArchName, HNRows>> = {};
    for (const m of this.cfg.models) {
      const r = bySeed.get(m);
      if (r) perModel[m] = r.H_N;
    }
    return writeHNSummary(this.out, seed, perModel);
  }

  failed(arch: ArchName, seed: number, msg: string, wallMs: number): string[] {
    return [writeRunStatus(this.out, runStatusOfFailure(arch, seed, msg, wallMs))];
  }

  unit(res: RunUnitOutput, status: RunStatus, error: string | undefined): string[] {
    const { arch, seed } = res;
    const files = [writeLearningCurve(this.out, seed, arch, res.curve), writeGateStats(this.out, seed, arch, res.gateStats)];
    if (res.diagnostics) {
      files.push(...writeDiagnostics(this.out, seed, arch, res.diagnostics));
      let bySeed = this.results.get(seed);
      if (!bySeed) this.results.set(seed, (bySeed = new Map()));
      bySeed.set(arch, { summary: res.diagnostics.summary, H_N: res.diagnostics.H_N });
      files.push(this.writeSeedHN(seed));
    }
    files.push(writeRunStatus(this.out, runStatusOfResult(arch, seed, res, { status, error })));
    return files;
  }

  /** <out>/aggregate/: per model with diagnostics from at least one seed (seeds in configuration order). */
  aggregates(): string[] {
    const files: string[] = [];
    const hn: { model: ArchName; perSeed: HNRows[] }[] = [];
    for (const m of this.cfg.models) {
      const perSeed = this.cfg.seeds.map((s) => this.results.get(s)?.get(m)).filter((r): r is UnitResults => r !== undefined);
      if (perSeed.length === 0) continue;
      files.push(writeSummaryAgg(this.out, m, perSeed.map((r) => r.summary)));
      hn.push({ model: m, perSeed: perSeed.map((r) => r.H_N) });
    }
    if (hn.length > 0) files.push(writeHNSummaryAgg(this.out, hn));
    return files;
  }
}

/** A run this process did not execute: cancelled while queued, or run by another process (its files from the store). */
function fromStore(store: Store, r: RunRecord, folder: ResultFolder | null): RunReport {
  const res = r.hasResult ? store.getRunResult(r.id) : null;
  if (!res) return notStarted(r);
  const out: RunUnitOutput = { ...res, arch: r.arch, seed: r.seed };
  const diagnostics: DiagnosticsStatus = res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped');
  const status: RunStatus = r.status === 'failed' ? 'failed' : r.status === 'diverged' ? 'diverged' : r.status === 'done' ? 'done' : 'cancelled';
  const error = status === 'failed' ? (r.error ?? 'failed') : undefined;
  return {
    runId: r.id, arch: r.arch, seed: r.seed, status, epochs: res.curve.length, divergedEpoch: res.divergedEpoch, wallMs: res.wallMs,
    diagnostics, kernels: res.kernelsName, files: folder ? folder.unit(out, status, error) : [],
    ...(res.kernelShape ? { kernelShape: res.kernelShape } : {}),
    ...(res.trainMs !== undefined ? { trainMs: res.trainMs } : {}),
    ...(res.diagnosticsMs !== undefined ? { diagnosticsMs: res.diagnosticsMs } : {}),
    ...(error ? { error } : {}),
  };
}

/** A run that never started (cancelled while queued). */
function notStarted(r: RunRecord): RunReport {
  return {
    runId: r.id, arch: r.arch, seed: r.seed, status: r.status === 'failed' ? 'failed' : r.status === 'diverged' ? 'diverged' : r.status === 'done' ? 'done' : 'cancelled',
    epochs: 0, divergedEpoch: null, wallMs: 0, diagnostics: 'skipped', files: [], ...(r.error ? { error: r.error } : {}),
  };
}

/**
 * Execute the queued runs of `experimentIds` on a scheduler scoped to them
 * and wait for them; `runs` are the runs to report (in order). Progress lines
 * go to `log`; `folder` (lw run --out) receives each unit's files.
 */
export async function driveRuns(
  store: Store, experimentIds: readonly number[], runs: readonly RunRecord[], opts: DriveOptions & { folder?: ResultFolder | null },
): Promise<{ reports: RunReport[]; workers: number }> {
  const log = opts.log ?? (() => {});
  const folder = opts.folder ?? null;
  const reports = new Map<number, RunReport>();
  const configs = new Map<number, ExperimentConfig>();
  const epochsOf = (experimentId: number): number => {
    let c = configs.get(experimentId);
    if (!c) configs.set(experimentId, (c = store.getExperiment(experimentId)!.config));
    return c.epochs;
  };

  const onRunEnd = ({ run, output: res, error: workerError }: RunEnd): void => {
    const { arch, seed } = run;
    const label = runLabel(arch, seed);
    if (!res) {
      const msg = workerError ?? run.error ?? 'unknown error';
      const status: RunStatus = run.status === 'cancelled' || run.status === 'interrupted' ? 'cancelled' : 'failed';
      log(status === 'failed' ? `${label} failed: ${msg}` : `${label} ${status}: ${msg}`);
      const wallMs = run.startedAt !== null && run.finishedAt !== null ? run.finishedAt - run.startedAt : 0;
      reports.set(run.id, {
        runId: run.id, arch, seed, status, epochs: 0, divergedEpoch: null, error: msg, wallMs, diagnostics: 'skipped',
        files: folder ? folder.failed(arch, seed, msg, wallMs) : [],
      });
      return;
    }
    const diagnostics: DiagnosticsStatus = res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped');
    const storedFailed = run.status === 'failed';
    const error = diagnostics === 'failed' ? `diagnostics failed: ${res.diagnosticsError ?? 'unknown error'}` : storedFailed ? (run.error ?? undefined) : undefined;
    const status: RunStatus = error ? 'failed' : res.diverged ? 'diverged' : res.cancelled || run.status === 'interrupted' ? 'cancelled' : 'done';
    const files = folder ? folder.unit(res, status, error) : [];

    const ep = res.curve.length;
    const trained = res.diverged ? `diverged at epoch ${(res.divergedEpoch ?? 0) + 1} (kept ${ep} finite epochs)`
      : res.cancelled && diagnostics !== 'cancelled' ? `cancelled after ${ep} epochs` : `${ep} epoch${ep === 1 ? '' : 's'}`;
    const time = `in ${seconds(res.trainMs ?? res.wallMs)}`
      + (diagnostics === 'done' || diagnostics === 'failed' || diagnostics === 'cancelled' ? `, diagnostics ${seconds(res.diagnosticsMs ?? 0)}` : '');
    const head = status === 'done' ? `done: ${trained}`
      : status === 'failed' ? `failed: ${error} (after ${trained})`
        : status === 'cancelled' && diagnostics === 'cancelled' ? `cancelled during diagnostics (after ${trained})` : trained;
    if (res.backendNote) log(`${label} ${res.backendNote}`);
    if (res.kernelNote) log(`${label} ${res.kernelNote}`);
    const shape = res.kernelShape ? `, kernel shape ${kernelShapeLabel(res.kernelShape)} (${res.kernelShape.source})` : '';
    log(`${label} ${head} ${time} (${res.kernelsName}${res.adapter ? ` on ${res.adapter}` : ''}${shape})`);
    reports.set(run.id, {
      runId: run.id, arch, seed, status, epochs: ep, divergedEpoch: res.divergedEpoch, wallMs: res.wallMs, diagnostics,
      kernels: res.kernelsName, files,
      ...(res.backend ? { backend: res.backend } : {}),
      ...(res.adapter ? { adapter: res.adapter } : {}),
      ...(res.kernelShape ? { kernelShape: res.kernelShape } : {}),
      ...(res.trainMs !== undefined ? { trainMs: res.trainMs } : {}),
      ...(res.diagnosticsMs !== undefined ? { diagnosticsMs: res.diagnosticsMs } : {}),
      ...(error ? { error } : {}),
    });
  };

  const registry = HostRegistry.open(dirname(store.path), 'cli');
  const scheduler = new Scheduler({
    store, registry, workers: opts.workers, experimentIds,
    ...(opts.gpuRuns !== undefined ? { gpuRuns: opts.gpuRuns } : {}),
    diagnostics: opts.diagnostics ?? true,
    ...(opts.workerFile ? { workerFile: opts.workerFile } : {}),
    ...(opts.webgpuProbe ? { backendProbe: opts.webgpuProbe } : {}),
    warn: (m) => log(`lw: ${m}`),
    hooks: {
      onRunEnd,
      onMessage: (run, m) => {
        if (opts.quiet) return;
        if (m.type === 'epoch') log(epochLine(run.arch, run.seed, m.row, epochsOf(run.experimentId)));
        else if (m.type === 'diagnostics' && isProgressStep(m.done, m.total)) log(diagnosticsLine(run.arch, run.seed, m.stage, m.done, m.total));
      },
    },
  });
  const onAbort = () => {
    for (const id of experimentIds) scheduler.cancelExperiment(id);
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);
  const active = () => experimentIds.flatMap((e) => store.listRuns(e)).filter((r) => r.status === 'queued' || r.status === 'running');
  try {
    scheduler.start();
    // another workstation process sharing the data directory (the app) may have taken some runs: wait for those too
    for (;;) {
      await scheduler.drain();
      const left = active();
      if (left.length === 0) break;
      if (left.some((r) => r.status === 'queued')) scheduler.pump();
      // a run claimed by no live process (its process died meanwhile) will not end: interrupted
      const owned = new Set(registry.others().flatMap((h) => h.runs));
      for (const r of left) {
        if (r.status === 'running' && !scheduler.isRunning(r.id) && !owned.has(r.id)) {
          try {
            store.setRunStatus(r.id, 'interrupted', { error: INTERRUPTED_MESSAGE });
          } catch {
            // it ended meanwhile
          }
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await scheduler.close();
    registry.close();
  }
  return {
    reports: runs.map((r) => reports.get(r.id) ?? fromStore(store, store.getRun(r.id) ?? r, folder)),
    workers: opts.workers,
  };
}

/** A private store in a temporary folder (removed by `cleanup`). */
function temporaryStore(): { store: Store; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'lw-run-'));
  const store = openStore({ dataDir: dir, synchronous: 'NORMAL' });
  return { store, cleanup: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function runExperiment(cfg: ExperimentConfig, opts: RunExperimentOptions): Promise<ExperimentReport> {
  const t0 = performance.now();
  const temp = opts.store ? null : temporaryStore();
  const store = opts.store ?? temp!.store;
  try {
    const exp = store.createExperiment(opts.name ?? 'lw run', cfg, {
      ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.notes !== undefined ? { notes: opts.notes } : {}), preset: opts.preset ?? null,
    });
    opts.onCreated?.(exp);
    const folder = opts.out ? new ResultFolder(opts.out, exp.config) : null;
    const { reports, workers } = await driveRuns(store, [exp.id], exp.runs, { ...opts, folder });
    return {
      experimentId: exp.id, out: opts.out ?? null, workers, runs: reports, aggregateFiles: folder ? folder.aggregates() : [],
      wallMs: performance.now() - t0,
    };
  } finally {
    temp?.cleanup();
  }
}

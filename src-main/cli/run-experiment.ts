/**
 * Run an experiment: one unit per (architecture, seed) on the worker pool,
 * progress on a log callback, result files in the reference layout
 * (SCIENCE.md §8) as each unit finishes, and the seed aggregates at the end.
 *
 * Per unit (as soon as it ends): learning curve, gate stats, the diagnostics
 * files (summary, μ units, τ, envelope and master fits, H_N, const τ), its
 * status file, and the seed's H_N_summary.csv (rewritten with every model
 * of that seed finished so far). At the end: <out>/aggregate/.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expandRuns, type ArchName, type ExperimentConfig } from '../../src-shared/config';
import type { SummaryRow } from '../../src-workers/engine/diagnostics/run-diagnostics';
import { createRunPool } from '../../src-workers/tasks/pool';
import type { DiagnosticsStatus, RunUnitOutput } from '../../src-workers/tasks/protocol';
import { writeHNSummaryAgg, writeSummaryAgg, type HNRows } from '../core/aggregate-results';
import {
  writeCliArgs, writeDiagnostics, writeGateStats, writeHNSummary, writeLearningCurve, writeRunStatus,
} from '../core/results-writer';
import { diagnosticsLine, epochLine, isProgressStep, runLabel, seconds } from './progress';

export type RunStatus = 'done' | 'diverged' | 'failed' | 'cancelled';
export type { DiagnosticsStatus };

export interface RunReport {
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
  files: string[];
}

export interface ExperimentReport {
  out: string;
  workers: number;
  runs: RunReport[];
  /** files of <out>/aggregate/ */
  aggregateFiles: string[];
  wallMs: number;
}

export interface RunExperimentOptions {
  out: string;
  /** worker threads (0: in-process) */
  workers: number;
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
  /** one line per event (progress, run ends) */
  log?: (line: string) => void;
  /** no per-epoch and per-diagnostics-step lines */
  quiet?: boolean;
  signal?: AbortSignal;
  /** pool worker entry (tests, bundles) */
  workerFile?: string;
}

/** What a finished unit left for the per-seed and aggregate files. */
interface UnitResults {
  summary: SummaryRow[];
  H_N: HNRows;
}

function msToS(ms: number | undefined): number | null {
  return ms === undefined ? null : ms / 1000;
}

export async function runExperiment(cfg: ExperimentConfig, opts: RunExperimentOptions): Promise<ExperimentReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const withDiagnostics = opts.diagnostics ?? true;
  const units = expandRuns(cfg);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  for (const seed of cfg.seeds) writeCliArgs(opts.out, cfg, seed);

  const pool = createRunPool({ workers: opts.workers, ...(opts.workerFile ? { filename: opts.workerFile } : {}) });
  const onAbort = () => pool.stop();
  opts.signal?.addEventListener('abort', onAbort);
  const reports: RunReport[] = new Array(units.length);
  /** results by seed, then model */
  const results = new Map<number, Map<ArchName, UnitResults>>();
  let next = 0;

  const writeSeedHN = (seed: number): string => {
    const bySeed = results.get(seed)!;
    const perModel: Partial<Record<ArchName, HNRows>> = {};
    for (const m of cfg.models) {
      const r = bySeed.get(m);
      if (r) perModel[m] = r.H_N;
    }
    return writeHNSummary(opts.out, seed, perModel);
  };

  const runOne = async (i: number): Promise<void> => {
    const { arch, seed } = units[i]!;
    const label = runLabel(arch, seed);
    const u0 = performance.now();
    if (pool.stopped) {
      reports[i] = { arch, seed, status: 'cancelled', epochs: 0, divergedEpoch: null, wallMs: 0, diagnostics: 'skipped', files: [] };
      return;
    }
    let res: RunUnitOutput;
    try {
      res = await pool.run({ config: cfg, arch, seed, diagnostics: withDiagnostics }, (m) => {
        if (opts.quiet) return;
        if (m.type === 'epoch') log(epochLine(arch, seed, m.row, cfg.epochs));
        else if (m.type === 'diagnostics' && isProgressStep(m.done, m.total)) log(diagnosticsLine(arch, seed, m.stage, m.done, m.total));
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      log(`${label} failed: ${msg}`);
      const wallMs = performance.now() - u0;
      const files = [writeRunStatus(opts.out, {
        model: arch, seed, status: 'failed', epochs: 0, diverged_epoch: null, kernels: null, diagnostics: 'skipped',
        timings_s: { training: null, diagnostics: null, total: wallMs / 1000 }, error: msg,
      })];
      reports[i] = { arch, seed, status: 'failed', epochs: 0, divergedEpoch: null, error: msg, wallMs, diagnostics: 'skipped', files };
      return;
    }

    const files = [
      writeLearningCurve(opts.out, seed, arch, res.curve),
      writeGateStats(opts.out, seed, arch, res.gateStats),
    ];
    const diagnostics: DiagnosticsStatus = res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped');
    if (res.diagnostics) {
      files.push(...writeDiagnostics(opts.out, seed, arch, res.diagnostics));
      let bySeed = results.get(seed);
      if (!bySeed) results.set(seed, (bySeed = new Map()));
      bySeed.set(arch, { summary: res.diagnostics.summary, H_N: res.diagnostics.H_N });
      files.push(writeSeedHN(seed));
    }
    const error = diagnostics === 'failed' ? `diagnostics failed: ${res.diagnosticsError ?? 'unknown error'}` : undefined;
    const status: RunStatus = error ? 'failed' : res.diverged ? 'diverged' : res.cancelled ? 'cancelled' : 'done';
    files.push(writeRunStatus(opts.out, {
      model: arch, seed, status, epochs: res.curve.length, diverged_epoch: res.divergedEpoch, kernels: res.kernelsName,
      diagnostics,
      timings_s: { training: msToS(res.trainMs), diagnostics: msToS(res.diagnosticsMs), total: msToS(res.wallMs) },
      ...(error ? { error } : {}),
    }));

    const ep = res.curve.length;
    const trained = res.diverged ? `diverged at epoch ${(res.divergedEpoch ?? 0) + 1} (kept ${ep} finite epochs)`
      : res.cancelled && diagnostics !== 'cancelled' ? `cancelled after ${ep} epochs` : `${ep} epoch${ep === 1 ? '' : 's'}`;
    const time = `in ${seconds(res.trainMs ?? res.wallMs)}`
      + (diagnostics === 'done' || diagnostics === 'failed' || diagnostics === 'cancelled' ? `, diagnostics ${seconds(res.diagnosticsMs ?? 0)}` : '');
    const head = status === 'done' ? `done: ${trained}`
      : status === 'failed' ? `failed: ${error} (after ${trained})`
        : status === 'cancelled' && diagnostics === 'cancelled' ? `cancelled during diagnostics (after ${trained})` : trained;
    log(`${label} ${head} ${time} (${res.kernelsName})`);
    reports[i] = {
      arch, seed, status, epochs: ep, divergedEpoch: res.divergedEpoch, wallMs: res.wallMs, diagnostics,
      kernels: res.kernelsName, files,
      ...(res.trainMs !== undefined ? { trainMs: res.trainMs } : {}),
      ...(res.diagnosticsMs !== undefined ? { diagnosticsMs: res.diagnosticsMs } : {}),
      ...(error ? { error } : {}),
    };
  };

  // at most `threads` units in flight, so units not yet started can be skipped on cancel
  const lanes = Math.max(1, Math.min(units.length, pool.threads || 1));
  try {
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (next < units.length) await runOne(next++);
    }));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await pool.destroy();
  }
  return { out: opts.out, workers: pool.threads, runs: reports, aggregateFiles: writeAggregates(opts.out, cfg, results), wallMs: performance.now() - t0 };
}

/** <out>/aggregate/: per model with diagnostics from at least one seed (seeds in configuration order). */
function writeAggregates(out: string, cfg: ExperimentConfig, results: Map<number, Map<ArchName, UnitResults>>): string[] {
  const files: string[] = [];
  const hn: { model: ArchName; perSeed: HNRows[] }[] = [];
  for (const m of cfg.models) {
    const perSeed = cfg.seeds.map((s) => results.get(s)?.get(m)).filter((r): r is UnitResults => r !== undefined);
    if (perSeed.length === 0) continue;
    files.push(writeSummaryAgg(out, m, perSeed.map((r) => r.summary)));
    hn.push({ model: m, perSeed: perSeed.map((r) => r.H_N) });
  }
  if (hn.length > 0) files.push(writeHNSummaryAgg(out, hn));
  return files;
}

/**
 * Run an experiment: one unit per (architecture, seed) on the worker pool,
 * progress on a log callback, result files in the reference layout
 * (SCIENCE.md §8) as each unit finishes.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expandRuns, type ArchName, type ExperimentConfig } from '../../src-shared/config';
import { createRunPool } from '../../src-workers/tasks/pool';
import type { RunUnitOutput } from '../../src-workers/tasks/protocol';
import { writeCliArgs, writeGateStats, writeLearningCurve } from '../core/results-writer';
import { epochLine, runLabel, seconds } from './progress';

export type RunStatus = 'done' | 'diverged' | 'failed' | 'cancelled';

export interface RunReport {
  arch: ArchName;
  seed: number;
  status: RunStatus;
  epochs: number;
  divergedEpoch: number | null;
  error?: string;
  wallMs: number;
  kernels?: string;
  files: string[];
}

export interface ExperimentReport {
  out: string;
  workers: number;
  runs: RunReport[];
  wallMs: number;
}

export interface RunExperimentOptions {
  out: string;
  /** worker threads (0: in-process) */
  workers: number;
  /** one line per event (progress, run ends) */
  log?: (line: string) => void;
  /** no per-epoch lines */
  quiet?: boolean;
  signal?: AbortSignal;
  /** pool worker entry (tests, bundles) */
  workerFile?: string;
}

export async function runExperiment(cfg: ExperimentConfig, opts: RunExperimentOptions): Promise<ExperimentReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const units = expandRuns(cfg);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  for (const seed of cfg.seeds) writeCliArgs(opts.out, cfg, seed);

  const pool = createRunPool({ workers: opts.workers, ...(opts.workerFile ? { filename: opts.workerFile } : {}) });
  const onAbort = () => pool.stop();
  opts.signal?.addEventListener('abort', onAbort);
  const reports: RunReport[] = new Array(units.length);
  let next = 0;

  const runOne = async (i: number): Promise<void> => {
    const { arch, seed } = units[i]!;
    const label = runLabel(arch, seed);
    const u0 = performance.now();
    if (pool.stopped) {
      reports[i] = { arch, seed, status: 'cancelled', epochs: 0, divergedEpoch: null, wallMs: 0, files: [] };
      return;
    }
    let res: RunUnitOutput;
    try {
      res = await pool.run({ config: cfg, arch, seed }, (m) => {
        if (m.type === 'epoch' && !opts.quiet) log(epochLine(arch, seed, m.row, cfg.epochs));
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      log(`${label} failed: ${msg}`);
      reports[i] = { arch, seed, status: 'failed', epochs: 0, divergedEpoch: null, error: msg, wallMs: performance.now() - u0, files: [] };
      return;
    }
    const files = [
      writeLearningCurve(opts.out, seed, arch, res.curve),
      writeGateStats(opts.out, seed, arch, res.gateStats),
    ];
    const status: RunStatus = res.diverged ? 'diverged' : res.cancelled ? 'cancelled' : 'done';
    const ep = res.curve.length;
    const what = status === 'diverged' ? `diverged at epoch ${(res.divergedEpoch ?? 0) + 1} (kept ${ep} finite epochs)`
      : status === 'cancelled' ? `cancelled after ${ep} epochs` : `done: ${ep} epoch${ep === 1 ? '' : 's'}`;
    log(`${label} ${what} in ${seconds(res.wallMs)} (${res.kernelsName})`);
    reports[i] = { arch, seed, status, epochs: ep, divergedEpoch: res.divergedEpoch, wallMs: res.wallMs, kernels: res.kernelsName, files };
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
  return { out: opts.out, workers: pool.threads, runs: reports, wallMs: performance.now() - t0 };
}

/**
 * The reference result layout (SCIENCE.md §8) of a set of finished runs, as
 * rendered files: exactly what `lw run --out` writes for the same results
 * (same paths, same bytes), rendered by the same functions
 * (results-writer.ts, aggregate-results.ts).
 *
 *   config.json
 *   seed_<S>/cli_args.csv                     every seed of the configuration
 *   seed_<S>/<model>/…                        runs that returned a result
 *   seed_<S>/<model>/<model>_status.json      also for runs that failed without one
 *   seed_<S>/H_N_summary.csv                  seeds with diagnostics of some model
 *   aggregate/<model>_summary_agg.csv         models with diagnostics of some seed
 *   aggregate/H_N_summary_agg.csv
 *
 * Runs that have not finished (queued, running, interrupted) and runs
 * cancelled before they started leave no files, as in `lw run`.
 */
import type { ArchName, ExperimentConfig } from '../../../src-shared/config';
import { TERMINAL_RUN_STATUSES, type RunResult, type RunStatus } from '../../../src-shared/results';
import { hnSummaryAggFile, summaryAggFile, type HNRows } from '../aggregate-results';
import {
  cliArgsFile, configJsonFile, hnSummaryFile, runResultFiles, runStatusFile, runStatusOfFailure, type LayoutFile,
} from '../results-writer';

/** One run as the layout needs it (a store RunRecord with its result fits). */
export interface LayoutRun {
  arch: ArchName;
  seed: number;
  status: RunStatus;
  /** the stored result, or null */
  result: RunResult | null;
  /** why the run failed (runs without a result) */
  error?: string | null;
  wallMs?: number | null;
  kernels?: string | null;
}

/** Whether a run is in a status it does not leave by itself (done, failed, diverged, cancelled). */
export function isFinished(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** The runs whose results the layout (and the other exports) use: finished, with a stored result. */
export function finishedWithResult<R extends { status: RunStatus; result: RunResult | null }>(runs: readonly R[]): (R & { result: RunResult })[] {
  return runs.filter((r): r is R & { result: RunResult } => isFinished(r.status) && r.result !== null);
}

/**
 * Every file of the layout, in the order `lw run` creates them: config.json,
 * the seeds' cli_args.csv, each run's files (runs in the given order, normally
 * expandRuns order), the seeds' H_N_summary.csv, the aggregates.
 */
export function referenceLayoutFiles(cfg: ExperimentConfig, runs: readonly LayoutRun[]): LayoutFile[] {
  const files: LayoutFile[] = [configJsonFile(cfg), ...cfg.seeds.map((s) => cliArgsFile(cfg, s))];
  for (const r of runs) {
    if (!isFinished(r.status)) continue;
    if (r.result) files.push(...runResultFiles(r.arch, r.seed, r.result));
    else if (r.status === 'failed') {
      files.push(runStatusFile(runStatusOfFailure(r.arch, r.seed, r.error ?? 'unknown error', r.wallMs ?? null, r.kernels ?? null)));
    }
  }
  const withDiagnostics = finishedWithResult(runs).filter((r) => r.result.diagnostics);
  const diagnosticsOf = (seed: number, m: ArchName) => withDiagnostics.find((r) => r.seed === seed && r.arch === m)?.result.diagnostics ?? null;

  // per seed: the models of the configuration (in its order) that have diagnostics
  for (const seed of cfg.seeds) {
    const perModel: Partial<Record<ArchName, HNRows>> = {};
    for (const m of cfg.models) {
      const d = diagnosticsOf(seed, m);
      if (d) perModel[m] = d.H_N;
    }
    if (Object.keys(perModel).length > 0) files.push(hnSummaryFile(seed, perModel));
  }

  // aggregate/: models with diagnostics from at least one seed (seeds in configuration order)
  const hn: { model: ArchName; perSeed: HNRows[] }[] = [];
  for (const m of cfg.models) {
    const perSeed = cfg.seeds.map((s) => diagnosticsOf(s, m)).filter((d) => d !== null);
    if (perSeed.length === 0) continue;
    files.push(summaryAggFile(m, perSeed.map((d) => d.summary)));
    hn.push({ model: m, perSeed: perSeed.map((d) => d.H_N) });
  }
  if (hn.length > 0) files.push(hnSummaryAggFile(hn));
  return files;
}

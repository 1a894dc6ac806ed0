/**
 * The 'csv' export: plain CSV tables, one file per table, bundled in a ZIP.
 *
 * Every per-run table starts with the run columns `experiment_id, run_id,
 * arch, seed`, then the columns of the reference file it mirrors
 * (SCIENCE.md §8), so the tables of all runs of an experiment concatenate
 * into one long table (one `pd.read_csv` per table). Values are written as
 * in the reference files: full precision, nan / inf / -inf, True / False.
 *
 *   experiment.csv         field,value: id, name, tags, notes, preset, app_version, created_at, …
 *   config.csv             argument,value (cli_args.csv of every seed)
 *   runs.csv               one row per run: status, backend asked and used, adapter, kernels, GPU kernel shape, timings, error …
 *   learning_curve.csv     run columns + epoch,train_loss,train_acc,val_loss,val_acc
 *   gate_stats.csv         run columns + epoch,metric,value
 *   summary.csv            run columns + the <model>_summary.csv columns
 *   mu_units.csv           run columns + ell,mu_unit_0,… (width of the widest run; narrower runs left empty)
 *   tau_from_mu_units.csv  run columns + unit_id,tau,C,a,b,r2,num_points
 *   H_N.csv                run columns + N,H_N
 *   envelope_fits.csv      run columns + exp_a,exp_b,exp_r2,exp_tau_env,power_c,power_d,power_r2,log_e,log_g,log_r2,best
 *   master_fit.csv         run columns + slope,intercept,r2,n,skipped
 *   const_tau.csv          run columns + s,leak,tau (const runs)
 *   summary_agg.csv        arch + the aggregate/<model>_summary_agg.csv columns (mean, std, n over seeds)
 *   H_N_agg.csv            arch,N,H_N_mean,H_N_std,H_N_n
 *
 * Data tables hold the finished runs with a stored result (as the reference
 * layout); runs.csv lists every exported run. Times are ISO 8601 (UTC).
 */
import { EXPORT_CSV_TABLES, type ExportCsvTable } from '../../../src-shared/api';
import type { ArchName } from '../../../src-shared/config';
import { LAG_SUMMARY_COLUMNS, type RunResult } from '../../../src-shared/results';
import { aggregateSeeds } from '../../../src-shared/seed-aggregate';
import { summaryAggColumns, summaryAggRows } from '../aggregate-results';
import {
  GATE_STATS_COLUMNS, H_N_COLUMNS, LEARNING_CURVE_COLUMNS, TAU_COLUMNS, cliArgsText, csvText, muUnitsColumns, type Cell,
} from '../results-writer';
import type { ExportBundle, ExportRun } from './load';
import { finishedWithResult } from './reference-layout';

/** The tables, in file order (the list is part of the Api contract: src-shared/api.ts). */
export const CSV_TABLE_NAMES = EXPORT_CSV_TABLES;

export type CsvTableName = ExportCsvTable;

export const RUN_COLUMNS = ['experiment_id', 'run_id', 'arch', 'seed'] as const;

export const RUNS_TABLE_COLUMNS = [
  ...RUN_COLUMNS, 'index', 'status', 'backend', 'backend_used', 'adapter', 'kernels', 'attempts', 'created_at', 'started_at', 'finished_at', 'wall_ms',
  'train_ms', 'diagnostics_ms', 'epochs', 'diverged', 'diverged_epoch', 'cancelled', 'diagnostics_status', 'has_result', 'error',
  // webgpu runs: the kernel shape the model used and whether it was a stored tuning ('tuned') or the defaults ('default'); empty on the CPU
  'kernel_workgroup_size', 'kernel_seqs_per_workgroup', 'kernel_unroll', 'kernel_shape_source',
] as const;

export const ENVELOPE_FIT_COLUMNS = ['exp_a', 'exp_b', 'exp_r2', 'exp_tau_env', 'power_c', 'power_d', 'power_r2', 'log_e', 'log_g', 'log_r2', 'best'] as const;
export const MASTER_FIT_COLUMNS = ['slope', 'intercept', 'r2', 'n', 'skipped'] as const;
export const CONST_TAU_COLUMNS = ['s', 'leak', 'tau'] as const;
export const H_N_AGG_COLUMNS = ['arch', 'N', 'H_N_mean', 'H_N_std', 'H_N_n'] as const;

export interface CsvTable {
  name: CsvTableName;
  /** `<name>.csv` */
  fileName: string;
  text: string;
}

function iso(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? '' : new Date(ms).toISOString();
}

type Finished = ExportRun & { result: RunResult };

function runCells(r: ExportRun): Cell[] {
  return [r.record.experimentId, r.record.id, r.record.arch, r.record.seed];
}

/** rows of every finished run with a result: run columns + the rows `rowsOf` gives */
function perRun(runs: readonly Finished[], rowsOf: (r: Finished) => Cell[][]): Cell[][] {
  return runs.flatMap((r) => rowsOf(r).map((row) => [...runCells(r), ...row]));
}

function experimentTable(b: ExportBundle): string {
  const e = b.experiment;
  const p = e.progress;
  const status = (['done', 'diverged', 'failed', 'cancelled', 'interrupted', 'running', 'queued'] as const)
    .filter((s) => p[s] > 0).map((s) => `${p[s]} ${s}`).join(', ');
  const rows: Cell[][] = [
    ['id', e.id], ['name', e.name], ['tags', e.tags.join(',')], ['notes', e.notes], ['preset', e.preset ?? ''],
    ['app_version', e.appVersion], ['created_at', iso(e.createdAt)], ['finished_at', iso(e.finishedAt)],
    ['runs', p.total], ['status', status], ['exported_run_id', b.runId ?? ''],
  ];
  return csvText(['field', 'value'], rows);
}

function runsTable(b: ExportBundle): string {
  return csvText(RUNS_TABLE_COLUMNS, b.runs.map((r) => {
    const x = r.record;
    const res = r.result;
    const k = x.kernelShape ?? res?.kernelShape ?? null;
    return [
      ...runCells(r), x.index, x.status, x.backend, x.backendUsed ?? '', x.adapter ?? '', x.kernels ?? '', x.attempts, iso(x.createdAt), iso(x.startedAt), iso(x.finishedAt),
      x.wallMs, x.trainMs, x.diagnosticsMs, res ? res.curve.length : x.epochsDone, res?.diverged, res?.divergedEpoch,
      res?.cancelled, res ? (res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped')) : '', x.hasResult, x.error ?? '',
      k?.workgroupSize ?? '', k?.seqsPerWorkgroup ?? '', k?.unroll ?? '', k?.source ?? '',
    ];
  }));
}

function muUnitsTable(runs: readonly Finished[]): string {
  const width = Math.max(0, ...runs.map((r) => r.result.diagnostics?.muUnits[0]?.length ?? 0));
  const cols = [...RUN_COLUMNS, ...muUnitsColumns(width)];
  return csvText(cols, perRun(runs, (r) => {
    const d = r.result.diagnostics;
    if (!d) return [];
    return d.lags.map((ell, i) => {
      const row: Cell[] = [ell, ...Array.from(d.muUnits[i]!)];
      while (row.length < width + 1) row.push(undefined);
      return row;
    });
  }));
}

function aggTables(b: ExportBundle, runs: readonly Finished[]): { summary: string; hn: string } {
  const summaryRows: Cell[][] = [];
  const hnRows: Cell[][] = [];
  const models: ArchName[] = b.config.models;
  for (const m of models) {
    const perSeed = b.config.seeds
      .map((s) => runs.find((r) => r.record.arch === m && r.record.seed === s)?.result.diagnostics)
      .filter((d) => d !== undefined && d !== null);
    if (perSeed.length === 0) continue;
    for (const row of summaryAggRows(perSeed.map((d) => d.summary))) summaryRows.push([m, ...row]);
    const agg = aggregateSeeds(perSeed.map((d) => ({ keys: d.H_N.map((r) => r.N), values: d.H_N.map((r) => r.H_N) })));
    for (const a of agg) hnRows.push([m, a.key, a.mean, a.std, a.count]);
  }
  return { summary: csvText(['arch', ...summaryAggColumns()], summaryRows), hn: csvText(H_N_AGG_COLUMNS, hnRows) };
}

/** Every table of the export, in CSV_TABLE_NAMES order. */
export function csvTables(b: ExportBundle): CsvTable[] {
  const runs = finishedWithResult(b.runs.map((r) => ({ ...r, status: r.record.status })));
  const diag = (r: Finished) => r.result.diagnostics ?? null;
  const agg = aggTables(b, runs);
  const texts: Record<CsvTableName, string> = {
    experiment: experimentTable(b),
    config: cliArgsText(b.config),
    runs: runsTable(b),
    learning_curve: csvText([...RUN_COLUMNS, ...LEARNING_CURVE_COLUMNS],
      perRun(runs, (r) => r.result.curve.map((c) => LEARNING_CURVE_COLUMNS.map((k) => c[k])))),
    gate_stats: csvText([...RUN_COLUMNS, ...GATE_STATS_COLUMNS],
      perRun(runs, (r) => r.result.gateStats.map((g) => GATE_STATS_COLUMNS.map((k) => g[k])))),
    summary: csvText([...RUN_COLUMNS, ...LAG_SUMMARY_COLUMNS],
      perRun(runs, (r) => (diag(r)?.summary ?? []).map((s) => LAG_SUMMARY_COLUMNS.map((k) => s[k])))),
    mu_units: muUnitsTable(runs),
    tau_from_mu_units: csvText([...RUN_COLUMNS, ...TAU_COLUMNS],
      perRun(runs, (r) => (diag(r)?.tau ?? []).map((t) => TAU_COLUMNS.map((k) => t[k])))),
    H_N: csvText([...RUN_COLUMNS, ...H_N_COLUMNS], perRun(runs, (r) => (diag(r)?.H_N ?? []).map((h) => [h.N, h.H_N]))),
    envelope_fits: csvText([...RUN_COLUMNS, ...ENVELOPE_FIT_COLUMNS], perRun(runs, (r) => {
      const e = diag(r)?.envelope;
      return e ? [[e.exp.a, e.exp.b, e.exp.r2, e.exp.tau_env, e.power.c, e.power.d, e.power.r2, e.log.e, e.log.g, e.log.r2, e.best]] : [];
    })),
    master_fit: csvText([...RUN_COLUMNS, ...MASTER_FIT_COLUMNS], perRun(runs, (r) => {
      const m = diag(r)?.master;
      if (!m) return [];
      return 'skipped' in m ? [[NaN, NaN, NaN, NaN, m.skipped]] : [[m.slope, m.intercept, m.r2, m.n, '']];
    })),
    const_tau: csvText([...RUN_COLUMNS, ...CONST_TAU_COLUMNS], perRun(runs, (r) => {
      const c = diag(r)?.constTau;
      return c ? [[c.s, c.leak, c.tau]] : [];
    })),
    summary_agg: agg.summary,
    H_N_agg: agg.hn,
  };
  return CSV_TABLE_NAMES.map((name) => ({ name, fileName: `${name}.csv`, text: texts[name] }));
}

/**
 * Result files in the reference pipeline's layout (SCIENCE.md §8), so that
 * tools written for the reference read ours unchanged:
 *
 *   <out>/config.json                                   (ours) the complete configuration
 *   <out>/seed_<S>/cli_args.csv                         argument,value
 *   <out>/seed_<S>/H_N_summary.csv                      N,H_N_<model>…
 *   <out>/seed_<S>/<model>/<model>_learning_curve.csv   epoch,train_loss,train_acc,val_loss,val_acc
 *   <out>/seed_<S>/<model>/gate_stats_<model>.csv       epoch,metric,value
 *   <out>/seed_<S>/<model>/<model>_summary.csv          (LAG_SUMMARY_COLUMNS)
 *   <out>/seed_<S>/<model>/<model>_mu_units.csv         ell,mu_unit_0…
 *   <out>/seed_<S>/<model>/<model>_tau_from_mu_units.csv unit_id,tau,C,a,b,r2,num_points
 *   <out>/seed_<S>/<model>/<model>_envelope_fits.json
 *   <out>/seed_<S>/<model>/<model>_H_N.csv              N,H_N
 *   <out>/seed_<S>/<model>/<model>_master_fit.json      (ours) slope,intercept,r2,n | skipped
 *   <out>/seed_<S>/<model>/<model>_status.json          (ours) status, diverged epoch, kernels, backend, timings
 *   <out>/seed_<S>/const/const_tau_const.json           {s,leak,tau}
 *   <out>/aggregate/<model>_summary_agg.csv             (ours) see aggregate-results.ts
 *   <out>/aggregate/H_N_summary_agg.csv                 (ours)
 *
 * Values are written as the reference's Python/pandas writes them: numbers in
 * full precision, non-finite numbers as nan / inf / -inf, booleans as
 * True / False. Every file is written to a temporary name and renamed, so a
 * crash never leaves half a file. Node APIs: this is src-main/core.
 *
 * Rendering and writing are separate, so that `lw run --out` (files on disk)
 * and the ZIP export (src-main/core/exports) produce the same bytes from ONE
 * implementation: `xxxFile(seed, model, …)` renders a `LayoutFile` (its path
 * relative to the output folder, '/'-separated, and its text) and
 * `writeXxx(out, seed, model, …)` is `writeLayoutFile(out, xxxFile(…))`.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CONFIG_FIELDS, type ArchName, type ExperimentConfig } from '../../src-shared/config';
import { LAG_SUMMARY_COLUMNS, type ComputeBackend, type LagSummaryRow, type RunDiagnostics, type RunResult } from '../../src-shared/results';

export const LEARNING_CURVE_COLUMNS = ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc'] as const;
export const GATE_STATS_COLUMNS = ['epoch', 'metric', 'value'] as const;
export const CLI_ARGS_COLUMNS = ['argument', 'value'] as const;
export const TAU_COLUMNS = ['unit_id', 'tau', 'C', 'a', 'b', 'r2', 'num_points'] as const;
export const H_N_COLUMNS = ['N', 'H_N'] as const;

export type Cell = number | string | boolean | null | undefined;
type RowOf<C extends readonly string[]> = { [K in C[number]]: Cell };

/** A file of the result layout: its path relative to the output folder ('/'-separated) and its text (UTF-8). */
export interface LayoutFile {
  path: string;
  text: string;
}

/** One cell as text, Python-style for non-finite numbers and booleans. */
export function formatCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    return String(v);
  }
  return v;
}

/** CSV text: a header row and one row per record, columns in the given order. */
export function csvText(columns: readonly string[], rows: readonly Cell[][]): string {
  return stringify([columns as string[], ...rows.map((r) => r.map(formatCell))], { eof: true, record_delimiter: '\n' });
}

/** CSV text of records (objects), columns in the given order. */
export function recordsText<C extends readonly string[]>(columns: C, records: readonly RowOf<C>[]): string {
  return csvText(columns, records.map((r) => columns.map((c) => r[c as C[number]])));
}

/** JSON with non-finite numbers written as null (JSON has no NaN/Infinity). */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** Write a file atomically (temporary name, then rename), creating its folder. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')));
  if (dir) mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Write a rendered file under `out` (atomically); returns its path. */
export function writeLayoutFile(out: string, file: LayoutFile): string {
  const p = join(out, ...file.path.split('/'));
  writeFileAtomic(p, file.text);
  return p;
}

// --- paths ----------------------------------------------------------------

/** `seed_<S>` (relative) */
export function seedPath(seed: number): string {
  return `seed_${seed}`;
}

/** `seed_<S>/<model>` (relative) */
export function runPath(seed: number, model: ArchName): string {
  return `${seedPath(seed)}/${model}`;
}

export function seedDir(out: string, seed: number): string {
  return join(out, seedPath(seed));
}

export function runDir(out: string, seed: number, model: ArchName): string {
  return join(seedDir(out, seed), model);
}

// --- the whole configuration (ours) ------------------------------------------

/** `config.json`: the complete configuration, as `lw run` writes it. */
export function configJsonFile(cfg: ExperimentConfig): LayoutFile {
  return { path: 'config.json', text: `${JSON.stringify(cfg, null, 2)}\n` };
}

// --- per seed -------------------------------------------------------------

/**
 * cli_args.csv of one seed directory: every configuration field, lists
 * comma-separated, `seeds` = this directory's seed (so that importing the file
 * reproduces exactly this directory's runs).
 */
export function cliArgsText(cfg: ExperimentConfig, seed?: number): string {
  const rows: Cell[][] = CONFIG_FIELDS.map((f) => {
    const v = f.name === 'seeds' && seed !== undefined ? [seed] : cfg[f.name];
    return [f.name, Array.isArray(v) ? v.join(',') : formatCell(v as Cell)];
  });
  return csvText(CLI_ARGS_COLUMNS, rows);
}

export function cliArgsFile(cfg: ExperimentConfig, seed: number): LayoutFile {
  return { path: `${seedPath(seed)}/cli_args.csv`, text: cliArgsText(cfg, seed) };
}

export function writeCliArgs(out: string, cfg: ExperimentConfig, seed: number): string {
  return writeLayoutFile(out, cliArgsFile(cfg, seed));
}

/** H_N_summary.csv text: one row per N, one H_N column per model (keys in order; missing values left empty). */
export function hnSummaryText(perModel: Partial<Record<ArchName, readonly { N: number; H_N: number }[]>>): string {
  const models = Object.keys(perModel) as ArchName[];
  const Ns = [...new Set(models.flatMap((m) => perModel[m]!.map((r) => r.N)))].sort((a, b) => a - b);
  const rows = Ns.map((N) => [N, ...models.map((m) => perModel[m]!.find((r) => r.N === N)?.H_N)]);
  return csvText(['N', ...models.map((m) => `H_N_${m}`)], rows);
}

export function hnSummaryFile(seed: number, perModel: Partial<Record<ArchName, readonly { N: number; H_N: number }[]>>): LayoutFile {
  return { path: `${seedPath(seed)}/H_N_summary.csv`, text: hnSummaryText(perModel) };
}

/** H_N_summary.csv: one row per N, one H_N column per model (missing values left empty). */
export function writeHNSummary(out: string, seed: number, perModel: Partial<Record<ArchName, readonly { N: number; H_N: number }[]>>): string {
  return writeLayoutFile(out, hnSummaryFile(seed, perModel));
}

// --- per run --------------------------------------------------------------

export type LearningCurveRecord = RowOf<typeof LEARNING_CURVE_COLUMNS>;
export type GateStatRecord = RowOf<typeof GATE_STATS_COLUMNS>;
export type TauRecord = RowOf<typeof TAU_COLUMNS>;

function runFile(seed: number, model: ArchName, name: string, text: string): LayoutFile {
  return { path: `${runPath(seed, model)}/${name}`, text };
}

export function learningCurveFile(seed: number, model: ArchName, rows: readonly LearningCurveRecord[]): LayoutFile {
  return runFile(seed, model, `${model}_learning_curve.csv`, recordsText(LEARNING_CURVE_COLUMNS, rows));
}

export function writeLearningCurve(out: string, seed: number, model: ArchName, rows: readonly LearningCurveRecord[]): string {
  return writeLayoutFile(out, learningCurveFile(seed, model, rows));
}

export function gateStatsFile(seed: number, model: ArchName, rows: readonly GateStatRecord[]): LayoutFile {
  return runFile(seed, model, `gate_stats_${model}.csv`, recordsText(GATE_STATS_COLUMNS, rows));
}

export function writeGateStats(out: string, seed: number, model: ArchName, rows: readonly GateStatRecord[]): string {
  return writeLayoutFile(out, gateStatsFile(seed, model, rows));
}

export function summaryFile(seed: number, model: ArchName, rows: readonly LagSummaryRow[]): LayoutFile {
  return runFile(seed, model, `${model}_summary.csv`, recordsText(LAG_SUMMARY_COLUMNS, rows));
}

export function writeSummary(out: string, seed: number, model: ArchName, rows: readonly LagSummaryRow[]): string {
  return writeLayoutFile(out, summaryFile(seed, model, rows));
}

/** Header of `<model>_mu_units.csv` for H units. */
export function muUnitsColumns(H: number): string[] {
  return ['ell', ...Array.from({ length: H }, (_, q) => `mu_unit_${q}`)];
}

/** `<model>_mu_units.csv` text: one row per lag, μ_q(ℓ) for q = 0..H-1. */
export function muUnitsText(lags: readonly number[], muUnits: readonly ArrayLike<number>[]): string {
  const H = muUnits[0]?.length ?? 0;
  const rows = lags.map((l, i) => [l, ...Array.from(muUnits[i]!)]);
  return csvText(muUnitsColumns(H), rows);
}

export function muUnitsFile(seed: number, model: ArchName, lags: readonly number[], muUnits: readonly ArrayLike<number>[]): LayoutFile {
  return runFile(seed, model, `${model}_mu_units.csv`, muUnitsText(lags, muUnits));
}

/** `<model>_mu_units.csv`: one row per lag, μ_q(ℓ) for q = 0..H-1. */
export function writeMuUnits(out: string, seed: number, model: ArchName, lags: readonly number[], muUnits: readonly ArrayLike<number>[]): string {
  return writeLayoutFile(out, muUnitsFile(seed, model, lags, muUnits));
}

export function tauFromMuUnitsFile(seed: number, model: ArchName, rows: readonly TauRecord[]): LayoutFile {
  return runFile(seed, model, `${model}_tau_from_mu_units.csv`, recordsText(TAU_COLUMNS, rows));
}

export function writeTauFromMuUnits(out: string, seed: number, model: ArchName, rows: readonly TauRecord[]): string {
  return writeLayoutFile(out, tauFromMuUnitsFile(seed, model, rows));
}

export function hnFile(seed: number, model: ArchName, rows: readonly { N: number; H_N: number }[]): LayoutFile {
  return runFile(seed, model, `${model}_H_N.csv`, recordsText(H_N_COLUMNS, rows));
}

export function writeHN(out: string, seed: number, model: ArchName, rows: readonly { N: number; H_N: number }[]): string {
  return writeLayoutFile(out, hnFile(seed, model, rows));
}

export function envelopeFitsFile(seed: number, model: ArchName, fits: Record<string, unknown>): LayoutFile {
  return runFile(seed, model, `${model}_envelope_fits.json`, jsonText(fits));
}

export function writeEnvelopeFits(out: string, seed: number, model: ArchName, fits: Record<string, unknown>): string {
  return writeLayoutFile(out, envelopeFitsFile(seed, model, fits));
}

/** const only: `const_tau_const.json` {s, leak = 1 - s, τ = -1/log(1 - s)} (SCIENCE.md §6). */
export function constTauFile(seed: number, rec: { s: number; leak: number; tau: number }): LayoutFile {
  return runFile(seed, 'const', 'const_tau_const.json', jsonText({ s: rec.s, leak: rec.leak, tau: rec.tau }));
}

export function writeConstTau(out: string, seed: number, rec: { s: number; leak: number; tau: number }): string {
  return writeLayoutFile(out, constTauFile(seed, rec));
}

/** `<model>_master_fit.json` (ours): {slope, intercept, r2, n} or {skipped: reason}. */
export function masterFitFile(seed: number, model: ArchName, fit: Record<string, unknown>): LayoutFile {
  return runFile(seed, model, `${model}_master_fit.json`, jsonText(fit));
}

export function writeMasterFit(out: string, seed: number, model: ArchName, fit: Record<string, unknown>): string {
  return writeLayoutFile(out, masterFitFile(seed, model, fit));
}

/** What `<model>_status.json` holds (ours). */
export interface RunStatusRecord {
  model: ArchName;
  seed: number;
  /** done | diverged | cancelled | failed */
  status: string;
  /** completed epochs (rows of the learning curve) */
  epochs: number;
  /** 0-based epoch in progress when the loss became non-finite; null when not diverged */
  diverged_epoch: number | null;
  /** kernel set used for training (e.g. wasm-simd-f32); null when unknown */
  kernels: string | null;
  /** backend the run executed on (cpu | webgpu) and, for webgpu, the adapter; absent when not reported (imports) */
  backend?: ComputeBackend;
  adapter?: string | null;
  /** done | skipped (--no-diagnostics or cancelled before them) | cancelled | failed */
  diagnostics: string;
  /** wall-clock seconds */
  timings_s: { training: number | null; diagnostics: number | null; total: number | null };
  error?: string;
}

function msToS(ms: number | null | undefined): number | null {
  return ms === undefined || ms === null ? null : ms / 1000;
}

/**
 * The status record of a run that returned a result (the unit's output or the
 * stored RunResult): status failed when its diagnostics failed, else diverged,
 * else cancelled, else done (src-shared/results.ts statusOfResult). `outcome`
 * replaces that status and error when the caller knows more (lw run: a run
 * interrupted, or failed as stored).
 */
export function runStatusOfResult(
  model: ArchName, seed: number, res: RunResult, outcome?: { status: string; error?: string | undefined },
): RunStatusRecord {
  const diagnostics = res.diagnostics ? 'done' : (res.diagnosticsStatus ?? 'skipped');
  const error = outcome ? outcome.error
    : diagnostics === 'failed' ? `diagnostics failed: ${res.diagnosticsError ?? 'unknown error'}` : undefined;
  const status = outcome ? outcome.status : error ? 'failed' : res.diverged ? 'diverged' : res.cancelled ? 'cancelled' : 'done';
  return {
    model, seed, status, epochs: res.curve.length, diverged_epoch: res.divergedEpoch, kernels: res.kernelsName,
    ...(res.backend !== undefined ? { backend: res.backend, adapter: res.adapter ?? null } : {}),
    diagnostics,
    timings_s: { training: msToS(res.trainMs), diagnostics: msToS(res.diagnosticsMs), total: msToS(res.wallMs) },
    ...(error ? { error } : {}),
  };
}

/** The status record of a run that failed without a result (its worker threw or died). */
export function runStatusOfFailure(model: ArchName, seed: number, error: string, wallMs: number | null, kernels: string | null = null): RunStatusRecord {
  return {
    model, seed, status: 'failed', epochs: 0, diverged_epoch: null, kernels, diagnostics: 'skipped',
    timings_s: { training: null, diagnostics: null, total: msToS(wallMs) }, error,
  };
}

export function runStatusFile(rec: RunStatusRecord): LayoutFile {
  return runFile(rec.seed, rec.model, `${rec.model}_status.json`, jsonText(rec));
}

export function writeRunStatus(out: string, rec: RunStatusRecord): string {
  return writeLayoutFile(out, runStatusFile(rec));
}

// --- everything of one run -----------------------------------------------------

/** The diagnostics files of one run (§8 plus our master fit), in the order `lw run` writes them. */
export function diagnosticsFiles(seed: number, model: ArchName, d: RunDiagnostics): LayoutFile[] {
  const files = [
    summaryFile(seed, model, d.summary),
    muUnitsFile(seed, model, d.lags, d.muUnits),
    tauFromMuUnitsFile(seed, model, d.tau),
    envelopeFitsFile(seed, model, { ...d.envelope }),
    hnFile(seed, model, d.H_N),
    masterFitFile(seed, model, { ...d.master }),
  ];
  if (d.constTau) files.push(constTauFile(seed, d.constTau));
  return files;
}

/** The diagnostics files of one run (§8 plus our master fit); returns the paths written. */
export function writeDiagnostics(out: string, seed: number, model: ArchName, d: RunDiagnostics): string[] {
  return diagnosticsFiles(seed, model, d).map((f) => writeLayoutFile(out, f));
}

/**
 * Every file of one run that returned a result: learning curve, gate stats,
 * the diagnostics files when there are diagnostics, and the status file.
 */
export function runResultFiles(model: ArchName, seed: number, res: RunResult): LayoutFile[] {
  return [
    learningCurveFile(seed, model, res.curve),
    gateStatsFile(seed, model, res.gateStats),
    ...(res.diagnostics ? diagnosticsFiles(seed, model, res.diagnostics) : []),
    runStatusFile(runStatusOfResult(model, seed, res)),
  ];
}

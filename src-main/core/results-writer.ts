/**
 * Result files in the reference pipeline's layout (SCIENCE.md §8), so that
 * tools written for the reference read ours unchanged:
 *
 *   <out>/seed_<S>/cli_args.csv                         argument,value
 *   <out>/seed_<S>/H_N_summary.csv                      N,H_N_<model>…
 *   <out>/seed_<S>/<model>/<model>_learning_curve.csv   epoch,train_loss,train_acc,val_loss,val_acc
 *   <out>/seed_<S>/<model>/gate_stats_<model>.csv       epoch,metric,value
 *   <out>/seed_<S>/<model>/<model>_summary.csv          (SUMMARY_COLUMNS)
 *   <out>/seed_<S>/<model>/<model>_mu_units.csv         ell,mu_unit_0…
 *   <out>/seed_<S>/<model>/<model>_tau_from_mu_units.csv unit_id,tau,C,a,b,r2,num_points
 *   <out>/seed_<S>/<model>/<model>_envelope_fits.json
 *   <out>/seed_<S>/<model>/<model>_H_N.csv              N,H_N
 *   <out>/seed_<S>/<model>/<model>_master_fit.json      (ours) slope,intercept,r2,n | skipped
 *   <out>/seed_<S>/<model>/<model>_status.json          (ours) status, diverged epoch, kernels, timings
 *   <out>/seed_<S>/const/const_tau_const.json           {s,leak,tau}
 *   <out>/aggregate/<model>_summary_agg.csv             (ours) see aggregate-results.ts
 *   <out>/aggregate/H_N_summary_agg.csv                 (ours)
 *
 * Values are written as the reference's Python/pandas writes them: numbers in
 * full precision, non-finite numbers as nan / inf / -inf, booleans as
 * True / False. Every file is written to a temporary name and renamed, so a
 * crash never leaves half a file. Node APIs: this is src-main/core.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CONFIG_FIELDS, type ArchName, type ExperimentConfig } from '../../src-shared/config';
import { SUMMARY_COLUMNS, type SummaryRow } from '../../src-workers/engine/diagnostics/run-diagnostics';
import type { UnitDiagnostics } from '../../src-workers/tasks/protocol';

export { SUMMARY_COLUMNS };

export const LEARNING_CURVE_COLUMNS = ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc'] as const;
export const GATE_STATS_COLUMNS = ['epoch', 'metric', 'value'] as const;
export const CLI_ARGS_COLUMNS = ['argument', 'value'] as const;
export const TAU_COLUMNS = ['unit_id', 'tau', 'C', 'a', 'b', 'r2', 'num_points'] as const;
export const H_N_COLUMNS = ['N', 'H_N'] as const;

export type Cell = number | string | boolean | null | undefined;
type RowOf<C extends readonly string[]> = { [K in C[number]]: Cell };

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

function recordsText<C extends readonly string[]>(columns: C, records: readonly RowOf<C>[]): string {
  return csvText(columns, records.map((r) => columns.map((c) => r[c as C[number]])));
}

/** Write a file atomically (temporary name, then rename), creating its folder. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')));
  if (dir) mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function seedDir(out: string, seed: number): string {
  return join(out, `seed_${seed}`);
}

export function runDir(out: string, seed: number, model: ArchName): string {
  return join(seedDir(out, seed), model);
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

export function writeCliArgs(out: string, cfg: ExperimentConfig, seed: number): string {
  const p = join(seedDir(out, seed), 'cli_args.csv');
  writeFileAtomic(p, cliArgsText(cfg, seed));
  return p;
}

/** H_N_summary.csv: one row per N, one H_N column per model (missing values left empty). */
export function writeHNSummary(out: string, seed: number, perModel: Partial<Record<ArchName, readonly { N: number; H_N: number }[]>>): string {
  const models = Object.keys(perModel) as ArchName[];
  const Ns = [...new Set(models.flatMap((m) => perModel[m]!.map((r) => r.N)))].sort((a, b) => a - b);
  const rows = Ns.map((N) => [N, ...models.map((m) => perModel[m]!.find((r) => r.N === N)?.H_N)]);
  const p = join(seedDir(out, seed), 'H_N_summary.csv');
  writeFileAtomic(p, csvText(['N', ...models.map((m) => `H_N_${m}`)], rows));
  return p;
}

// --- per run --------------------------------------------------------------

export type LearningCurveRecord = RowOf<typeof LEARNING_CURVE_COLUMNS>;
export type GateStatRecord = RowOf<typeof GATE_STATS_COLUMNS>;
export type SummaryRecord = SummaryRow;
export type TauRecord = RowOf<typeof TAU_COLUMNS>;

export function writeLearningCurve(out: string, seed: number, model: ArchName, rows: readonly LearningCurveRecord[]): string {
  const p = join(runDir(out, seed, model), `${model}_learning_curve.csv`);
  writeFileAtomic(p, recordsText(LEARNING_CURVE_COLUMNS, rows));
  return p;
}

export function writeGateStats(out: string, seed: number, model: ArchName, rows: readonly GateStatRecord[]): string {
  const p = join(runDir(out, seed, model), `gate_stats_${model}.csv`);
  writeFileAtomic(p, recordsText(GATE_STATS_COLUMNS, rows));
  return p;
}

export function writeSummary(out: string, seed: number, model: ArchName, rows: readonly SummaryRecord[]): string {
  const p = join(runDir(out, seed, model), `${model}_summary.csv`);
  writeFileAtomic(p, recordsText(SUMMARY_COLUMNS, rows));
  return p;
}

/** `<model>_mu_units.csv`: one row per lag, μ_q(ℓ) for q = 0..H-1. */
export function writeMuUnits(out: string, seed: number, model: ArchName, lags: readonly number[], muUnits: readonly ArrayLike<number>[]): string {
  const H = muUnits[0]?.length ?? 0;
  const header = ['ell', ...Array.from({ length: H }, (_, q) => `mu_unit_${q}`)];
  const rows = lags.map((l, i) => [l, ...Array.from(muUnits[i]!)]);
  const p = join(runDir(out, seed, model), `${model}_mu_units.csv`);
  writeFileAtomic(p, csvText(header, rows));
  return p;
}

export function writeTauFromMuUnits(out: string, seed: number, model: ArchName, rows: readonly TauRecord[]): string {
  const p = join(runDir(out, seed, model), `${model}_tau_from_mu_units.csv`);
  writeFileAtomic(p, recordsText(TAU_COLUMNS, rows));
  return p;
}

export function writeHN(out: string, seed: number, model: ArchName, rows: readonly { N: number; H_N: number }[]): string {
  const p = join(runDir(out, seed, model), `${model}_H_N.csv`);
  writeFileAtomic(p, recordsText(H_N_COLUMNS, rows));
  return p;
}

/** JSON with non-finite numbers written as null (JSON has no NaN/Infinity). */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

export function writeEnvelopeFits(out: string, seed: number, model: ArchName, fits: Record<string, unknown>): string {
  const p = join(runDir(out, seed, model), `${model}_envelope_fits.json`);
  writeFileAtomic(p, jsonText(fits));
  return p;
}

/** const only: `const_tau_const.json` {s, leak = 1 - s, τ = -1/log(1 - s)} (SCIENCE.md §6). */
export function writeConstTau(out: string, seed: number, rec: { s: number; leak: number; tau: number }): string {
  const p = join(runDir(out, seed, 'const'), 'const_tau_const.json');
  writeFileAtomic(p, jsonText({ s: rec.s, leak: rec.leak, tau: rec.tau }));
  return p;
}

/** `<model>_master_fit.json` (ours): {slope, intercept, r2, n} or {skipped: reason}. */
export function writeMasterFit(out: string, seed: number, model: ArchName, fit: Record<string, unknown>): string {
  const p = join(runDir(out, seed, model), `${model}_master_fit.json`);
  writeFileAtomic(p, jsonText(fit));
  return p;
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
  /** done | skipped (--no-diagnostics or cancelled before them) | cancelled | failed */
  diagnostics: string;
  /** wall-clock seconds */
  timings_s: { training: number | null; diagnostics: number | null; total: number | null };
  error?: string;
}

export function writeRunStatus(out: string, rec: RunStatusRecord): string {
  const p = join(runDir(out, rec.seed, rec.model), `${rec.model}_status.json`);
  writeFileAtomic(p, jsonText(rec));
  return p;
}

// --- everything of one run's diagnostics -----------------------------------

/** The diagnostics files of one run (§8 plus our master fit); returns the paths written. */
export function writeDiagnostics(out: string, seed: number, model: ArchName, d: UnitDiagnostics): string[] {
  const files = [
    writeSummary(out, seed, model, d.summary),
    writeMuUnits(out, seed, model, d.lags, d.muUnits),
    writeTauFromMuUnits(out, seed, model, d.tau),
    writeEnvelopeFits(out, seed, model, { ...d.envelope }),
    writeHN(out, seed, model, d.H_N),
    writeMasterFit(out, seed, model, { ...d.master }),
  ];
  if (d.constTau) files.push(writeConstTau(out, seed, d.constTau));
  return files;
}

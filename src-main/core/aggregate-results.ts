/**
 * Seed aggregation of the per-run results (SCIENCE.md §6, "multi-seed
 * aggregation"), written to <out>/aggregate/:
 *
 *   <model>_summary_agg.csv   ell, then for every numeric summary column c:
 *                             c_mean, c_std, c_n   (per lag, across seeds)
 *   H_N_summary_agg.csv       N, then for every model m:
 *                             H_N_m_mean, H_N_m_std, H_N_m_n
 *
 * The statistics are those of src-shared/seed-aggregate.ts: mean, sample
 * standard deviation (n - 1; 0 for one seed) and the number of seeds with a
 * finite value. N_required_at_eps skips the "not detected" value -1 (its
 * mean is over the seeds that detected the lag, its _n counts them). The
 * non-numeric columns (alpha_reliable, alpha_method) are not aggregated.
 *
 * As in results-writer.ts, `xxxFile(…)` renders a file (relative path and
 * text) and `writeXxx(out, …)` writes it, so the ZIP export shares the bytes.
 */
import { join } from 'node:path';
import type { ArchName } from '../../src-shared/config';
import { LAG_SUMMARY_COLUMNS, type HNRow, type LagSummaryRow } from '../../src-shared/results';
import { aggregateSeeds, aggregateTable } from '../../src-shared/seed-aggregate';
import { csvText, writeLayoutFile, type Cell, type LayoutFile } from './results-writer';

type NumericSummaryColumn = Exclude<(typeof LAG_SUMMARY_COLUMNS)[number], 'ell' | 'alpha_reliable' | 'alpha_method'>;

/** The summary columns aggregated across seeds (every numeric column but the key ell). */
export const AGG_SUMMARY_FIELDS: readonly NumericSummaryColumn[] = LAG_SUMMARY_COLUMNS.filter(
  (c): c is NumericSummaryColumn => c !== 'ell' && c !== 'alpha_reliable' && c !== 'alpha_method',
);

/** Columns where -1 means "not detected" (skipped, not averaged). */
export const NOT_DETECTED_FIELDS: readonly NumericSummaryColumn[] = ['N_required_at_eps'];

export const AGG_SUFFIXES = ['mean', 'std', 'n'] as const;

/** The aggregate folder, relative to the output folder. */
export const AGGREGATE_PATH = 'aggregate';

export function aggregateDir(out: string): string {
  return join(out, AGGREGATE_PATH);
}

/** Header of `<model>_summary_agg.csv`. */
export function summaryAggColumns(): string[] {
  return ['ell', ...AGG_SUMMARY_FIELDS.flatMap((c) => AGG_SUFFIXES.map((s) => `${c}_${s}`))];
}

/** Rows of `<model>_summary_agg.csv` from each seed's summary rows (one list per seed). */
export function summaryAggRows(perSeed: readonly (readonly LagSummaryRow[])[]): Cell[][] {
  const table = aggregateTable(
    perSeed.map((rows) => rows as unknown as readonly Readonly<Record<string, unknown>>[]),
    'ell', AGG_SUMMARY_FIELDS, { notDetectedFields: NOT_DETECTED_FIELDS },
  );
  return table.map(({ key, stats }) => [key, ...AGG_SUMMARY_FIELDS.flatMap((c) => [stats[c].mean, stats[c].std, stats[c].count])]);
}

export function summaryAggFile(model: ArchName, perSeed: readonly (readonly LagSummaryRow[])[]): LayoutFile {
  return { path: `${AGGREGATE_PATH}/${model}_summary_agg.csv`, text: csvText(summaryAggColumns(), summaryAggRows(perSeed)) };
}

export function writeSummaryAgg(out: string, model: ArchName, perSeed: readonly (readonly LagSummaryRow[])[]): string {
  return writeLayoutFile(out, summaryAggFile(model, perSeed));
}

export type HNRows = readonly HNRow[];

/** `H_N_summary_agg.csv`: per N, each model's H_N mean, std and count over seeds (union of N). */
export function hnSummaryAggText(perModel: readonly { model: ArchName; perSeed: readonly HNRows[] }[]): string {
  const cols = perModel.map(({ perSeed }) => aggregateSeeds(perSeed.map((rows) => ({
    keys: rows.map((r) => r.N),
    values: rows.map((r) => r.H_N),
  }))));
  const Ns = [...new Set(cols.flatMap((c) => c.map((r) => r.key)))].sort((a, b) => a - b);
  const rows: Cell[][] = Ns.map((N) => [N, ...cols.flatMap((c) => {
    const r = c.find((x) => x.key === N);
    return r ? [r.mean, r.std, r.count] : [NaN, NaN, 0];
  })]);
  const header = ['N', ...perModel.flatMap(({ model }) => AGG_SUFFIXES.map((s) => `H_N_${model}_${s}`))];
  return csvText(header, rows);
}

export function hnSummaryAggFile(perModel: readonly { model: ArchName; perSeed: readonly HNRows[] }[]): LayoutFile {
  return { path: `${AGGREGATE_PATH}/H_N_summary_agg.csv`, text: hnSummaryAggText(perModel) };
}

export function writeHNSummaryAgg(out: string, perModel: readonly { model: ArchName; perSeed: readonly HNRows[] }[]): string {
  return writeLayoutFile(out, hnSummaryAggFile(perModel));
}

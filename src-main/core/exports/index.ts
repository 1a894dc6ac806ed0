/**
 * Exports of stored experiments (DESIGN.md §1 "core/exports"; README.md here):
 *
 *   exportData(store, { experimentId | runId, format: 'zip' })  the reference layout (SCIENCE.md §8), as `lw run --out` writes it
 *   exportData(store, { …, format: 'csv' })                     a ZIP of plain CSV tables (one per table, run columns first)
 *   exportData(store, { …, format: 'csv', table: 'summary' })   one table as a .csv file
 *   exportData(store, { …, format: 'pdf' })                     the report (pdfkit + ECharts SVG, no browser)
 *
 * Errors are ApiError: 'invalid' (bad argument, naming the field) or
 * 'not-found' (no such experiment or run).
 */
import { ApiError, EXPORT_CSV_TABLES, type ExportArg, type ExportCsvTable, type ExportedFile } from '../../../src-shared/api';
import type { Store } from '../store';
import { csvTables } from './csv-tables';
import { loadExportBundle, type ExportBundle } from './load';
import { referenceLayoutFiles } from './reference-layout';
import { renderReportPdf, type ReportOptions } from './report/pdf';
import { zipEntries } from './zip';

export { csvTables, CSV_TABLE_NAMES, type CsvTable, type CsvTableName } from './csv-tables';
export { loadExportBundle, type ExportBundle, type ExportRun } from './load';
export { referenceLayoutFiles, finishedWithResult, isFinished, type LayoutRun } from './reference-layout';
export { renderReportPdf, REPORT_SECTIONS, type ReportOptions } from './report/pdf';
export { zipEntries, type ZipEntry } from './zip';

export const EXPORT_MIME = { zip: 'application/zip', csv: 'text/csv; charset=utf-8', pdf: 'application/pdf' } as const;

export interface ExportOptions {
  /** PDF report options (fonts, date) */
  report?: ReportOptions;
}

function slug(name: string): string {
  const s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s.slice(0, 40).replace(/-+$/, '') || 'experiment';
}

/** `lw-<experiment id>-<name>` (and `-run<id>-<arch>-seed<seed>` for one run), safe as a file name anywhere. */
export function exportBaseName(b: ExportBundle): string {
  const base = `lw-${b.experiment.id}-${slug(b.experiment.name)}`;
  const r = b.runs[0]?.record;
  return b.runId !== null && r ? `${base}-run${b.runId}-${r.arch}-seed${r.seed}` : base;
}

/** The layout of a bundle's runs (the reference result files). */
export function layoutOfBundle(b: ExportBundle) {
  return referenceLayoutFiles(b.config, b.runs.map(({ record, result }) => ({
    arch: record.arch, seed: record.seed, status: record.status, result, error: record.error, wallMs: record.wallMs, kernels: record.kernels,
  })));
}

/** A fixed time for archive entries: when the experiment finished, else when it was created. */
function archiveTime(b: ExportBundle): number {
  return b.experiment.finishedAt ?? b.experiment.createdAt;
}

function checkArg(arg: unknown): ExportArg {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) throw new ApiError('invalid', 'export needs an argument object');
  const a = arg as Record<string, unknown>;
  if (a.format !== 'csv' && a.format !== 'zip' && a.format !== 'pdf') {
    throw new ApiError('invalid', `format must be csv, zip or pdf (got ${JSON.stringify(a.format)})`, [{ field: 'format', message: 'format must be csv, zip or pdf' }]);
  }
  if (a.table !== undefined) {
    if (a.format !== 'csv') throw new ApiError('invalid', 'table applies to format csv only', [{ field: 'table', message: 'table applies to format csv only' }]);
    if (typeof a.table !== 'string' || !(EXPORT_CSV_TABLES as readonly string[]).includes(a.table)) {
      throw new ApiError('invalid', `table must be one of ${EXPORT_CSV_TABLES.join(', ')} (got ${JSON.stringify(a.table)})`, [{ field: 'table', message: `unknown table ${JSON.stringify(a.table)}` }]);
    }
  }
  return a as unknown as ExportArg;
}

/** Export an experiment or one run as a file (bytes, name, MIME type). */
export async function exportData(store: Store, arg: ExportArg, opts: ExportOptions = {}): Promise<ExportedFile> {
  const a = checkArg(arg);
  const b = loadExportBundle(store, a);
  const base = exportBaseName(b);
  const enc = new TextEncoder();
  switch (a.format) {
    case 'zip': {
      const files = layoutOfBundle(b);
      return { fileName: `${base}.zip`, mime: EXPORT_MIME.zip, bytes: await zipEntries(files.map((f) => ({ path: f.path, data: f.text })), archiveTime(b)) };
    }
    case 'csv': {
      const tables = csvTables(b);
      if (a.table !== undefined) {
        const t = tables.find((x) => x.name === (a.table as ExportCsvTable))!;
        return { fileName: `${base}-${t.name}.csv`, mime: EXPORT_MIME.csv, bytes: enc.encode(t.text) };
      }
      return {
        fileName: `${base}-tables.zip`, mime: EXPORT_MIME.zip,
        bytes: await zipEntries(tables.map((t) => ({ path: t.fileName, data: t.text })), archiveTime(b)),
      };
    }
    case 'pdf':
      return { fileName: `${base}-report.pdf`, mime: EXPORT_MIME.pdf, bytes: await renderReportPdf(b, opts.report) };
  }
}

/**
 * `lw export`: write an experiment (or one run) of the store to a file:
 *
 *   lw export --experiment ID [--run ID] --format zip|csv|pdf [--table NAME] [--out FILE] [--data-dir D]
 *
 * zip: the reference result layout (SCIENCE.md §8, as `lw run --out` writes
 * it); csv: a ZIP of plain CSV tables, or one table with --table; pdf: the
 * report (no browser needed: works on a headless server). The store is
 * opened read-only where possible. Prints the written file's path.
 *
 * Exit codes: 0 written, 1 not found or the store cannot be read, 2 invalid input.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ApiError, EXPORT_CSV_TABLES, type ExportArg, type ExportCsvTable, type ExportFormat } from '../../../src-shared/api';
import { exportData } from '../../core/exports';
import { openStoreForReading } from '../../core/exports/read-only-store';
import { writeFileAtomic } from '../../core/results-writer';
import { resolveDataDir } from '../../core/store';
import type { CliIO } from '../io';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface ExportCommandOptions {
  experiment?: string;
  run?: string;
  format: ExportFormat;
  table?: ExportCsvTable;
  out?: string;
  dataDir?: string;
}

function parseId(v: string | undefined, flag: string): number | undefined | string {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) return `${flag} must be a positive integer (got ${JSON.stringify(v)})`;
  return Number(v);
}

/** Run the command; returns the exit code (messages through io). */
export async function runExport(opts: ExportCommandOptions, io: CliIO, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const experimentId = parseId(opts.experiment, '--experiment');
  const runId = parseId(opts.run, '--run');
  for (const v of [experimentId, runId]) {
    if (typeof v === 'string') {
      io.err(`lw export: ${v}`);
      return EXIT_USAGE;
    }
  }
  if (experimentId === undefined && runId === undefined) {
    io.err('lw export: choose what to export: --experiment ID (and optionally --run ID), or --run ID');
    return EXIT_USAGE;
  }
  if (opts.table !== undefined && opts.format !== 'csv') {
    io.err('lw export: --table applies to --format csv only');
    return EXIT_USAGE;
  }
  const dataDir = resolveDataDir({ dataDir: opts.dataDir ?? null, env }).dir;
  let opened;
  try {
    opened = openStoreForReading(dataDir);
  } catch (err) {
    io.err(`lw export: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
  try {
    if (!opened.readOnly) io.err(`lw export: note: ${opened.path} was migrated to this version's schema`);
    const arg: ExportArg = {
      format: opts.format,
      ...(typeof experimentId === 'number' ? { experimentId } : {}),
      ...(typeof runId === 'number' ? { runId } : {}),
      ...(opts.table !== undefined ? { table: opts.table } : {}),
    };
    const file = await exportData(opened.store, arg);
    const out = resolve(opts.out ?? file.fileName);
    writeFileAtomic(out, file.bytes);
    io.err(`lw export: ${file.bytes.byteLength} bytes (${file.mime})`);
    io.out(out);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ApiError) {
      io.err(`lw export: ${err.message}`);
      return err.code === 'invalid' ? EXIT_USAGE : EXIT_FAILED;
    }
    io.err(`lw export: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  } finally {
    opened.store.close();
  }
}

export function register(program: Command, io: CliIO): void {
  program
    .command('export')
    .description('export an experiment or one run of the store: reference layout ZIP, CSV tables, or the PDF report')
    .option('--experiment <id>', 'experiment id (lw list shows them)')
    .option('--run <id>', 'one run only (its id)')
    .addOption(new Option('--format <format>', 'zip: reference result layout; csv: CSV tables (a ZIP, or one table with --table); pdf: report')
      .choices(['zip', 'csv', 'pdf']).makeOptionMandatory())
    .addOption(new Option('--table <name>', 'with --format csv: just this table, as one .csv file').choices([...EXPORT_CSV_TABLES]))
    .option('--out <file>', 'file to write (default: a name from the experiment, in the current folder)')
    .option('--data-dir <dir>', 'data directory of the store (default: $LW_DATA_DIR, else the XDG data folder)')
    .addHelpText('after', `
Exit codes: 0 written, 1 not found or the store cannot be read, 2 invalid input.`)
    .action(async (opts: ExportCommandOptions) => {
      io.setExitCode(await runExport(opts, io));
    });
}

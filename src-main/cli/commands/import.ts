/**
 * `lw import DIR|FILE.zip [--name N] [--data-dir D]`: store the results of
 * the reference pipeline (a results folder, flat or seed_<S>/<model>/, or a
 * .zip of one; our own `lw export --format zip` too) as an experiment of
 * imported runs (src-main/core/imports). Warnings and notes go to stderr; the
 * new experiment's id is the last line of stdout.
 *
 * Exit codes: 0 imported, 1 refused (nothing stored; every problem printed
 * with its file, line and column), 2 invalid input (e.g. the database).
 */
import { Command } from 'commander';
import { importResults, ImportError, formatProblem } from '../../core/imports';
import { progressText } from './list';
import type { CliIO } from '../io';
import { EXIT_OK, EXIT_USAGE, openCliStore } from './run';

export const EXIT_REFUSED = 1;

interface ImportCommandOptions {
  name?: string;
  dataDir?: string;
  quiet?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('import')
    .description('store a results folder (or .zip) of the reference pipeline as an experiment of imported runs')
    .argument('<path>', 'a results folder (seed_<S>/<model>/… or flat) or a .zip of one')
    .option('--name <name>', 'name of the experiment (default: the folder or archive name)')
    .option('--data-dir <dir>', 'data directory of the database (default: as lw run)')
    .option('--quiet', 'no warnings and notes on stderr')
    .addHelpText('after', `
Reads the files of SCIENCE.md §8 (learning curves, gate stats, summaries, μ per unit, τ fits,
envelope fits, H_N, const τ) and cli_args.csv for the configuration; other files are ignored.
Unknown cli_args.csv arguments are ignored with a warning; missing fields take the defaults.
Limits: 64 MiB per CSV file, 256 MiB in all; links or archive entries leaving the folder are refused.
On any problem nothing is stored. The experiment id is the last line of stdout.
Exit codes: 0 imported, 1 refused, 2 invalid input.`)
    .action(async (path: string, opts: ImportCommandOptions) => {
      const store = openCliStore(opts.dataDir, io, 'import');
      if (!store) {
        io.setExitCode(EXIT_USAGE);
        return;
      }
      try {
        const r = await importResults(store, { path, ...(opts.name !== undefined ? { name: opts.name } : {}) });
        if (!opts.quiet) {
          for (const w of r.warnings) io.err(`lw import: warning: ${w}`);
          for (const run of r.runs) for (const w of run.warnings) io.err(`lw import: warning: ${run.arch}, seed ${run.seed}: ${w}`);
          for (const n of r.notes) io.err(`lw import: note: ${n}`);
        }
        const e = r.experiment;
        io.err(`lw import: experiment ${e.id} "${e.name}": ${progressText(e.progress)} (${e.models.join(',')} × seeds ${e.seeds.join(',')}) in ${store.path}`);
        io.out(String(e.id));
        io.setExitCode(EXIT_OK);
      } catch (err) {
        if (!(err instanceof ImportError)) throw err;
        io.err(`lw import: cannot import ${err.source}${err.problems.length > 1 ? ` (${err.problems.length} problems)` : ''}; nothing was stored`);
        for (const p of err.problems) io.err(`  ${formatProblem(p)}`);
        io.setExitCode(EXIT_REFUSED);
      } finally {
        store.close();
      }
    });
}

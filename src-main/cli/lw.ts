/**
 * `lw`: the workstation's command line (DESIGN.md §1).
 *
 *   lw run --preset smoke|quick|paper | --config FILE [--<field> value …]  (stored; prints the experiment id)
 *   lw list [--json] [--data-dir D]                        (the stored experiments)
 *   lw resume [ID] [--all] [--data-dir D] [--gpu-runs N]   (run interrupted / failed / cancelled runs again)
 *   lw estimate-alpha --method ecf|mcculloch [FILE|-]      (stable tail index of a sample)
 *   lw sample-stable --alpha A [--scale S] --n N           (SαS samples, one per line)
 *   lw theory --decay exponential|polynomial|logarithmic … (closed-form H_N)
 *   lw serve [--port N] [--host H] [--data-dir D] [--workers N] [--gpu-runs N]  (the web host: prints its URL with the token)
 *   lw export --experiment ID [--run ID] --format zip|csv|pdf [--out FILE]  (files of a stored experiment)
 *   lw import DIR|FILE.zip [--name N] [--data-dir D]       (results of the reference pipeline; prints the experiment id)
 *   lw info [--json] [--data-dir D]                        (CPU kernels, the WebGPU adapter, what backend auto picks and why)
 *   lw tune --preset P | --config FILE [--<field> value …] [--budget S] [--reps N]  (fastest GPU kernel shapes, stored for later runs)
 *   lw tune --list [--adapter A] [--json] | --delete ID    (the stored GPU kernel tunings)
 *
 * Run with `npx lw …` / `npm run lw -- …` (bin/lw.mjs loads this file through
 * tsx). `runCli` is the in-process entry used by bin/lw.mjs and the tests.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { register as registerEstimateAlpha } from './commands/estimate-alpha';
import { register as registerExport } from './commands/export';
import { register as registerImport } from './commands/import';
import { register as registerInfo } from './commands/info';
import { register as registerList } from './commands/list';
import { register as registerResume } from './commands/resume';
import { EXIT_USAGE, register as registerRun } from './commands/run';
import { register as registerSampleStable } from './commands/sample-stable';
import { register as registerServe } from './commands/serve';
import { register as registerTheory } from './commands/theory';
import { register as registerTune } from './commands/tune';
import { processIO, type CliIO } from './io';

export const VERSION = '0.1.0';

export function createProgram(io: CliIO): Command {
  const program = new Command('lw')
    .description('Learnability Workstation: the learnability window of gated RNNs (Livi, arXiv 2512.05790)')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });
  registerRun(program, io);
  registerList(program, io);
  registerResume(program, io);
  registerEstimateAlpha(program);
  registerSampleStable(program);
  registerTheory(program);
  registerServe(program, io);
  registerExport(program, io);
  registerImport(program, io);
  registerInfo(program, io, VERSION);
  registerTune(program, io);
  return program;
}

/** Parse and run one command line (without `node lw`); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code: number | undefined;
  const wrapped: CliIO = { ...io, setExitCode: (c) => { code = c; io.setExitCode(c); } };
  const program = createProgram(wrapped);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every usage error exits 2 (commander already printed it)
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    io.err(`lw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
  return code ?? (typeof process.exitCode === 'number' ? process.exitCode : 0);
}

function isMain(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await runCli(process.argv.slice(2));
}

/**
 * `lw run`: resolve a configuration (preset < config file < flags), store it
 * as an experiment in the database of the data directory (--data-dir, else
 * the default one), expand it into one run per (architecture, seed), run them
 * through the scheduler on the worker pool, and write the reference result
 * layout (--out, default runs/<timestamp>). The experiment's id is the last
 * line of stdout.
 *
 * Exit codes: 0 every run finished (a diverged run is a finished run),
 * 1 a run failed, 2 invalid input, 130 interrupted.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { expandRuns, resolveConfig, type ConfigError, type ExperimentConfig } from '../../../src-shared/config';
import { PRESET_NAMES } from '../../../src-shared/presets';
import { webgpuProblem } from '../../../src-workers/backends/select';
import { probeWebGpu } from '../../../src-workers/backends/webgpu/probe';
import { defaultWorkerCount } from '../../../src-workers/tasks/pool';
import { DEFAULT_GPU_RUNS } from '../../core/scheduler';
import { openStore, resolveDataDir, StoreValidationError, type Store } from '../../core/store';
import { readConfigFile } from '../config-sources';
import { addConfigSourceOptions, addFieldOptions, fieldOverrides } from '../field-options';
import { GPU_RUNS_HELP, parseGpuRuns } from '../gpu-runs';
import type { CliIO } from '../io';
import { seconds } from '../progress';
import { runExperiment } from '../run-experiment';
import { parseWorkers, WORKERS_HELP } from '../workers-option';

export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export interface RunCommandOptions {
  preset?: string;
  config?: string;
  out?: string;
  workers?: string;
  /** --gpu-runs: the most concurrent webgpu runs */
  gpuRuns?: string;
  force?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  /** false with --no-diagnostics */
  diagnostics?: boolean;
  /** the data directory of the database (default: resolveDataDir's) */
  dataDir?: string;
  /** the experiment's name */
  name?: string;
  [field: string]: unknown;
}

export type ResolvedRun =
  | { ok: true; config: ExperimentConfig; out: string; workers: number; gpuRuns: number; warnings: string[] }
  | { ok: false; errors: ConfigError[]; warnings: string[] };

/** `runs/<YYYYMMDD-HHMMSS>` in local time. */
export function defaultOutDir(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `runs/${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Everything `lw run` decides before running anything (pure apart from reading the config file). */
export function resolveRunOptions(opts: RunCommandOptions): ResolvedRun {
  const warnings: string[] = [];
  const errors: ConfigError[] = [];
  if (opts.preset === undefined && opts.config === undefined) {
    errors.push({ field: 'preset', message: `choose a configuration: --preset ${PRESET_NAMES.join('|')} and/or --config FILE` });
    return { ok: false, errors, warnings };
  }
  let fileValues = {};
  if (opts.config !== undefined) {
    const layer = readConfigFile(opts.config);
    warnings.push(...layer.warnings);
    errors.push(...layer.errors);
    fileValues = layer.values;
  }
  const r = resolveConfig(opts.preset ?? null, fileValues, fieldOverrides(opts));
  if (!r.ok) errors.push(...r.errors);
  let workers = 0;
  if (opts.workers !== undefined) {
    const w = parseWorkers(opts.workers, { allowInProcess: true });
    if (w.ok) workers = w.workers;
    else errors.push({ field: 'workers', message: w.message });
  }
  let gpuRuns = DEFAULT_GPU_RUNS;
  if (opts.gpuRuns !== undefined) {
    const g = parseGpuRuns(opts.gpuRuns);
    if (g.ok) gpuRuns = g.gpuRuns;
    else errors.push({ field: 'gpuRuns', message: g.message });
  }
  if (errors.length > 0 || !r.ok) return { ok: false, errors, warnings };
  const nTasks = expandRuns(r.config).length;
  if (opts.workers === undefined) workers = defaultWorkerCount(nTasks);
  return { ok: true, config: r.config, out: opts.out ?? defaultOutDir(), workers, gpuRuns, warnings };
}

/** `lw run <preset or config file> <YYYY-MM-DD HH:MM:SS>` in local time. */
export function defaultExperimentName(opts: Pick<RunCommandOptions, 'preset' | 'config'>, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const from = [opts.preset, opts.config !== undefined ? basename(opts.config) : undefined].filter(Boolean).join(' + ') || 'defaults';
  return `lw run ${from} ${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}`;
}

/** Open the store of --data-dir (or the default data directory); null after printing why it cannot be opened. */
export function openCliStore(dataDir: string | undefined, io: CliIO, command: string): Store | null {
  const dir = resolveDataDir({ dataDir }).dir;
  try {
    return openStore({ dataDir: dir });
  } catch (err) {
    io.err(`lw ${command}: cannot open the database in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

function isNonEmptyDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory() && readdirSync(p).length > 0;
}

export function register(program: Command, io: CliIO): void {
  const cmd = addConfigSourceOptions(program
    .command('run')
    .description('train every (model, seed) of an experiment and write the reference result layout'))
    .option('--out <dir>', 'output folder (default: runs/<timestamp>)')
    .option('--workers <n>', WORKERS_HELP)
    .option('--gpu-runs <n>', GPU_RUNS_HELP)
    .option('--force', 'write into a non-empty --out folder')
    .option('--dry-run', 'print the resolved configuration and the runs, run nothing')
    .option('--quiet', 'no per-epoch and diagnostics progress lines')
    .option('--no-diagnostics', 'train only: no diagnostics, fits, H_N or aggregate files')
    .option('--data-dir <dir>', 'data directory of the database (default: $LW_DATA_DIR, else $XDG_DATA_HOME/learnability-workstation, else ~/.local/share/learnability-workstation)')
    .option('--name <name>', 'name of the stored experiment (default: lw run <preset> <date time>)');
  addFieldOptions(cmd);
  cmd.addHelpText('after', `
Precedence: preset < config file < flags. Lists are comma separated (--seeds 1,2,3).
Files (SCIENCE.md §8):
  <out>/config.json
  <out>/seed_<S>/cli_args.csv, H_N_summary.csv
  <out>/seed_<S>/<model>/<model>_learning_curve.csv, gate_stats_<model>.csv, <model>_summary.csv,
    <model>_mu_units.csv, <model>_tau_from_mu_units.csv, <model>_envelope_fits.json, <model>_H_N.csv,
    <model>_master_fit.json, <model>_status.json (const: const_tau_const.json)
  <out>/aggregate/<model>_summary_agg.csv, H_N_summary_agg.csv (mean, std, n over seeds)
With --no-diagnostics: config.json, cli_args.csv, learning curves, gate stats and status files only.
The experiment and its results are also stored in the database of the data directory; its id is the
last line of stdout (see lw list, lw resume).
Exit codes: 0 all runs finished (diverged runs included), 1 a run failed, 2 invalid input, 130 interrupted.`);

  cmd.action(async (opts: RunCommandOptions) => {
    const r = resolveRunOptions(opts);
    for (const w of r.warnings) io.err(`lw run: warning: ${w}`);
    if (!r.ok) {
      for (const e of r.errors) io.err(`lw run: ${e.message}`);
      io.setExitCode(EXIT_USAGE);
      return;
    }
    const { config, workers, gpuRuns } = r;
    const units = expandRuns(config);
    if (opts.dryRun) {
      io.out(JSON.stringify({ config, runs: units, out: r.out, workers, gpuRuns }, null, 2));
      io.setExitCode(EXIT_OK);
      return;
    }
    const out = resolve(r.out);
    if (isNonEmptyDir(out) && !opts.force) {
      io.err(`lw run: --out ${r.out} exists and is not empty (choose another folder or add --force)`);
      io.setExitCode(EXIT_USAGE);
      return;
    }
    const webgpuProbe = io.webgpuProbe ?? probeWebGpu;
    if (config.backend === 'webgpu') {
      // the service's rule and words (src-workers/backends/select.ts): any adapter that gives a device
      const problem = webgpuProblem(await webgpuProbe());
      if (problem) {
        io.err(`lw run: ${problem.message}`);
        io.setExitCode(EXIT_USAGE);
        return;
      }
    }
    const store = openCliStore(opts.dataDir, io, 'run');
    if (!store) {
      io.setExitCode(EXIT_USAGE);
      return;
    }
    io.err(`lw run: ${units.length} run${units.length === 1 ? '' : 's'} (${config.models.join(',')} × seeds ${config.seeds.join(',')}`
      + `${opts.diagnostics === false ? ', training only' : ''}) on ${workers === 0 ? 'the main thread' : `${workers} worker${workers === 1 ? '' : 's'}`} → ${out}`);

    const ac = new AbortController();
    const detach = io.onInterrupt?.(() => {
      if (ac.signal.aborted) return false; // second interrupt: let the caller exit hard
      io.err('lw run: interrupted: stopping runs at the next mini-batch (interrupt again to quit at once)');
      ac.abort();
      return true;
    });
    let report;
    let experimentId: number | null = null;
    try {
      report = await runExperiment(config, {
        out, workers, gpuRuns, log: io.err, quiet: !!opts.quiet, signal: ac.signal, diagnostics: opts.diagnostics !== false, webgpuProbe,
        store, name: opts.name ?? defaultExperimentName(opts), preset: opts.preset ?? null,
        onCreated: (e) => {
          experimentId = e.id;
          io.err(`lw run: experiment ${e.id} in ${store.path}`);
        },
      });
    } catch (err) {
      if (!(err instanceof StoreValidationError)) throw err;
      for (const e of err.errors) io.err(`lw run: ${e.message}`); // e.g. --name: nothing was stored
      io.setExitCode(EXIT_USAGE);
      return;
    } finally {
      detach?.();
      store.close();
      if (experimentId !== null) io.out(String(experimentId)); // the last line of stdout, even when a run threw
    }
    const count = (s: string) => report.runs.filter((x) => x.status === s).length;
    const parts = [`${count('done')} done`];
    for (const s of ['diverged', 'failed', 'cancelled']) if (count(s) > 0) parts.push(`${count(s)} ${s}`);
    io.err(`lw run: ${parts.join(', ')} of ${report.runs.length} in ${seconds(report.wallMs)} → ${out}`);
    io.setExitCode(ac.signal.aborted ? EXIT_INTERRUPTED : count('failed') > 0 ? EXIT_RUN_FAILED : EXIT_OK);
  });
}

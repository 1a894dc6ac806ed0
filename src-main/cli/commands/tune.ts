/**
 * `lw tune`: find the fastest WebGPU kernel shape (threads per workgroup,
 * sequences per workgroup, unroll factor) of each model shape of a
 * configuration on this machine's GPU, and store it in the data directory's
 * database: every later webgpu run of that shape (adapter, arch, D, H,
 * layernorm, batch) uses it, and records the shape it used.
 *
 *   lw tune --preset P | --config FILE [--<field> value …] [--budget S] [--reps N] [--data-dir D] [--allow-software] [--json]
 *   lw tune --list [--adapter A] [--json] [--data-dir D]     (the stored tunings)
 *   lw tune --delete ID [--data-dir D]                       (forget one: its shape's runs use the defaults again)
 *
 * The configuration comes as for `lw run` (preset < config file < flags):
 * its models, D, H, layernorm and const_s give the model shapes, batch_size
 * and T the timed steps' mini-batch. The sweep runs on one pool thread through
 * the scheduler (the app's path); one line per configuration timed goes to
 * stderr, the table of winners to stdout.
 *
 * A software adapter (SwiftShader, lavapipe) is refused: its timings say
 * nothing about a GPU. --allow-software tunes it anyway (tests only).
 *
 * What is stored: a model shape whose sweep ran to the end replaces the
 * stored tuning of its key (a new measurement replaces the old); one cut
 * short (an interrupt, or the spent --budget) is stored only where its key
 * has no tuning yet.
 *
 * Exit codes: 0 tuned (or listed / deleted), 1 no usable adapter, the tuning
 * failed, nothing could be timed, or no such tuning; 2 invalid input or a
 * database that cannot be opened; 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { ArchName } from '../../../src-shared/config';
import {
  kernelShapeLabel, speedUpText, TUNE_LIMITS, type GpuTuningRecord, type TuneGpuRequest, type TuneGpuResult, type TuneProgress,
} from '../../../src-shared/gpu-tuning';
import { tuningAdapter, type WebGpuProbe } from '../../../src-workers/backends/select';
import { probeWebGpu } from '../../../src-workers/backends/webgpu/probe';
import { Scheduler } from '../../core/scheduler';
import { databasePath, resolveDataDir, StoreNotFoundError } from '../../core/store';
import { tuneRequestOf } from '../../core/tune-request';
import { addConfigSourceOptions, addFieldOptions } from '../field-options';
import type { CliIO } from '../io';
import { seconds, shortNumber } from '../progress';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, openCliStore, resolveRunOptions } from './run';

export interface TuneCommandOptions {
  preset?: string;
  config?: string;
  budget?: string;
  reps?: string;
  dataDir?: string;
  allowSoftware?: boolean;
  json?: boolean;
  list?: boolean;
  adapter?: string;
  delete?: string;
  [field: string]: unknown;
}

/** What tests may substitute: the pool's worker entry (a fake tuning task) and the adapter probe. */
export interface TuneDeps {
  workerFile?: string;
  webgpuProbe?: () => Promise<WebGpuProbe>;
  env?: Readonly<Record<string, string | undefined>>;
}

function parseIntIn(v: string, flag: string, min: number, max: number): number | string {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) return `${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`;
  return n;
}

/** The tuning request of the options, or the problems (usage errors); the configuration file's warnings either way. */
export function resolveTuneRequest(
  opts: TuneCommandOptions,
): { ok: true; req: TuneGpuRequest; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const r = resolveRunOptions({ ...opts, workers: undefined, gpuRuns: undefined, out: undefined });
  if (!r.ok) errors.push(...r.errors.map((e) => e.message));
  let budgetSeconds: number = TUNE_LIMITS.budgetDefault;
  let reps: number = TUNE_LIMITS.repsDefault;
  if (opts.budget !== undefined) {
    const b = parseIntIn(opts.budget, '--budget', TUNE_LIMITS.budgetMin, TUNE_LIMITS.budgetMax);
    if (typeof b === 'string') errors.push(b);
    else budgetSeconds = b;
  }
  if (opts.reps !== undefined) {
    const n = parseIntIn(opts.reps, '--reps', TUNE_LIMITS.repsMin, TUNE_LIMITS.repsMax);
    if (typeof n === 'string') errors.push(n);
    else reps = n;
  }
  if (errors.length > 0 || !r.ok) return { ok: false, errors, warnings: r.warnings };
  return { ok: true, req: tuneRequestOf(r.config, { budgetSeconds, reps, allowSoftware: !!opts.allowSoftware }), warnings: r.warnings };
}

function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Fixed-width columns with a header (first column right-aligned when `numericFirst`). */
function table(head: string[], rows: string[][], numericFirst = false): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 && numericFirst ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The stored tunings as a text table. */
export function formatTunings(items: readonly GpuTuningRecord[]): string[] {
  return table(
    ['ID', 'ADAPTER', 'ARCH', 'D', 'H', 'LN', 'BATCH', 'SHAPE', 'STEP_MS', 'DEFAULT_MS', 'SPEED-UP', 'TUNED'],
    items.map((t) => [
      String(t.id), t.adapter, t.arch, String(t.D), String(t.H), t.layernorm ? 'yes' : 'no', String(t.batch), kernelShapeLabel(t.shape),
      shortNumber(t.stepMs), t.defaultStepMs === null ? '' : shortNumber(t.defaultStepMs), speedUpText(t.stepMs, t.defaultStepMs), localTime(t.tunedAt),
    ]),
    true,
  );
}

/** The winners of a tuning as a text table (one row per model shape; "none" when nothing could be timed). */
export function formatTuneResult(res: TuneGpuResult): string[] {
  const stored = (arch: ArchName) => res.stored.some((s) => s.arch === arch);
  return table(
    ['ARCH', 'BEST SHAPE', 'STEP_MS', 'DEFAULT_MS', 'SPEED-UP', 'TRIED', 'STORED'],
    res.results.map((r) => [
      r.model.arch, r.best ? kernelShapeLabel(r.best) : 'none', r.stepMs === null ? '' : shortNumber(r.stepMs),
      r.defaultStepMs === null ? '' : shortNumber(r.defaultStepMs), speedUpText(r.stepMs, r.defaultStepMs),
      `${r.tried}${r.refused > 0 ? ` (+${r.refused} refused)` : ''}`, stored(r.model.arch) ? 'yes' : 'no',
    ]),
  );
}

/** `[gru 3/14] S 2, WG 128, unroll auto: step 12.3 ms` */
export function progressLine(p: TuneProgress): string {
  return `[${p.arch} ${p.done}/${p.planned}] ${p.message}`;
}

function listTunings(opts: TuneCommandOptions, io: CliIO, env: TuneDeps['env']): number {
  const dir = resolveDataDir({ dataDir: opts.dataDir ?? null, ...(env ? { env } : {}) }).dir;
  let items: GpuTuningRecord[] = [];
  // no database yet: nothing stored (and nothing created)
  if (existsSync(databasePath(dir))) {
    const store = openCliStore(dir, io, 'tune');
    if (!store) return EXIT_USAGE;
    try {
      items = store.listGpuTunings(opts.adapter !== undefined ? { adapter: opts.adapter } : {});
    } finally {
      store.close();
    }
  }
  if (opts.json) io.out(JSON.stringify(items, null, 2));
  else if (items.length === 0) io.err(`lw tune: no stored tunings${opts.adapter !== undefined ? ` for ${opts.adapter}` : ''} in ${dir}`);
  else for (const l of formatTunings(items)) io.out(l);
  return EXIT_OK;
}

function deleteTuning(id: number, opts: TuneCommandOptions, io: CliIO, env: TuneDeps['env']): number {
  const dir = resolveDataDir({ dataDir: opts.dataDir ?? null, ...(env ? { env } : {}) }).dir;
  if (!existsSync(databasePath(dir))) {
    io.err(`lw tune: no stored tuning with id ${id} (no database in ${dir})`);
    return EXIT_RUN_FAILED;
  }
  const store = openCliStore(dir, io, 'tune');
  if (!store) return EXIT_USAGE;
  try {
    store.deleteGpuTuning(id);
    io.err(`lw tune: deleted tuning ${id}`);
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof StoreNotFoundError)) throw err;
    io.err(`lw tune: no stored tuning with id ${id} in ${dir}`);
    return EXIT_RUN_FAILED;
  } finally {
    store.close();
  }
}

/** Run the command; returns the exit code (messages through io). */
export async function runTune(opts: TuneCommandOptions, io: CliIO, deps: TuneDeps = {}): Promise<number> {
  const env = deps.env;
  const tuneFlags = opts.preset !== undefined || opts.config !== undefined || opts.budget !== undefined || opts.reps !== undefined || !!opts.allowSoftware;
  const modes = [opts.list ? '--list' : null, opts.delete !== undefined ? '--delete' : null].filter((m) => m !== null);
  if (modes.length > 1 || (modes.length === 1 && tuneFlags)) {
    io.err(`lw tune: ${modes.length > 1 ? '--list and --delete' : `${modes[0]} and the tuning options (--preset, --config, --budget, --reps, --allow-software)`} cannot be combined`);
    return EXIT_USAGE;
  }
  if (opts.adapter !== undefined && !opts.list) {
    io.err('lw tune: --adapter applies to --list only');
    return EXIT_USAGE;
  }
  if (opts.list) return listTunings(opts, io, env);
  if (opts.delete !== undefined) {
    const id = parseIntIn(opts.delete, '--delete', 1, Number.MAX_SAFE_INTEGER);
    if (typeof id === 'string') {
      io.err(`lw tune: ${id.replace(/ from 1 to \d+/, ' id (≥ 1)')}`);
      return EXIT_USAGE;
    }
    return deleteTuning(id, opts, io, env);
  }

  const r = resolveTuneRequest(opts);
  for (const w of r.warnings) io.err(`lw tune: warning: ${w}`);
  if (!r.ok) {
    for (const e of r.errors) io.err(`lw tune: ${e}`);
    return EXIT_USAGE;
  }
  const { req } = r;
  const probe = await (deps.webgpuProbe ?? io.webgpuProbe ?? probeWebGpu)();
  const host = tuningAdapter(probe, !!opts.allowSoftware);
  if (host.unavailable) {
    io.err(`lw tune: ${host.unavailable}${host.adapter?.software ? ' (--allow-software tunes it anyway, for tests)' : ''}`);
    return EXIT_RUN_FAILED;
  }
  const store = openCliStore(resolveDataDir({ dataDir: opts.dataDir ?? null, ...(env ? { env } : {}) }).dir, io, 'tune');
  if (!store) return EXIT_USAGE;
  io.err(`lw tune: ${req.models.map((m) => m.arch).join(',')} at D ${req.models[0]!.D}, H ${req.models[0]!.H}${req.models[0]!.layernorm ? ', layernorm' : ''}, `
    + `batch ${req.batch}, T ${req.T} on ${host.adapter!.label}; budget ${req.budgetSeconds} s, ${req.reps} rep${req.reps === 1 ? '' : 's'} per configuration`);

  // no experiments in scope: this scheduler runs nothing but the tuning (on one pool thread)
  const scheduler = new Scheduler({
    store, workers: 1, experimentIds: [], paused: true, warn: (m) => io.err(`lw tune: ${m}`),
    ...(deps.workerFile ? { workerFile: deps.workerFile } : {}),
  });
  let interrupted = false;
  const detach = io.onInterrupt?.(() => {
    if (interrupted) return false; // second interrupt: let the caller exit hard
    interrupted = true;
    io.err('lw tune: interrupted: stopping after the current configuration (interrupt again to quit at once)');
    scheduler.cancelGpuTuning();
    return true;
  });
  const t0 = performance.now();
  let res: TuneGpuResult;
  try {
    res = await scheduler.tuneGpu(req, (p) => io.err(`lw tune: ${progressLine(p)}`));
  } catch (err) {
    io.err(`lw tune: failed: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_RUN_FAILED;
  } finally {
    detach?.();
    await scheduler.close();
    store.close();
  }
  if (opts.json) io.out(JSON.stringify(res, null, 2));
  else for (const l of formatTuneResult(res)) io.out(l);
  const notes = [
    `${res.stored.length} tuning${res.stored.length === 1 ? '' : 's'} stored for ${res.adapter}`,
    ...(res.skippedForBudget > 0 ? [`${res.skippedForBudget} configuration${res.skippedForBudget === 1 ? '' : 's'} skipped for the budget (--budget)`] : []),
    ...(res.fallback ? ['a software adapter: these timings say nothing about a GPU'] : []),
    ...(res.cancelled ? ['cancelled before the end'] : []),
  ];
  io.err(`lw tune: done in ${seconds(performance.now() - t0)}: ${notes.join('; ')}`);
  if (interrupted || res.cancelled) return EXIT_INTERRUPTED;
  return res.results.some((x) => x.best !== null) ? EXIT_OK : EXIT_RUN_FAILED;
}

export function register(program: Command, io: CliIO): void {
  const cmd = addConfigSourceOptions(program
    .command('tune')
    .description('find the fastest WebGPU kernel shape of each model of a configuration on this GPU and store it (later webgpu runs use it); --list, --delete ID'))
    .option('--budget <seconds>', `seconds the sweep may take in all, shared by the models (${TUNE_LIMITS.budgetMin}…${TUNE_LIMITS.budgetMax}, default ${TUNE_LIMITS.budgetDefault})`)
    .option('--reps <n>', `timed steps per configuration, the median kept (${TUNE_LIMITS.repsMin}…${TUNE_LIMITS.repsMax}, default ${TUNE_LIMITS.repsDefault})`)
    .option('--allow-software', 'tune a software adapter too (SwiftShader: tests only, its timings say nothing about a GPU)')
    .option('--json', 'print the result (or --list) as JSON')
    .option('--list', 'list the stored tunings instead')
    .option('--adapter <label>', 'with --list: only this adapter\'s tunings')
    .option('--delete <id>', 'forget a stored tuning (runs of its shape use the default kernel shape again)')
    .option('--data-dir <dir>', 'data directory of the database (default: as lw run)');
  addFieldOptions(cmd);
  cmd.addHelpText('after', `
The model shapes come from the configuration (preset < config file < flags, as lw run): each of
--models at --D, --H, --layernorm, timed on mini-batches of --batch_size sequences of length --T.
A tuning is stored per (adapter, arch, D, H, layernorm, batch); every later webgpu run of that key uses
it and records the shape in its run record (see lw tune --list). A model shape whose sweep ran to the
end replaces the stored tuning of its key; one cut short (interrupted, or the --budget spent) is stored
only where its key has no tuning yet. GPU runs of this or another process refuse a tuning; while it
runs, GPU runs started by another process (the app, lw run) are not held back: do not start them.
Exit codes: 0 tuned, listed or deleted; 1 no usable hardware adapter, the tuning failed or found nothing,
or no such tuning; 2 invalid input or a database that cannot be opened; 130 interrupted.`);
  cmd.action(async (opts: TuneCommandOptions) => {
    io.setExitCode(await runTune(opts, io));
  });
}

/**
 * Diagnostics benchmark (`npm run bench:diagnostics`): per architecture, on a
 * model trained for `--epochs` epochs (default 1) of the preset (default
 * quick), the time of runDiagnostics split into
 *  - model passes: the diagnostic set's data fill, the forward pass with the
 *    §4.1 terms recorded and the tangent pass (timed around those calls);
 *  - μ/ψ: everything else while batches stream in (μ prefix sums, envelope,
 *    ψ samples into the per-lag stores);
 *  - statistics: after the last batch (orientation, α̂/σ̂, detection, H_N);
 * the median over `--repeat` runs of the wall time and the process CPU time
 * of the call (one thread), the split in CPU time; then, each in a fresh
 * child process,
 *  - the start-up costs, cold: the stable-law table (stableRatioTable()) and
 *    generating + compiling the diagnostics' WebAssembly modules;
 *  - the peak resident memory (process.resourceUsage().maxRSS) of one whole
 *    preset run: train + diagnostics of every architecture, one seed.
 * Prints a table and writes bench-results/bench-diagnostics.json.
 *
 *   npm run bench:diagnostics -- [--preset quick] [--models const,gru] [--epochs 1]
 *       [--repeat 3] [--batch N] [--seed 212] [--backend auto|wasm|ts] [--engine auto|wasm|js]
 *       [--memory-epochs E] [--no-memory] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchName, ExperimentConfig } from '../src-shared/config';
import { presetConfig, type PresetName } from '../src-shared/presets';
import { readOptions } from './bench-options';
import type { KernelsKind } from '../src-workers/engine/backend';
import type { FloatArray } from '../src-workers/engine/kernels/types';
import type { Model } from '../src-workers/engine/models/types';
import type { DiagnosticsEngine } from '../src-workers/engine/diagnostics/accumulator';
import { runDiagnostics, type DiagnosticTask, type DiagnosticsResult } from '../src-workers/engine/diagnostics/run-diagnostics';
import { stableRatioTable } from '../src-workers/engine/stats/stable';
import { statsModule } from '../src-workers/engine/diagnostics/wasm/stats-module';
import { sweepModule } from '../src-workers/engine/diagnostics/wasm/sweep-module';
import { trainRun } from '../src-workers/engine/train';

/** PyTorch reference, one CPU thread, `quick` diagnostics per architecture (seconds, from the issue). */
const REFERENCE_QUICK_DIAG_S = '3-4';
const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

interface Options {
  preset: PresetName;
  models: ArchName[];
  epochs: number;
  repeat: number;
  batch: number | undefined;
  seed: number;
  backend: KernelsKind;
  engine: DiagnosticsEngine;
  memory: boolean;
  memoryEpochs: number | undefined;
  out: string;
  child: 'table' | 'memory' | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    preset: 'quick', models: [...ARCHS], epochs: 1, repeat: 3, batch: undefined, seed: 212, backend: 'auto', engine: 'auto',
    memory: true, memoryEpochs: undefined, out: 'bench-results/bench-diagnostics.json', child: null,
  };
  readOptions('bench-diagnostics', argv, (r) => {
    switch (r.flag) {
      case '--preset': o.preset = r.preset(); break;
      case '--models': o.models = r.models(); break;
      case '--epochs': o.epochs = r.int(0); break;
      case '--repeat': o.repeat = r.int(1); break;
      case '--batch': o.batch = r.int(1); break;
      case '--seed': o.seed = r.int(0); break;
      case '--memory-epochs': o.memoryEpochs = r.int(0); break;
      case '--backend': o.backend = r.choice(['auto', 'wasm', 'ts'] as const); break;
      case '--engine': o.engine = r.choice(['auto', 'wasm', 'js'] as const); break;
      case '--no-memory': o.memory = false; break;
      case '--out': o.out = r.value(); break;
      case '--child': o.child = r.choice(['table', 'memory'] as const); break;
      case '--help':
      case '-h':
        process.stdout.write('npm run bench:diagnostics -- [--preset quick] [--models a,b] [--epochs 1] [--repeat 3] '
          + '[--batch N] [--seed 212] [--backend auto|wasm|ts] [--engine auto|wasm|js] [--memory-epochs E] [--no-memory] [--out FILE]\n');
        process.exit(0);
        break;
      default:
        return false;
    }
    return true;
  });
  return o;
}

interface Split {
  /** wall time of the whole call */
  total_s: number;
  /** process CPU time (user + system) of the whole call, and its split: */
  cpu_s: number;
  model_s: number;
  mu_psi_s: number;
  stats_s: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * One timed runDiagnostics: the model's forward/tangent and the task's fill
 * are wrapped (timed from outside, so the split needs no hook in the engine);
 * the statistics phase is the time after the last batch. The split is in
 * process CPU time, steadier than wall time on a shared machine.
 */
async function timedDiagnostics(model: Model<FloatArray>, task: DiagnosticTask, cfg: ExperimentConfig, batch: number | undefined,
  engine: DiagnosticsEngine): Promise<{ split: Split; result: DiagnosticsResult }> {
  let modelS = 0;
  let lastBatch = 0;
  const timedCall = (f: () => void): void => {
    const c = cpuNow();
    f();
    modelS += cpuNow() - c;
  };
  // the model is a class instance: inherit from it and shadow the two passes
  const timed = Object.create(model) as Model<FloatArray>;
  timed.forward = (...args) => timedCall(() => model.forward(...args));
  timed.tangent = (...args) => timedCall(() => model.tangent(...args));
  const timedTask: DiagnosticTask = { fill: (...args) => timedCall(() => task.fill(...args)) };
  const c0 = cpuNow();
  const t0 = performance.now();
  const result = await runDiagnostics(timed, timedTask, cfg, {
    ...(batch ? { batchSize: batch } : {}),
    engine,
    onBatch: () => { lastBatch = cpuNow(); },
  });
  const t1 = performance.now();
  const c1 = cpuNow();
  const stats = c1 - lastBatch;
  return {
    split: {
      total_s: (t1 - t0) / 1000,
      cpu_s: c1 - c0,
      model_s: modelS,
      mu_psi_s: c1 - c0 - stats - modelS,
      stats_s: stats,
    },
    result,
  };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianSplit(splits: Split[]): Split {
  const k = (key: keyof Split) => median(splits.map((s) => s[key]));
  return { total_s: k('total_s'), cpu_s: k('cpu_s'), model_s: k('model_s'), mu_psi_s: k('mu_psi_s'), stats_s: k('stats_s') };
}

/** Child: the start-up costs, cold: the stable-law table, then generating and compiling the WebAssembly modules. */
function childTable(): void {
  const t0 = performance.now();
  stableRatioTable();
  const t1 = performance.now();
  const ok = sweepModule() !== null && statsModule() !== null;
  const t2 = performance.now();
  process.stdout.write(`${JSON.stringify({ table_s: (t1 - t0) / 1000, wasm_s: (t2 - t1) / 1000, wasm: ok })}\n`);
}

/** Child: a whole preset run (train + diagnostics, every model, one seed), then maxRSS. */
async function childMemory(o: Options): Promise<void> {
  const base = presetConfig(o.preset);
  const cfg: ExperimentConfig = { ...base, epochs: o.memoryEpochs ?? base.epochs };
  const t0 = performance.now();
  const perArch: Record<string, number> = {};
  for (const arch of o.models) {
    const a0 = performance.now();
    const r = await trainRun(cfg, arch, o.seed, { kernels: o.backend });
    await runDiagnostics(r.model, r.task, cfg, { engine: o.engine });
    perArch[arch] = (performance.now() - a0) / 1000;
  }
  process.stdout.write(`${JSON.stringify({
    epochs: cfg.epochs, total_s: (performance.now() - t0) / 1000, per_arch_s: perArch,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024, // KiB → MiB
  })}\n`);
}

function runChild(o: Options, kind: 'table' | 'memory'): Record<string, unknown> | null {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--child', kind, '--preset', o.preset, '--backend', o.backend, '--engine', o.engine,
    '--seed', String(o.seed), '--models', o.models.join(',')];
  if (o.memoryEpochs !== undefined) args.push('--memory-epochs', String(o.memoryEpochs));
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (res.status !== 0) {
    process.stderr.write(`bench-diagnostics: child ${kind} failed (${res.status ?? res.signal}):\n${res.stderr}\n`);
    return null;
  }
  const line = res.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    process.stderr.write(`bench-diagnostics: cannot read the child's report: ${line}\n`);
    return null;
  }
}

function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.child === 'table') return childTable();
  if (o.child === 'memory') return childMemory(o);

  const base = presetConfig(o.preset);
  const results: { arch: ArchName; kernels: string; median: Split; runs: Split[] }[] = [];
  for (const arch of o.models) {
    process.stderr.write(`bench-diagnostics: ${arch}: training ${o.epochs} epoch(s), then ${o.repeat} diagnostics run(s)…\n`);
    const cfg: ExperimentConfig = { ...base, epochs: o.epochs };
    const r = await trainRun(cfg, arch, o.seed, { kernels: o.backend });
    const runs: Split[] = [];
    // the CPU models (synchronous passes): the timing wrapper below times each pass as it runs
    const model = r.model as Model<FloatArray>;
    for (let k = 0; k < o.repeat; k++) runs.push((await timedDiagnostics(model, r.task, cfg, o.batch, o.engine)).split);
    results.push({ arch, kernels: r.kernelsName, median: medianSplit(runs), runs });
  }

  const table = runChild(o, 'table');
  let memory: Record<string, unknown> | null = null;
  if (o.memory) {
    process.stderr.write(`bench-diagnostics: whole ${o.preset} run (train + diagnostics, ${o.models.join(', ')}) in a child process…\n`);
    memory = runChild(o, 'memory');
  }

  const header = ['model', 'kernels', 'wall s', 'CPU s', 'model passes', 'μ/ψ', 'statistics'];
  const rows = results.map((r) => [r.arch, r.kernels, fmt(r.median.total_s, 3), fmt(r.median.cpu_s, 3),
    fmt(r.median.model_s, 3), fmt(r.median.mu_psi_s, 3), fmt(r.median.stats_s, 3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  process.stdout.write(`preset ${o.preset}, Nseq_diag ${base.Nseq_diag}, T ${base.T}, H ${base.H}, D ${base.D}, `
    + `${base.num_lags} lags, alpha_method ${base.alpha_method}; engine ${o.engine}; model trained ${o.epochs} epoch(s); `
    + `median of ${o.repeat} run(s), one thread; split in CPU seconds\n`);
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  if (o.preset === 'quick') process.stdout.write(`reference: ${REFERENCE_QUICK_DIAG_S} s of CPU per architecture; target <= 0.6 s (5x).\n`);
  process.stdout.write(`start-up (cold, child process): stable-law table ${fmt(table?.['table_s'] as number | undefined, 3)} s, `
    + `diagnostics WebAssembly modules ${fmt(table?.['wasm_s'] as number | undefined, 3)} s${table && !table['wasm'] ? ' (unavailable: TypeScript fallback)' : ''}\n`);
  if (memory) {
    process.stdout.write(`whole ${o.preset} run (train ${String(memory['epochs'])} epochs + diagnostics, ${o.models.join(', ')}): `
      + `${fmt(memory['total_s'] as number, 1)} s, peak RSS ${fmt(memory['peak_rss_mb'] as number, 0)} MB\n`);
  }

  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    preset: o.preset,
    shape: { Nseq_diag: base.Nseq_diag, T: base.T, D: base.D, H: base.H, num_lags: base.num_lags, alpha_method: base.alpha_method },
    trained_epochs: o.epochs,
    repeat: o.repeat,
    batch: o.batch ?? 'default',
    backend: o.backend,
    engine: o.engine,
    results,
    table_startup_s: table?.['table_s'] ?? null,
    wasm_startup_s: table?.['wasm_s'] ?? null,
    whole_run: memory,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

await main();

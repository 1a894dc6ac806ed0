/**
 * Training benchmark (`npm run bench`): per architecture,
 *  - the median wall time of one training epoch (the mini-batch updates, then
 *    that epoch's train-R² and validation evaluation, gate statistics when
 *    due), measured between consecutive epochs after `--warmup` epochs, on
 *    one thread (Node's main thread; the WASM kernels are single-threaded);
 *    also the median process CPU time per epoch, steadier on a busy machine
 *    (the speed-up column uses the wall time);
 *  - the peak resident memory (process.resourceUsage().maxRSS) of one whole
 *    training run of the preset, each in a fresh child process.
 * Prints a table and writes bench-results/bench-cpu.json.
 *
 *   npm run bench -- [--preset quick] [--models const,gru] [--epochs 5]
 *                    [--warmup 1] [--backend auto|wasm|ts] [--eval-batch 256]
 *                    [--no-memory] [--out bench-results/bench-cpu.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchName, ExperimentConfig } from '../src-shared/config';
import { presetConfig, type PresetName } from '../src-shared/presets';
import { failWith, readOptions } from './bench-options';
import type { KernelsKind } from '../src-workers/engine/backend';
import { trainRun } from '../src-workers/engine/train';

/** PyTorch reference, one CPU thread, `quick` epoch (seconds, midpoint of the measured range). */
const REFERENCE_QUICK_EPOCH_S: Record<ArchName, number> = { const: 0.85, shared: 1.25, diag: 1.3, gru: 1.7, lstm: 1.95 };
const REFERENCE_QUICK_PEAK_MB = '500-620';
const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

interface Options {
  preset: PresetName;
  models: ArchName[];
  epochs: number;
  warmup: number;
  backend: KernelsKind;
  evalBatch: number | undefined;
  memory: boolean;
  out: string;
  child: ArchName | null;
  seed: number;
}

const fail = failWith('bench');

function parseArgs(argv: string[]): Options {
  const o: Options = {
    preset: 'quick', models: [...ARCHS], epochs: 5, warmup: 1, backend: 'auto', evalBatch: undefined,
    memory: true, out: 'bench-results/bench-cpu.json', child: null, seed: 212,
  };
  let modelsGiven = false;
  readOptions('bench', argv, (r) => {
    switch (r.flag) {
      case '--preset': o.preset = r.preset(); break;
      case '--models': o.models = r.models(); modelsGiven = true; break;
      case '--epochs': o.epochs = r.int(1); break;
      case '--warmup': o.warmup = r.int(1); break;
      case '--eval-batch': o.evalBatch = r.int(1); break;
      case '--seed': o.seed = r.int(0); break;
      case '--backend': o.backend = r.choice(['auto', 'wasm', 'ts'] as const); break;
      case '--no-memory': o.memory = false; break;
      case '--out': o.out = r.value(); break;
      case '--child': {
        const v = r.value();
        if (!(ARCHS as string[]).includes(v)) fail(`--child: unknown model '${v}'`);
        o.child = v as ArchName;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write('npm run bench -- [--preset quick] [--models a,b] [--epochs 5] [--warmup 1] '
          + '[--backend auto|wasm|ts] [--eval-batch N] [--no-memory] [--out FILE]\n');
        process.exit(0);
        break;
      default:
        return false;
    }
    return true;
  });
  if (!modelsGiven) o.models = presetConfig(o.preset).models.filter((m) => ARCHS.includes(m));
  return o;
}

interface ChildReport {
  arch: ArchName;
  kernels: string;
  epochs: number;
  total_s: number;
  peak_rss_mb: number;
  final_val_loss: number | null;
  diverged: boolean;
}

/** Child mode: one whole training run of the preset, then report maxRSS. */
function runChild(o: Options, arch: ArchName): void {
  const cfg = presetConfig(o.preset);
  const t0 = performance.now();
  const r = trainRun(cfg, arch, o.seed, { kernels: o.backend, ...(o.evalBatch ? { evalBatch: o.evalBatch } : {}) });
  const report: ChildReport = {
    arch,
    kernels: r.kernelsName,
    epochs: r.curve.length,
    total_s: (performance.now() - t0) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
    final_val_loss: r.curve.at(-1)?.val_loss ?? null,
    diverged: r.diverged,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface ArchResult {
  arch: ArchName;
  kernels: string;
  epoch_median_s: number;
  epoch_times_s: number[];
  /** process CPU time per epoch (user + system, all threads): less sensitive to a loaded machine */
  epoch_cpu_median_s: number;
  first_epoch_s: number;
  reference_s: number | null;
  speedup: number | null;
  peak_rss_mb: number | null;
  full_run_s: number | null;
  full_run_epochs: number | null;
}

function timeEpochs(o: Options, arch: ArchName): Omit<ArchResult, 'peak_rss_mb' | 'full_run_s' | 'full_run_epochs'> {
  const cfg: ExperimentConfig = { ...presetConfig(o.preset), epochs: o.warmup + o.epochs };
  const stamps: number[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  const r = trainRun(cfg, arch, o.seed, {
    kernels: o.backend,
    ...(o.evalBatch ? { evalBatch: o.evalBatch } : {}),
    hooks: {
      onEpoch: () => {
        stamps.push(performance.now());
        const u = process.cpuUsage();
        cpu.push((u.user + u.system) / 1e6);
      },
    },
  });
  if (r.diverged) process.stderr.write(`bench: warning: ${arch} diverged at epoch ${r.divergedEpoch}\n`);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let e = o.warmup; e < stamps.length; e++) {
    times.push((stamps[e]! - stamps[e - 1]!) / 1000);
    cpuTimes.push(cpu[e]! - cpu[e - 1]!);
  }
  const med = times.length ? median(times) : NaN;
  const ref = o.preset === 'quick' ? REFERENCE_QUICK_EPOCH_S[arch] : null;
  return {
    arch,
    kernels: r.kernelsName,
    epoch_median_s: med,
    epoch_times_s: times,
    epoch_cpu_median_s: cpuTimes.length ? median(cpuTimes) : NaN,
    first_epoch_s: stamps.length ? (stamps[0]! - t0) / 1000 : NaN,
    reference_s: ref,
    speedup: ref !== null ? ref / med : null,
  };
}

function measureMemory(o: Options, arch: ArchName): ChildReport | null {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--child', arch, '--preset', o.preset, '--backend', o.backend, '--seed', String(o.seed)];
  if (o.evalBatch) args.push('--eval-batch', String(o.evalBatch));
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (res.status !== 0) {
    process.stderr.write(`bench: memory run of ${arch} failed (${res.status ?? res.signal}):\n${res.stderr}\n`);
    return null;
  }
  const line = res.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as ChildReport;
  } catch {
    process.stderr.write(`bench: cannot read the memory run's report of ${arch}: ${line}\n`);
    return null;
  }
}

function fmt(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) {
    runChild(o, o.child);
    return;
  }
  const results: ArchResult[] = [];
  for (const arch of o.models) {
    process.stderr.write(`bench: ${arch}: timing ${o.epochs} epochs after ${o.warmup} warm-up…\n`);
    const t = timeEpochs(o, arch);
    let mem: ChildReport | null = null;
    if (o.memory) {
      process.stderr.write(`bench: ${arch}: whole ${o.preset} run in a child process for peak memory…\n`);
      mem = measureMemory(o, arch);
    }
    results.push({
      ...t,
      peak_rss_mb: mem?.peak_rss_mb ?? null,
      full_run_s: mem?.total_s ?? null,
      full_run_epochs: mem?.epochs ?? null,
    });
  }

  const header = ['model', 'kernels', 'epoch s (median)', 'CPU s', 'ref s', 'speed-up', 'peak RSS MB', 'full run s'];
  const rows = results.map((r) => [
    r.arch, r.kernels, fmt(r.epoch_median_s, 3), fmt(r.epoch_cpu_median_s, 3), fmt(r.reference_s, 2), r.speedup === null ? '-' : `${r.speedup.toFixed(1)}x`,
    fmt(r.peak_rss_mb, 0), fmt(r.full_run_s, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  process.stdout.write(`preset ${o.preset}, backend ${o.backend}, ${o.epochs} timed epochs after ${o.warmup} warm-up, one thread\n`);
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  if (o.preset === 'quick') {
    process.stdout.write(`reference: PyTorch, one CPU thread; peak ${REFERENCE_QUICK_PEAK_MB} MB per run. Target: >= 5x, < 200 MB.\n`);
  }

  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  const cfg = presetConfig(o.preset);
  writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    preset: o.preset,
    shape: { Nseq_train: cfg.Nseq_train, T: cfg.T, D: cfg.D, H: cfg.H, batch_size: cfg.batch_size, epochs: cfg.epochs },
    backend: o.backend,
    eval_batch: o.evalBatch ?? 'default',
    timed_epochs: o.epochs,
    warmup_epochs: o.warmup,
    reference: o.preset === 'quick' ? { epoch_s: REFERENCE_QUICK_EPOCH_S, peak_mb: REFERENCE_QUICK_PEAK_MB } : null,
    results,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

main();

/**
 * Training benchmark (`npm run bench`): per architecture, on the chosen
 * backend (`--backend cpu`, the default, or `webgpu`),
 *  - the median wall time of one training epoch (the mini-batch updates, then
 *    that epoch's train-R² and validation evaluation, gate statistics when
 *    due), measured between consecutive epochs after `--warmup` epochs, on
 *    one thread (Node's main thread; the WASM kernels are single-threaded;
 *    the GPU's passes are awaited, each ending with its read-back), split
 *    into the updates and the evaluation; also the median process CPU time
 *    per epoch (the speed-up column uses the wall time);
 *  - the wall time of one diagnostics pass (SCIENCE.md §4-§5: Nseq_diag
 *    sequences forward with the recorded terms and the tangent pass, then the
 *    per-lag statistics) on the trained model;
 *  - on the CPU, the peak resident memory (process.resourceUsage().maxRSS) of
 *    one whole training run of the preset, each in a fresh child process
 *    (not for the paper preset or partial epochs, whose whole run takes hours,
 *    unless --memory asks for it; not for webgpu, whose memory is the GPU's).
 *
 * Parts: `--batches N` times only N mini-batches per epoch (a training set of
 * N·batch_size sequences) and `--diag-seqs N` only N diagnostic sequences;
 * the full epoch and pass are then EXTRAPOLATED (updates per sequence, the
 * evaluation per evaluated sequence, the diagnostic batches per sequence; the
 * per-lag statistics as measured), and the output says so. With them, a
 * `paper` epoch that takes minutes on the CPU is timed in seconds.
 *
 * WebGPU: the thread's device (src-workers/backends/webgpu, acquireGpu) and
 * the GPU models through trainRun's createModel hook, as the pool workers
 * use them; the adapter is named in the output and the JSON. On a Linux
 * machine whose only Vulkan loader is chromium's, the script re-executes
 * itself with the loader on LD_LIBRARY_PATH (scripts/gpu/vulkan-env.mjs).
 *
 * Prints a table and writes bench-results/bench-<backend>.json (quick) or
 * bench-results/bench-<backend>-<preset>.json (other presets); a CPU JSON of
 * the same preset beside a webgpu one gives the GPU's speed-up column.
 *
 *   npm run bench -- [--backend cpu|webgpu] [--preset quick] [--models const,gru]
 *                    [--epochs 5] [--warmup 1] [--batches N] [--diag-seqs N]
 *                    [--no-diagnostics] [--kernels auto|wasm|ts] [--eval-batch 256]
 *                    [--memory|--no-memory] [--out FILE]
 *   npm run bench -- --backend webgpu --preset paper --epochs 1 --batches 4 --diag-seqs 512
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchName, ExperimentConfig } from '../src-shared/config';
import { presetConfig, type PresetName } from '../src-shared/presets';
import { isUnrollSetting, parseUnrollSetting, type UnrollSetting } from '../src-shared/gpu-tuning';
import type { ComputeBackend } from '../src-shared/results';
import { failWith, readOptions } from './bench-options';
import { reexecWithVulkanLoader } from './gpu/vulkan-env.mjs';
import type { KernelsKind } from '../src-workers/engine/backend';
import { runDiagnostics } from '../src-workers/engine/diagnostics/run-diagnostics';
import { threadedLagExecutor } from '../src-workers/tasks/diagnostics-threads';
import { trainEvalSize, trainRun, valSetSize, type CreateModelHook, type TrainResult } from '../src-workers/engine/train';
import { defaultDiagnosticsThreads, webgpuModelHook } from '../src-workers/tasks/run-unit';
import type { GpuKernelShape, GpuTuning } from '../src-workers/backends/webgpu/types';
import { acquireGpu, startGpuProfile, takeGpuProfile } from '../src-workers/backends/webgpu/runtime';
import { formatGroups, groupedMs } from './gpu-profile';

/** PyTorch reference, one CPU thread, `quick` epoch (seconds, midpoint of the measured range). */
const REFERENCE_QUICK_EPOCH_S: Record<ArchName, number> = { const: 0.85, shared: 1.25, diag: 1.3, gru: 1.7, lstm: 1.95 };
const REFERENCE_QUICK_PEAK_MB = '500-620';
const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

interface Options {
  preset: PresetName;
  models: ArchName[];
  epochs: number;
  warmup: number;
  backend: ComputeBackend;
  kernels: KernelsKind;
  evalBatch: number | undefined;
  /** mini-batches timed per epoch (null: the whole epoch) */
  batches: number | null;
  /** diagnostic sequences timed (null: Nseq_diag) */
  diagSeqs: number | null;
  diagnostics: boolean;
  /** null: the default (cpu, not paper, whole epochs) */
  memory: boolean | null;
  out: string | null;
  child: ArchName | null;
  seed: number;
  /** WebGPU kernel shape overrides (GpuModelOptions.tuning): sequences and threads per workgroup */
  gpuSeqs: number | undefined;
  gpuWg: number | undefined;
  /** unroll factor of the kernels' input/hidden loops (1 = rolled) */
  gpuUnroll: UnrollSetting | undefined;
  /** a bench:gpu-tune JSON: each architecture runs with its `best` kernel shape */
  gpuTuning: string | undefined;
  /** feed every batch from the host even where the model could keep its inputs (TrainOptions.residentInputs = false) */
  hostInputs: boolean;
  /** threads of the diagnostics' per-lag work (default: as a run of this backend, run-unit.ts) */
  diagThreads: number | undefined;
  /** time every GPU kernel of the timed epochs (timestamp queries, src-workers/backends/webgpu/profiler.ts) */
  profileGpu: boolean;
}

const fail = failWith('bench');

const USAGE = 'npm run bench -- [--backend cpu|webgpu] [--preset quick] [--models a,b] [--epochs 5] [--warmup 1] [--batches N] '
  + '[--diag-seqs N] [--no-diagnostics] [--kernels auto|wasm|ts] [--eval-batch N] [--memory|--no-memory] [--out FILE]\n'
  + '  webgpu kernel shape (tuning; default: chosen from the device limits): [--gpu-seqs N] (sequences per workgroup) '
  + '[--gpu-wg N] (threads per workgroup, a power of two) [--gpu-unroll N|auto] (unroll of the input/hidden-axis loops, 1 … 32; default 1 = rolled; auto: per loop)\n'
  + '  or each architecture\'s best shape from a sweep (npm run bench:gpu-tune): [--gpu-tuning bench-results/bench-gpu-tune.json]\n'
  + '  [--host-inputs]: generate and upload every batch on the host (default: a GPU run keeps its inputs on the device)\n'
  + '  [--diag-threads N]: threads of the diagnostics\' per-lag work (default: as runs do: 1 on the CPU, the cores but one (≤ 8) on the GPU)\n'
  + '  [--profile-gpu]: the GPU time of each kernel over the timed epochs (timestamp queries), against the epoch\'s wall time\n';

function parseArgs(argv: string[]): Options {
  const o: Options = {
    preset: 'quick', models: [...ARCHS], epochs: 5, warmup: 1, backend: 'cpu', kernels: 'auto', evalBatch: undefined,
    batches: null, diagSeqs: null, diagnostics: true, memory: null, out: null, child: null, seed: 212,
    gpuSeqs: undefined, gpuWg: undefined, gpuUnroll: undefined, gpuTuning: undefined, hostInputs: false, diagThreads: undefined,
    profileGpu: false,
  };
  let modelsGiven = false;
  readOptions('bench', argv, (r) => {
    switch (r.flag) {
      case '--preset': o.preset = r.preset(); break;
      case '--models': o.models = r.models(); modelsGiven = true; break;
      case '--epochs': o.epochs = r.int(1); break;
      case '--warmup': o.warmup = r.int(1); break;
      case '--batches': o.batches = r.int(1); break;
      case '--diag-seqs': o.diagSeqs = r.int(1); break;
      case '--no-diagnostics': o.diagnostics = false; break;
      case '--eval-batch': o.evalBatch = r.int(1); break;
      case '--seed': o.seed = r.int(0); break;
      case '--gpu-seqs': o.gpuSeqs = r.int(1); break;
      case '--gpu-unroll': {
        const v = r.value();
        const u = parseUnrollSetting(v);
        o.gpuUnroll = u ?? fail(`--gpu-unroll must be 'auto' or an integer from 1 to 32 (got ${v})`);
        break;
      }
      case '--gpu-wg': {
        const n = r.int(1);
        if ((n & (n - 1)) !== 0) fail(`--gpu-wg must be a power of two (got ${n})`);
        o.gpuWg = n;
        break;
      }
      case '--backend': {
        const v = r.choice(['cpu', 'webgpu', 'auto', 'wasm', 'ts'] as const);
        if (v === 'cpu' || v === 'webgpu') o.backend = v;
        else {
          // before issue 6, --backend chose the CPU kernels
          process.stderr.write(`bench: --backend ${v} is the CPU backend with --kernels ${v}\n`);
          o.backend = 'cpu';
          o.kernels = v;
        }
        break;
      }
      case '--gpu-tuning': o.gpuTuning = r.value(); break;
      case '--host-inputs': o.hostInputs = true; break;
      case '--profile-gpu': o.profileGpu = true; break;
      case '--diag-threads': o.diagThreads = r.int(1); break;
      case '--kernels': o.kernels = r.choice(['auto', 'wasm', 'ts'] as const); break;
      case '--memory': o.memory = true; break;
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
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        return false;
    }
    return true;
  });
  if (!modelsGiven) o.models = presetConfig(o.preset).models.filter((m) => ARCHS.includes(m));
  if (o.gpuTuning !== undefined && (o.gpuSeqs !== undefined || o.gpuWg !== undefined || o.gpuUnroll !== undefined)) {
    fail('--gpu-tuning replaces --gpu-seqs / --gpu-wg / --gpu-unroll: give one or the other');
  }
  if (o.gpuTuning !== undefined && o.backend !== 'webgpu') fail('--gpu-tuning is for --backend webgpu');
  if (o.profileGpu && o.backend !== 'webgpu') fail('--profile-gpu is for --backend webgpu');
  return o;
}

/** bench-results/bench-<backend>.json for quick, bench-<backend>-<preset>.json otherwise. */
export function defaultOut(backend: ComputeBackend, preset: PresetName): string {
  return `bench-results/bench-${backend}${preset === 'quick' ? '' : `-${preset}`}.json`;
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

/** Child mode: one whole CPU training run of the preset, then report maxRSS. */
async function runChild(o: Options, arch: ArchName): Promise<void> {
  const cfg = presetConfig(o.preset);
  const t0 = performance.now();
  const r = await trainRun(cfg, arch, o.seed, { kernels: o.kernels, ...(o.evalBatch ? { evalBatch: o.evalBatch } : {}) });
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
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface ArchResult {
  arch: ArchName;
  kernels: string;
  /** the median full epoch: measured, or extrapolated from `batches_timed` mini-batches */
  epoch_median_s: number;
  epoch_extrapolated: boolean;
  /** measured wall time per timed epoch (of the part timed) */
  epoch_times_s: number[];
  /** median of the updates / the evaluation of the full epoch (extrapolated like the epoch) */
  train_median_s: number;
  eval_median_s: number;
  /** median wall time of one mini-batch update */
  batch_median_s: number;
  batches_timed: number;
  batches_per_epoch: number;
  /** process CPU time per timed epoch (user + system, all threads): less sensitive to a loaded machine */
  epoch_cpu_median_s: number;
  first_epoch_s: number;
  /** one diagnostics pass of Nseq_diag sequences (extrapolated from `diag_seqs_timed` when fewer) */
  diagnostics_s: number | null;
  diagnostics_extrapolated: boolean;
  diag_seqs_timed: number | null;
  /** diagnostic batches part / per-lag statistics part of the pass */
  diagnostics_batches_s: number | null;
  diagnostics_stats_s: number | null;
  /** the preset's whole run estimated: epochs × epoch + one diagnostics pass */
  full_run_estimate_s: number;
  reference_s: number | null;
  speedup: number | null;
  /** epoch time of the CPU JSON beside this one / this epoch time (webgpu) */
  speedup_vs_cpu: number | null;
  peak_rss_mb: number | null;
  full_run_s: number | null;
  full_run_epochs: number | null;
  /** the WebGPU kernel shape the model ran with (null on the CPU) */
  gpu_kernel_shape: GpuKernelShape | null;
  /** the inputs were kept on the device (src-workers/engine/train-inputs.ts), not generated and uploaded per batch */
  resident_inputs: boolean;
  /** --profile-gpu: GPU time per timed epoch (of the part timed), per kernel group and in all, and its share of the epoch's wall time */
  gpu_profile: { ms_per_epoch: Record<string, number>; gpu_ms_per_epoch: number; busy_fraction: number; untimed_passes: number } | null;
}

interface Backend {
  createModel?: CreateModelHook;
  adapter: string | null;
}

async function timeArch(o: Options, arch: ArchName, be: Backend): Promise<Omit<ArchResult, 'peak_rss_mb' | 'full_run_s' | 'full_run_epochs' | 'speedup_vs_cpu'>> {
  const full = presetConfig(o.preset);
  const bs = full.batch_size;
  const fullBatches = Math.ceil(full.Nseq_train / bs);
  const partial = o.batches !== null && o.batches < fullBatches;
  const nTrain = partial ? o.batches! * bs : full.Nseq_train;
  const cfg: ExperimentConfig = { ...full, Nseq_train: nTrain, epochs: o.warmup + o.epochs };

  const epochEnd: number[] = [];
  const cpu: number[] = [];
  const trainS: number[] = [];
  const batchS: number[] = [];
  let batchStart = 0;
  let lastBatchEnd = 0;
  let trainSum = 0;
  const evalS: number[] = [];
  // --profile-gpu: the thread's device (the one the hook's models use), profiled from the end of the warm-up
  const profiling = o.profileGpu ? { ctx: await acquireGpu(), started: false, tried: false } : null;
  const startProfile = (): void => {
    if (!profiling) return;
    profiling.tried = true;
    profiling.started = startGpuProfile(profiling.ctx);
  };
  if (o.warmup === 0) startProfile();
  const t0 = performance.now();
  let r: TrainResult;
  try {
    r = await trainRun(cfg, arch, o.seed, {
      kernels: o.kernels,
      ...(be.createModel ? { createModel: be.createModel } : {}),
      ...(o.evalBatch ? { evalBatch: o.evalBatch } : {}),
      ...(o.hostInputs ? { residentInputs: false } : {}),
      ...(partial ? { epochBatches: fullBatches } : {}), // the validation slices of a whole epoch
      hooks: {
        shouldStop: () => {
          batchStart = performance.now();
          return false;
        },
        onBatch: () => {
          lastBatchEnd = performance.now();
          const d = (lastBatchEnd - batchStart) / 1000;
          trainSum += d;
          if (epochEnd.length >= o.warmup) batchS.push(d);
        },
        onEpoch: () => {
          const now = performance.now();
          epochEnd.push(now);
          if (epochEnd.length === o.warmup) startProfile();
          trainS.push(trainSum);
          evalS.push((now - lastBatchEnd) / 1000);
          trainSum = 0;
          const u = process.cpuUsage();
          cpu.push((u.user + u.system) / 1e6);
        },
      },
    });
  } catch (err) {
    throw new Error(`${arch}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    if (r.diverged) process.stderr.write(`bench: warning: ${arch} diverged at epoch ${r.divergedEpoch}\n`);
    const profile = profiling?.started ? await takeGpuProfile(profiling.ctx) : null;
    if (profiling && !profiling.started) {
      process.stderr.write(`bench: --profile-gpu: not profiled (${profiling.tried ? 'the device has no timestamp queries' : 'training ended before the warm-up did'})\n`);
    }
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const trains: number[] = [];
    const evals: number[] = [];
    for (let e = o.warmup; e < epochEnd.length; e++) {
      times.push((epochEnd[e]! - epochEnd[e - 1]!) / 1000);
      cpuTimes.push(cpu[e]! - cpu[e - 1]!);
      trains.push(trainS[e]!);
      evals.push(evalS[e]!);
    }
    // extrapolation: updates in proportion to the training sequences (a smaller last batch counts for its size),
    // the evaluation to the sequences evaluated (train-R² set + validation set), the rest as measured
    const trainScale = full.Nseq_train / nTrain;
    const nVal = valSetSize(full);
    const evalScale = (trainEvalSize(full) + nVal) / (trainEvalSize(cfg) + nVal);
    const epochs = times.map((t, i) => (partial ? t + trains[i]! * (trainScale - 1) + evals[i]! * (evalScale - 1) : t));
    const ref = o.preset === 'quick' && o.backend === 'cpu' ? REFERENCE_QUICK_EPOCH_S[arch] : null;
    const med = median(epochs);

    let diag: { total: number; batches: number; stats: number; seqs: number; extrapolated: boolean } | null = null;
    if (o.diagnostics) {
      const seqs = Math.min(o.diagSeqs ?? full.Nseq_diag, full.Nseq_diag);
      process.stderr.write(`bench: ${arch}: one diagnostics pass (${seqs}${seqs < full.Nseq_diag ? ` of ${full.Nseq_diag}` : ''} sequences)…\n`);
      let lastDiagBatch = 0;
      const d0 = performance.now();
      const threads = diagThreads(o);
      await runDiagnostics(r.model, r.task, { ...full, Nseq_diag: seqs }, {
        onBatch: () => { lastDiagBatch = performance.now(); },
        ...(threads > 1 ? { lagExecutor: threadedLagExecutor(threads) } : {}),
      });
      const d1 = performance.now();
      const batches = (lastDiagBatch - d0) / 1000 * (full.Nseq_diag / seqs);
      const stats = (d1 - lastDiagBatch) / 1000;
      diag = { total: batches + stats, batches, stats, seqs, extrapolated: seqs < full.Nseq_diag };
    }

    return {
      arch,
      kernels: r.kernelsName,
      epoch_median_s: med,
      epoch_extrapolated: partial,
      epoch_times_s: times,
      train_median_s: median(trains) * (partial ? trainScale : 1),
      eval_median_s: median(evals) * (partial ? evalScale : 1),
      batch_median_s: median(batchS),
      batches_timed: Math.ceil(nTrain / bs),
      batches_per_epoch: fullBatches,
      epoch_cpu_median_s: median(cpuTimes),
      first_epoch_s: epochEnd.length ? (epochEnd[0]! - t0) / 1000 : NaN,
      diagnostics_s: diag?.total ?? null,
      diagnostics_extrapolated: diag?.extrapolated ?? false,
      diag_seqs_timed: diag?.seqs ?? null,
      diagnostics_batches_s: diag?.batches ?? null,
      diagnostics_stats_s: diag?.stats ?? null,
      full_run_estimate_s: full.epochs * med + (diag?.total ?? 0),
      reference_s: ref,
      speedup: ref !== null ? ref / med : null,
      gpu_kernel_shape: (r.model as { tuning?: GpuKernelShape }).tuning ?? null,
      resident_inputs: r.residentInputs,
      gpu_profile: profile && times.length > 0 ? {
        ms_per_epoch: groupedMs(profile, times.length),
        gpu_ms_per_epoch: profile.totalMs / times.length,
        busy_fraction: profile.totalMs / 1000 / times.reduce((a, b) => a + b, 0),
        untimed_passes: profile.untimed,
      } : null,
    };
  } finally {
    r.model.dispose?.();
  }
}

function measureMemory(o: Options, arch: ArchName): ChildReport | null {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--child', arch, '--preset', o.preset, '--kernels', o.kernels, '--seed', String(o.seed)];
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

/** The diagnostics' lag threads: --diag-threads, else what a run of this backend uses (run-unit.ts). */
function diagThreads(o: Options): number {
  return o.diagThreads ?? (o.backend === 'webgpu' ? defaultDiagnosticsThreads() : 1);
}

function fmt(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** Seconds as s, min or h. */
function duration(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Epoch medians of the CPU JSON of the same preset, when one lies beside the output. */
function cpuEpochs(out: string, preset: PresetName): Partial<Record<ArchName, number>> {
  const file = resolve(dirname(out), defaultOut('cpu', preset).split('/').at(-1)!);
  if (!existsSync(file)) return {};
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { preset?: string; results?: { arch: ArchName; epoch_median_s: number }[] };
    if (j.preset !== preset) return {};
    return Object.fromEntries((j.results ?? []).map((r) => [r.arch, r.epoch_median_s]));
  } catch {
    return {};
  }
}

/** Each architecture's `best` kernel shape from a bench:gpu-tune JSON (scripts/bench-gpu-tune.ts). */
function readTuneFile(path: string, preset: PresetName): Partial<Record<ArchName, GpuTuning>> {
  let best: unknown;
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as { best?: unknown; preset?: unknown };
    best = j.best;
    if (j.preset !== preset) process.stderr.write(`bench: warning: ${path} was tuned for preset ${String(j.preset)}, this is ${preset}\n`);
  } catch (err) {
    return fail(`--gpu-tuning ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof best !== 'object' || best === null) return fail(`--gpu-tuning ${path}: no "best" object (write it with npm run bench:gpu-tune)`);
  const out: Partial<Record<ArchName, GpuTuning>> = {};
  for (const [arch, v] of Object.entries(best as Record<string, { seqsPerWorkgroup?: unknown; workgroupSize?: unknown; unroll?: unknown }>)) {
    const S = v?.seqsPerWorkgroup;
    const WG = v?.workgroupSize;
    // absent in sweeps before the unrolled kernels (rolled loops, today's default); 'auto' kept as measured
    const U = v?.unroll;
    if (!(ARCHS as string[]).includes(arch) || !Number.isInteger(S) || !Number.isInteger(WG)
      || !(U === undefined || isUnrollSetting(U))) {
      return fail(`--gpu-tuning ${path}: best.${arch} must be a known model with integer seqsPerWorkgroup and workgroupSize (and unroll 'auto' or an integer from 1 to 32)`);
    }
    out[arch as ArchName] = { seqsPerWorkgroup: S as number, workgroupSize: WG as number, ...(U !== undefined ? { unroll: U } : {}) };
  }
  return out;
}

async function openBackend(o: Options, forced?: GpuTuning): Promise<Backend> {
  if (o.backend === 'cpu') return { adapter: null };
  try {
    const tuning = forced ?? {
      ...(o.gpuSeqs !== undefined ? { seqsPerWorkgroup: o.gpuSeqs } : {}),
      ...(o.gpuWg !== undefined ? { workgroupSize: o.gpuWg } : {}),
      ...(o.gpuUnroll !== undefined ? { unroll: o.gpuUnroll } : {}),
    };
    const gpu = await webgpuModelHook(undefined, Object.keys(tuning).length > 0 ? tuning : undefined);
    return { createModel: gpu.hook, adapter: gpu.adapter };
  } catch (err) {
    process.stderr.write(`bench: --backend webgpu: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) {
    await runChild(o, o.child);
    return;
  }
  if (o.backend === 'webgpu' && reexecWithVulkanLoader('bench')) return;
  const full = presetConfig(o.preset);
  const fullBatches = Math.ceil(full.Nseq_train / full.batch_size);
  const partial = o.batches !== null && o.batches < fullBatches;
  const memory = o.backend === 'cpu' && (o.memory ?? (o.preset !== 'paper' && !partial));
  if (o.backend === 'webgpu' && o.memory) process.stderr.write('bench: --memory is for the CPU backend (a GPU run\'s memory is the GPU\'s): skipped\n');
  const out = resolve(o.out ?? defaultOut(o.backend, o.preset));

  const be = await openBackend(o);
  const tuned = o.gpuTuning !== undefined ? readTuneFile(resolve(o.gpuTuning), o.preset) : null;
  if (be.adapter) process.stderr.write(`bench: WebGPU adapter: ${be.adapter}\n`);
  const cpuRef = o.backend === 'webgpu' ? cpuEpochs(out, o.preset) : {};
  const results: ArchResult[] = [];
  for (const arch of o.models) {
    process.stderr.write(`bench: ${arch}: timing ${o.epochs} epoch(s) after ${o.warmup} warm-up`
      + `${partial ? `, ${o.batches} of ${fullBatches} mini-batches each` : ''}…\n`);
    const shapeFor = tuned?.[arch];
    if (tuned && !shapeFor) process.stderr.write(`bench: ${arch}: no best kernel shape in ${o.gpuTuning}: the default\n`);
    const t = await timeArch(o, arch, shapeFor ? await openBackend(o, shapeFor) : be);
    let mem: ChildReport | null = null;
    if (memory) {
      process.stderr.write(`bench: ${arch}: whole ${o.preset} run in a child process for peak memory…\n`);
      mem = measureMemory(o, arch);
    }
    const cpuEpoch = cpuRef[arch];
    results.push({
      ...t,
      speedup_vs_cpu: cpuEpoch !== undefined ? cpuEpoch / t.epoch_median_s : null,
      peak_rss_mb: mem?.peak_rss_mb ?? null,
      full_run_s: mem?.total_s ?? null,
      full_run_epochs: mem?.epochs ?? null,
    });
  }

  const anyVsCpu = results.some((r) => r.speedup_vs_cpu !== null);
  const header = ['model', 'kernels', 'epoch s', 'updates s', 'eval s', 'CPU s', 'diagnostics s', `run (${full.epochs} ep.)`,
    ...(o.backend === 'cpu' ? ['ref s', 'speed-up', 'peak RSS MB'] : []), ...(anyVsCpu ? ['vs CPU'] : [])];
  const rows = results.map((r) => [
    r.arch, r.gpu_kernel_shape
      ? `${r.kernels} (S ${r.gpu_kernel_shape.seqsPerWorkgroup}, WG ${r.gpu_kernel_shape.workgroupSize}, unroll ${r.gpu_kernel_shape.unroll}${r.resident_inputs ? '' : ', host inputs'})` : r.kernels,
    `${fmt(r.epoch_median_s, 3)}${r.epoch_extrapolated ? '*' : ''}`, fmt(r.train_median_s, 3), fmt(r.eval_median_s, 3),
    fmt(r.epoch_cpu_median_s, 3), `${fmt(r.diagnostics_s, 2)}${r.diagnostics_extrapolated ? '*' : ''}`, duration(r.full_run_estimate_s),
    ...(o.backend === 'cpu' ? [fmt(r.reference_s, 2), r.speedup === null ? '-' : `${r.speedup.toFixed(1)}x`, fmt(r.peak_rss_mb, 0)] : []),
    ...(anyVsCpu ? [r.speedup_vs_cpu === null ? '-' : `${r.speedup_vs_cpu.toFixed(1)}x`] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const forced = o.gpuTuning !== undefined ? `kernel shapes from ${o.gpuTuning}`
    : [o.gpuSeqs !== undefined ? `${o.gpuSeqs} seqs/workgroup` : '', o.gpuWg !== undefined ? `${o.gpuWg} threads/workgroup` : '',
      o.gpuUnroll !== undefined ? `unroll ${o.gpuUnroll}` : '']
      .filter((t) => t !== '').join(', ');
  const on = o.backend === 'webgpu' ? `webgpu on ${be.adapter}${forced ? ` (${forced})` : ''}` : `cpu (kernels ${o.kernels}), one thread`;
  process.stdout.write(`preset ${o.preset} (Nseq_train ${full.Nseq_train}, T ${full.T}, H ${full.H}, batch ${full.batch_size}), backend ${on}, `
    + `${o.epochs} timed epoch(s) after ${o.warmup} warm-up${o.diagnostics ? `, diagnostics on ${diagThreads(o)} thread(s)` : ''}\n`);
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  for (const r of results) {
    const p = r.gpu_profile;
    if (!p) continue;
    process.stdout.write(`${r.arch}: GPU busy ${p.gpu_ms_per_epoch.toFixed(1)} ms per timed epoch (${(100 * p.busy_fraction).toFixed(0)} % of its wall time): `
      + `${formatGroups(p.ms_per_epoch)}${p.untimed_passes ? ` (${p.untimed_passes} passes untimed)` : ''}\n`);
  }
  if (partial) {
    process.stdout.write(`* extrapolated: ${o.batches} of ${fullBatches} mini-batches timed per epoch; the updates scaled to the `
      + `${full.Nseq_train} training sequences, the evaluation to its ${trainEvalSize(full)} + ${valSetSize(full)} sequences\n`);
  }
  if (results.some((r) => r.diagnostics_extrapolated)) {
    process.stdout.write(`* extrapolated: ${o.diagSeqs} of ${full.Nseq_diag} diagnostic sequences timed; the batches scaled to all, `
      + 'the per-lag statistics as measured\n');
  }
  process.stdout.write(`run: the preset's ${full.epochs} epochs at the median epoch time plus one diagnostics pass, per architecture and seed\n`);
  if (o.preset === 'quick' && o.backend === 'cpu') {
    process.stdout.write(`reference: PyTorch, one CPU thread; peak ${REFERENCE_QUICK_PEAK_MB} MB per run. Target: >= 5x, < 200 MB.\n`);
  }
  if (anyVsCpu) process.stdout.write(`vs CPU: epoch time of ${defaultOut('cpu', o.preset)} / this epoch time\n`);

  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    preset: o.preset,
    shape: { Nseq_train: full.Nseq_train, Nseq_diag: full.Nseq_diag, T: full.T, D: full.D, H: full.H, batch_size: full.batch_size, epochs: full.epochs },
    backend: o.backend,
    adapter: be.adapter,
    gpu_tuning: o.backend === 'webgpu'
      ? { seqs_per_workgroup: o.gpuSeqs ?? 'default', workgroup_size: o.gpuWg ?? 'default', unroll: o.gpuUnroll ?? 'default', from_file: o.gpuTuning ?? null }
      : null,
    host_inputs: o.hostInputs,
    diag_threads: o.diagnostics ? diagThreads(o) : null,
    kernels: o.kernels,
    eval_batch: o.evalBatch ?? 'default',
    timed_epochs: o.epochs,
    warmup_epochs: o.warmup,
    batches_timed: partial ? o.batches : null,
    diag_seqs_timed: o.diagnostics ? Math.min(o.diagSeqs ?? full.Nseq_diag, full.Nseq_diag) : null,
    reference: o.preset === 'quick' && o.backend === 'cpu' ? { epoch_s: REFERENCE_QUICK_EPOCH_S, peak_mb: REFERENCE_QUICK_PEAK_MB } : null,
    results,
  }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

await main();

/**
 * Kernel-shape sweep of the WebGPU models (issue 6, tuning on a real GPU):
 * for each architecture, the default shape, then the default with each
 * `--unroll` factor (the unrolled hidden-axis loops against the rolled ones,
 * wgsl-lib unrolledLoop), then each (sequences per workgroup S, threads per
 * workgroup WG) the device accepts with the default unroll, and last the
 * fastest of those (S, WG) with each `--unroll` factor, is timed on one mini-batch of the preset's
 * shape: a training step (forward with the backward cache, then
 * backpropagation through time and the weight-gradient reductions, both with
 * their host transfers, as the training loop runs them) and an evaluation
 * forward. The fastest training step per architecture is written as `best`,
 * which `npm run bench -- --backend webgpu --gpu-tuning FILE` reads.
 *
 *   npm run bench:gpu-tune -- [--preset paper] [--models lstm,gru] [--seqs 1,2,4,8] [--wg 32,64,128,256]
 *       [--unroll 1,4] [--reps 3] [--profile] [--budget 240] [--out bench-results/bench-gpu-tune.json]
 *
 * The first configuration of each architecture is the default choice (no
 * override); configurations the device refuses (workgroup memory, limits)
 * (or that fail when run) are listed as refused with the reason. `--budget`
 * (seconds) is shared equally by the architectures; past its share an
 * architecture tries no further configuration (its default is always timed),
 * so the sweep fits a short lease of a GPU machine; what was measured is
 * written after each architecture. `--profile` adds, per configuration, the
 * GPU time of each kernel group of one more step and forward (timestamp
 * queries: forward, backward, reductions, gather, loss), so a
 * step's wall time can be told from its kernels'. The inputs are seeded
 * Gaussians (the kernels' cost does not depend on the values). On SwiftShader
 * use `--preset quick --reps 1`; the numbers there are only a sanity check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ArchName } from '../src-shared/config';
import { presetConfig, type PresetName } from '../src-shared/presets';
import { failWith, readOptions } from './bench-options';
import { reexecWithVulkanLoader } from './gpu/vulkan-env.mjs';
import { acquireGpu, adapterName, createGpuModel, type GpuContext, type GpuKernelShape, type GpuModel, type GpuTuning } from '../src-workers/backends/webgpu/index';
import { flush, startGpuProfile, takeGpuProfile } from '../src-workers/backends/webgpu/runtime';
import { formatGroups, groupedMs } from './gpu-profile';
import { initParams } from '../src-workers/engine/models/params';
import type { ModelShape } from '../src-workers/engine/models/types';
import { ARCHS } from '../src-workers/engine/models/types';
import { Rng } from '../src-workers/engine/rng';
import { gaussians } from '../src-workers/backends/webgpu/test/pass-outputs';

const PROG = 'bench-gpu-tune';

interface Options {
  preset: PresetName;
  models: ArchName[];
  seqs: number[];
  wg: number[];
  /** unroll factors tried besides the default ('auto') */
  unroll: number[];
  reps: number;
  /** time each kernel of one more step and forward per configuration (timestamp queries) */
  profile: boolean;
  budgetS: number;
  out: string;
}

/** One configuration's outcome. */
export interface TuneRow {
  /** the override asked for ('default' when none) */
  asked: 'default' | GpuTuning;
  /** the kernel shape the model used (null when refused) */
  used: GpuKernelShape | null;
  /** median wall time of a training step / an evaluation forward, seconds */
  train_step_s: number | null;
  eval_forward_s: number | null;
  /** why the device refused it */
  refused?: string;
  /** --profile: GPU ms of one training step / one evaluation forward per kernel group (timestamp queries) */
  gpu_ms?: { train_step: Record<string, number>; eval_forward: Record<string, number> };
}

export interface TuneFile {
  date: string;
  adapter: string;
  preset: PresetName;
  shape: { B: number; T: number; D: number; H: number; layernorm: boolean };
  reps: number;
  results: Partial<Record<ArchName, TuneRow[]>>;
  /** the fastest training step of each architecture */
  best: Partial<Record<ArchName, GpuKernelShape & { train_step_s: number; default_train_step_s: number | null }>>;
  /** configurations not tried because the budget was spent */
  skipped_for_budget: number;
}

function list(v: string, flag: string, fail: (m: string) => never, pow2: boolean): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  for (const n of out) {
    if (!Number.isInteger(n) || n < 1 || (pow2 && (n & (n - 1)) !== 0)) {
      fail(`${flag} must be a comma-separated list of ${pow2 ? 'powers of two' : 'positive integers'} (got ${v})`);
    }
  }
  return out;
}

function parseArgs(argv: string[]): Options {
  const fail = failWith(PROG);
  const o: Options = {
    preset: 'paper', models: [...ARCHS], seqs: [1, 2, 4, 8], wg: [32, 64, 128, 256], unroll: [1, 4], reps: 3, profile: false, budgetS: 240,
    out: 'bench-results/bench-gpu-tune.json',
  };
  readOptions(PROG, argv, (r) => {
    switch (r.flag) {
      case '--preset': o.preset = r.preset(); break;
      case '--models': o.models = r.models(); break;
      case '--seqs': o.seqs = list(r.value(), r.flag, fail, false); break;
      case '--wg': o.wg = list(r.value(), r.flag, fail, true); break;
      case '--unroll': {
        o.unroll = list(r.value(), r.flag, fail, false);
        if (o.unroll.some((n) => n > 32)) fail(`--unroll factors must be from 1 to 32 (got ${r.value()})`);
        break;
      }
      case '--reps': o.reps = r.int(1); break;
      case '--profile': o.profile = true; break;
      case '--budget': o.budgetS = r.int(1); break;
      case '--out': o.out = r.value(); break;
      default: return false;
    }
    return true;
  });
  return o;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Batch { x: Float32Array; yhat: Float32Array; B: number; T: number }

/**
 * Time `reps` training steps and evaluation forwards (after one of each
 * untimed: pipelines, buffers warm) as a training run makes them: the inputs
 * gathered on the device (train-inputs.ts; uploaded from the host where the
 * device cannot hold them) and the loss computed there (device-loss.ts).
 */
async function timeModel(
  ctx: GpuContext, m: GpuModel, b: Batch, reps: number, profile: boolean,
): Promise<{ train: number; evalFwd: number; gpuMs?: TuneRow['gpu_ms'] }> {
  const y = new Float32Array(b.B * b.T);
  const store = await m.createResidentInputs(b.B);
  store?.write(0, b.B, b.x, y);
  const rows = store ? Int32Array.from({ length: b.B }, (_, i) => i) : undefined;
  const sse = new Float64Array(1);
  const step = async () => {
    // as the trainer does: the loss on the device, ∂L/∂ŷ kept there for backward
    await m.forward(b.x, b.B, b.T, b.yhat, { train: true, rows, loss: { scale: 2 / (b.B * b.T), sse, ...(rows ? {} : { y }) } });
    await m.backward();
  };
  await step();
  await m.forward(b.x, b.B, b.T, b.yhat, { train: false, rows });
  const train: number[] = [];
  const evalFwd: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    await step();
    train.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await m.forward(b.x, b.B, b.T, b.yhat, { train: false, rows });
    evalFwd.push((performance.now() - t0) / 1000);
  }
  for (const v of b.yhat) if (!Number.isFinite(v)) throw new Error('non-finite output');
  if (!profile || !startGpuProfile(ctx)) return { train: median(train), evalFwd: median(evalFwd) };
  // one more of each, every kernel timed on the GPU (after the timed ones: the timestamps cost nothing there);
  // the profile is closed whatever happens, so a failing configuration leaves none open for the next
  let trainProfile, evalProfile;
  try {
    await step();
  } finally {
    trainProfile = await takeGpuProfile(ctx);
  }
  startGpuProfile(ctx);
  try {
    await m.forward(b.x, b.B, b.T, b.yhat, { train: false, rows });
  } finally {
    evalProfile = await takeGpuProfile(ctx);
  }
  return { train: median(train), evalFwd: median(evalFwd), gpuMs: { train_step: groupedMs(trainProfile!), eval_forward: groupedMs(evalProfile!) } };
}

function label(k: 'default' | GpuTuning): string {
  if (k === 'default') return 'default';
  const parts = [
    k.seqsPerWorkgroup !== undefined ? `S ${k.seqsPerWorkgroup}` : '', k.workgroupSize !== undefined ? `WG ${k.workgroupSize}` : '',
    k.unroll !== undefined ? `unroll ${k.unroll}` : '',
  ].filter((p) => p !== '');
  return parts.join(', ');
}

function shapeLabel(k: GpuKernelShape): string {
  return `S ${k.seqsPerWorkgroup}, WG ${k.workgroupSize}, unroll ${k.unroll}`;
}

async function tuneArch(
  ctx: GpuContext, o: Options, arch: ArchName, shape: ModelShape, b: Batch, deadline: number,
): Promise<{ rows: TuneRow[]; skipped: number }> {
  const cfg = presetConfig(o.preset);
  const rows: TuneRow[] = [];
  let skipped = 0;
  const seen = new Set<string>();
  const tryAsk = async (asked: 'default' | GpuTuning): Promise<void> => {
    // the default shape is always timed (the reference of every other); the others while time is left
    if (asked !== 'default' && performance.now() > deadline) { skipped++; return; }
    let m: GpuModel | null = null;
    try {
      m = createGpuModel(ctx, shape, { maxBatch: b.B, maxT: b.T, ...(asked === 'default' ? {} : { tuning: asked }) });
    } catch (err) {
      rows.push({ asked, used: null, train_step_s: null, eval_forward_s: null, refused: err instanceof Error ? err.message : String(err) });
      process.stderr.write(`${PROG}: ${arch} ${label(asked)}: refused (${rows.at(-1)!.refused})\n`);
      return;
    }
    try {
      const key = shapeLabel(m.tuning);
      if (asked !== 'default' && seen.has(key)) {
        process.stderr.write(`${PROG}: ${arch} ${label(asked)}: timed above (${key})\n`);
        return;
      }
      seen.add(key);
      initParams(m.layout, m.params, { seed: 212, orthInit: cfg.orth_init, constS: shape.constS });
      try {
        const t = await timeModel(ctx, m, b, o.reps, o.profile);
        rows.push({ asked, used: { ...m.tuning }, train_step_s: t.train, eval_forward_s: t.evalFwd, ...(t.gpuMs ? { gpu_ms: t.gpuMs } : {}) });
        process.stderr.write(`${PROG}: ${arch} ${label(asked)}${asked === 'default' ? ` (${key})` : ''}: `
          + `step ${(t.train * 1000).toFixed(1)} ms, eval ${(t.evalFwd * 1000).toFixed(1)} ms\n`);
        if (t.gpuMs) {
          process.stderr.write(`${PROG}:   GPU ms: step: ${formatGroups(t.gpuMs.train_step)}; eval: ${formatGroups(t.gpuMs.eval_forward)}\n`);
        }
      } catch (err) {
        // a shape the limits allowed but the driver could not run (compilation, memory, non-finite output):
        // recorded, the device's error list drained, and the sweep goes on
        const why = err instanceof Error ? err.message : String(err);
        rows.push({ asked, used: { ...m.tuning }, train_step_s: null, eval_forward_s: null, refused: why });
        process.stderr.write(`${PROG}: ${arch} ${label(asked)}: failed (${why.split('\n')[0]})\n`);
        await flush(ctx).catch(() => {});
      }
    } finally {
      m.dispose();
    }
  };
  // 1. the default, and the default shape with each unroll factor (what unrolling alone changes)
  await tryAsk('default');
  for (const unroll of o.unroll) await tryAsk({ unroll });
  // 2. every (S, WG) with the default unroll
  for (const S of o.seqs) for (const WG of o.wg) if (S <= b.B) await tryAsk({ seqsPerWorkgroup: S, workgroupSize: WG });
  // 3. the fastest (S, WG) of 2 with each unroll factor
  const grid = rows.filter((r) => r.train_step_s !== null && r.used !== null && r.used.unroll === 'auto');
  if (grid.length > 0) {
    const best = grid.reduce((a, r) => (r.train_step_s! < a.train_step_s! ? r : a)).used!;
    for (const unroll of o.unroll) await tryAsk({ seqsPerWorkgroup: best.seqsPerWorkgroup, workgroupSize: best.workgroupSize, unroll });
  }
  return { rows, skipped };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (reexecWithVulkanLoader(PROG)) return;
  let ctx: GpuContext;
  try {
    ctx = await acquireGpu();
  } catch (err) {
    process.stderr.write(`${PROG}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const cfg = presetConfig(o.preset);
  const B = cfg.batch_size;
  const T = cfg.T;
  process.stderr.write(`${PROG}: adapter ${adapterName(ctx)}${ctx.adapter.fallback ? ' (software fallback: numbers are a sanity check only)' : ''}; `
    + `preset ${o.preset}: B ${B}, T ${T}, D ${cfg.D}, H ${cfg.H}; budget ${o.budgetS} s\n`);
  const rng = new Rng(7);
  const batch: Batch = {
    x: gaussians(rng, T * B * cfg.D, 1), yhat: new Float32Array(T * B), B, T,
  };
  const deadline = performance.now() + o.budgetS * 1000;
  const file: TuneFile = {
    date: new Date().toISOString(), adapter: adapterName(ctx), preset: o.preset,
    shape: { B, T, D: cfg.D, H: cfg.H, layernorm: cfg.layernorm }, reps: o.reps, results: {}, best: {}, skipped_for_budget: 0,
  };
  const out = resolve(o.out);
  const write = () => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  };
  for (const [i, arch] of o.models.entries()) {
    const shape: ModelShape = { arch, D: cfg.D, H: cfg.H, layernorm: cfg.layernorm, constS: cfg.const_s };
    // each architecture gets an equal share of what is left, so the last ones are swept too
    const now = performance.now();
    const archDeadline = now + Math.max(0, deadline - now) / (o.models.length - i);
    const { rows, skipped } = await tuneArch(ctx, o, arch, shape, batch, archDeadline);
    file.results[arch] = rows;
    file.skipped_for_budget += skipped;
    const timed = rows.filter((r) => r.train_step_s !== null && r.used !== null);
    if (timed.length > 0) {
      const best = timed.reduce((a, r) => (r.train_step_s! < a.train_step_s! ? r : a));
      const def = rows.find((r) => r.asked === 'default');
      file.best[arch] = { ...best.used!, train_step_s: best.train_step_s!, default_train_step_s: def?.train_step_s ?? null };
    }
    write(); // after each architecture: a lease that ends mid-sweep keeps what was measured
  }

  process.stdout.write(`adapter ${file.adapter}, preset ${o.preset} (B ${B}, T ${T}, H ${cfg.H}), median of ${o.reps}\n`);
  process.stdout.write('model   best kernel shape             step ms   default ms   eval ms (best)\n');
  for (const arch of o.models) {
    const b = file.best[arch];
    const row = file.results[arch]?.find((r) => r.used && b && shapeLabel(r.used) === shapeLabel(b));
    process.stdout.write(`${arch.padEnd(6)}  ${b ? shapeLabel(b).padEnd(28) : 'none'.padEnd(28)}  `
      + `${b ? (b.train_step_s * 1000).toFixed(1).padStart(7) : '      -'}  ${b?.default_train_step_s != null ? (b.default_train_step_s * 1000).toFixed(1).padStart(10) : '         -'}  `
      + `${row?.eval_forward_s != null ? (row.eval_forward_s * 1000).toFixed(1).padStart(8) : '       -'}\n`);
  }
  if (file.skipped_for_budget > 0) process.stdout.write(`${file.skipped_for_budget} configuration(s) not tried: the --budget of ${o.budgetS} s was spent\n`);
  process.stdout.write(`wrote ${out} (npm run bench -- --backend webgpu --preset ${o.preset} --gpu-tuning ${o.out})\n`);
}

await main();

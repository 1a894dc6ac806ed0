/**
 * Kernel-shape sweep of the WebGPU models (issue 6, tuning on a real GPU):
 * for each architecture, the default shape (rolled loops), then the default
 * with each `--unroll` setting (unrolled input/hidden-axis loops against the
 * rolled ones, wgsl-lib unrolledLoop; 'auto': per loop), then each (sequences
 * per workgroup S, threads per workgroup WG) the device accepts with the
 * default unroll, and last the fastest of those (S, WG) with each `--unroll`
 * setting, is timed on one mini-batch of the preset's
 * shape: a training step (forward with the backward cache, then
 * backpropagation through time and the weight-gradient reductions, both with
 * their host transfers, as the training loop runs them) and an evaluation
 * forward. The fastest training step per architecture is written as `best`,
 * which `npm run bench -- --backend webgpu --gpu-tuning FILE` reads.
 *
 *   npm run bench:gpu-tune -- [--preset paper] [--models lstm,gru] [--seqs 1,2,4,8] [--wg 32,64,128,256]
 *       [--unroll auto,4] [--reps 3] [--profile] [--budget 240] [--out bench-results/bench-gpu-tune.json]
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
import { acquireGpu, adapterName, type GpuContext, type GpuKernelShape } from '../src-workers/backends/webgpu/index';
import { askedLabel, sweepInputs, sweepKernelShapes, type TuneRow } from '../src-workers/backends/webgpu/kernel-sweep';
import { formatGroups, groupedMs } from './gpu-profile';
import type { ModelShape } from '../src-workers/engine/models/types';
import { ARCHS } from '../src-workers/engine/models/types';
import { TUNE_GRID, kernelShapeLabel as shapeLabel, parseUnrollSetting, type UnrollSetting } from '../src-shared/gpu-tuning';
import { modelMaxBatch } from '../src-workers/engine/train';

export type { TuneRow } from '../src-workers/backends/webgpu/kernel-sweep';

const PROG = 'bench-gpu-tune';

interface Options {
  preset: PresetName;
  models: ArchName[];
  seqs: number[];
  wg: number[];
  /** unroll settings tried besides the default (rolled: 1) */
  unroll: UnrollSetting[];
  reps: number;
  /** time each kernel of one more step and forward per configuration (timestamp queries) */
  profile: boolean;
  budgetS: number;
  out: string;
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
    preset: 'paper', models: [...ARCHS], seqs: [...TUNE_GRID.seqs], wg: [...TUNE_GRID.wg], unroll: [...TUNE_GRID.unroll], reps: 3, profile: false, budgetS: 240,
    out: 'bench-results/bench-gpu-tune.json',
  };
  readOptions(PROG, argv, (r) => {
    switch (r.flag) {
      case '--preset': o.preset = r.preset(); break;
      case '--models': o.models = r.models(); break;
      case '--seqs': o.seqs = list(r.value(), r.flag, fail, false); break;
      case '--wg': o.wg = list(r.value(), r.flag, fail, true); break;
      case '--unroll': {
        const v = r.value();
        const us = v.split(',').map(parseUnrollSetting);
        if (us.some((u) => u === null)) fail(`--unroll must be a comma-separated list of 'auto' and integers from 1 to 32 (got ${v})`);
        o.unroll = us as UnrollSetting[];
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

/** The sweep of one architecture (kernel-sweep.ts), each configuration's outcome a line on stderr. */
async function tuneArch(
  ctx: GpuContext, o: Options, arch: ArchName, shape: ModelShape, b: { x: Float32Array; B: number; T: number }, deadline: number,
): Promise<{ rows: TuneRow[]; skipped: number; best: TuneRow | null; defaultRow: TuneRow | null }> {
  const cfg = presetConfig(o.preset);
  // the models made as the preset's runs make theirs (for their training or evaluation batch: the default S depends on it)
  const maxBatch = modelMaxBatch(cfg);
  const log = (line: string): void => { process.stderr.write(`${PROG}: ${line}\n`); };
  return sweepKernelShapes(ctx, shape, b, {
    grid: { seqs: o.seqs, wg: o.wg, unroll: o.unroll }, reps: o.reps, profile: o.profile, groupProfile: (p) => groupedMs(p),
    deadline, maxBatch, initSeed: 212, orthInit: cfg.orth_init,
    onRow: (row) => {
      const asked = row.asked;
      if (row.used === null) {
        log(`${arch} ${askedLabel(asked)}: refused (${row.refused})`);
      } else if (row.train_step_s === null) {
        log(`${arch} ${askedLabel(asked)}: failed (${(row.refused ?? '').split('\n')[0]})`);
      } else {
        log(`${arch} ${askedLabel(asked)}${asked === 'default' ? ` (${shapeLabel(row.used)})` : ''}: `
          + `step ${(row.train_step_s * 1000).toFixed(1)} ms, eval ${(row.eval_forward_s! * 1000).toFixed(1)} ms`);
        if (row.gpu_ms) log(`  GPU ms: step: ${formatGroups(row.gpu_ms.train_step)}; eval: ${formatGroups(row.gpu_ms.eval_forward)}`);
      }
    },
    onDuplicate: (asked, used) => { log(`${arch} ${askedLabel(asked)}: timed above (${shapeLabel(used)})`); },
  });
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
  const batch = sweepInputs(cfg.D, B, T, 7);
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
    const { rows, skipped, best, defaultRow } = await tuneArch(ctx, o, arch, shape, batch, archDeadline);
    file.results[arch] = rows;
    file.skipped_for_budget += skipped;
    if (best) file.best[arch] = { ...best.used!, train_step_s: best.train_step_s!, default_train_step_s: defaultRow?.train_step_s ?? null };
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

/**
 * Throughput of the WebGPU weight-gradient reductions (src-workers/backends/
 * webgpu/reductions.ts) at the `paper` shapes (H = 128, D = 16, B = 512,
 * T = 1024: R = T·B = 524 288 rows): GFLOP/s (2·m·n·R flops per gemmTN) and
 * the time per call, on the thread's WebGPU adapter, named in the output.
 *
 *   npx tsx scripts/bench-gpu-reductions.ts [--rows 524288] [--reps 10] [--shapes lstm-dU,lstm-dW,…]
 *       [--kernel auto|tiled|simple] [--tile 64x64] [--micro 4x4] [--kb 16] [--no-vec4]
 *       [--target-groups 2048] [--min-chunk-rows 256] [--sweep] [--no-check]
 *
 * Each line names the kernel variant the host chose (tile/micro-tile, block
 * rows, vec4 loads, chunks). The tuning flags override the choice
 * (Reductions.setGemmTuning); --sweep times a list of tile configurations
 * and chunkings on each shape instead, to pick the defaults on a real GPU:
 *   npx tsx scripts/bench-gpu-reductions.ts --shapes lstm-dU,lstm-dW --sweep
 * On SwiftShader (software) take a fraction of the rows, e.g. --rows 4096
 * --reps 1; the numbers there are only a sanity check. On a Linux machine whose only
 * Vulkan loader is chromium's, the script re-executes itself with the loader
 * on LD_LIBRARY_PATH (scripts/gpu/vulkan-env.mjs).
 *
 * The operands are filled on the device with a hash of the element index
 * (values k/2²³ − 1, exact in float32), which the host reproduces, so a few
 * output entries are checked against float64 sums over all R rows: the
 * column `err` is max |gpu − exact| / √(Σ_r (a_r b_r)²) over the sampled
 * entries (about 1e-7 when the reduction keeps float64-like accuracy).
 */
import { failWith, readOptions } from './bench-options';
import { reexecWithVulkanLoader } from './gpu/vulkan-env.mjs';
import { describePlan, reductions, type GemmTNArgs, type GemmTuning } from '../src-workers/backends/webgpu/reductions';
import { adapterName, createStorage, flush, Kernel, openGpu, readRegions, submit } from '../src-workers/backends/webgpu/runtime';
import type { GpuContext } from '../src-workers/backends/webgpu/types';

const PROG = 'bench-gpu-reductions';
const SEED_A = 11, SEED_B = 23;
const H = 128, D = 16, G4 = 4 * H, G3 = 3 * H;

interface Shape {
  name: string;
  note: string;
  m: number; n: number;
  aOff: number; lda: number; bOff: number; ldb: number;
  /** colSums(B) instead of gemmTN (A = ones) */
  colSums?: boolean;
}

const SHAPES: Shape[] = [
  { name: 'lstm-dU', note: 'dU = Hprevᵀ·dPre, H×4H', m: H, n: G4, aOff: 0, lda: H, bOff: 0, ldb: G4 },
  { name: 'lstm-dW', note: 'dW = Xᵀ·dPre, D×4H', m: D, n: G4, aOff: 0, lda: D, bOff: 0, ldb: G4 },
  { name: 'gru-dU-zr', note: 'GRU dU (z, r), H×2H of ld 3H', m: H, n: 2 * H, aOff: 0, lda: H, bOff: 0, ldb: G3 },
  { name: 'gru-dU-n', note: 'GRU dU (n), H×H at column 2H of ld 3H', m: H, n: H, aOff: 0, lda: H, bOff: 2 * H, ldb: G3 },
  { name: 'gated-Wh', note: 'gated dW_h, H×H', m: H, n: H, aOff: 0, lda: H, bOff: 0, ldb: H },
  { name: 'd3', note: 'dW with D = 3, 3×H', m: 3, n: H, aOff: 0, lda: 3, bOff: 0, ldb: H },
  { name: 'dWout', note: 'dW_out = Hᵀ·dŷ, H×1', m: H, n: 1, aOff: 0, lda: H, bOff: 0, ldb: 1 },
  { name: 'bias', note: 'colSums (bias grads), 1×4H', m: 1, n: G4, aOff: 0, lda: 0, bOff: 0, ldb: G4, colSums: true },
];

/** --sweep: configurations tried on each shape (the first is the default choice) */
const SWEEP: { label: string; t: GemmTuning }[] = [
  { label: 'default', t: {} },
  { label: 'simple 16×16', t: { kernel: 'simple' } },
  { label: '64×64/4×4 k8', t: { tm: 64, tn: 64, rm: 4, rn: 4, kb: 8 } },
  { label: '64×64/8×4', t: { tm: 64, tn: 64, rm: 8, rn: 4 } },
  { label: '64×64/8×8', t: { tm: 64, tn: 64, rm: 8, rn: 8 } },
  { label: '64×128/4×8', t: { tm: 64, tn: 128, rm: 4, rn: 8 } },
  { label: '128×64/8×4', t: { tm: 128, tn: 64, rm: 8, rn: 4 } },
  { label: '128×128/8×8', t: { tm: 128, tn: 128, rm: 8, rn: 8 } },
  { label: '128×128/8×8 k8', t: { tm: 128, tn: 128, rm: 8, rn: 8, kb: 8 } },
  { label: 'default, 1024 groups', t: { targetGroups: 1024 } },
  { label: 'default, 8192 groups', t: { targetGroups: 8192 } },
  { label: 'default, scalar loads', t: { vec4: false } },
];

interface Options { rows: number; reps: number; shapes: Shape[]; check: boolean; sweep: boolean; tuning: GemmTuning }

/** `64x64` or `64×64` → [64, 64] */
function pair(v: string, flag: string, fail: (msg: string) => never): [number, number] {
  const m = /^(\d+)[x×](\d+)$/.exec(v);
  if (!m) return fail(`${flag} must look like 64x64 (got ${v})`);
  return [Number(m[1]), Number(m[2])];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rows: 524_288, reps: 10, shapes: SHAPES, check: true, sweep: false, tuning: {} };
  const fail = failWith(PROG);
  readOptions(PROG, argv, (r) => {
    switch (r.flag) {
      case '--rows': o.rows = r.int(1); return true;
      case '--reps': o.reps = r.int(1); return true;
      case '--no-check': o.check = false; return true;
      case '--sweep': o.sweep = true; return true;
      case '--kernel': o.tuning.kernel = r.choice(['auto', 'tiled', 'simple'] as const); return true;
      case '--tile': [o.tuning.tm, o.tuning.tn] = pair(r.value(), r.flag, fail); return true;
      case '--micro': [o.tuning.rm, o.tuning.rn] = pair(r.value(), r.flag, fail); return true;
      case '--kb': o.tuning.kb = r.int(1); return true;
      case '--no-vec4': o.tuning.vec4 = false; return true;
      case '--target-groups': o.tuning.targetGroups = r.int(1); return true;
      case '--min-chunk-rows': o.tuning.minChunkRows = r.int(1); return true;
      case '--shapes': {
        const names = r.value().split(',').map((s) => s.trim()).filter(Boolean);
        o.shapes = names.map((nm) => SHAPES.find((s) => s.name === nm) ?? fail(`--shapes: unknown shape '${nm}' (known: ${SHAPES.map((s) => s.name).join(', ')})`));
        return true;
      }
      default: return false;
    }
  });
  return o;
}

/** The element hash (PCG output permutation), identical on host and device: a value k/2²³ − 1, k < 2²⁴. */
const HASH_WGSL = /* wgsl */ `
fn hashValue(i: u32, seed: u32) -> f32 {
  let x = i * 747796405u + seed * 2891336453u + 1u;
  var w = ((x >> ((x >> 28u) + 4u)) ^ x) * 277803737u;
  w = (w >> 22u) ^ w;
  return f32(w >> 8u) * (1.0 / 8388608.0) - 1.0;
}`;

function hashValue(i: number, seed: number): number {
  const x = (Math.imul(i, 747796405) + Math.imul(seed, 2891336453 | 0) + 1) >>> 0;
  let w = Math.imul(((x >>> (((x >>> 28) + 4) >>> 0)) ^ x) >>> 0, 277803737) >>> 0;
  w = ((w >>> 22) ^ w) >>> 0;
  return (w >>> 8) / 8388608 - 1;
}

const FILL_WGSL = /* wgsl */ `
struct U { n: u32, seed: u32, rowStride: u32, pad: u32 }
@group(0) @binding(0) var<storage, read_write> X: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
${HASH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * u.rowStride;
  if (i < u.n) { X[i] = hashValue(i, u.seed); }
}`;

function fill(ctx: GpuContext, k: Kernel, enc: GPUCommandEncoder, buf: GPUBuffer, n: number, seed: number): void {
  const groups = Math.ceil(n / 256);
  const gx = Math.min(groups, ctx.limits.maxWorkgroupsPerDimension);
  const gy = Math.ceil(groups / gx);
  k.encode(enc, [gx, gy], [buf], [n, seed, gx * 256, 0]);
}

/** Largest row count whose operands fit one binding (A: rows·H floats, B: rows·4H floats). */
function fitRows(ctx: GpuContext, rows: number): number {
  const limit = Math.min(ctx.limits.maxStorageBindingBytes, ctx.limits.maxBufferBytes);
  return Math.min(rows, Math.floor(limit / (4 * G4)));
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (reexecWithVulkanLoader(PROG)) return;
  let ctx: GpuContext;
  try {
    ctx = await openGpu();
  } catch (err) {
    process.stderr.write(`${PROG}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const rows = fitRows(ctx, o.rows);
  console.log(`adapter: ${adapterName(ctx)}${ctx.adapter.fallback ? ' (fallback/software)' : ''}`);
  if (rows < o.rows) console.log(`rows: ${rows} (the ${o.rows} asked for do not fit one storage binding of ${(ctx.limits.maxStorageBindingBytes / 2 ** 20).toFixed(0)} MiB)`);
  else console.log(`rows: ${rows}${rows === 524_288 ? ' (paper: T·B = 1024·512)' : ` (paper: 524288; ${(rows / 524_288).toFixed(4)} of it)`}`);

  const a = createStorage(ctx, rows * H, 'bench A');
  const b = createStorage(ctx, rows * G4, 'bench B');
  const c = createStorage(ctx, H * G4, 'bench C');
  const filler = new Kernel(ctx, 'bench-fill', FILL_WGSL, 1);
  let enc = ctx.device.createCommandEncoder();
  fill(ctx, filler, enc, a, rows * H, SEED_A);
  fill(ctx, filler, enc, b, rows * G4, SEED_B);
  submit(ctx, enc);
  try {
    await flush(ctx);
  } catch (err) {
    const mib = ((rows * (H + G4)) * 4) / 2 ** 20;
    process.stderr.write(`${PROG}: the operands (${mib.toFixed(0)} MiB) could not be allocated on ${adapterName(ctx)}: take fewer rows (--rows)\n`);
    process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }

  const red = reductions(ctx);
  const argsFor = (s: Shape): GemmTNArgs => (s.colSums
    ? { rows, m: 1, n: s.n, a: red.ones, aOff: 0, lda: 0, b, bOff: s.bOff, ldb: s.ldb, c, cOff: 0, ldc: s.n }
    : { rows, m: s.m, n: s.n, a, aOff: s.aOff, lda: s.lda, b, bOff: s.bOff, ldb: s.ldb, c, cOff: 0, ldc: s.n });
  const encodeOne = (e: GPUCommandEncoder, s: Shape): void => {
    if (s.colSums) red.colSums(e, { rows, n: s.n, a: b, aOff: s.bOff, lda: s.ldb, c, cOff: 0 });
    else red.gemmTN(e, argsFor(s));
  };
  const measure = async (s: Shape, tuning: GemmTuning): Promise<{ ms: number; gflops: number; err: number; plan: string }> => {
    red.setGemmTuning(tuning);
    let plan: string;
    try {
      plan = describePlan(red.planGemmTN(argsFor(s)));
    } catch (err) {
      red.setGemmTuning(null);
      return { ms: NaN, gflops: NaN, err: NaN, plan: `not possible: ${(err as Error).message}` };
    }
    // warm-up (compiles the pipeline) and the accuracy check
    let enc = ctx.device.createCommandEncoder();
    encodeOne(enc, s);
    const out = new Float32Array(s.m * s.n);
    await readRegions(ctx, [{ buf: c, n: out.length, into: out }], enc);
    const err = o.check ? sampledError(s, out, rows) : NaN;
    enc = ctx.device.createCommandEncoder();
    const t0 = performance.now();
    for (let k = 0; k < o.reps; k++) encodeOne(enc, s);
    submit(ctx, enc);
    await flush(ctx);
    const ms = (performance.now() - t0) / o.reps;
    red.setGemmTuning(null);
    return { ms, gflops: (2 * s.m * s.n * rows) / (ms * 1e6), err, plan };
  };

  const head = `${'ms/call'.padStart(10)} ${'GFLOP/s'.padStart(9)} ${'err'.padStart(8)}`;
  const cells = (r: { ms: number; gflops: number; err: number }): string =>
    `${r.ms.toFixed(3).padStart(10)} ${r.gflops.toFixed(1).padStart(9)} ${(Number.isNaN(r.err) ? '-' : r.err.toExponential(1)).padStart(8)}`;
  if (!o.sweep) {
    console.log(`${'shape'.padEnd(10)} ${'m×n'.padStart(8)} ${head}  kernel · note`);
    for (const s of o.shapes) {
      const r = await measure(s, o.tuning);
      console.log(`${s.name.padEnd(10)} ${`${s.m}×${s.n}`.padStart(8)} ${cells(r)}  ${r.plan} · ${s.note}`);
    }
  } else {
    for (const s of o.shapes) {
      console.log(`\n${s.name} (${s.m}×${s.n}, ${s.note})`);
      console.log(`  ${'configuration'.padEnd(22)} ${head}  kernel`);
      for (const { label, t } of SWEEP) {
        const r = await measure(s, t);
        console.log(`  ${label.padEnd(22)} ${cells(r)}  ${r.plan}`);
      }
    }
  }
  for (const x of [a, b, c]) x.destroy();
}

/** max |gpu − exact| / √(Σ_r (a_r b_r)²) over a few entries, exact sums in float64 from the host's hash */
function sampledError(s: Shape, out: Float32Array, rows: number): number {
  let err = 0;
  const picks: [number, number][] = [[0, 0], [s.m - 1, s.n - 1], [s.m >> 1, s.n >> 1], [s.m - 1, 0]];
  for (const [i, j] of picks) {
    let sum = 0, sq = 0;
    for (let r = 0; r < rows; r++) {
      const av = s.colSums ? 1 : hashValue(s.aOff + r * s.lda + i, SEED_A);
      const p = av * hashValue(s.bOff + r * s.ldb + j, SEED_B);
      sum += p; sq += p * p;
    }
    err = Math.max(err, Math.abs(out[i * s.n + j]! - sum) / Math.sqrt(sq));
  }
  return err;
}

await main();

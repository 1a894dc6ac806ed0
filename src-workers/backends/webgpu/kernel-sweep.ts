/**
 * The kernel-shape sweep of a WebGPU model (issue 6, tuning): which
 * (threads per workgroup WG, sequences per workgroup S, unroll factor) makes
 * a training step fastest on this device for one model shape and mini-batch.
 * Used by the pool's tuning task (src-workers/tasks/gpu-tune.ts) and by
 * scripts/bench-gpu-tune.ts.
 *
 * Order of the sweep (src-shared/gpu-tuning.ts TuneGrid):
 *   1. the default shape (no override: S and WG chosen from the device
 *      limits, rolled loops), then the default with each `unroll` setting of
 *      the grid (what unrolling alone changes);
 *   2. every (S ≤ B, WG) of the grid with the default unroll;
 *   3. the fastest (S, WG) with the default unroll (of 1 and 2) with each
 *      `unroll` setting.
 * A configuration the device refuses (createGpuModel throws: workgroup
 * memory, limits) or that fails when run (compilation, non-finite output) is
 * a row with the reason; one whose shape was already timed is not timed
 * again; past the deadline the others are counted as skipped (the default
 * is always timed: it is the reference of every other). Results do not
 * depend on the shape beyond float32 summation order, only the time does.
 *
 * Timing (timeModel): one untimed training step and evaluation forward
 * (pipelines, buffers warm), then `reps` of each timed, median; the inputs
 * resident on the device and the loss computed there, as the trainer runs
 * them. The models are made for `maxBatch` sequences as a run makes its
 * model (its training or evaluation batch: the default S depends on it),
 * and timed on mini-batches of B. No Node APIs here.
 */
import type { TuneGrid } from '../../../src-shared/gpu-tuning';
import { kernelShapeLabel } from '../../../src-shared/gpu-tuning';
import { DEFAULT_CONFIG } from '../../../src-shared/config';
import { initParams } from '../../engine/models/params';
import type { ModelShape } from '../../engine/models/types';
import { Rng } from '../../engine/rng';
import { createGpuModel } from './index';
import type { GpuProfile } from './profiler';
import { flush, startGpuProfile, takeGpuProfile } from './runtime';
import type { GpuContext, GpuKernelShape, GpuModel, GpuTuning } from './types';

/** One configuration's outcome (the rows of scripts/bench-gpu-tune.ts's JSON file). */
export interface TuneRow {
  /** the override asked for ('default' when none) */
  asked: 'default' | GpuTuning;
  /** the kernel shape the model used (null when refused) */
  used: GpuKernelShape | null;
  /** median wall time of a training step / an evaluation forward, seconds */
  train_step_s: number | null;
  eval_forward_s: number | null;
  /** why the device refused it (used null) or why it failed when run (used set) */
  refused?: string;
  /** profile: GPU ms of one training step / one evaluation forward per kernel group (timestamp queries) */
  gpu_ms?: { train_step: Record<string, number>; eval_forward: Record<string, number> };
}

/** The timed inputs: x in the engine's time-major layout [T][B][D]. */
export interface SweepBatch {
  x: Float32Array;
  B: number;
  T: number;
}

/** A per-kernel GPU profile reduced to what a row stores (ms per group). */
export type ProfileGrouping = (p: GpuProfile) => Record<string, number>;

export interface SweepOptions {
  grid: TuneGrid;
  /** timed repetitions of each configuration (median) */
  reps: number;
  /** time each kernel of one more step and forward per configuration (timestamp queries; ignored without them) */
  profile: boolean;
  /** how a profile is stored in TuneRow.gpu_ms (default: ms per kernel label) */
  groupProfile?: ProfileGrouping;
  /** performance.now() past which no configuration but the default is tried */
  deadline: number;
  /**
   * the largest batch the models are made for (GpuModelOptions.maxBatch), as
   * runs make theirs (train.ts modelMaxBatch: the default S depends on it);
   * default the timed batch's B. Steps are timed on batches of B.
   */
  maxBatch?: number;
  /** the clock the deadline is read on (default performance.now; tests move it) */
  now?(): number;
  /** initParams seed (default 212) and orthogonal initialisation (default: the config default) */
  initSeed?: number;
  orthInit?: boolean;
  /** asked before each configuration: true ends the sweep there (stopped) */
  shouldStop?(): boolean;
  /** after each configuration timed or refused: the row, the configurations done so far and the planned count */
  onRow?(row: TuneRow, done: number, planned: number): void;
  /** after a configuration whose shape was timed already (not timed again) */
  onDuplicate?(asked: GpuTuning, used: GpuKernelShape, done: number, planned: number): void;
}

export interface SweepResult {
  /** timed, failed and refused configurations in sweep order (the default first) */
  rows: TuneRow[];
  /** configurations not tried because the deadline had passed */
  skipped: number;
  /** the planned count (an upper bound: duplicates and the deadline cut it) */
  planned: number;
  /** the timed row with the smallest train_step_s (ties: the earlier); null when none was timed */
  best: TuneRow | null;
  /** the default configuration's row (null when the sweep stopped before it) */
  defaultRow: TuneRow | null;
  /** shouldStop ended the sweep early */
  stopped: boolean;
}

const DEFAULT_INIT_SEED = 212;
/** Seed of the timed inputs (sweepInputs). */
export const SWEEP_INPUT_SEED = 7;

/** 1 + #unroll + #(S ≤ B)·#WG + #unroll: the configurations of a sweep at mini-batch B, at most. */
export function plannedConfigurations(grid: TuneGrid, B: number): number {
  const seqs = grid.seqs.filter((S) => S <= B).length;
  return 1 + grid.unroll.length + seqs * grid.wg.length + grid.unroll.length;
}

/** Seeded standard Gaussian inputs [T][B][D] in float32 (the kernels' cost does not depend on the values). */
export function sweepInputs(D: number, B: number, T: number, seed: number = SWEEP_INPUT_SEED): SweepBatch {
  const rng = new Rng(seed);
  const x = new Float32Array(T * B * D);
  for (let i = 0; i < x.length; i++) x[i] = rng.gaussian();
  return { x, B, T };
}

/** What was asked: 'default', or the overrides, e.g. "S 2, WG 128" or "unroll 4". */
export function askedLabel(k: 'default' | GpuTuning): string {
  if (k === 'default') return 'default';
  const parts = [
    k.seqsPerWorkgroup !== undefined ? `S ${k.seqsPerWorkgroup}` : '', k.workgroupSize !== undefined ? `WG ${k.workgroupSize}` : '',
    k.unroll !== undefined ? `unroll ${k.unroll}` : '',
  ].filter((p) => p !== '');
  return parts.join(', ');
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** ms per kernel label: TuneRow.gpu_ms without grouping. */
function perLabelMs(p: GpuProfile): Record<string, number> {
  return Object.fromEntries(Object.entries(p.kernels).map(([label, t]) => [label, t.ms]));
}

export interface ModelTiming {
  /** median seconds of a training step / an evaluation forward */
  train: number;
  evalFwd: number;
  gpuMs?: TuneRow['gpu_ms'];
}

/**
 * Time `reps` training steps and evaluation forwards of `m` (after one of
 * each untimed: pipelines, buffers warm) as a training run makes them: the
 * inputs gathered on the device (resident-inputs.ts; uploaded from the host
 * where the device cannot hold them) and the loss computed there
 * (device-loss.ts). `yhat` receives the outputs (B·T floats); a non-finite
 * output throws. With `profile`, one more step and forward are timed kernel
 * by kernel (where the device has timestamp queries).
 */
export async function timeModel(
  ctx: GpuContext, m: GpuModel, b: SweepBatch, yhat: Float32Array, reps: number,
  profile: boolean | ProfileGrouping = false,
): Promise<ModelTiming> {
  const y = new Float32Array(b.B * b.T);
  const store = await m.createResidentInputs(b.B);
  store?.write(0, b.B, b.x, y);
  const rows = store ? Int32Array.from({ length: b.B }, (_, i) => i) : undefined;
  const sse = new Float64Array(1);
  const step = async () => {
    // as the trainer does: the loss on the device, ∂L/∂ŷ kept there for backward
    await m.forward(b.x, b.B, b.T, yhat, { train: true, rows, loss: { scale: 2 / (b.B * b.T), sse, ...(rows ? {} : { y }) } });
    await m.backward();
  };
  await step();
  await m.forward(b.x, b.B, b.T, yhat, { train: false, rows });
  const train: number[] = [];
  const evalFwd: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    await step();
    train.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await m.forward(b.x, b.B, b.T, yhat, { train: false, rows });
    evalFwd.push((performance.now() - t0) / 1000);
  }
  for (const v of yhat) if (!Number.isFinite(v)) throw new Error('non-finite output');
  if (profile === false || !startGpuProfile(ctx)) return { train: median(train), evalFwd: median(evalFwd) };
  const group = profile === true ? perLabelMs : profile;
  // one more of each, every kernel timed on the GPU (after the timed ones: the timestamps cost nothing there);
  // the profile is closed whatever happens, so a failing configuration leaves none open for the next
  let trainProfile: GpuProfile | null;
  let evalProfile: GpuProfile | null;
  try {
    await step();
  } finally {
    trainProfile = await takeGpuProfile(ctx);
  }
  startGpuProfile(ctx);
  try {
    await m.forward(b.x, b.B, b.T, yhat, { train: false, rows });
  } finally {
    evalProfile = await takeGpuProfile(ctx);
  }
  return { train: median(train), evalFwd: median(evalFwd), gpuMs: { train_step: group(trainProfile!), eval_forward: group(evalProfile!) } };
}

/** The timed row with the smallest training step (ties: the earlier), or null. */
export function fastestRow(rows: readonly TuneRow[]): TuneRow | null {
  let best: TuneRow | null = null;
  for (const r of rows) {
    if (r.train_step_s === null || r.used === null) continue;
    if (best === null || r.train_step_s < best.train_step_s!) best = r;
  }
  return best;
}

/**
 * Sweep the kernel shapes of `shape` on `ctx` at the batch's B and T (the
 * order is the file comment's). Never throws for a configuration: refusals
 * and failures are rows (a failure drains the device's error list, so the
 * next configuration starts clean).
 */
export async function sweepKernelShapes(
  ctx: GpuContext, shape: ModelShape, batch: SweepBatch, o: SweepOptions,
): Promise<SweepResult> {
  const rows: TuneRow[] = [];
  const planned = plannedConfigurations(o.grid, batch.B);
  const yhat = new Float32Array(batch.B * batch.T);
  const profile: boolean | ProfileGrouping = o.profile ? (o.groupProfile ?? true) : false;
  let skipped = 0;
  let done = 0;
  let stopped = false;
  const seen = new Set<string>();
  const now = o.now ?? (() => performance.now());
  const maxBatch = o.maxBatch ?? batch.B;
  if (!(Number.isInteger(maxBatch) && maxBatch >= batch.B)) {
    throw new RangeError(`maxBatch must be an integer ≥ the timed batch ${batch.B} (got ${maxBatch})`);
  }

  const tryAsk = async (asked: 'default' | GpuTuning): Promise<void> => {
    if (stopped || o.shouldStop?.()) { stopped = true; return; }
    // the default shape is always timed (the reference of every other); the others while time is left
    if (asked !== 'default' && now() > o.deadline) { skipped++; done++; return; }
    const push = (row: TuneRow): void => {
      rows.push(row);
      done++;
      o.onRow?.(row, done, planned);
    };
    let m: GpuModel;
    try {
      m = createGpuModel(ctx, shape, { maxBatch, maxT: batch.T, ...(asked === 'default' ? {} : { tuning: asked }) });
    } catch (err) {
      push({ asked, used: null, train_step_s: null, eval_forward_s: null, refused: err instanceof Error ? err.message : String(err) });
      return;
    }
    try {
      const used: GpuKernelShape = { ...m.tuning };
      const key = kernelShapeLabel(used);
      if (asked !== 'default' && seen.has(key)) {
        done++;
        o.onDuplicate?.(asked, used, done, planned);
        return;
      }
      seen.add(key);
      initParams(m.layout, m.params, { seed: o.initSeed ?? DEFAULT_INIT_SEED, orthInit: o.orthInit ?? DEFAULT_CONFIG.orth_init, constS: shape.constS });
      let row: TuneRow;
      try {
        const t = await timeModel(ctx, m, batch, yhat, o.reps, profile);
        row = { asked, used, train_step_s: t.train, eval_forward_s: t.evalFwd, ...(t.gpuMs ? { gpu_ms: t.gpuMs } : {}) };
      } catch (err) {
        // a shape the limits allowed but the driver could not run (compilation, memory, non-finite output):
        // recorded, the device's error list drained, and the sweep goes on
        row = { asked, used, train_step_s: null, eval_forward_s: null, refused: err instanceof Error ? err.message : String(err) };
        await flush(ctx).catch(() => {});
      }
      push(row);
    } finally {
      m.dispose();
    }
  };

  // 1. the default, and the default shape with each unroll setting (what unrolling alone changes)
  await tryAsk('default');
  for (const unroll of o.grid.unroll) await tryAsk({ unroll });
  // 2. every (S, WG) with the default unroll
  for (const S of o.grid.seqs) for (const WG of o.grid.wg) if (S <= batch.B) await tryAsk({ seqsPerWorkgroup: S, workgroupSize: WG });
  // 3. the fastest (S, WG) of 1 and 2 with the default unroll (no unroll asked), with each unroll setting
  const gridBest = fastestRow(rows.filter((r) => r.used !== null && (r.asked === 'default' || r.asked.unroll === undefined)));
  if (gridBest) {
    const { seqsPerWorkgroup, workgroupSize } = gridBest.used!;
    for (const unroll of o.grid.unroll) await tryAsk({ seqsPerWorkgroup, workgroupSize, unroll });
  }
  return { rows, skipped, planned, best: fastestRow(rows), defaultRow: rows.find((r) => r.asked === 'default') ?? null, stopped };
}

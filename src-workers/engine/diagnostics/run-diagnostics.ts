/**
 * From a trained model to the per-lag summary (SCIENCE.md §4, §5, §8).
 *
 * 1. A direction w over all trainable parameters: Gaussian, unit L2 norm
 *    jointly, seeded by w_seed (the same for every lag and batch), §5.
 * 2. The Nseq_diag diagnostic sequences in batches: forward with the §4.1
 *    terms recorded and ŷ, the tangent pass v_t = (∂h_t/∂θ)[w]; then per
 *    sequence the μ prefix sums, and for every lag of the grid the μ rows
 *    (envelope) and ψ samples (bounded per-lag store), see accumulator.ts.
 * 3. Per lag: orientation over all samples, α̂ and σ̂ on the reservoir,
 *    m̄ = |oriented mean|, detection (N_required, best SNR), and the error of
 *    the first best_N oriented samples; then the learnability window H_N.
 *
 * Reductions are float64; the model's float32 arrays are only read.
 *
 * Speed (quick preset, per architecture, one thread): the μ/ψ work and the
 * estimators' sort and ecf sums run as WebAssembly SIMD kernels generated at
 * start-up (wasm/, ~20-40 ms to build and compile), with results identical
 * bit for bit to the TypeScript path (`engine: 'js'`, the fallback where
 * WebAssembly SIMD is missing). The model writes the recorded terms, the
 * tangent and ŷ straight into the kernels' memory (caller arrays are written
 * by plain loops, models/types.ts), so nothing is copied per sequence.
 * scripts/bench-diagnostics.ts measures the split.
 *
 * Any TrainableModel will do (CPU or WebGPU): each forward and tangent pass
 * is awaited, and its outputs are read only after it resolves.
 */
import type { ExperimentConfig } from '../../../src-shared/config';
import { lagGrid } from '../../../src-shared/config';
import type { HNRow, LagSummaryRow } from '../../../src-shared/results';
import type { FloatArray } from '../kernels/types';
import { RECORDED_TERMS, type TrainableModel } from '../models/types';
import { deriveSeed, Rng } from '../rng';
import { learnabilityWindow } from '../stats/detect';
import type { DiagnosticsEngine } from './accumulator';
import { LagWork, type LagResult, type LagWorkSpec } from './lag-work';

/** Stream ids of the diagnostics' seeds (stable: changing them changes results). */
export const DIRECTION_STREAM = 0x6469_7277; // 'dirw'
export { ALPHA_STREAM } from './lag-work';

export const DEFAULT_DIAG_BATCH = 64;

/** What the diagnostics need from the task: the diagnostic set, time-major. */
export interface DiagnosticTask {
  fill(set: 'diag', epoch: number, ids: ArrayLike<number>, B: number, x: FloatArray, y: FloatArray): void;
}

export interface DiagnosticsResult {
  lags: number[];
  /** rows of `<model>_summary.csv` (SCIENCE.md §8) */
  summary: LagSummaryRow[];
  /** μ_q(ℓ), one Float64Array of H values per lag (file `*_mu_units.csv`) */
  muUnits: Float64Array[];
  /** learnability window, one row per N of N_grid (file `*_H_N.csv`) */
  H_N: HNRow[];
  /** orientation sign applied to each lag's samples */
  orientation: number[];
  /** diagnostic batch size used */
  batchSize: number;
}

export interface RunDiagnosticsOptions {
  /** sequences per diagnostic batch (default 64, at most model.maxBatch) */
  batchSize?: number;
  /** samples kept in each lag's reservoir (default 100 000) */
  reservoirSize?: number;
  /** called after each lag's statistics are computed: (lags done, total) */
  onLag?(i: number, n: number): void;
  /** called after each batch: (sequences done, Nseq_diag) */
  onBatch?(done: number, total: number): void;
  /**
   * 'auto' (default): the WebAssembly SIMD kernels where available (μ/ψ,
   * sort, ecf sums); 'js': TypeScript only. Both give identical results.
   */
  engine?: DiagnosticsEngine;
  /** where the per-lag work runs (default localLagExecutor: this thread) */
  lagExecutor?: LagExecutorFactory;
}

/**
 * The direction w of §5: i.i.d. standard normal over all `size` trainable
 * parameters, normalised to unit L2 norm (in float64) and written to `out`.
 */
export function makeDirection(size: number, wSeed: number, out: FloatArray): void {
  const rng = new Rng(deriveSeed(wSeed, DIRECTION_STREAM));
  const g = new Float64Array(size);
  let n2 = 0;
  for (let i = 0; i < size; i++) {
    const z = rng.gaussian();
    g[i] = z;
    n2 += z * z;
  }
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  for (let i = 0; i < size; i++) out[i] = g[i]! * inv;
}

/** The arrays a diagnostic batch is written into, time-major: y, ŷ [T][Bmax], v and the §4.1 terms [T][Bmax][H]. */
export interface LagBatchArrays<A extends FloatArray = FloatArray> {
  y: A;
  yhat: A;
  v: A;
  record: Record<string, A>;
}

/**
 * Where the per-lag work (lag-work.ts) runs. The default runs one LagWork
 * over the whole grid in this thread; src-workers/tasks/diagnostics-threads.ts
 * splits the grid between worker threads. Either way the results are the
 * same bit for bit.
 */
export interface LagExecutor<A extends FloatArray = FloatArray> {
  /** the arrays to fill with the next batch (an executor may alternate between sets) */
  readonly arrays: LagBatchArrays<A>;
  /**
   * The first B sequences of `arrays` are a batch: accumulate them. Once this
   * resolves, `arrays` (perhaps another set) may be filled with the next one
   * while the executor may still be working on this one. W_out is the same
   * for every batch.
   */
  addBatch(B: number, wOut: ArrayLike<number>, wOff: number): void | Promise<void>;
  /** every lag's results in grid order; onLag(lags done) as they finish */
  finish(onLag?: (done: number) => void): LagResult[] | Promise<LagResult[]>;
  /** release threads or memory (after finish, or on an error) */
  dispose?(): void;
}

export interface LagExecutorSpec extends LagWorkSpec {
  /** sequences per batch (the arrays' size) */
  Bmax: number;
  precision: 'f32' | 'f64';
}

export type LagExecutorFactory = (spec: LagExecutorSpec) => Promise<LagExecutor>;

/** One LagWork over the whole grid, here; the wasm engine's own memory holds the batch arrays. */
export async function localLagExecutor(spec: LagExecutorSpec): Promise<LagExecutor> {
  const work = new LagWork({ ...spec, batchArrays: { B: spec.Bmax, precision: spec.precision } });
  const { T, H, Bmax, arch } = spec;
  const views = work.batchArrays();
  const Ctor = spec.precision === 'f64' ? Float64Array : Float32Array;
  const record: Record<string, FloatArray> = {};
  for (const name of RECORDED_TERMS[arch]) record[name] = views ? views.record[name]! : new Ctor(T * Bmax * H);
  const arrays: LagBatchArrays = {
    y: views ? views.y : new Ctor(T * Bmax),
    yhat: views ? views.yhat : new Ctor(T * Bmax),
    v: views ? views.v : new Ctor(T * Bmax * H),
    record,
  };
  return {
    arrays,
    addBatch: (B, wOut, wOff) => work.addBatch({ B, record: arrays.record, v: arrays.v, yhat: arrays.yhat, y: arrays.y, wOut, wOff }),
    finish: (onLag) => work.finish(onLag),
  };
}

export async function runDiagnostics<A extends FloatArray>(
  model: TrainableModel<A>, task: DiagnosticTask, cfg: ExperimentConfig, opts: RunDiagnosticsOptions = {},
): Promise<DiagnosticsResult> {
  const { arch, H, D } = model.shape;
  const T = cfg.T;
  if (T > model.maxT) throw new RangeError(`diagnostics: T=${T} exceeds the model's maxT=${model.maxT}`);
  if (cfg.H !== H || cfg.D !== D) throw new RangeError(`diagnostics: config (D=${cfg.D}, H=${cfg.H}) does not match the model (D=${D}, H=${H})`);
  const nSeq = cfg.Nseq_diag;
  if (!(Number.isInteger(nSeq) && nSeq >= 1)) throw new RangeError(`diagnostics: Nseq_diag must be a positive integer (got ${nSeq})`);
  const Bmax = Math.max(1, Math.min(opts.batchSize ?? DEFAULT_DIAG_BATCH, model.maxBatch, nSeq));
  const lags = lagGrid(cfg);
  const wOut = model.layout.byName['W_out'];
  if (!wOut || wOut.size !== H) throw new Error(`diagnostics: the model has no W_out of size H=${H}`);

  const precision = model.kernels.precision;
  const exec = await (opts.lagExecutor ?? localLagExecutor)({
    arch, H, T, lags, cfg,
    ...(opts.reservoirSize !== undefined ? { reservoirSize: opts.reservoirSize } : {}),
    engine: opts.engine ?? 'auto',
    Bmax, precision,
  });
  try {
    // The model writes ŷ, v and the terms straight into the executor's arrays
    // (plain loops, models/types.ts): the wasm engine's memory, or memory the
    // lag threads share, so nothing is copied per batch here.
    const Ctor = (precision === 'f64' ? Float64Array : Float32Array) as unknown as new (n: number) => A;
    const x = new Ctor(T * Bmax * D);
    const dir = new Ctor(model.layout.size);
    makeDirection(model.layout.size, cfg.w_seed, dir);
    const ids = new Int32Array(Bmax);

    for (let start = 0; start < nSeq; start += Bmax) {
      const B = Math.min(Bmax, nSeq - start);
      const { y, yhat, v, record } = exec.arrays as LagBatchArrays<A>;
      for (let b = 0; b < B; b++) ids[b] = start + b;
      task.fill('diag', 0, ids, B, x, y);
      await model.forward(x, B, T, yhat, { train: false, record });
      await model.tangent(x, B, T, dir, v);
      await exec.addBatch(B, model.params, wOut.offset);
      opts.onBatch?.(start + B, nSeq);
    }

    const results = await exec.finish((done) => opts.onLag?.(done, lags.length));
    return {
      lags,
      summary: results.map((r) => r.row),
      muUnits: results.map((r) => r.muUnits),
      H_N: learnabilityWindow(lags, results.map((r) => r.nRequired), cfg.N_grid),
      orientation: results.map((r) => r.orientation),
      batchSize: Bmax,
    };
  } finally {
    exec.dispose?.();
  }
}

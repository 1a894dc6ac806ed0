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
import { estimateAlpha } from '../stats/estimators';
import { coefficientOfVariation, detectLag, learnabilityWindow } from '../stats/detect';
import { DiagnosticsAccumulator, type DiagnosticsEngine } from './accumulator';
import { DEFAULT_RESERVOIR_SIZE } from './sample-store';

/** Stream ids of the diagnostics' seeds (stable: changing them changes results). */
export const DIRECTION_STREAM = 0x6469_7277; // 'dirw'
export const ALPHA_STREAM = 0x616c_7068; // 'alph'

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
  const Ngrid = cfg.N_grid;
  const firstCap = Ngrid.length > 0 ? Math.max(...Ngrid) : 0;
  const wOut = model.layout.byName['W_out'];
  if (!wOut || wOut.size !== H) throw new Error(`diagnostics: the model has no W_out of size H=${H}`);

  const precision = model.kernels.precision;
  const acc = new DiagnosticsAccumulator({
    arch, H, T, lags,
    includeFirstOrder: cfg.include_first_order_diag === 1,
    wSeed: cfg.w_seed,
    firstCap,
    reservoirSize: opts.reservoirSize ?? DEFAULT_RESERVOIR_SIZE,
    nSeqExpected: nSeq,
    engine: opts.engine ?? 'auto',
    batchArrays: { B: Bmax, precision },
  });

  // Caller-side arrays: the model reads/writes them with plain loops
  // (models/types.ts), so ordinary typed arrays of the model's precision
  // suffice; with the wasm engine the outputs live in its memory, where the
  // μ/ψ kernels read them without a copy.
  const Ctor = (precision === 'f64' ? Float64Array : Float32Array) as unknown as new (n: number) => A;
  const x = new Ctor(T * Bmax * D);
  const views = acc.batchArrays() as { record: Record<string, A>; v: A; yhat: A; y: A } | null;
  const y = views ? views.y : new Ctor(T * Bmax);
  const yhat = views ? views.yhat : new Ctor(T * Bmax);
  const v = views ? views.v : new Ctor(T * Bmax * H);
  const record: Record<string, A> = {};
  for (const name of RECORDED_TERMS[arch]) record[name] = views ? views.record[name]! : new Ctor(T * Bmax * H);
  const dir = new Ctor(model.layout.size);
  makeDirection(model.layout.size, cfg.w_seed, dir);
  const ids = new Int32Array(Bmax);

  for (let start = 0; start < nSeq; start += Bmax) {
    const B = Math.min(Bmax, nSeq - start);
    for (let b = 0; b < B; b++) ids[b] = start + b;
    task.fill('diag', 0, ids, B, x, y);
    await model.forward(x, B, T, yhat, { train: false, record });
    await model.tangent(x, B, T, dir, v);
    acc.addBatch({ B, record, v, yhat, y, wOut: model.params, wOff: wOut.offset });
    opts.onBatch?.(start + B, nSeq);
  }

  const env = acc.finish(cfg.orient_matched_statistic_sign === 1);
  const summary: LagSummaryRow[] = [];
  const Nreq: number[] = [];
  const orientation: number[] = [];
  for (let i = 0; i < lags.length; i++) {
    const lag = lags[i]!;
    const store = acc.stores[i]!;
    const nSamples = store.count; // n(ℓ) = Nseq_diag·(T-ℓ)
    const est = estimateAlpha(store.reservoir(), cfg.alpha_method, {
      minSamples: cfg.min_samples_alpha,
      seed: deriveSeed(cfg.w_seed, ALPHA_STREAM, lag),
      engine: acc.engine === 'js' ? 'js' : 'auto',
    });
    const mbar = Math.abs(store.mean);
    const det = detectLag({ mbar, alpha: est.alpha, sigma: est.sigma, nSamples, Ngrid, eps: cfg.eps });
    // CV of the first best_N oriented samples in stream order (NaN below 2 samples)
    const err = coefficientOfVariation(store.firstSamples(), det.best_N);
    summary.push({
      ell: lag,
      mu_l1_mean: env.muL1Mean[i]!,
      log_mu_l1_mean: env.logMuL1Mean[i]!,
      alpha_hat: est.alpha,
      sigma_alpha_hat: est.sigma,
      N_required_at_eps: det.N_required,
      best_snr: det.best_snr,
      err_at_best_snr: err,
      best_N_for_ell: det.best_N,
      mbar_scalar: mbar,
      alpha_reliable: est.reliable,
      alpha_method: est.method,
      n_samples: nSamples,
    });
    Nreq.push(det.N_required);
    orientation.push(store.orientation);
    opts.onLag?.(i + 1, lags.length);
  }

  return {
    lags,
    summary,
    muUnits: env.muUnits,
    H_N: learnabilityWindow(lags, Nreq, Ngrid),
    orientation,
    batchSize: Bmax,
  };
}

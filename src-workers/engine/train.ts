/**
 * The training loop (SCIENCE.md §3).
 *
 * Seeds. A run is (configuration, architecture, seed). From the run seed:
 *   init seed    = deriveSeed(seed, INIT_STREAM)          model initialisation,
 *   data seed    = deriveSeed(seed, DATA_STREAM)          the task (u and every sequence),
 *   shuffle seed = deriveSeed(seed, SHUFFLE_STREAM, epoch) the order of epoch `epoch`.
 * None depends on the architecture: the five models of one seed see the same
 * data in the same order, and tensors they have in common (e.g. W_x, W_h of
 * const/shared/diag) start from the same draws. A run is bit-reproducible on
 * one backend.
 *
 * Each epoch: a permutation of the training set (fresh from the epoch's seed),
 * mini-batches of batch_size (the last one may be smaller), loss = MSE over all
 * (b, t) (float64 reductions), gradient ∂L/∂ŷ = 2(ŷ - y)/(B·T), global-norm
 * clipping, one optimiser step. Then, with the epoch's final parameters and
 * forward passes only (EVAL_BATCH sequences at a time): train R² on the
 * first min(1024, Nseq_train) sequences of the epoch's permutation,
 * validation loss and R² on a FRESH validation set of
 * min(1024, max(batch_size, 256)) sequences. R² = 1 - SSE/SST with
 * SST = Σy² - n·ȳ² over all (b, t), in float64 (NaN when SST = 0).
 *
 * Gate statistics (epochs 0, k, 2k, … for k = gate_log_every ≥ 1; none when
 * k ≤ 0): before the first update of the epoch, a forward pass over the
 * epoch's first mini-batch records the §4.1 terms; their means over
 * (t, b, q) are stored (gate_s = 1 - leak for const/shared/diag, z = 1 - leak
 * for gru). The pass runs in chunks of at most GATE_RECORD_CHUNK sequences so
 * the record arrays stay small; a model that sums the terms itself
 * (`sumsTerms`: the GPU models, whose terms then stay on the device) gets
 * chunks of GATE_SUM_CHUNK and returns only the sums.
 *
 * Divergence: a non-finite training loss or gradient norm (or a non-finite
 * evaluation loss) stops the run at once: `diverged`, `divergedEpoch`, no row
 * for that epoch, and the parameters restored to those of the last completed
 * epoch (the initial ones if it was epoch 0).
 *
 * Backends. By default the model runs on the CPU kernels (WASM or TypeScript,
 * `kernels`), its arrays and the trainer's in one kernel arena. With
 * `createModel` (the worker passes the WebGPU models through it; the engine
 * imports no backend) the run is float32 and the trainer's buffers are plain
 * Float32Arrays; the hook returns a model with uninitialised parameters, which
 * the trainer initialises exactly as on the CPU (same seed, same layout), so a
 * run starts from the same parameters on every backend. Every model pass is
 * awaited (TrainableModel: a GPU pass ends with a read-back); for the
 * synchronous CPU models that is one microtask per pass, and the results are
 * those of the synchronous loop bit for bit.
 *
 * Loss: a model with `lossOnDevice` (the WebGPU models) computes each
 * mini-batch's Σ(ŷ − y)² and ∂L/∂ŷ itself, in float32 with a compensated sum
 * (ŷ and ∂L/∂ŷ never cross to the host); otherwise the loop above, in float64.
 *
 * Inputs (train-inputs.ts): a model that can hold them (the WebGPU models)
 * gets the training set once and each epoch's validation set, generated while
 * its device computes, and gathers every batch on the device; otherwise each
 * batch is generated on the host. The same sequences either way.
 */
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { GateStatRow, LearningCurveRow } from '../../src-shared/results';
import { createKernels, isArenaExhausted, MAX_WASM_CAPACITY_FLOATS, type KernelsKind } from './backend';
import type { FloatArray, Precision } from './kernels/types';
import { createInitialisedModel } from './models/index';
import { initParams } from './models/params';
import { RECORDED_TERMS, type MaybePromise, type ModelShape, type TrainableModel } from './models/types';
import { clipGradNorm, createOptimizer } from './optim';
import { deriveSeed, Rng } from './rng';
import { SyntheticTask, type DataSet } from './task';
import { createRunInputs, type RunInputs } from './train-inputs';

export interface TrainHooks {
  /** called after every completed epoch */
  onEpoch?(row: LearningCurveRow): void;
  /** polled before every mini-batch; true cancels the run */
  shouldStop?(): boolean;
  /** called after every mini-batch's update (0-based index in the epoch); the benchmark times the phases with it */
  onBatch?(epoch: number, batch: number): void;
}

export interface TrainOptions {
  precision?: Precision;
  kernels?: KernelsKind;
  hooks?: TrainHooks;
  /** sequences per evaluation forward pass (default EVAL_BATCH, at least batch_size) */
  evalBatch?: number;
  /**
   * Build the model elsewhere (the worker's WebGPU backend): called once with
   * the run's shape and sizes; its parameters are initialised by the trainer.
   * The run is then float32 (`precision` and `kernels` are ignored).
   */
  createModel?: CreateModelHook;
  /**
   * Keep the training and validation inputs on the model's device when it
   * offers that (train-inputs.ts; default true). The numbers are the same
   * either way; false feeds every batch from the host.
   */
  residentInputs?: boolean;
  /**
   * Benchmarks timing part of an epoch (fewer training sequences): the full
   * epoch's mini-batches, which size the validation set's slices
   * (train-inputs.ts), so each pass carries the host work a whole epoch's does.
   */
  epochBatches?: number;
}

/** A model factory for TrainOptions.createModel (parameters may be left uninitialised). */
export type CreateModelHook = (shape: ModelShape, opts: { maxBatch: number; maxT: number }) => Promise<TrainableModel<Float32Array>>;

export interface TrainResult {
  curve: LearningCurveRow[];
  gateStats: GateStatRow[];
  diverged: boolean;
  divergedEpoch: number | null;
  /** stopped by hooks.shouldStop() */
  cancelled: boolean;
  /** the trained model (the last finite parameters when diverged); dispose() it when done, if it has one */
  model: TrainableModel;
  task: SyntheticTask;
  kernelsName: string;
  /** the inputs were gathered on the model's device (train-inputs.ts), not fed from the host */
  residentInputs: boolean;
}

export const INIT_STREAM = 0x1417;
export const DATA_STREAM = 0xda7a;
export const SHUFFLE_STREAM = 0x5f1e;
/**
 * Default sequences per evaluation forward pass (the model's maxBatch is
 * max(batch_size, this)). Measured on the quick shapes (T 256, H 32), the
 * evaluation's CPU time is flat from 32 to 256 sequences per pass (the
 * per-step element-wise work dominates, not the GEMMs), while a larger
 * maxBatch enlarges every [T][maxBatch][·] model workspace: 256 cost
 * +60 MB peak RSS for gru/lstm on quick, and ~4x more than 64 at the
 * reference defaults (T 1024, H 64, batch 16).
 */
export const EVAL_BATCH = 64;
/** at most this many sequences per gate-recording forward pass */
export const GATE_RECORD_CHUNK = 32;
/** at most this many sequences per gate-statistics pass of a model with `sumsTerms` (its device holds 3 [T][chunk][H] terms) */
export const GATE_SUM_CHUNK = 128;

export function runSeeds(seed: number): { init: number; data: number } {
  return { init: deriveSeed(seed, INIT_STREAM), data: deriveSeed(seed, DATA_STREAM) };
}

/** Sequences of the train-R² evaluation: min(1024, Nseq_train). */
export function trainEvalSize(cfg: Pick<ExperimentConfig, 'Nseq_train'>): number {
  return Math.min(1024, cfg.Nseq_train);
}

/** Sequences of each epoch's fresh validation set: min(1024, max(batch_size, 256)). */
export function valSetSize(cfg: Pick<ExperimentConfig, 'batch_size'>): number {
  return Math.min(1024, Math.max(cfg.batch_size, 256));
}

/** The SyntheticTask of a run (what the diagnostics use too). */
export function createRunTask(cfg: ExperimentConfig, seed: number): SyntheticTask {
  return new SyntheticTask(
    { D: cfg.D, T: cfg.T, task_lags: cfg.task_lags, task_coeffs: cfg.task_coeffs, noise_std: cfg.noise_std },
    runSeeds(seed).data,
  );
}

/** The metric names of the gate statistics of an architecture, in file order. */
export function gateMetricNames(arch: ArchName): string[] {
  switch (arch) {
    case 'const':
    case 'shared':
    case 'diag':
      return ['gate_s_mean', 'leak_mean', 'rdiag_mean'];
    case 'gru':
      return ['z_mean', 'r_mean', 'leak_mean', 'rdiag_mean'];
    case 'lstm':
      return ['forget_mean', 'expr_mean', 'cdiag_mean'];
  }
}

/** R² = 1 - SSE/SST with SST = Σy² - n·ȳ² (NaN when SST ≤ 0). */
export function rSquared(sse: number, sumY: number, sumY2: number, n: number): number {
  const sst = sumY2 - (sumY * sumY) / n;
  return sst > 0 ? 1 - sse / sst : NaN;
}

interface Buffers {
  x: FloatArray;
  y: FloatArray;
  yhat: FloatArray;
  dyhat: FloatArray;
  record: Record<string, FloatArray>;
}

/**
 * Arena floats a run needs: the trainer's buffers exactly, plus a generous
 * bound on the model's workspaces (untouched WASM pages cost no memory). If it
 * is still too small the arena is doubled and the model rebuilt.
 */
function capacityEstimate(cfg: ExperimentConfig, maxBatch: number, recordChunk: number, nTerms: number): number {
  const { T, D, H } = cfg;
  const paramsBound = 4 * H * (D + H + 2) + 4 * H + 64;
  const trainer = maxBatch * T * (D + 2) + cfg.batch_size * T + nTerms * recordChunk * T * H;
  const model = maxBatch * T * (D + 1 + 40 * H) + 8 * paramsBound;
  return trainer + model + (1 << 20);
}

type Alloc = (n: number) => FloatArray;

function allocBuffers(alloc: Alloc, cfg: ExperimentConfig, arch: ArchName, maxBatch: number, recordChunk: number): Buffers {
  const { T, D, H } = cfg;
  const record: Record<string, FloatArray> = {};
  for (const name of RECORDED_TERMS[arch]) record[name] = alloc(recordChunk * T * H);
  return {
    x: alloc(maxBatch * T * D),
    y: alloc(maxBatch * T),
    yhat: alloc(maxBatch * T),
    dyhat: alloc(cfg.batch_size * T),
    record,
  };
}

/** Build kernels, model and buffers, growing the WASM arena when it is too small. */
function setUp(
  cfg: ExperimentConfig, arch: ArchName, initSeed: number, precision: Precision, kind: KernelsKind,
  maxBatch: number, recordChunk: number,
): { model: TrainableModel; buf: Buffers } {
  const shape = modelShape(cfg, arch);
  let capacity = Math.min(capacityEstimate(cfg, maxBatch, recordChunk, RECORDED_TERMS[arch].length), MAX_WASM_CAPACITY_FLOATS);
  for (;;) {
    const kernels = createKernels(kind, precision, capacity);
    try {
      const model = createInitialisedModel(shape, { kernels, maxBatch, maxT: cfg.T }, { seed: initSeed, orthInit: cfg.orth_init });
      const buf = allocBuffers((n) => kernels.alloc(n), cfg, arch, maxBatch, recordChunk);
      return { model, buf };
    } catch (err) {
      if (!isArenaExhausted(err)) throw err;
      if (capacity >= MAX_WASM_CAPACITY_FLOATS) {
        if (kind === 'auto') {
          kind = 'ts'; // too large for a wasm32 arena: plain typed arrays
          continue;
        }
        throw err;
      }
      capacity = Math.min(capacity * 2, MAX_WASM_CAPACITY_FLOATS);
    }
  }
}

function modelShape(cfg: ExperimentConfig, arch: ArchName): ModelShape {
  return { arch, D: cfg.D, H: cfg.H, layernorm: cfg.layernorm, constS: cfg.const_s };
}

/** The evaluation passes' batch of a run of `cfg` (at least the training batch; `evalBatch`: TrainOptions.evalBatch). */
export function evaluationBatch(cfg: ExperimentConfig, evalBatch = EVAL_BATCH): number {
  return Math.max(cfg.batch_size, Math.min(evalBatch, Math.max(trainEvalSize(cfg), valSetSize(cfg))));
}

/** The largest batch a run's model is made for (its maxBatch): the training or the evaluation batch. */
export function modelMaxBatch(cfg: ExperimentConfig, evalBatch = EVAL_BATCH): number {
  return Math.max(cfg.batch_size, evaluationBatch(cfg, evalBatch));
}

/** The hook's model, initialised as createInitialisedModel does, and plain Float32Array buffers. */
async function setUpWith(
  hook: CreateModelHook, cfg: ExperimentConfig, arch: ArchName, initSeed: number, maxBatch: number, recordChunk: number,
): Promise<{ model: TrainableModel; buf: Buffers }> {
  const shape = modelShape(cfg, arch);
  const model = await hook(shape, { maxBatch, maxT: cfg.T });
  try {
    if (model.maxBatch < maxBatch || model.maxT < cfg.T) {
      throw new RangeError(`createModel gave a model for ${model.maxBatch} × ${model.maxT} (batch × T); the run needs ${maxBatch} × ${cfg.T}`);
    }
    initParams(model.layout, model.params, { seed: initSeed, orthInit: cfg.orth_init, constS: shape.constS });
    // a model that sums the terms itself needs no record arrays here
    return { model, buf: allocBuffers((n) => new Float32Array(n), cfg, arch, maxBatch, model.sumsTerms ? 0 : recordChunk) };
  } catch (err) {
    model.dispose?.();
    throw err;
  }
}

export async function trainRun(
  cfg: ExperimentConfig,
  arch: ArchName,
  seed: number,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const precision = opts.precision ?? 'f32';
  const hooks = opts.hooks ?? {};
  const { T, batch_size: bs, Nseq_train: N } = cfg;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`batch_size must be a positive integer (got ${bs})`);
  if (!(Number.isInteger(N) && N >= 1)) throw new RangeError(`Nseq_train must be a positive integer (got ${N})`);

  const nTrainEval = trainEvalSize(cfg);
  const nVal = valSetSize(cfg);
  const evalBatch = evaluationBatch(cfg, opts.evalBatch);
  const maxBatch = modelMaxBatch(cfg, opts.evalBatch);
  const recordChunk = Math.min(bs, N, GATE_RECORD_CHUNK);

  const seeds = runSeeds(seed);
  const task = createRunTask(cfg, seed);
  const { model, buf } = opts.createModel
    ? await setUpWith(opts.createModel, cfg, arch, seeds.init, maxBatch, recordChunk)
    : setUp(cfg, arch, seeds.init, precision, opts.kernels ?? 'auto', maxBatch, recordChunk);
  const { x, y, yhat, dyhat, record } = buf;
  const P = model.layout.size;
  const params = model.params;
  const grads = model.grads;
  const optimizer = createOptimizer(cfg, P);
  const lastGood = Float64Array.from(params.subarray(0, P));

  let inputs: RunInputs;
  try {
    const batchesPerEpoch = opts.epochBatches ?? Math.ceil(N / bs);
    // the gate statistics' passes (recordGateStats: chunks of the first mini-batch) need their outputs at epoch 0
    const termSeqs = model.sumsTerms && cfg.gate_log_every >= 1 ? Math.min(GATE_SUM_CHUNK, maxBatch, bs, N) : 0;
    inputs = await createRunInputs(model, task, { nTrain: N, nVal, T, D: cfg.D, batchesPerEpoch, termSeqs }, x, y, maxBatch, opts.residentInputs ?? true);
  } catch (err) {
    model.dispose?.();
    throw err;
  }

  /**
   * Await a pass, doing host work meanwhile (`work`, then the inputs'
   * background work): a GPU pass has submitted its work before it first
   * awaits, so that work overlaps the device's (after a synchronous CPU
   * pass it simply follows).
   */
  const overlapped = async (pass: MaybePromise<void>, work?: () => void): Promise<void> => {
    try {
      work?.();
      inputs.background();
    } catch (err) {
      await Promise.resolve(pass).catch(() => {}); // the pass ends first; the host work's error is the one reported
      throw err;
    }
    await pass;
  };

  const perm = new Int32Array(N);
  const valIds = Int32Array.from({ length: nVal }, (_, i) => i);
  const shuffleRng = new Rng(0);
  const terms = RECORDED_TERMS[arch];
  const termSums = new Float64Array(terms.length);
  const chunkSums = new Float64Array(terms.length);
  const lossOut = new Float64Array(1);
  const metricNames = gateMetricNames(arch);

  const curve: LearningCurveRow[] = [];
  const gateStats: GateStatRow[] = [];
  let diverged = false;
  let divergedEpoch: number | null = null;
  let cancelled = false;

  /** Forward-only pass over sequences ids[0..n): SSE, Σy, Σy² in float64. */
  const evaluate = async (set: DataSet, epoch: number, ids: Int32Array, n: number): Promise<{ sse: number; r2: number }> => {
    let sse = 0;
    let sy = 0;
    let syy = 0;
    for (let start = 0; start < n; start += evalBatch) {
      const B = Math.min(evalBatch, n - start);
      const sub = ids.subarray(start, start + B);
      const rows = inputs.rows(set, epoch, sub, B, x, y);
      await overlapped(model.forward(x, B, T, yhat, { train: false, rows }), () => inputs.targets(set, epoch, sub, B, y));
      const m = T * B;
      for (let i = 0; i < m; i++) {
        const yi = y[i]!;
        const d = yhat[i]! - yi;
        sse += d * d;
        sy += yi;
        syy += yi * yi;
      }
    }
    return { sse, r2: rSquared(sse, sy, syy, n * T) };
  };

  /** §4.1 term means over the first mini-batch of the epoch (before its update). */
  const recordGateStats = async (epoch: number, B0: number): Promise<void> => {
    termSums.fill(0);
    const chunk = model.sumsTerms ? Math.min(GATE_SUM_CHUNK, maxBatch) : recordChunk;
    for (let start = 0; start < B0; start += chunk) {
      const B = Math.min(chunk, B0 - start);
      const rows = inputs.rows('train', 0, perm.subarray(start, start + B), B, x, y);
      if (model.sumsTerms) {
        await model.forward(x, B, T, yhat, { train: false, termSums: chunkSums, rows });
        for (let k = 0; k < terms.length; k++) termSums[k] += chunkSums[k]!;
        continue;
      }
      await model.forward(x, B, T, yhat, { train: false, record, rows });
      const m = T * B * cfg.H;
      for (let k = 0; k < terms.length; k++) {
        const a = record[terms[k]!]!;
        let s = 0;
        for (let i = 0; i < m; i++) s += a[i]!;
        termSums[k] += s;
      }
    }
    const count = T * B0 * cfg.H;
    const mean = (name: string): number => termSums[terms.indexOf(name)]! / count;
    const values: number[] =
      arch === 'lstm' ? [mean('forget'), mean('expr'), mean('cdiag')]
        : arch === 'gru' ? [1 - mean('leak'), mean('r'), mean('leak'), mean('rdiag')]
          : [1 - mean('leak'), mean('leak'), mean('rdiag')];
    for (let k = 0; k < values.length; k++) gateStats.push({ epoch, metric: metricNames[k]!, value: values[k]! });
  };

  const gateEvery = cfg.gate_log_every;
  const loop = async (): Promise<void> => {
    epochs: for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      for (let i = 0; i < N; i++) perm[i] = i;
      shuffleRng.reseed(deriveSeed(seed, SHUFFLE_STREAM, epoch));
      shuffleRng.shuffle(perm);
      inputs.beginEpoch(epoch);

      let sseTrain = 0;
      for (let start = 0; start < N; start += bs) {
        if (hooks.shouldStop?.()) {
          cancelled = true;
          break epochs;
        }
        const B = Math.min(bs, N - start);
        if (start === 0 && gateEvery > 0 && epoch % gateEvery === 0) await recordGateStats(epoch, B);

        const ids = perm.subarray(start, start + B);
        const rows = inputs.rows('train', 0, ids, B, x, y);
        const m = T * B;
        const scale = 2 / m;
        let sse = 0;
        if (model.lossOnDevice) {
          // ŷ and ∂L/∂ŷ stay on the device; the targets are the resident ones, or y as rows() filled it
          await overlapped(model.forward(x, B, T, yhat, { train: true, rows, loss: { scale, sse: lossOut, ...(rows ? {} : { y }) } }));
          sse = lossOut[0]!;
        } else {
          await overlapped(model.forward(x, B, T, yhat, { train: true, rows }), () => inputs.targets('train', 0, ids, B, y));
          for (let i = 0; i < m; i++) {
            const d = yhat[i]! - y[i]!;
            sse += d * d;
            dyhat[i] = scale * d;
          }
        }
        if (!Number.isFinite(sse)) {
          diverged = true;
          break epochs;
        }
        await overlapped(model.backward(model.lossOnDevice ? undefined : dyhat));
        const norm = clipGradNorm(grads, cfg.grad_clip, P);
        if (!Number.isFinite(norm)) {
          diverged = true;
          break epochs;
        }
        optimizer.step(params, grads);
        sseTrain += sse;
        hooks.onBatch?.(epoch, start / bs);
      }

      const trainEval = await evaluate('train', 0, perm, nTrainEval);
      const val = await evaluate('val', epoch, valIds, nVal);
      if (!Number.isFinite(trainEval.sse) || !Number.isFinite(val.sse)) {
        diverged = true;
        break;
      }
      const row: LearningCurveRow = {
        epoch,
        train_loss: sseTrain / (N * T), // = sample-weighted mean of the batch MSEs
        train_acc: trainEval.r2,
        val_loss: val.sse / (nVal * T),
        val_acc: val.r2,
      };
      curve.push(row);
      for (let i = 0; i < P; i++) lastGood[i] = params[i]!;
      hooks.onEpoch?.(row);
    }
  };
  try {
    await loop();
  } catch (err) {
    model.dispose?.(); // a backend's resources (GPU buffers) are not left behind
    throw err;
  } finally {
    inputs.dispose(); // the training set's device memory, before the diagnostics allocate theirs
  }

  if (diverged) {
    divergedEpoch = curve.length; // the epoch in progress
    params.set(lastGood);
  }
  return { curve, gateStats, diverged, divergedEpoch, cancelled, model, task, kernelsName: model.kernels.name, residentInputs: inputs.resident };
}

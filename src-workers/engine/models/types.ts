/**
 * The contract every architecture implements (SCIENCE.md §2, §4.1, §5).
 *
 * Conventions (all models, all backends):
 *  - Per-step arrays are TIME-MAJOR: element (t, b, q) of a [T][B][H] array is
 *    at ((t·B) + b)·H + q; inputs x are [T][B][D]; outputs ŷ and targets y are
 *    [T][B]. One time step is then one contiguous [B×·] block for the kernels.
 *  - A linear map y = x·W with x of size K and y of size N stores W as a K×N
 *    row-major block ("in × out"). Gate blocks of GRU/LSTM are concatenated
 *    along the output axis, so U_z[i][j] lives at U[i·(nG·H) + zBlock·H + j]
 *    and diag(U_z)[q] = U[q·(nG·H) + zBlock·H + q].
 *  - All parameters live in ONE flat array (`params`), gradients in another of
 *    the same layout (`grads`); `layout` names every tensor in it.
 */
import type { FloatArray, Kernels } from '../kernels/types';

export type Arch = 'const' | 'shared' | 'diag' | 'gru' | 'lstm';
export const ARCHS: readonly Arch[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

export interface ModelShape {
  arch: Arch;
  /** input size */
  D: number;
  /** hidden size */
  H: number;
  layernorm: boolean;
  /** ConstGate's fixed s, and the initial gate value of shared/diag (logit bias) */
  constS: number;
}

export type InitKind =
  | 'uniform' // U(±1/sqrt(fanIn))
  | 'zero'
  | 'one' // LayerNorm gain
  | 'logit'; // logit(constS): shared/diag gate bias

export interface ParamTensor {
  name: string;
  rows: number;
  cols: number;
  /** offset in the flat parameter array */
  offset: number;
  size: number;
  init: InitKind;
  fanIn: number;
  /**
   * Replaced by a random orthogonal matrix when `orth_init` is on. For a
   * concatenated gate matrix, each `orthBlockCols`-wide column block is made
   * orthogonal separately (one block per gate).
   */
  orth: boolean;
  orthBlockCols?: number;
}

export interface ParamLayout {
  tensors: ParamTensor[];
  size: number;
  byName: Record<string, ParamTensor>;
}

/**
 * The per-step diagonal Jacobian terms of §4.1, each a time-major [T][B][H]
 * array. Names per architecture:
 *   const/shared/diag: leak (= 1 - s_t), rdiag
 *   gru:               leak (= 1 - z_t), r, rdiag
 *   lstm:              forget (f_t), expr (e_t = o_t(1 - tanh² c_t)), cdiag
 */
export type RecordedTerms<A extends FloatArray = FloatArray> = Record<string, A>;

export const RECORDED_TERMS: Record<Arch, readonly string[]> = {
  const: ['leak', 'rdiag'],
  shared: ['leak', 'rdiag'],
  diag: ['leak', 'rdiag'],
  gru: ['leak', 'r', 'rdiag'],
  lstm: ['forget', 'expr', 'cdiag'],
};

export interface ForwardOptions<A extends FloatArray = FloatArray> {
  /** keep what backward() needs (training); false for evaluation */
  train: boolean;
  /** when given, fill these [T][B][H] arrays with the §4.1 terms */
  record?: RecordedTerms<A>;
  /** when given, receives the hidden states h_t, [T][B][H] */
  hidden?: A;
  /**
   * Take the B input sequences from the model's resident inputs
   * (createResidentInputs), sequences rows[0..B), instead of `x` (not read).
   */
  rows?: ArrayLike<number>;
  /**
   * A model with `sumsTerms`: receives Σ over all (t, b, q) of each §4.1
   * term, in RECORDED_TERMS order (float64), without the [T][B][H] arrays
   * (`record` is then not given).
   */
  termSums?: Float64Array;
  /**
   * A model with `lossOnDevice`, training passes only: compute the loss where
   * the model runs. ∂L/∂ŷ = scale·(ŷ − y) is kept for backward() called
   * without dyhat (an evaluation forward in between discards it), sse[0]
   * receives Σ(ŷ − y)² and yhat is not written. y: the targets [T][B], or, with `rows`, the resident
   * targets of those sequences (ResidentInputs.write's y).
   */
  loss?: { scale: number; sse: Float64Array; y?: A };
}

/** What a model keeps room for before it stores a run's inputs (TrainableModel.createResidentInputs). */
export interface ResidentReserve {
  /** sequences of the largest evaluation pass with ForwardOptions.termSums the run will make (its gate statistics; 0: none) */
  termSeqs: number;
}

/**
 * Input sequences held where the model computes (a GPU model's device
 * memory), written once and gathered by sequence index in forward() (its
 * `rows` option): the training set need not be generated and copied again
 * every epoch.
 */
export interface ResidentInputs {
  /** sequences the store holds (indices 0 … capacity−1) */
  readonly capacity: number;
  /**
   * Store x, time-major [T][count][D] as task.fill writes a batch, and its
   * targets y, [T][count], as sequences first … first+count−1.
   */
  write(first: number, count: number, x: Float32Array, y: Float32Array): void;
  /** release the store (forward() then refuses `rows`) */
  dispose(): void;
}

export interface Model<A extends FloatArray = FloatArray> {
  readonly shape: ModelShape;
  readonly layout: ParamLayout;
  readonly kernels: Kernels<A>;
  /** the largest batch forward/backward/tangent accept */
  readonly maxBatch: number;
  /** the sequence length the workspaces were sized for (calls may use T' ≤ T) */
  readonly maxT: number;
  /** flat parameters (allocated with kernels.alloc) */
  readonly params: A;
  /** flat gradients, same layout as params */
  readonly grads: A;

  /**
   * Run B sequences of length T from h_{-1} = 0.
   * x: [T][B][D] starting at x[0]; yhat (out): [T][B].
   */
  forward(x: A, B: number, T: number, yhat: A, opts: ForwardOptions<A>): void;

  /**
   * Backpropagation through time of the last forward(train: true) call.
   * dyhat: ∂L/∂ŷ, [T][B]. OVERWRITES `grads` with ∂L/∂θ.
   */
  backward(dyhat: A): void;

  /**
   * Forward-mode (tangent) pass: v_t = (∂h_t/∂θ)[dir] for a direction `dir`
   * in parameter space (flat, same layout as params), §5.
   * x: [T][B][D]; v (out): [T][B][H]; hidden (optional out): h_t, [T][B][H].
   */
  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void;
}

export interface ModelOptions<A extends FloatArray = FloatArray> {
  kernels: Kernels<A>;
  maxBatch: number;
  maxT: number;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * What the training loop and the diagnostics need from a model, whatever runs
 * it: the CPU models (`Model`, synchronous) and the WebGPU models
 * (src-workers/backends/webgpu, asynchronous: their passes end with a GPU
 * read-back) both satisfy it. Callers `await` every pass.
 *
 * `params` and `grads` are host arrays in the layout of `layout` (the same
 * layout on every backend, so parameters move between backends as they are).
 * A GPU model uploads `params` at the start of every forward() and tangent()
 * (the optimiser changes them in place between calls) and overwrites `grads`
 * at the end of backward().
 */
export interface TrainableModel<A extends FloatArray = FloatArray> {
  readonly shape: ModelShape;
  readonly layout: ParamLayout;
  /** the backend's name ('wasm', 'ts', 'webgpu', …) and its precision */
  readonly kernels: Pick<Kernels<A>, 'name' | 'precision'>;
  readonly maxBatch: number;
  readonly maxT: number;
  readonly params: A;
  readonly grads: A;
  forward(x: A, B: number, T: number, yhat: A, opts: ForwardOptions<A>): MaybePromise<void>;
  /** dyhat: ∂L/∂ŷ [T][B]; omitted after a forward with ForwardOptions.loss (the model's own) */
  backward(dyhat?: A): MaybePromise<void>;
  tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): MaybePromise<void>;
  /** forward() fills ForwardOptions.termSums (the GPU models: the terms stay on the device) */
  readonly sumsTerms?: boolean;
  /** forward() computes ForwardOptions.loss (the GPU models: ŷ and ∂L/∂ŷ stay on the device) */
  readonly lossOnDevice?: boolean;
  /**
   * Where the backend offers it: a store of `capacity` input sequences of
   * the model's maxT steps (replacing an earlier one) for forward()'s `rows`
   * option; null when it does not fit (the caller passes x as usual).
   * `reserve`: what the model makes room for first, so that the store takes
   * only what is left (a device that cannot hold both gets no store and runs
   * host-fed, instead of failing when the run first needs that room).
   */
  createResidentInputs?(capacity: number, reserve?: ResidentReserve): Promise<ResidentInputs | null>;
  /** release backend resources (GPU buffers); the model is unusable afterwards */
  dispose?(): void;
}

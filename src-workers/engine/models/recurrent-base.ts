/**
 * The scaffolding GRU and LSTM share (SCIENCE.md §2): parameters in the
 * gate-block layout (gate-blocks.ts), the time-major caches and per-step
 * workspaces both need, forward (recurrence, §4.1 record, read-out ŷ), and
 * the parts of backward and tangent that do not depend on the cell: the
 * output layer, Uᵀ, dW and db over all T·B rows, the LayerNorm parameter
 * sums, and the input part of the tangent pre-activations.
 *
 * A subclass allocates its own extra caches after `super()` and implements
 * the recurrence (`run`), the §4.1 terms (`record`), and the cell-specific
 * parts of `backward` (ending with dU) and `tangent`.
 */
import type { FloatArray, Kernels } from '../kernels/types';
import { checkBatch, copyN, gateBlockLayout, gateBlockOffsets, transposeInto, type GateBlockOffsets } from './gate-blocks';
import type { ForwardOptions, Model, ModelOptions, ModelShape, ParamLayout, RecordedTerms } from './types';

export abstract class GateBlockModel<A extends FloatArray> implements Model<A> {
  readonly layout: ParamLayout;
  readonly kernels: Kernels<A>;
  readonly maxBatch: number;
  readonly maxT: number;
  readonly params: A;
  readonly grads: A;

  protected readonly D: number;
  protected readonly H: number;
  /** nG·H: the width of the concatenated gate blocks */
  protected readonly G: number;
  protected readonly ln: boolean;
  protected readonly off: GateBlockOffsets;
  /** maxBatch · maxT: rows of the time-major caches */
  protected readonly rows: number;

  // time-major caches
  protected readonly X: A; // [T][B][D] copy of the inputs
  protected readonly gates: A; // [T][B][G] the activated gates (then dPre in backward)
  protected readonly hs: A; // [T][B][H] h_t
  protected readonly xhat: A; // [T][B][H] LayerNorm x̂ of the candidate
  protected readonly invStd: A; // [T][B]
  protected readonly lnParts: A; // [T][2H] per-step LayerNorm parameter gradients (backward)
  protected readonly Y: A; // [T][B] ŷ, then ∂L/∂ŷ
  // per-step workspaces
  protected readonly zeros: A; // [maxB][H] h_{-1} = 0 (never written)
  protected readonly tpre: A; // [maxB][G] tangent of the pre-activations
  protected readonly vA: A; // [maxB][H] tangent ping-pong
  protected readonly vB: A;
  protected readonly dir: A; // [P] copy of the tangent direction
  protected readonly Ut: A; // [G][H] Uᵀ (backward)

  /** batch and length of the last forward(train: true) whose caches backward may consume */
  protected trained: { B: number; T: number } | null = null;

  constructor(readonly shape: ModelShape, opts: ModelOptions<A>, nG: number) {
    const { D, H, layernorm } = shape;
    const { kernels: k, maxBatch, maxT } = opts;
    checkBatch(maxBatch, maxT, Infinity, Infinity);
    this.kernels = k;
    this.maxBatch = maxBatch;
    this.maxT = maxT;
    this.D = D;
    this.H = H;
    this.G = nG * H;
    this.ln = layernorm;
    this.layout = gateBlockLayout(D, H, nG, layernorm);
    this.off = gateBlockOffsets(this.layout);
    this.params = k.alloc(this.layout.size);
    this.grads = k.alloc(this.layout.size);
    const rows = maxBatch * maxT;
    this.rows = rows;
    this.X = k.alloc(rows * D);
    this.gates = k.alloc(rows * this.G);
    this.hs = k.alloc(rows * H);
    this.xhat = k.alloc(layernorm ? rows * H : 1);
    this.invStd = k.alloc(layernorm ? rows : 1);
    this.lnParts = k.alloc(layernorm ? maxT * 2 * H : 1);
    this.Y = k.alloc(rows);
    this.zeros = k.alloc(maxBatch * H);
    this.tpre = k.alloc(maxBatch * this.G);
    this.vA = k.alloc(maxBatch * H);
    this.vB = k.alloc(maxBatch * H);
    this.dir = k.alloc(this.layout.size);
    this.Ut = k.alloc(this.G * H);
  }

  /** The recurrence over T steps: fills gates, hs, the cell's own caches and the LN caches. */
  protected abstract run(B: number, T: number): void;

  /** The architecture's §4.1 terms from the caches of run(). */
  protected abstract record(B: number, T: number, rec: RecordedTerms<A>): void;

  abstract backward(dyhat: A): void;

  abstract tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void;

  forward(x: A, B: number, T: number, yhat: A, opts: ForwardOptions<A>): void {
    checkBatch(B, T, this.maxBatch, this.maxT);
    if (opts.rows) throw new Error('CPU model: forward() takes x (no resident inputs on the CPU)');
    if (opts.loss || opts.termSums) throw new Error('CPU model: the loss and the term sums are the caller\'s (record the terms instead)');
    const { kernels: k, H, off } = this;
    const n = T * B;
    this.trained = null;
    copyN(x, this.X, n * this.D);
    this.run(B, T);
    if (opts.record) this.record(B, T, opts.record);
    // ŷ = h W_out + b_out over all T·B rows at once
    k.gemmNN(n, 1, H, this.hs, 0, H, this.params, off.Wout, 1, this.Y, 0, 1, 0);
    const bout = this.params[off.bout]!;
    const Y = this.Y;
    for (let i = 0; i < n; i++) yhat[i] = Y[i]! + bout;
    if (opts.hidden) copyN(this.hs, opts.hidden, n * H);
    if (opts.train) this.trained = { B, T };
  }

  /**
   * Start of backward: takes the caches of the last forward(train: true)
   * (once), copies ∂L/∂ŷ into Y, writes the output-layer gradients
   * (dW_out = Hᵀ dŷ, db_out = Σ dŷ) and Uᵀ into Ut. Returns that forward's B, T.
   */
  protected beginBackward(dyhat: A): { B: number; T: number } {
    if (!dyhat) throw new Error('CPU model: backward() needs dyhat (the loss is the caller\'s)');
    const tr = this.trained;
    if (!tr) throw new Error('backward: no cached forward(train: true) to differentiate (caches are used once)');
    this.trained = null;
    const { kernels: k, H, G, off, params, grads, hs, Y } = this;
    const n = tr.T * tr.B;
    copyN(dyhat, Y, n);
    k.gemmTN(H, 1, n, hs, 0, H, Y, 0, 1, grads, off.Wout, 1, 0);
    k.sumRows(n, 1, Y, 0, 1, grads, off.bout);
    transposeInto(H, G, params, off.U, G, this.Ut, 0);
    return tr;
  }

  /**
   * After the backward recurrence (gates holds ∂L/∂a for all T·B rows):
   * dW = Xᵀ ∂a and db = Σ ∂a, one product each over all rows, and the
   * LayerNorm gain and bias gradients summed over the steps. dU is the cell's.
   */
  protected inputAndLayerNormGrads(B: number, T: number): void {
    const { kernels: k, D, H, G, ln, off, grads, gates, lnParts } = this;
    const n = T * B;
    const H2 = 2 * H;
    k.gemmTN(D, G, n, this.X, 0, D, gates, 0, G, grads, off.W, G, 0);
    k.sumRows(n, G, gates, 0, G, grads, off.b);
    if (ln) {
      k.sumRows(T, H, lnParts, 0, H2, grads, off.lnGain);
      k.sumRows(T, H, lnParts, H, H2, grads, off.lnBias);
    }
  }

  /** Start of tangent: checks, copies x and the direction (into `dir`), runs the recurrence. */
  protected beginTangent(x: A, B: number, T: number, dir: A): void {
    checkBatch(B, T, this.maxBatch, this.maxT);
    this.trained = null;
    copyN(x, this.X, T * B * this.D);
    copyN(dir, this.dir, this.layout.size);
    this.run(B, T);
  }

  /** tpre = x_t ∂W + ∂b for step t: the input part of the tangent pre-activations (§5). */
  protected tangentInputs(t: number, B: number): void {
    const { kernels: k, D, G, off, tpre } = this;
    const dp = this.dir;
    k.gemmNN(B, G, D, this.X, t * B * D, D, dp, off.W, G, tpre, 0, G, 0);
    k.addRowBias(B, G, tpre, 0, G, dp, off.b);
  }
}

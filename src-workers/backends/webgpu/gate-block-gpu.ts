/**
 * What the GPU models of LSTM and GRU share (the GPU counterpart of
 * engine/models/recurrent-base.ts; DESIGN.md §3): parameters in the
 * gate-block layout, the device caches, the persistent kernels' bindings and
 * dispatch, the weight-gradient reductions over all T·B rows, read-backs,
 * and dispose. A `GateBlockCell` (lstm-gpu.ts, gru-gpu.ts) supplies the WGSL
 * of one time step of each pass and its dU reduction.
 *
 * Passes (each ONE dispatch over all time steps, ceil(B/S) workgroups):
 *   forward (train)  X, P → ŷ and the caches gates [T][B][nG·H] (activated),
 *                    hs [T][B][H], aux [T][B][H] (LSTM c_t, GRU r⊙h_{t−1}),
 *                    LayerNorm x̂ [T][B][H] and 1/std [T][B]
 *   forward (eval)   X, P → ŷ, optionally the hidden states and the §4.1 terms;
 *                    touches no training cache (its own input buffer too)
 *   backward         overwrites gates in place with ∂L/∂(pre-activations) and
 *                    writes per-workgroup LayerNorm gain/bias partials; then
 *                    dW = Xᵀ·dPre, db = Σ dPre, dU (the cell's), the LN sums,
 *                    dW_out = Hᵀ·dŷ and db_out = Σ dŷ are reductions(ctx)
 *                    into the device gradient buffer, read back at once
 *   tangent          the forward recurrence and its tangent (§5) together,
 *                    v_t and optionally h_t; needs and touches no cache
 *
 * Host arrays are time-major like the CPU models (models/types.ts); `params`
 * is uploaded at every forward, tangent and backward (the CPU models read
 * their params at backward time too), and U's transpose (for the ∂h_{t−1}
 * carry, read contiguously by the threads) with it at backward.
 */
/// <reference types="@webgpu/types" />
import { checkBatch, gateBlockLayout, gateBlockOffsets, type GateBlockOffsets } from '../../engine/models/gate-blocks';
import type { Arch, ForwardOptions, ModelShape, ParamLayout, ResidentReserve } from '../../engine/models/types';
import { RECORDED_TERMS } from '../../engine/models/types';
import { reductions, type Reductions } from './reductions';
import { GpuResidentInputs, loadInputs, reserveOutputs } from './resident-inputs';
import { TermSums } from './term-sums';
import { DeviceLoss, checkLoss } from './device-loss';
import { createStorage, Kernel, readRegions, writeFloats, type ReadRegion } from './runtime';
import type { GpuContext, GpuKernelShape, GpuModel, GpuModelOptions } from './types';
import { WgslGen, type KernelShape } from './gate-block-gpu-wgsl';
import { ceilPow2, checkUnroll, DEFAULT_UNROLL, isPowerOfTwo, type UnrollSetting } from './wgsl-lib';

/** The buffers a cell's dU reduction reads (device, time-major, call batch B). */
export interface DuBuffers {
  red: Reductions;
  enc: GPUCommandEncoder;
  B: number;
  T: number;
  H: number;
  G: number;
  off: GateBlockOffsets;
  /** ∂L/∂(pre-activations) [T][B][G] after the backward kernel */
  dpre: GPUBuffer;
  hs: GPUBuffer;
  aux: GPUBuffer;
  grads: GPUBuffer;
}

/** The architecture-specific parts of a gate-block GPU model. */
export interface GateBlockCell {
  readonly arch: Extract<Arch, 'lstm' | 'gru'>;
  readonly nG: number;
  /** extra [S][H] workgroup rows of the forward and the tangent kernels (beyond h_{t−1}, v_{t−1}) */
  readonly extraRows: { forward: number; tangent: number };
  /** which [T][B][H] cache the backward kernel binds as AUX: the cell's own (LSTM c_t) or hs (GRU h_t) */
  readonly backwardAux: 'aux' | 'hs';
  /**
   * One forward step (WGSL, see gate-block-wgsl.ts). Defined: P, X, Y, the
   * arrays pre [nGate], xh, hst [nUnit] (h_{t−1} of own units), the
   * workgroup rows hw (h_{t−1}), the per-thread constants lng/lnb/wo{u}, bout.
   * train: writes GATES, HS, AUX, LNC; eval: HID (u.hid), R0..R2 (u.rec).
   * Must end with hst = h_t, hw = h_t and a barrier.
   */
  forwardStep(g: WgslGen, train: boolean): string;
  /** per-thread set-up of the forward kernel (e.g. diag(U) for the §4.1 terms) */
  forwardPrelude(g: WgslGen, train: boolean): string;
  /** extra workgroup declarations of the forward kernel */
  forwardWorkgroup(g: WgslGen): string;
  /**
   * One backward step. Defined: P, UT, Y, GATES, AUX, LNC, arrays dp [nGate],
   * xh, per-unit carries declared by backwardPrelude, workgroup rows dw [S][G],
   * constants lng/wo{u}. Must write ∂L/∂pre into GATES (valid rows).
   */
  backwardStep(g: WgslGen): string;
  backwardPrelude(g: WgslGen): string;
  /** One tangent step. Defined: X, P, DIR, V, HID, pre/tpre [nGate], hst/vst [nUnit], hw/vw rows. */
  tangentStep(g: WgslGen): string;
  tangentPrelude(g: WgslGen): string;
  tangentWorkgroup(g: WgslGen): string;
  /** dU into grads at off.U (over T·B rows of the time-major buffers) */
  encodeDU(b: DuBuffers): void;
}

/** Default threads per workgroup: one hidden unit each, 32 … 256 (or the device's maximum). */
function defaultWorkgroupSize(ctx: GpuContext, H: number): number {
  const cap = Math.min(256, ctx.limits.maxInvocationsPerWorkgroup, ctx.limits.maxWorkgroupSizeX);
  return Math.min(Math.max(ceilPow2(H), 32), cap);
}

/**
 * Default sequences per workgroup: enough workgroups to fill a large GPU
 * (~128 for the largest batch) while sharing each weight load among up to 8
 * sequences; then the largest that fits the workgroup memory.
 */
function defaultSeqsPerWorkgroup(maxBatch: number): number {
  return Math.max(1, Math.min(8, Math.floor(maxBatch / 128)));
}

export class GateBlockGpuModel implements GpuModel {
  readonly kernels = { name: 'webgpu', precision: 'f32' } as const;
  readonly layout: ParamLayout;
  readonly maxBatch: number;
  readonly maxT: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** sequences per workgroup and threads per workgroup of the kernels */
  readonly seqsPerWorkgroup: number;
  readonly workgroupSize: number;
  readonly tuning: GpuKernelShape;
  /** the unroll of the loops over D, H and G (the tuning's, else DEFAULT_UNROLL) */
  private readonly unroll: UnrollSetting;

  private readonly D: number;
  private readonly H: number;
  private readonly G: number;
  private readonly ln: boolean;
  private readonly off: GateBlockOffsets;
  private readonly rows: number;
  private readonly red: Reductions;
  private readonly termSums: TermSums;
  private readonly deviceLoss: DeviceLoss;
  /** forward() computes ForwardOptions.loss */
  readonly lossOnDevice = true;
  /** forward() fills ForwardOptions.termSums */
  readonly sumsTerms = true;
  private readonly utHost: Float32Array;

  private readonly owned: GPUBuffer[] = [];
  private readonly bP: GPUBuffer;
  private readonly bDir: GPUBuffer;
  private readonly bGrads: GPUBuffer;
  private readonly bUt: GPUBuffer;
  private readonly bXtrain: GPUBuffer;
  private readonly bXeval: GPUBuffer;
  private readonly bY: GPUBuffer;
  private readonly bGates: GPUBuffer;
  private readonly bHs: GPUBuffer;
  private readonly bAux: GPUBuffer;
  private readonly bLnc: GPUBuffer;
  private readonly bLnp: GPUBuffer;
  /** small distinct stand-ins for optional writable bindings (WebGPU forbids one buffer in two writable bindings) */
  private readonly dummies: GPUBuffer[];
  /** [T][B][H] outputs of the evaluation and tangent passes, created on first use */
  private readonly lazy = new Map<string, GPUBuffer>();

  private readonly kTrain: Kernel;
  private readonly kEval: Kernel;
  private readonly kBackward: Kernel;
  private readonly kTangent: Kernel;

  /** batch and length of the last forward(train: true), consumed by backward() */
  private trained: { B: number; T: number; deviceDy: boolean } | null = null;
  private disposed = false;
  /** the store forward()'s `rows` option gathers from (createResidentInputs) */
  private resident: GpuResidentInputs | null = null;

  constructor(private readonly ctx: GpuContext, readonly shape: ModelShape, opts: GpuModelOptions, private readonly cell: GateBlockCell) {
    if (shape.arch !== cell.arch) throw new Error(`${cell.arch} GPU model: arch '${shape.arch}' is not '${cell.arch}'`);
    const { D, H, layernorm } = shape;
    const { maxBatch, maxT } = opts;
    checkBatch(maxBatch, maxT, Infinity, Infinity);
    this.maxBatch = maxBatch;
    this.maxT = maxT;
    this.D = D;
    this.H = H;
    this.G = cell.nG * H;
    this.ln = layernorm;
    this.layout = gateBlockLayout(D, H, cell.nG, layernorm);
    this.off = gateBlockOffsets(this.layout);
    if (layernorm && this.off.lnBias !== this.off.lnGain + H) throw new Error('gate-block layout: ln_bias must follow ln_gain');
    this.params = new Float32Array(this.layout.size);
    this.grads = new Float32Array(this.layout.size);
    this.utHost = new Float32Array(this.G * H);
    this.rows = maxBatch * maxT;

    // kernel shape
    const WG = opts.tuning?.workgroupSize ?? defaultWorkgroupSize(ctx, H);
    if (!isPowerOfTwo(WG) || WG > ctx.limits.maxInvocationsPerWorkgroup || WG > ctx.limits.maxWorkgroupSizeX) {
      throw new RangeError(`workgroupSize ${WG} must be a power of two ≤ ${Math.min(ctx.limits.maxInvocationsPerWorkgroup, ctx.limits.maxWorkgroupSizeX)}`);
    }
    const limit = ctx.limits.maxWorkgroupStorageBytes;
    let S: number;
    if (opts.tuning?.seqsPerWorkgroup !== undefined) {
      S = opts.tuning.seqsPerWorkgroup;
      if (!Number.isInteger(S) || S < 1) throw new RangeError(`seqsPerWorkgroup must be a positive integer (got ${S})`);
      if (this.workgroupBytes(S, WG) > limit) {
        throw new RangeError(`seqsPerWorkgroup ${S} needs ${this.workgroupBytes(S, WG)} bytes of workgroup memory; the device has ${limit}`);
      }
    } else {
      S = Math.min(defaultSeqsPerWorkgroup(maxBatch), maxBatch);
      while (S > 1 && this.workgroupBytes(S, WG) > limit) S--;
      if (this.workgroupBytes(S, WG) > limit) {
        throw new RangeError(`${cell.arch} H=${H}: even one sequence per workgroup needs ${this.workgroupBytes(1, WG)} bytes of workgroup memory; the device has ${limit}`);
      }
    }
    this.seqsPerWorkgroup = S;
    this.workgroupSize = WG;
    const unroll = opts.tuning?.unroll === undefined ? DEFAULT_UNROLL : checkUnroll(opts.tuning.unroll, `${cell.arch} GPU model`);
    this.unroll = unroll;
    this.tuning = { workgroupSize: WG, seqsPerWorkgroup: S, unroll };
    this.red = reductions(ctx);
    this.termSums = new TermSums(ctx, this.red, 3, this.H);
    this.deviceLoss = new DeviceLoss(ctx, this.red, true);

    try {
      const rows = this.rows;
      const P = this.layout.size;
      const buf = (n: number, label: string): GPUBuffer => {
        const b = createStorage(ctx, n, `${cell.arch} ${label}`);
        this.owned.push(b);
        return b;
      };
      // the largest first: a configuration over the device's binding limit fails before allocating anything
      this.bGates = buf(rows * this.G, 'gates');
      this.bLnc = layernorm ? buf(rows * H + rows, 'layernorm cache') : buf(4, 'layernorm cache (unused)');
      this.bHs = buf(rows * H, 'h');
      this.bAux = buf(rows * H, cell.arch === 'lstm' ? 'c' : 'r*h');
      this.bXtrain = buf(rows * D, 'x (train)');
      this.bXeval = buf(rows * D, 'x (eval)');
      this.bY = buf(rows, 'yhat');
      this.bP = buf(P, 'params');
      this.bDir = buf(P, 'direction');
      this.bGrads = buf(P, 'grads');
      this.bUt = buf(this.G * H, 'U transposed');
      this.bLnp = layernorm ? buf(Math.ceil(maxBatch / S) * 2 * H, 'layernorm partials') : buf(4, 'layernorm partials (unused)');
      this.dummies = [0, 1, 2, 3].map((i) => buf(4, `unused ${i}`));

      const g = new WgslGen(this.kernelShape(S, WG));
      this.kTrain = this.compile('forward-train', this.forwardSource(g, true), 7, [0, 1]);
      this.kEval = this.compile('forward-eval', this.forwardSource(g, false), 7, [0, 1]);
      this.kBackward = this.compile('backward', this.backwardSource(g), 7, [0, 1, 2, 4, 5]);
      this.kTangent = this.compile('tangent', this.tangentSource(g), 5, [0, 1, 2]);
    } catch (err) {
      this.release();
      this.termSums.dispose();
      this.deviceLoss.dispose();
      throw err;
    }
  }

  private kernelShape(S: number, WG: number): KernelShape {
    return { D: this.D, H: this.H, nG: this.cell.nG, S, WG, ln: this.ln, off: this.off, isOff: this.rows * this.H, unroll: this.unroll };
  }

  /** The largest workgroup memory of the three kernels for S sequences and WG threads. */
  private workgroupBytes(S: number, WG: number): number {
    const { H, G } = this;
    const ex = this.cell.extraRows;
    const forward = S * H * (1 + ex.forward) + (this.ln ? 3 : 2) * S * WG;
    const backward = S * G + 2 * S * WG;
    const tangent = S * H * (2 + ex.tangent) + 2 * 2 * S * WG;
    return 4 * Math.max(forward, backward, tangent);
  }

  private compile(name: string, code: string, nStorage: number, readOnly: number[]): Kernel {
    return new Kernel(this.ctx, `${this.cell.arch}-${name}`, code, nStorage, { readOnly });
  }

  // ---------------------------------------------------------------------------
  // kernel sources
  // ---------------------------------------------------------------------------

  private forwardSource(g: WgslGen, train: boolean): string {
    const bindings: Array<[string, 'read' | 'rw']> = train
      ? [['X', 'read'], ['P', 'read'], ['Y', 'rw'], ['GATES', 'rw'], ['HS', 'rw'], ['AUX', 'rw'], ['LNC', 'rw']]
      : [['X', 'read'], ['P', 'read'], ['Y', 'rw'], ['HID', 'rw'], ['R0', 'rw'], ['R1', 'rw'], ['R2', 'rw']];
    return g.kernel({
      bindings,
      // with LayerNorm redA also carries ŷ_{t−1} (lnForward's readoutOf): 2S segments
      workgroup: [g.wgRows('hw'), this.cell.forwardWorkgroup(g), g.ln ? g.reduction('redA', 2 * g.S) + g.reduction('redB', g.S) : g.reductions(g.S)].join('\n'),
      prelude: [
        `  var pre: array<f32, ${g.nGate}>;`,
        `  var xh: array<f32, ${g.nUnit}>;`,
        `  var hst: array<f32, ${g.nUnit}>;`,
        this.paramPrelude(g, false),
        this.cell.forwardPrelude(g, train),
        g.zeroRows('hw'),
        '  workgroupBarrier();',
      ].join('\n'),
      step: this.cell.forwardStep(g, train),
      epilogue: g.ln ? g.finalReadout('hst') : '',
    });
  }

  private backwardSource(g: WgslGen): string {
    return g.kernel({
      bindings: [['P', 'read'], ['UT', 'read'], ['Y', 'read'], ['GATES', 'rw'], ['AUX', 'read'], ['LNC', 'read'], ['LNP', 'rw']],
      workgroup: [`var<workgroup> dw: array<f32, ${g.S * g.G}>;`, g.ln ? g.reduction('redA', 2 * g.S) : ''].join('\n'),
      prelude: [
        `  var dp: array<f32, ${g.nGate}>;`,
        `  var xh: array<f32, ${g.nUnit}>;`,
        this.paramPrelude(g, false),
        g.ln ? g.lnAccumulators() : '',
        this.cell.backwardPrelude(g),
      ].join('\n'),
      step: this.cell.backwardStep(g),
      reverse: true,
      epilogue: g.ln ? g.lnPartials() : '',
    });
  }

  private tangentSource(g: WgslGen): string {
    return g.kernel({
      bindings: [['X', 'read'], ['P', 'read'], ['DIR', 'read'], ['V', 'rw'], ['HID', 'rw']],
      workgroup: [g.wgRows('hw'), g.wgRows('vw'), this.cell.tangentWorkgroup(g), g.reductions(2 * g.S)].join('\n'),
      prelude: [
        `  var pre: array<f32, ${g.nGate}>;`,
        `  var tpre: array<f32, ${g.nGate}>;`,
        `  var hst: array<f32, ${g.nUnit}>;`,
        `  var vst: array<f32, ${g.nUnit}>;`,
        this.paramPrelude(g, true),
        this.cell.tangentPrelude(g),
        g.zeroRows('hw'),
        g.zeroRows('vw'),
        '  workgroupBarrier();',
      ].join('\n'),
      step: this.cell.tangentStep(g),
    });
  }

  /** Per-thread parameters constant over the pass: LN gain/bias (and the direction's), W_out, b_out. */
  private paramPrelude(g: WgslGen, tangent: boolean): string {
    const lines = [g.loadUnits('wo', 'P', 'OFF_WOUT'), '  let bout = P[OFF_BOUT];'];
    if (g.ln) {
      lines.push(g.loadUnits('lng', 'P', 'OFF_LNG'), g.loadUnits('lnb', 'P', 'OFF_LNB'));
      if (tangent) lines.push(g.loadUnits('dlng', 'DIR', 'OFF_LNG'), g.loadUnits('dlnb', 'DIR', 'OFF_LNB'));
    }
    return lines.join('\n');
  }

  // ---------------------------------------------------------------------------
  // passes
  // ---------------------------------------------------------------------------

  private live(): void {
    if (this.disposed) throw new Error(`${this.cell.arch} GPU model: used after dispose()`);
  }

  /**
   * A per-call output ([T][B][H] of the call, `floats` values) made on first
   * use at the size asked for and replaced by a larger one only when a call
   * needs more: the diagnostics' small batches never hold maxBatch-sized
   * buffers (at the paper size 256 MiB each instead of 32). Every pass reads
   * its outputs back before it returns, so a replaced buffer is not in use.
   */
  private lazyBuffer(name: string, floats: number): GPUBuffer {
    const cur = this.lazy.get(name);
    if (cur && cur.size >= floats * 4) return cur;
    const b = createStorage(this.ctx, floats, `${this.cell.arch} ${name}`); // first: a failure keeps the old one
    cur?.destroy();
    this.lazy.set(name, b);
    return b;
  }

  private groups(B: number): number[] {
    return [Math.ceil(B / this.seqsPerWorkgroup)];
  }

  async forward(x: Float32Array, B: number, T: number, yhat: Float32Array, opts: ForwardOptions<Float32Array>): Promise<void> {
    this.live();
    checkBatch(B, T, this.maxBatch, this.maxT);
    const { ctx, H } = this;
    const n = T * B;
    const record = opts.record ? this.recordArrays(opts.record, n * H) : null;
    const sums = this.termSums.requested(opts);
    const terms = record !== null || sums !== null;
    const loss = checkLoss(opts, n);
    const lossY = loss ? this.deviceLoss.targets(n) : undefined;
    if (opts.train) this.trained = null;
    // an evaluation pass rewrites bY, where a training pass's loss left ∂L/∂ŷ: backward() then needs dyhat again
    else if (this.trained) this.trained.deviceDy = false;
    writeFloats(ctx, this.bP, this.params);
    if (loss?.y) writeFloats(ctx, lossY!, loss.y, 0, n);
    const enc = ctx.device.createCommandEncoder();
    const regions: ReadRegion[] = [];
    let evalX: GPUBuffer | null = null;
    if (opts.train) {
      loadInputs(ctx, enc, this.bXtrain, x, B, T, this.D, opts.rows, this.resident, loss?.y ? undefined : lossY);
      this.kTrain.encode(enc, this.groups(B), [this.bXtrain, this.bP, this.bY, this.bGates, this.bHs, this.bAux, this.bLnc], [B, T, 0, 0]);
      if (opts.hidden) regions.push({ buf: this.bHs, n: n * H, into: opts.hidden });
      if (terms) evalX = this.bXtrain; // the §4.1 terms from an evaluation pass over the same inputs
    } else {
      loadInputs(ctx, enc, this.bXeval, x, B, T, this.D, opts.rows, this.resident);
      evalX = this.bXeval;
    }
    if (evalX) {
      const wantHidden = !opts.train && opts.hidden !== undefined;
      const hid = wantHidden ? this.lazyBuffer('hidden', n * H) : this.dummies[0]!;
      const recBufs = terms ? [0, 1, 2].map((k) => this.lazyBuffer(`record ${k}`, n * H)) : [this.dummies[1]!, this.dummies[2]!, this.dummies[3]!];
      this.kEval.encode(enc, this.groups(B), [evalX, this.bP, this.bY, hid, ...recBufs], [B, T, terms ? 1 : 0, wantHidden ? 1 : 0]);
      if (wantHidden) regions.push({ buf: hid, n: n * H, into: opts.hidden! });
      if (record) record.forEach((into, k) => regions.push({ buf: recBufs[k]!, n: n * H, into }));
      if (sums) regions.push(this.termSums.encode(enc, recBufs, n));
    }
    // the loss last (the evaluation kernel rewrites the same ŷ): ∂L/∂ŷ over ŷ in bY, where backward reads dŷ
    regions.push(loss ? this.deviceLoss.encode(enc, this.bY, null, n, loss.scale) : { buf: this.bY, n, into: yhat });
    await readRegions(ctx, regions, enc);
    if (sums) this.termSums.finish(sums);
    if (loss) loss.sse[0] = this.deviceLoss.sum;
    if (opts.train) this.trained = { B, T, deviceDy: loss !== null };
  }

  async backward(dyhat?: Float32Array): Promise<void> {
    this.live();
    const tr = this.trained;
    if (!tr) throw new Error('backward: no cached forward(train: true) to differentiate (caches are used once)');
    this.trained = null;
    if (dyhat === undefined && !tr.deviceDy) throw new Error('backward: without dyhat it needs a forward with loss');
    if (dyhat && dyhat.length < tr.T * tr.B) throw new RangeError(`backward: dyhat has ${dyhat.length} entries, needs ${tr.T * tr.B}`);
    const { ctx, H, G, D, off, red } = this;
    const { B, T } = tr;
    const n = T * B;
    writeFloats(ctx, this.bP, this.params);
    // Uᵀ: UT[q·H + i] = U[i·G + q], so that thread i reads Σ_q dPre_q U[i][q] contiguously
    const p = this.params, ut = this.utHost;
    for (let i = 0; i < H; i++) {
      const so = off.U + i * G;
      for (let q = 0; q < G; q++) ut[q * H + i] = p[so + q]!;
    }
    writeFloats(ctx, this.bUt, ut);
    if (dyhat) writeFloats(ctx, this.bY, dyhat, 0, n); // else the forward's loss left ∂L/∂ŷ there
    const enc = ctx.device.createCommandEncoder();
    const aux = this.cell.backwardAux === 'aux' ? this.bAux : this.bHs;
    this.kBackward.encode(enc, this.groups(B), [this.bP, this.bUt, this.bY, this.bGates, aux, this.bLnc, this.bLnp], [B, T, 0, 0]);
    const gr = this.bGrads;
    // dW = Xᵀ·dPre, db = Σ dPre over all T·B rows
    red.gemmTN(enc, { rows: n, m: D, n: G, a: this.bXtrain, aOff: 0, lda: D, b: this.bGates, bOff: 0, ldb: G, c: gr, cOff: off.W, ldc: G });
    red.colSums(enc, { rows: n, n: G, a: this.bGates, aOff: 0, lda: G, c: gr, cOff: off.b });
    this.cell.encodeDU({ red, enc, B, T, H, G, off, dpre: this.bGates, hs: this.bHs, aux: this.bAux, grads: gr });
    // LayerNorm gain and bias: the per-workgroup partials [nWG][2H] summed
    if (this.ln) red.colSums(enc, { rows: this.groups(B)[0]!, n: 2 * H, a: this.bLnp, aOff: 0, lda: 2 * H, c: gr, cOff: off.lnGain });
    // output layer: dW_out = Hᵀ·dŷ, db_out = Σ dŷ
    red.gemmTN(enc, { rows: n, m: H, n: 1, a: this.bHs, aOff: 0, lda: H, b: this.bY, bOff: 0, ldb: 1, c: gr, cOff: off.Wout, ldc: 1 });
    red.colSums(enc, { rows: n, n: 1, a: this.bY, aOff: 0, lda: 1, c: gr, cOff: off.bout });
    await readRegions(ctx, [{ buf: gr, n: this.layout.size, into: this.grads }], enc);
  }

  async tangent(x: Float32Array, B: number, T: number, dir: Float32Array, v: Float32Array, hidden?: Float32Array): Promise<void> {
    this.live();
    checkBatch(B, T, this.maxBatch, this.maxT);
    const { ctx, H } = this;
    const n = T * B;
    if (dir.length < this.layout.size) throw new RangeError(`tangent: direction has ${dir.length} entries, needs ${this.layout.size}`);
    writeFloats(ctx, this.bP, this.params);
    writeFloats(ctx, this.bDir, dir, 0, this.layout.size);
    writeFloats(ctx, this.bXeval, x, 0, n * this.D);
    const vb = this.lazyBuffer('tangent', n * H);
    const hid = hidden ? this.lazyBuffer('hidden', n * H) : this.dummies[0]!;
    const enc = ctx.device.createCommandEncoder();
    this.kTangent.encode(enc, this.groups(B), [this.bXeval, this.bP, this.bDir, vb, hid], [B, T, 0, hidden ? 1 : 0]);
    const regions: ReadRegion[] = [{ buf: vb, n: n * H, into: v }];
    if (hidden) regions.push({ buf: hid, n: n * H, into: hidden });
    await readRegions(ctx, regions, enc);
  }

  private recordArrays(rec: Record<string, Float32Array>, n: number): Float32Array[] {
    return RECORDED_TERMS[this.cell.arch].map((name) => {
      const a = rec[name];
      if (!a) throw new Error(`record: missing array '${name}'`);
      if (a.length < n) throw new RangeError(`record: '${name}' has ${a.length} entries, needs ${n}`);
      return a;
    });
  }

  private release(): void {
    for (const b of this.owned.splice(0)) b.destroy();
    for (const b of this.lazy.values()) b.destroy();
    this.lazy.clear();
  }

  async createResidentInputs(capacity: number, reserve?: ResidentReserve): Promise<GpuResidentInputs | null> {
    this.live();
    this.resident?.dispose();
    this.resident = null;
    // the term outputs of the gate statistics' passes first: the store takes what is left
    const termFloats = (reserve?.termSeqs ?? 0) * this.maxT * this.H;
    if (termFloats > 0 && !(await reserveOutputs(this.ctx, [0, 1, 2].map((k) => `record ${k}`), (name) => this.lazyBuffer(name, termFloats), (name) => {
      this.lazy.get(name)?.destroy();
      this.lazy.delete(name);
    }))) return null;
    this.resident = await GpuResidentInputs.create(this.ctx, capacity, this.maxT, this.D, this.maxBatch);
    return this.resident;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.trained = null;
    this.resident?.dispose();
    this.resident = null;
    this.termSums.dispose();
    this.deviceLoss.dispose();
    this.release();
  }

  /** Device buffers currently held (tests: dispose releases them all). */
  get bufferCount(): number {
    return this.owned.length + this.lazy.size;
  }

  /** Their bytes (tests: per-call outputs follow the calls, not maxBatch). */
  get bufferBytes(): number {
    let n = 0;
    for (const b of this.owned) n += b.size;
    for (const b of this.lazy.values()) n += b.size;
    return n;
  }
}

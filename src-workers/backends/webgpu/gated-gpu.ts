/**
 * The WebGPU models of the single-gate cells const / shared / diag
 * (SCIENCE.md §2, §4.1, §5): the same mathematics, parameter layout
 * (gatedLayout) and caller conventions as the CPU model
 * engine/models/gated.ts, run as persistent kernels (gated-gpu-wgsl.ts):
 *
 *  - forward(train): one dispatch over all T steps writes the training
 *    caches (x, h, h̃, x̂ and 1/std, s; time-major, the CPU's layout) and ŷ;
 *  - forward(eval): another pipeline of the same kernel writes ŷ and, when
 *    asked, h_t and the §4.1 terms; it never touches the training caches, so
 *    an evaluation (or a tangent) between forward(train) and backward() is
 *    harmless, as on the CPU;
 *  - backward(): W_hᵀ (and U_sᵀ) by a tiny kernel, one dispatch of
 *    backpropagation through time that leaves ∂L/∂a_t and ∂L/∂p_t in the h̃
 *    and s caches, then every weight gradient as one reduction over all T·B
 *    rows (reductions.ts) into a device gradient buffer laid out like the
 *    parameters, read back once;
 *  - tangent(): one dispatch running the recurrence with its tangent.
 *
 * Each pass uploads `params` (and x, ∂L/∂ŷ, the direction) with queue writes,
 * encodes its dispatches in one command encoder and ends with ONE read-back
 * of everything the caller asked for.
 *
 * Kernel shape: threads per workgroup WG (a power of two, default ⌈H⌉₂ ≤ 256)
 * and sequences per workgroup S (default DEFAULT_SEQS, fewer when the
 * workgroup memory limit or maxBatch says so); both can be forced with
 * opts.tuning. Tuning on a real GPU: S trades weight-load sharing (larger)
 * against workgroups in flight (B/S; B = 512 gives 128 at S = 4), and WG = H
 * keeps one unit per thread; opts.tuning.unroll sets the unroll factor of the
 * loops over D and H (default rolled, wgsl-lib DEFAULT_UNROLL).
 */
/// <reference types="@webgpu/types" />
import { gatedLayout, gateWidth } from '../../engine/models/gated';
import { checkBatch } from '../../engine/models/gate-blocks';
import type { ForwardOptions, ModelShape, ResidentReserve } from '../../engine/models/types';
import {
  backwardKernel, forwardKernel, tangentKernel, transposedFloats, transposeKernel, workgroupFloats,
  type GatedKernelSpec, type GatedOffsets, type KernelSource,
} from './gated-gpu-wgsl';
import { reductions } from './reductions';
import { GpuResidentInputs, loadInputs, reserveOutputs } from './resident-inputs';
import { TermSums } from './term-sums';
import { DeviceLoss, checkLoss } from './device-loss';
import { createStorage, encodeClear, flatGrid, Kernel, readRegions, writeFloats, type ReadRegion } from './runtime';
import type { GpuContext, GpuModel, GpuModelOptions } from './types';
import { ceilPow2, checkUnroll, DEFAULT_UNROLL, isPowerOfTwo, type UnrollSetting } from './wgsl-lib';

/** Sequences per workgroup by default (B = 512 → 128 workgroups); see the file comment. */
export const DEFAULT_SEQS = 4;
/** Largest default workgroup. */
const MAX_DEFAULT_WG = 256;

type GatedArch = 'const' | 'shared' | 'diag';

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`gated GPU model: ${name} must be a positive integer, got ${v}`);
}

/** The kernel shape (WG, S) for a model, from the tuning overrides and the device limits. */
export function gatedKernelShape(
  ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions,
): { WG: number; S: number; unroll: UnrollSetting } {
  const L = ctx.limits;
  const maxWG = Math.min(L.maxInvocationsPerWorkgroup, L.maxWorkgroupSizeX);
  const t = opts.tuning ?? {};
  const unroll = t.unroll === undefined ? DEFAULT_UNROLL : checkUnroll(t.unroll, 'gated GPU model');
  let WG: number;
  if (t.workgroupSize !== undefined) {
    if (!isPowerOfTwo(t.workgroupSize) || t.workgroupSize > maxWG) {
      throw new RangeError(`gated GPU model: workgroupSize must be a power of two ≤ ${maxWG}, got ${t.workgroupSize}`);
    }
    WG = t.workgroupSize;
  } else {
    WG = Math.min(ceilPow2(shape.H), MAX_DEFAULT_WG, maxWG);
    while (!isPowerOfTwo(WG)) WG--; // maxWG need not be a power of two
  }
  const bytes = (S: number): number => {
    const f = workgroupFloats(specFor(shape, S, WG, emptyOffsets(), 0));
    return 4 * Math.max(f.forward, f.backward, f.tangent);
  };
  const limit = L.maxWorkgroupStorageBytes;
  if (t.seqsPerWorkgroup !== undefined) {
    positiveInt('seqsPerWorkgroup', t.seqsPerWorkgroup);
    if (bytes(t.seqsPerWorkgroup) > limit) {
      throw new RangeError(
        `gated GPU model: ${t.seqsPerWorkgroup} sequences per workgroup need ${bytes(t.seqsPerWorkgroup)} bytes of workgroup memory, the device has ${limit}`,
      );
    }
    return { WG, S: t.seqsPerWorkgroup, unroll };
  }
  let S = Math.min(DEFAULT_SEQS, opts.maxBatch);
  while (S > 1 && bytes(S) > limit) S--;
  if (bytes(S) > limit) {
    throw new RangeError(`gated GPU model: H = ${shape.H} needs ${bytes(S)} bytes of workgroup memory, the device has ${limit}`);
  }
  return { WG, S, unroll };
}

function emptyOffsets(): GatedOffsets {
  return { Wx: 0, bx: 0, Wh: 0, gain: -1, beta: -1, Ws: -1, Us: -1, bs: -1, Wout: 0, bout: 0 };
}

function specFor(shape: ModelShape, S: number, WG: number, off: GatedOffsets, isOff: number): GatedKernelSpec {
  return { D: shape.D, H: shape.H, G: gateWidth(shape), ln: shape.layernorm, constS: shape.constS, S, WG, off, isOff };
}

function kernel(ctx: GpuContext, label: string, src: KernelSource): Kernel {
  return new Kernel(ctx, label, src.code, src.nStorage, { readOnly: src.readOnly });
}

export function createGatedGpuModel(ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions): GpuModel {
  const { arch, D, H, constS } = shape;
  if (arch !== 'const' && arch !== 'shared' && arch !== 'diag') throw new Error(`createGatedGpuModel: unsupported architecture '${arch}'`);
  const gArch: GatedArch = arch;
  positiveInt('D', D);
  positiveInt('H', H);
  positiveInt('maxBatch', opts.maxBatch);
  positiveInt('maxT', opts.maxT);
  if (!(constS >= 0 && constS <= 1)) throw new RangeError(`gated GPU model: constS must lie in [0, 1], got ${constS}`);
  const { maxBatch, maxT } = opts;
  const ln = shape.layernorm;
  const G = gateWidth(shape);
  const layout = gatedLayout(shape);
  const P = layout.size;
  const o = (name: string): number => layout.byName[name]?.offset ?? -1;
  const off: GatedOffsets = {
    Wx: o('W_x'), bx: o('b_x'), Wh: o('W_h'), gain: o('ln_gain'), beta: o('ln_bias'),
    Ws: o(gArch === 'shared' ? 'w_s' : 'W_s'), Us: o(gArch === 'shared' ? 'u_s' : 'U_s'), bs: o('b_s'),
    Wout: o('W_out'), bout: o('b_out'),
  };
  const N = maxT * maxBatch; // rows of the time-major caches
  const { WG, S, unroll } = gatedKernelShape(ctx, shape, opts);
  const spec: GatedKernelSpec = { ...specFor(shape, S, WG, off, N * H), unroll };
  const maxGroups = Math.ceil(maxBatch / S);
  if (maxGroups > ctx.limits.maxWorkgroupsPerDimension) {
    throw new RangeError(`gated GPU model: maxBatch ${maxBatch} needs ${maxGroups} workgroups, the device allows ${ctx.limits.maxWorkgroupsPerDimension}`);
  }

  // ---- device buffers ----
  const owned: GPUBuffer[] = [];
  const buf = (floats: number, label: string): GPUBuffer => {
    const b = createStorage(ctx, floats, `${arch} ${label}`);
    owned.push(b);
    return b;
  };
  // the h cache (the largest buffer unless D > H) first, and before compiling: a configuration too
  // large for the device fails (createStorage's RangeError) before allocating anything big
  const allocate = () => ({
    hC: buf((maxT + 1) * maxBatch * H, 'h cache'),
    pBuf: buf(P, 'params'),
    dirBuf: buf(P, 'direction'),
    gBuf: buf(P, 'grads'),
    wtBuf: buf(transposedFloats(spec), 'W_hᵀ, U_sᵀ'),
    xC: buf(N * D, 'x (training)'),
    xE: buf(N * D, 'x (evaluation, tangent)'),
    aC: buf(N * H, 'h̃ cache'),
    lnC: ln ? buf(N * H + N, 'LayerNorm cache') : null,
    sC: G > 0 ? buf(N * G, 's cache') : null,
    yBuf: buf(N, 'ŷ'),
    dyBuf: buf(N, '∂L/∂ŷ'),
    lnP: ln ? buf(maxGroups * 2 * H, 'LayerNorm gradient partials') : null,
    // bound where a kernel's optional output is not wanted (never written then)
    dummies: [buf(4, 'unused output 1'), buf(4, 'unused output 2'), buf(4, 'unused output 3')],
  });
  let bufs0: ReturnType<typeof allocate>;
  try {
    bufs0 = allocate();
  } catch (err) {
    for (const b of owned) b.destroy();
    throw err;
  }
  const { pBuf, dirBuf, gBuf, wtBuf, xC, xE, hC, aC, lnC, sC, yBuf, dyBuf, lnP, dummies } = bufs0;
  // ---- kernels (compiled once) ----
  const kFwdTrain = kernel(ctx, `${arch}-forward-train`, forwardKernel(spec, 'train'));
  const kFwdEval = kernel(ctx, `${arch}-forward-eval`, forwardKernel(spec, 'eval'));
  const kBwd = kernel(ctx, `${arch}-backward`, backwardKernel(spec));
  const kTan = kernel(ctx, `${arch}-tangent`, tangentKernel(spec));
  const kT = kernel(ctx, `${arch}-transpose`, transposeKernel(spec));
  const red = reductions(ctx);
  const termSums = new TermSums(ctx, red, 2, H); // leak, rdiag
  const deviceLoss = new DeviceLoss(ctx, red, false);

  /**
   * [T][B][H] outputs of a call (hidden; leak / v; rdiag): made on first use at
   * the size asked for, replaced by a larger one only when a call needs more
   * (the diagnostics' small batches never hold maxBatch-sized buffers). Every
   * pass reads its outputs back before it returns, so a replaced one is idle.
   */
  const outs: (GPUBuffer | null)[] = [null, null, null];
  const out = (i: number, floats: number): GPUBuffer => {
    const cur = outs[i];
    if (cur && cur.size >= floats * 4) return cur;
    const b = buf(floats, `output ${i + 1}`); // first: a failure keeps the old one
    if (cur) {
      owned.splice(owned.indexOf(cur), 1);
      cur.destroy();
    }
    return (outs[i] = b);
  };

  const params = new Float32Array(P);
  const grads = new Float32Array(P);
  let trained: { B: number; T: number; deviceDy: boolean } | null = null;
  let disposed = false;

  function live(): void {
    if (disposed) throw new Error(`the ${arch} GPU model was disposed`);
  }

  function checkLen(name: string, a: ArrayLike<number>, n: number): void {
    if (a.length < n) throw new RangeError(`gated GPU model: ${name} has ${a.length} entries, needs ${n}`);
  }

  function groups(B: number): number[] {
    return [Math.ceil(B / S)];
  }

  async function forward(x: Float32Array, B: number, T: number, yhat: Float32Array, fo: ForwardOptions<Float32Array>): Promise<void> {
    live();
    checkBatch(B, T, maxBatch, maxT);
    const n = T * B;
    checkLen('yhat', yhat, n);
    const rec = fo.record;
    const leak = rec?.['leak'];
    const rdiag = rec?.['rdiag'];
    if (rec && (!leak || !rdiag)) throw new Error(`gated GPU model: record needs 'leak' and 'rdiag' arrays`);
    if (leak) checkLen('record.leak', leak, n * H);
    if (rdiag) checkLen('record.rdiag', rdiag, n * H);
    if (fo.hidden) checkLen('hidden', fo.hidden, n * H);
    const sums = termSums.requested(fo);
    const terms = rec !== undefined || sums !== null;
    const loss = checkLoss(fo, n);
    const lossY = loss ? deviceLoss.targets(n) : undefined;

    writeFloats(ctx, pBuf, params, 0, P);
    if (loss?.y) writeFloats(ctx, lossY!, loss.y, 0, n);
    const enc = ctx.device.createCommandEncoder();
    const regions: ReadRegion[] = [];
    const flags = (fo.hidden ? 1 : 0) | (terms ? 2 : 0);
    const evalBuffers = (xb: GPUBuffer): GPUBuffer[] => [
      xb, pBuf, yBuf, fo.hidden ? out(0, n * H) : dummies[0]!, terms ? out(1, n * H) : dummies[1]!, terms ? out(2, n * H) : dummies[2]!,
    ];
    if (fo.train) {
      trained = null;
      loadInputs(ctx, enc, xC, x, B, T, D, fo.rows, resident, loss?.y ? undefined : lossY);
      encodeClear(enc, hC, 0, B * H); // h_{−1} = 0
      const bufs = [xC, pBuf, yBuf, hC, aC];
      if (lnC) bufs.push(lnC);
      if (sC) bufs.push(sC);
      kFwdTrain.encode(enc, groups(B), bufs, [B, T, 0, 0]);
      // what the caller also asked for: the evaluation kernel on the same inputs (same ŷ)
      if (flags !== 0) kFwdEval.encode(enc, groups(B), evalBuffers(xC), [B, T, flags, 0]);
    } else {
      if (trained) trained.deviceDy = false; // the contract of both model families: backward() without dyhat follows its loss pass
      loadInputs(ctx, enc, xE, x, B, T, D, fo.rows, resident);
      kFwdEval.encode(enc, groups(B), evalBuffers(xE), [B, T, flags, 0]);
    }
    if (fo.hidden) regions.push({ buf: out(0, n * H), n: n * H, into: fo.hidden });
    if (leak && rdiag) regions.push({ buf: out(1, n * H), n: n * H, into: leak }, { buf: out(2, n * H), n: n * H, into: rdiag });
    if (sums) regions.push(termSums.encode(enc, [out(1, n * H), out(2, n * H)], n));
    // the loss last (the evaluation kernel rewrites the same ŷ): ∂L/∂ŷ into dyBuf for backward, ŷ not read back
    regions.push(loss ? deviceLoss.encode(enc, yBuf, dyBuf, n, loss.scale) : { buf: yBuf, n, into: yhat });
    await readRegions(ctx, regions, enc);
    if (sums) termSums.finish(sums);
    if (loss) loss.sse[0] = deviceLoss.sum;
    if (fo.train) trained = { B, T, deviceDy: loss !== null };
  }

  async function backward(dyhat?: Float32Array): Promise<void> {
    live();
    if (!trained) throw new Error('gated GPU model: backward() needs a preceding forward(train: true) (the caches are consumed by backward)');
    const { B, T, deviceDy } = trained;
    trained = null;
    const n = T * B;
    if (dyhat === undefined && !deviceDy) throw new Error('gated GPU model: backward() without dyhat needs a forward with loss');
    if (dyhat) checkLen('dyhat', dyhat, n);
    // the weights backward multiplies by are the current ones, as on the CPU
    writeFloats(ctx, pBuf, params, 0, P);
    if (dyhat) writeFloats(ctx, dyBuf, dyhat, 0, n); // else the forward's loss left ∂L/∂ŷ there
    const enc = ctx.device.createCommandEncoder();
    kT.encode(enc, flatGrid(ctx, transposedFloats(spec), 64), [pBuf, wtBuf]);
    const bufs = [pBuf, wtBuf, hC, aC];
    if (lnC) bufs.push(lnC);
    if (sC) bufs.push(sC);
    bufs.push(dyBuf);
    if (lnP) bufs.push(lnP);
    kBwd.encode(enc, groups(B), bufs, [B, T, 0, 0]);

    // weight gradients over all T·B rows (aC holds ∂L/∂a, sC ∂L/∂p; hC block 0 is h_{−1} = 0)
    red.gemmTN(enc, { rows: n, m: D, n: H, a: xC, aOff: 0, lda: D, b: aC, bOff: 0, ldb: H, c: gBuf, cOff: off.Wx, ldc: H });
    red.gemmTN(enc, { rows: n, m: H, n: H, a: hC, aOff: 0, lda: H, b: aC, bOff: 0, ldb: H, c: gBuf, cOff: off.Wh, ldc: H });
    red.colSums(enc, { rows: n, n: H, a: aC, aOff: 0, lda: H, c: gBuf, cOff: off.bx });
    if (lnP) {
      // per-workgroup partials [groups][gain H | bias H]; ln_gain and ln_bias are adjacent in the layout
      red.colSums(enc, { rows: Math.ceil(B / S), n: 2 * H, a: lnP, aOff: 0, lda: 2 * H, c: gBuf, cOff: off.gain });
    }
    if (sC) {
      red.gemmTN(enc, { rows: n, m: D, n: G, a: xC, aOff: 0, lda: D, b: sC, bOff: 0, ldb: G, c: gBuf, cOff: off.Ws, ldc: G });
      red.gemmTN(enc, { rows: n, m: H, n: G, a: hC, aOff: 0, lda: H, b: sC, bOff: 0, ldb: G, c: gBuf, cOff: off.Us, ldc: G });
      red.colSums(enc, { rows: n, n: G, a: sC, aOff: 0, lda: G, c: gBuf, cOff: off.bs });
    }
    red.gemmTN(enc, { rows: n, m: H, n: 1, a: hC, aOff: B * H, lda: H, b: dyBuf, bOff: 0, ldb: 1, c: gBuf, cOff: off.Wout, ldc: 1 });
    red.colSums(enc, { rows: n, n: 1, a: dyBuf, aOff: 0, lda: 1, c: gBuf, cOff: off.bout });
    await readRegions(ctx, [{ buf: gBuf, n: P, into: grads }], enc);
  }

  async function tangent(x: Float32Array, B: number, T: number, dir: Float32Array, v: Float32Array, hidden?: Float32Array): Promise<void> {
    live();
    checkBatch(B, T, maxBatch, maxT);
    const n = T * B;
    checkLen('x', x, n * D);
    checkLen('dir', dir, P);
    checkLen('v', v, n * H);
    if (hidden) checkLen('hidden', hidden, n * H);
    writeFloats(ctx, pBuf, params, 0, P);
    writeFloats(ctx, dirBuf, dir, 0, P);
    writeFloats(ctx, xE, x, 0, n * D);
    const enc = ctx.device.createCommandEncoder();
    kTan.encode(enc, groups(B), [xE, pBuf, dirBuf, hidden ? out(0, n * H) : dummies[0]!, out(1, n * H)], [B, T, hidden ? 1 : 0, 0]);
    const regions: ReadRegion[] = [{ buf: out(1, n * H), n: n * H, into: v }];
    if (hidden) regions.push({ buf: out(0, n * H), n: n * H, into: hidden });
    await readRegions(ctx, regions, enc);
  }

  let resident: GpuResidentInputs | null = null;
  async function createResidentInputs(capacity: number, reserve?: ResidentReserve): Promise<GpuResidentInputs | null> {
    live();
    resident?.dispose();
    resident = null;
    // the term outputs (leak, rdiag) of the gate statistics' passes first: the store takes what is left
    const termFloats = (reserve?.termSeqs ?? 0) * maxT * H;
    if (termFloats > 0 && !(await reserveOutputs(ctx, [1, 2], (i) => out(i, termFloats), (i) => {
      const b = outs[i];
      if (!b) return;
      owned.splice(owned.indexOf(b), 1);
      b.destroy();
      outs[i] = null;
    }))) return null;
    resident = await GpuResidentInputs.create(ctx, capacity, maxT, D, maxBatch);
    return resident;
  }

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    trained = null;
    resident?.dispose();
    resident = null;
    termSums.dispose();
    deviceLoss.dispose();
    for (const b of owned.splice(0)) b.destroy();
  }

  const model: GpuModel & { readonly deviceBuffers: readonly GPUBuffer[] } = {
    shape,
    layout,
    kernels: { name: 'webgpu', precision: 'f32' },
    maxBatch,
    maxT,
    params,
    grads,
    forward,
    backward,
    tangent,
    createResidentInputs,
    sumsTerms: true,
    lossOnDevice: true,
    dispose,
    tuning: { workgroupSize: WG, seqsPerWorkgroup: S, unroll },
    get deviceBuffers(): readonly GPUBuffer[] { return owned; },
  };
  return model;
}

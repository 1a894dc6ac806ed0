/**
 * The single-gate cells const / shared / diag (SCIENCE.md §2), with the
 * recorded diagonal Jacobian terms (§4.1), backpropagation through time and
 * the forward-mode tangent pass (§5).
 *
 *   a_t = x_t W_x + b_x + h_{t-1} W_h          (pre-activation, [B×H])
 *   h̃_t = tanh(LN(a_t))
 *   p_t = x_t W_s + b_s + h_{t-1} U_s,  s_t = σ(p_t)     ([B×G], G = 1 shared, H diag)
 *   s_t = const_s                                          (const, G = 0)
 *   h_t = (1 - s_t) h_{t-1} + s_t h̃_t = h_{t-1} + s_t (h̃_t - h_{t-1})
 *   ŷ_t = h_t W_out + b_out
 *
 * Memory (allocated once, all with kernels.alloc, for maxBatch × maxT):
 *  - training caches, time-major: x [T][B][D]; h [T+1][B][H] (block 0 is
 *    h_{-1} = 0, so blocks 0..T-1 are h_{t-1} and 1..T are h_t, each one
 *    contiguous [T·B × H] matrix); h̃ [T][B][H]; x̂ [T][B][H] and 1/std [T][B]
 *    (LayerNorm only); s [T][B][G]; ∂L/∂ŷ [T][B].
 *    backward() overwrites the h̃ cache with ∂L/∂a_t and the s cache with
 *    ∂L/∂p_t, so that the weight gradients are a handful of [T·B]-row gemmTN
 *    at the end and no extra [T][B][H] buffer is needed. The caches are
 *    therefore consumed: one backward() per forward(train: true).
 *  - per-step buffers [B][·] and blocks of steps ([≤ PROJECTION_ROWS rows]
 *    of x, a, p) for evaluation (train: false) and tangent(), which never
 *    touch the training caches: an evaluation forward or a tangent pass
 *    between forward(train) and backward() is harmless.
 * Caller arrays (x, ŷ, ∂L/∂ŷ, dir, record, hidden, v) are only read or
 * written by plain copies into and out of kernel-owned buffers, so they need
 * not live in a WASM module's memory.
 *
 * Per step only kernels run. The input projections x W_x + b_x and
 * x W_s + b_s are computed a block of steps ahead (gate-blocks.ts,
 * PROJECTION_ROWS); a step adds h_{t-1} W_h and h_{t-1} U_s, applies
 * LayerNorm, then one fused cell kernel (gatedForward / Backward / Tangent,
 * kernels/types.ts), which also computes ŷ_t. Backward multiplies by copies
 * of W_hᵀ and U_sᵀ made once per call. The §4.1 terms are a plain loop, only
 * when asked.
 */
import type { FloatArray } from '../kernels/types';
import { copyN, PROJECTION_ROWS, projectionSteps, transposeInto } from './gate-blocks';
import { buildLayout, type TensorDecl } from './params';
import type { ForwardOptions, Model, ModelOptions, ModelShape, ParamLayout } from './types';

type GatedArch = 'const' | 'shared' | 'diag';

function isGated(arch: string): arch is GatedArch {
  return arch === 'const' || arch === 'shared' || arch === 'diag';
}

/** Width of the gate: 0 (const, fixed s), 1 (shared scalar), H (diag). */
export function gateWidth(shape: ModelShape): number {
  return shape.arch === 'diag' ? shape.H : shape.arch === 'shared' ? 1 : 0;
}

/**
 * Parameter layout ("in × out", row-major):
 * W_x [D×H], b_x [1×H], W_h [H×H], (ln_gain, ln_bias [1×H] with LayerNorm),
 * shared: w_s [D×1], u_s [H×1], b_s [1×1]; diag: W_s [D×H], U_s [H×H], b_s [1×H];
 * W_out [H×1], b_out [1×1].
 */
export function gatedLayout(shape: ModelShape): ParamLayout {
  const { D, H } = shape;
  const decls: TensorDecl[] = [
    { name: 'W_x', rows: D, cols: H, init: 'uniform', fanIn: D, orth: true },
    { name: 'b_x', rows: 1, cols: H, init: 'zero' },
    { name: 'W_h', rows: H, cols: H, init: 'uniform', fanIn: H, orth: true },
  ];
  if (shape.layernorm) {
    decls.push({ name: 'ln_gain', rows: 1, cols: H, init: 'one' });
    decls.push({ name: 'ln_bias', rows: 1, cols: H, init: 'zero' });
  }
  if (shape.arch === 'shared') {
    decls.push({ name: 'w_s', rows: D, cols: 1, init: 'zero' });
    decls.push({ name: 'u_s', rows: H, cols: 1, init: 'zero' });
    decls.push({ name: 'b_s', rows: 1, cols: 1, init: 'logit' });
  } else if (shape.arch === 'diag') {
    decls.push({ name: 'W_s', rows: D, cols: H, init: 'zero' });
    decls.push({ name: 'U_s', rows: H, cols: H, init: 'zero' });
    decls.push({ name: 'b_s', rows: 1, cols: H, init: 'logit' });
  }
  decls.push({ name: 'W_out', rows: H, cols: 1, init: 'uniform', fanIn: H, orth: true });
  decls.push({ name: 'b_out', rows: 1, cols: 1, init: 'zero' });
  return buildLayout(decls);
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`gated model: ${name} must be a positive integer, got ${v}`);
}

export function createGatedModel<A extends FloatArray>(shape: ModelShape, opts: ModelOptions<A>): Model<A> {
  const { arch, D, H, constS } = shape;
  if (!isGated(arch)) throw new Error(`createGatedModel: unsupported architecture '${arch}'`);
  positiveInt('D', D);
  positiveInt('H', H);
  positiveInt('maxBatch', opts.maxBatch);
  positiveInt('maxT', opts.maxT);
  if (!(constS >= 0 && constS <= 1)) throw new RangeError(`gated model: constS must lie in [0, 1], got ${constS}`);

  const ln = shape.layernorm;
  const G = gateWidth(shape);
  const Gb = Math.max(G, 1); // buffer width (const has no gate buffers worth the name)
  const k = opts.kernels;
  const { maxBatch, maxT } = opts;
  const layout = gatedLayout(shape);
  const params = k.alloc(layout.size);
  const grads = k.alloc(layout.size);

  const off = (name: string): number => layout.byName[name]?.offset ?? -1;
  const oWx = off('W_x'), oBx = off('b_x'), oWh = off('W_h');
  const oG = off('ln_gain'), oBeta = off('ln_bias');
  const oWs = off(arch === 'shared' ? 'w_s' : 'W_s');
  const oUs = off(arch === 'shared' ? 'u_s' : 'U_s');
  const oBs = off('b_s');
  const oWout = off('W_out'), oBout = off('b_out');

  // ---- training caches (time-major) ----
  const N = maxT * maxBatch;
  const xC = k.alloc(N * D);
  const hC = k.alloc((maxT + 1) * maxBatch * H);
  const aC = k.alloc(N * H); // h̃_t; ∂L/∂a_t after backward
  const xhatC = k.alloc(ln ? N * H : 1);
  const isC = k.alloc(ln ? N : 1);
  const sC = k.alloc(G > 0 ? N * G : 1); // s_t; ∂L/∂p_t after backward
  const dyC = k.alloc(N);
  const lnParts = k.alloc(ln ? maxT * 2 * H : 1); // per-step LayerNorm parameter gradients

  // ---- per-step buffers, and blocks of steps for the input projections ----
  const BH = maxBatch * H;
  const blkRows = Math.max(PROJECTION_ROWS, maxBatch);
  const xBlk = k.alloc(blkRows * D); // x of a block of steps (evaluation, tangent)
  const aBlk = k.alloc(blkRows * H); // x W_x + b_x of the block, then a_t in place
  const sBlk = k.alloc(blkRows * Gb); // x W_s + b_s of the block, then s_t in place
  const zeros = k.alloc(BH); // h_{-1} = v_{-1} = 0 (never written)
  const hS0 = k.alloc(BH), hS1 = k.alloc(BH);
  const xhatS = k.alloc(ln ? BH : 1);
  const isS = k.alloc(ln ? maxBatch : 1);
  const yS = k.alloc(maxBatch);
  const carry = k.alloc(BH); // ∂L/∂h_{t-1} flowing back in time
  const vS0 = k.alloc(BH), vS1 = k.alloc(BH);
  const daS = k.alloc(BH); // tangent of a_t, then of LN(a_t)
  const dpS = k.alloc(maxBatch * Gb); // tangent of p_t
  const dirBuf = k.alloc(layout.size);
  const WhT = k.alloc(H * H); // W_hᵀ and U_sᵀ (backward)
  const UsT = k.alloc(Gb * H);

  let lastB = 0;
  let lastT = 0;
  let cacheValid = false;

  function checkSizes(B: number, T: number): void {
    if (!Number.isInteger(B) || B < 1 || B > maxBatch) throw new RangeError(`gated model: batch ${B} outside 1..${maxBatch}`);
    if (!Number.isInteger(T) || T < 1 || T > maxT) throw new RangeError(`gated model: T ${T} outside 1..${maxT}`);
  }

  /**
   * Input projections of `rows` rows (a block of steps): a = x W_x + b_x,
   * p = x W_s + b_s.
   */
  function project(rows: number, xA: A, xO: number, aA: A, aO: number, sA: A, sO: number): void {
    k.gemmNN(rows, H, D, xA, xO, D, params, oWx, H, aA, aO, H, 0);
    k.addRowBias(rows, H, aA, aO, H, params, oBx);
    if (G > 0) {
      k.gemmNN(rows, G, D, xA, xO, D, params, oWs, G, sA, sO, G, 0);
      k.addRowBias(rows, G, sA, sO, G, params, oBs);
    }
  }

  /**
   * One step, on a and s holding the input projections of step t: adds
   * h_{t-1} W_h and h_{t-1} U_s (none when `first`: h_{-1} = 0), LayerNorm,
   * then gatedForward: h̃_t into a, s_t into s, h_t into h, ŷ_t into yS.
   */
  function step(
    B: number, first: boolean, hpA: A, hpO: number, hA: A, hO: number,
    aA: A, aO: number, xhA: A, xhO: number, isA: A, isO: number, sA: A, sO: number,
  ): void {
    if (!first) k.gemmNN(B, H, H, hpA, hpO, H, params, oWh, H, aA, aO, H, 1);
    if (ln) k.layerNormForward(B, H, aA, aO, H, xhA, xhO, isA, isO, params, oG, oBeta);
    if (G > 0 && !first) k.gemmNN(B, G, H, hpA, hpO, H, params, oUs, G, sA, sO, G, 1);
    k.gatedForward(B, H, G, constS, aA, aO, sA, sO, hpA, hpO, hA, hO, params, oWout, params[oBout]!, yS, 0);
  }

  /** Start of a block of steps at t (evaluation, tangent): x into xBlk, its projections into aBlk, sBlk. */
  function startBlock(x: A, B: number, T: number, t: number, tc: number): void {
    const rows = Math.min(tc, T - t) * B;
    copyInto(x, t * B * D, xBlk, 0, rows * D);
    project(rows, xBlk, 0, aBlk, 0, sBlk, 0);
  }

  /** §4.1 leak_t = 1 - s_t, rdiag_t = s(1-h̃²) diag(W_h) + (h̃ - h_{t-1}) s(1-s) ũ_s, for one step. */
  function recordStep(
    B: number, aA: A, aO: number, sA: A, sO: number, hpA: A, hpO: number, leak: A, rdiag: A, outO: number,
  ): void {
    for (let b = 0; b < B; b++) {
      const sb = G === 1 ? sA[sO + b]! : constS;
      const r = b * H;
      for (let q = 0; q < H; q++) {
        const sv = G > 1 ? sA[sO + r + q]! : sb;
        const ht = aA[aO + r + q]!;
        const hp = hpA[hpO + r + q]!;
        // ũ_s = u_s for shared, diag(U_s) for diag, 0 for const
        const us = G === 0 ? 0 : G === 1 ? params[oUs + q]! : params[oUs + q * H + q]!;
        leak[outO + r + q] = 1 - sv;
        rdiag[outO + r + q] = sv * (1 - ht * ht) * params[oWh + q * H + q]! + (ht - hp) * sv * (1 - sv) * us;
      }
    }
  }

  function forward(x: A, B: number, T: number, yhat: A, fo: ForwardOptions<A>): void {
    checkSizes(B, T);
    if (fo.rows) throw new Error('CPU model: forward() takes x (no resident inputs on the CPU)');
    if (fo.loss || fo.termSums) throw new Error('CPU model: the loss and the term sums are the caller\'s (record the terms instead)');
    const train = fo.train;
    const rec = fo.record;
    const leak = rec ? rec['leak'] : undefined;
    const rdiag = rec ? rec['rdiag'] : undefined;
    if (rec && (!leak || !rdiag)) throw new Error(`gated model: record needs 'leak' and 'rdiag' arrays`);
    const hidden = fo.hidden;
    const xLen = B * D;
    const stepH = B * H;

    if (train) {
      cacheValid = false;
      copyN(x, xC, T * xLen);
      hC.fill(0, 0, stepH); // h_{-1} = 0
    }

    const tc = projectionSteps(B);
    for (let t = 0; t < T; t++) {
      const first = t === 0;
      const outO = t * stepH;
      // the step's a and s: the training caches, or the rows of the current block
      const aA = train ? aC : aBlk;
      const aO = train ? outO : (t % tc) * stepH;
      const sA = train ? sC : sBlk;
      const sO = (train ? t : t % tc) * B * G;
      if (t % tc === 0) {
        if (train) project(Math.min(tc, T - t) * B, xC, t * xLen, aC, aO, sC, sO);
        else startBlock(x, B, T, t, tc);
      }
      const hp = train ? hC : first ? zeros : (t & 1) === 0 ? hS1 : hS0;
      const hpO = train ? t * stepH : 0;
      const hA = train ? hC : (t & 1) === 0 ? hS0 : hS1;
      const hO = train ? (t + 1) * stepH : 0;
      if (train) step(B, first, hp, hpO, hA, hO, aA, aO, xhatC, ln ? outO : 0, isC, ln ? t * B : 0, sA, sO);
      else step(B, first, hp, hpO, hA, hO, aA, aO, xhatS, 0, isS, 0, sA, sO);
      if (leak) recordStep(B, aA, aO, sA, sO, hp, hpO, leak, rdiag!, outO);
      if (hidden) copyInto(hA, hO, hidden, outO, stepH);
      copyInto(yS, 0, yhat, t * B, B);
    }

    if (train) {
      lastB = B;
      lastT = T;
      cacheValid = true;
    }
  }

  function backward(dyhat: A): void {
    if (!dyhat) throw new Error('CPU model: backward() needs dyhat (the loss is the caller\'s)');
    if (!cacheValid) throw new Error('gated model: backward() needs a preceding forward(train: true) (the caches are consumed by backward)');
    cacheValid = false;
    const B = lastB, T = lastT;
    const TB = T * B;
    const stepH = B * H;
    const H2 = 2 * H;
    copyN(dyhat, dyC, TB);
    carry.fill(0, 0, stepH);
    transposeInto(H, H, params, oWh, H, WhT, 0);
    if (G > 0) transposeInto(H, G, params, oUs, G, UsT, 0);

    for (let t = T - 1; t >= 0; t--) {
      const aO = t * stepH;
      const sO = t * B * G;
      // dh = carry + dŷ_t W_outᵀ, split into the candidate, gate and leak paths
      k.gatedBackward(B, H, G, constS, aC, aO, sC, sO, hC, aO, dyC, t * B, params, oWout, carry, 0);
      if (ln) k.layerNormBackward(B, H, aC, aO, H, xhatC, aO, isC, t * B, params, oG, lnParts, t * H2, t * H2 + H);
      if (t > 0) {
        k.gemmNN(B, H, H, aC, aO, H, WhT, 0, H, carry, 0, H, 1);
        if (G > 0) k.gemmNN(B, H, G, sC, sO, G, UsT, 0, H, carry, 0, H, 1);
      }
    }

    // Weight gradients over all T·B rows at once (rows of block 0 of hC are h_{-1} = 0).
    k.gemmTN(D, H, TB, xC, 0, D, aC, 0, H, grads, oWx, H, 0);
    k.gemmTN(H, H, TB, hC, 0, H, aC, 0, H, grads, oWh, H, 0);
    k.sumRows(TB, H, aC, 0, H, grads, oBx);
    if (ln) {
      k.sumRows(T, H, lnParts, 0, H2, grads, oG);
      k.sumRows(T, H, lnParts, H, H2, grads, oBeta);
    }
    if (G > 0) {
      k.gemmTN(D, G, TB, xC, 0, D, sC, 0, G, grads, oWs, G, 0);
      k.gemmTN(H, G, TB, hC, 0, H, sC, 0, G, grads, oUs, G, 0);
      k.sumRows(TB, G, sC, 0, G, grads, oBs);
    }
    k.gemmTN(H, 1, TB, hC, stepH, H, dyC, 0, 1, grads, oWout, 1, 0);
    k.sumRows(TB, 1, dyC, 0, 1, grads, oBout);
  }

  function tangent(x: A, B: number, T: number, dir: A, v: A, hidden?: A): void {
    checkSizes(B, T);
    if (dir.length < layout.size) throw new RangeError(`gated model: dir has ${dir.length} entries, layout needs ${layout.size}`);
    copyN(dir, dirBuf, layout.size);
    const xLen = B * D;
    const stepH = B * H;

    const tc = projectionSteps(B);
    for (let t = 0; t < T; t++) {
      const first = t === 0;
      if (t % tc === 0) startBlock(x, B, T, t, tc);
      const xO = (t % tc) * xLen;
      const aO = (t % tc) * stepH;
      const sO = (t % tc) * B * G;
      const hp = first ? zeros : (t & 1) === 0 ? hS1 : hS0;
      const hc = (t & 1) === 0 ? hS0 : hS1;
      const vp = first ? zeros : (t & 1) === 0 ? vS1 : vS0;
      const vc = (t & 1) === 0 ? vS0 : vS1;
      step(B, first, hp, 0, hc, 0, aBlk, aO, xhatS, 0, isS, 0, sBlk, sO);

      // da = x dW_x + db_x + h_{t-1} dW_h + v_{t-1} W_h, then through LayerNorm.
      k.gemmNN(B, H, D, xBlk, xO, D, dirBuf, oWx, H, daS, 0, H, 0);
      if (!first) {
        k.gemmNN(B, H, H, hp, 0, H, dirBuf, oWh, H, daS, 0, H, 1);
        k.gemmNN(B, H, H, vp, 0, H, params, oWh, H, daS, 0, H, 1);
      }
      k.addRowBias(B, H, daS, 0, H, dirBuf, oBx);
      if (ln) k.layerNormTangent(B, H, daS, 0, H, xhatS, 0, isS, 0, params, oG, dirBuf, oG, oBeta);
      // dp = x dW_s + db_s + h_{t-1} dU_s + v_{t-1} U_s
      if (G > 0) {
        k.gemmNN(B, G, D, xBlk, xO, D, dirBuf, oWs, G, dpS, 0, G, 0);
        if (!first) {
          k.gemmNN(B, G, H, hp, 0, H, dirBuf, oUs, G, dpS, 0, G, 1);
          k.gemmNN(B, G, H, vp, 0, H, params, oUs, G, dpS, 0, G, 1);
        }
        k.addRowBias(B, G, dpS, 0, G, dirBuf, oBs);
      }
      // v_t = (1-s) v_{t-1} + s (1-h̃²) dLN + s(1-s) dp (h̃ - h_{t-1})   (§5)
      k.gatedTangent(B, H, G, constS, aBlk, aO, sBlk, sO, hp, 0, vp, 0, daS, 0, dpS, 0, vc, 0);
      const outO = t * stepH;
      copyInto(vc, 0, v, outO, stepH);
      if (hidden) copyInto(hc, 0, hidden, outO, stepH);
    }
  }

  return {
    shape,
    layout,
    kernels: k,
    maxBatch,
    maxT,
    params,
    grads,
    forward,
    backward,
    tangent,
  };
}

/** dst[dOff + i] = src[sOff + i] for i < n (plain loop: the arrays may belong to different backends). */
function copyInto(src: FloatArray, sOff: number, dst: FloatArray, dOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i]!;
}

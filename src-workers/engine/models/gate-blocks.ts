/**
 * Helpers shared by the gate-block architectures, GRU and LSTM (SCIENCE.md §2).
 *
 * Both store their gates as blocks concatenated along the output axis of one
 * "in × out" matrix (models/types.ts): W [D × nG·H], b [1 × nG·H],
 * U [H × nG·H]; gate k of row i lives in columns k·H .. k·H + H - 1. The same
 * interleaving is used for the time-major gate caches, [T][B][nG·H], so one
 * gemm over all T·B rows computes (or, in backward, consumes) every gate.
 */
import type { FloatArray, Kernels } from '../kernels/types';
import { buildLayout } from './params';
import type { ParamLayout } from './types';

/**
 * Layout of a gate-block RNN with nG gates:
 *   W [D × nG·H]   uniform fanIn D, orthogonal per H-wide gate block
 *   b [1 × nG·H]   uniform fanIn D (the bias of the input map)
 *   U [H × nG·H]   uniform fanIn H, orthogonal per gate block
 *   ln_gain, ln_bias [1 × H]   only with layernorm (ones / zeros)
 *   W_out [H × 1]  uniform fanIn H, orthogonal
 *   b_out [1 × 1]  zero
 */
export function gateBlockLayout(D: number, H: number, nG: number, layernorm: boolean): ParamLayout {
  const G = nG * H;
  return buildLayout([
    { name: 'W', rows: D, cols: G, init: 'uniform', fanIn: D, orth: true, orthBlockCols: H },
    { name: 'b', rows: 1, cols: G, init: 'uniform', fanIn: D },
    { name: 'U', rows: H, cols: G, init: 'uniform', fanIn: H, orth: true, orthBlockCols: H },
    ...(layernorm
      ? [
          { name: 'ln_gain', rows: 1, cols: H, init: 'one' as const },
          { name: 'ln_bias', rows: 1, cols: H, init: 'zero' as const },
        ]
      : []),
    { name: 'W_out', rows: H, cols: 1, init: 'uniform', fanIn: H, orth: true },
    { name: 'b_out', rows: 1, cols: 1, init: 'zero' },
  ]);
}

/** Offsets of the tensors of gateBlockLayout (ln offsets are -1 without layernorm). */
export interface GateBlockOffsets {
  W: number;
  b: number;
  U: number;
  lnGain: number;
  lnBias: number;
  Wout: number;
  bout: number;
}

export function gateBlockOffsets(layout: ParamLayout): GateBlockOffsets {
  const o = (name: string): number => layout.byName[name]?.offset ?? -1;
  return { W: o('W'), b: o('b'), U: o('U'), lnGain: o('ln_gain'), lnBias: o('ln_bias'), Wout: o('W_out'), bout: o('b_out') };
}

/** Reject a batch or length outside the workspaces. */
export function checkBatch(B: number, T: number, maxBatch: number, maxT: number): void {
  if (!Number.isInteger(B) || B < 1 || B > maxBatch) {
    throw new RangeError(`batch size ${B} outside 1..${maxBatch} (maxBatch)`);
  }
  if (!Number.isInteger(T) || T < 1 || T > maxT) {
    throw new RangeError(`sequence length ${T} outside 1..${maxT} (maxT)`);
  }
}

/**
 * dst[i] = src[i] for i < n. TypedArray.set copies natively (and converts
 * between float types), so the arrays may belong to different backends.
 */
export function copyN(src: FloatArray, dst: FloatArray, n: number): void {
  if (src.length < n || dst.length < n) throw new RangeError(`array shorter than ${n}`);
  dst.set(src.length === n ? src : src.subarray(0, n));
}

/**
 * out[q] = diag(U_k)[q] = U[uOff + q·ld + k·H + q]: the diagonal of gate
 * block k of a concatenated [H × ld] matrix (models/types.ts).
 */
export function blockDiag(U: FloatArray, uOff: number, ld: number, k: number, H: number, out: Float64Array): void {
  for (let q = 0; q < H; q++) out[q] = U[uOff + q * ld + k * H + q]!;
}

/** C[m×n] = Aᵀ·B over k rows, or zeros when k = 0 (T = 1 leaves no h_{t-1} ≠ 0). */
export function gemmTNOrZero<A extends FloatArray>(
  kn: Kernels<A>, m: number, n: number, k: number,
  a: A, aOff: number, lda: number, b: A, bOff: number, ldb: number, c: A, cOff: number, ldc: number,
): void {
  if (k > 0) {
    kn.gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, 0);
    return;
  }
  for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
}

/** The named recorded arrays, or an error naming the missing one. */
export function recordArrays<A extends FloatArray>(record: Record<string, A>, names: readonly string[], n: number): A[] {
  return names.map((name) => {
    const a = record[name];
    if (!a) throw new Error(`record: missing array '${name}'`);
    if (a.length < n) throw new RangeError(`record: '${name}' has ${a.length} entries, needs ${n}`);
    return a;
  });
}

/**
 * Rows per block of the input projection X·W + b: computed a block of steps
 * ahead of the recurrence, the block is still in cache when its steps run
 * (one product over all T·B rows writes megabytes that are evicted and read
 * back). 1024 rows of 4H = 512 floats are 2 MiB at most for H ≤ 128.
 */
export const PROJECTION_ROWS = 1024;

/** Steps per input-projection block for a batch of B rows (at least 1). */
export function projectionSteps(B: number): number {
  return Math.max(1, Math.floor(PROJECTION_ROWS / B));
}

/** out[r·G + j] = Σ_d x[xOff + r·D + d] W[d·G + j] + b[j] for r < rows (W, b at wOff, bOff in p). */
export function projectInputs<A extends FloatArray>(
  k: Kernels<A>, rows: number, G: number, D: number, x: A, xOff: number, p: A, wOff: number, bOff: number,
  out: A, outOff: number,
): void {
  k.gemmNN(rows, G, D, x, xOff, D, p, wOff, G, out, outOff, G, 0);
  k.addRowBias(rows, G, out, outOff, G, p, bOff);
}

/**
 * dst[dstOff + j·rows + i] = src[srcOff + i·ld + j] (i < rows, j < cols): a
 * transposed copy of a weight block, made once per backward so that the
 * per-step products with Uᵀ are plain gemmNN (gemmNT would transpose U again
 * at every step; the results are the same, sums run in the same order).
 */
export function transposeInto(rows: number, cols: number, src: FloatArray, srcOff: number, ld: number,
  dst: FloatArray, dstOff: number): void {
  for (let i = 0; i < rows; i++) {
    const so = srcOff + i * ld;
    for (let j = 0; j < cols; j++) dst[dstOff + j * rows + i] = src[so + j]!;
  }
}

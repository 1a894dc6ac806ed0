/**
 * Parameter layouts and initialisation (SCIENCE.md §2, "Initialisation").
 */
import type { FloatArray } from '../kernels/types';
import { Rng } from '../rng';
import type { InitKind, ParamLayout, ParamTensor } from './types';

export interface TensorDecl {
  name: string;
  rows: number;
  cols: number;
  init: InitKind;
  fanIn?: number;
  orth?: boolean;
  orthBlockCols?: number;
}

/** Lay the declared tensors out back to back in one flat array. */
export function buildLayout(decls: TensorDecl[]): ParamLayout {
  const tensors: ParamTensor[] = [];
  const byName: Record<string, ParamTensor> = {};
  let offset = 0;
  for (const d of decls) {
    if (byName[d.name]) throw new Error(`duplicate parameter tensor '${d.name}'`);
    const t: ParamTensor = {
      name: d.name,
      rows: d.rows,
      cols: d.cols,
      offset,
      size: d.rows * d.cols,
      init: d.init,
      fanIn: d.fanIn ?? d.rows,
      orth: d.orth ?? false,
      ...(d.orthBlockCols !== undefined ? { orthBlockCols: d.orthBlockCols } : {}),
    };
    tensors.push(t);
    byName[d.name] = t;
    offset += t.size;
  }
  return { tensors, size: offset, byName };
}

export interface InitOptions {
  seed: number;
  orthInit: boolean;
  constS: number;
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * Fill `params` following the layout: uniform ±1/sqrt(fanIn), zeros, ones,
 * logit(const_s); with orthInit, tensors flagged `orth` become random
 * orthogonal matrices (per gate block).
 */
export function initParams(layout: ParamLayout, params: FloatArray, opts: InitOptions): void {
  const rng = new Rng(opts.seed);
  for (const t of layout.tensors) {
    const { offset, size } = t;
    switch (t.init) {
      case 'zero':
        params.fill(0, offset, offset + size);
        break;
      case 'one':
        params.fill(1, offset, offset + size);
        break;
      case 'logit':
        params.fill(logit(opts.constS), offset, offset + size);
        break;
      case 'uniform': {
        const bound = 1 / Math.sqrt(t.fanIn);
        for (let i = 0; i < size; i++) params[offset + i] = rng.range(-bound, bound);
        break;
      }
    }
    if (opts.orthInit && t.orth) {
      const bc = t.orthBlockCols ?? t.cols;
      if (t.cols % bc !== 0) throw new Error(`orthBlockCols of '${t.name}' must divide its columns`);
      const block = new Float64Array(t.rows * bc);
      for (let c0 = 0; c0 < t.cols; c0 += bc) {
        randomOrthogonal(t.rows, bc, rng, block);
        for (let i = 0; i < t.rows; i++) {
          for (let j = 0; j < bc; j++) params[offset + i * t.cols + c0 + j] = block[i * bc + j]!;
        }
      }
    }
  }
}

/**
 * A random r×c matrix (row-major, into `out`) with orthonormal rows when
 * r ≤ c, orthonormal columns when r ≥ c: the Q factor of a Gaussian matrix
 * with R's diagonal made positive (Gram–Schmidt applied twice, which gives
 * exactly that Q and orthogonality to rounding error).
 */
export function randomOrthogonal(r: number, c: number, rng: Rng, out: Float64Array): void {
  const tall = r >= c;
  const m = tall ? r : c; // vector length
  const n = tall ? c : r; // number of vectors
  const q = new Float64Array(n * m); // n vectors of length m
  for (let i = 0; i < n * m; i++) q[i] = rng.gaussian();
  for (let j = 0; j < n; j++) {
    const vj = j * m;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const vp = p * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[vp + i]! * q[vj + i]!;
        for (let i = 0; i < m; i++) q[vj + i] -= dot * q[vp + i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[vj + i]! * q[vj + i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) q[vj + i] /= norm;
  }
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      // tall: column j is vector j; wide: row i is vector i
      out[i * c + j] = tall ? q[j * m + i]! : q[i * m + j]!;
    }
  }
}

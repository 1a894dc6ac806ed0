/**
 * The gate statistics' sums on the device (ForwardOptions.termSums): Σ over
 * all (t, b, q) of each recorded §4.1 term, as the trainer's gate statistics
 * need them (SCIENCE.md §4.1; train.ts), without reading the [T][B][H] terms
 * back. At the `paper` size a gate-statistics pass read 3 × 67 M floats back
 * and summed them on the host every gate_log_every epochs; now it reads
 * 3 × H column sums (compensated reductions, reductions.ts, each stored in
 * float32: within about 1e-7 of its column's Σ|·|) and adds those H values per
 * term in float64.
 */
/// <reference types="@webgpu/types" />
import type { ForwardOptions } from '../../engine/models/types';
import type { Reductions } from './reductions';
import { createStorage, type ReadRegion } from './runtime';
import type { GpuContext } from './types';

export class TermSums {
  private readonly buf: GPUBuffer;
  private readonly host: Float32Array;

  constructor(ctx: GpuContext, private readonly red: Reductions, private readonly nTerms: number, private readonly H: number) {
    this.buf = createStorage(ctx, nTerms * H, 'term sums');
    this.host = new Float32Array(nTerms * H);
  }

  /** ForwardOptions.termSums checked for this model: the array to fill, or null when not asked. */
  requested(fo: ForwardOptions<Float32Array>): Float64Array | null {
    const sums = fo.termSums;
    if (!sums) return null;
    if (fo.record) throw new Error('forward: record and termSums exclude each other');
    if (sums.length < this.nTerms) throw new RangeError(`forward: termSums has ${sums.length} entries, needs ${this.nTerms}`);
    return sums;
  }

  /** Encode the column sums of each term buffer ([n][H], term k in terms[k]); the returned region reads them back. */
  encode(enc: GPUCommandEncoder, terms: readonly GPUBuffer[], n: number): ReadRegion {
    const { H } = this;
    if (terms.length !== this.nTerms) throw new Error(`term sums: ${terms.length} term buffers, ${this.nTerms} expected`);
    terms.forEach((a, k) => this.red.colSums(enc, { rows: n, n: H, a, aOff: 0, lda: H, c: this.buf, cOff: k * H }));
    return { buf: this.buf, n: this.nTerms * H, into: this.host };
  }

  /** After the read-back: out[k] = Σ_q colsum_k[q], in float64. */
  finish(out: Float64Array): void {
    const { H } = this;
    for (let k = 0; k < this.nTerms; k++) {
      let s = 0;
      for (let q = 0; q < H; q++) s += this.host[k * H + q]!;
      out[k] = s;
    }
  }

  dispose(): void {
    this.buf.destroy();
  }
}

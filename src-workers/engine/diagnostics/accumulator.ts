/**
 * Streams diagnostic batches into the per-lag accumulators (SCIENCE.md §4.2,
 * §4.3, §5): for every sequence of a batch, in order, the μ prefix sums are
 * built once; then for every lag and t ∈ [ℓ, T-1] one μ row feeds the
 * envelope and one ψ sample goes to that lag's LagSampleStore. Each lag's
 * stream is therefore in sequence-major, time-minor order over the global
 * sequence index, whatever the batch size.
 */
import type { Arch } from '../models/types';
import { deriveSeed } from '../rng';
import { EnvelopeAccumulator, type EnvelopeResult } from './envelope';
import { MatchedSequence } from './matched';
import { MuPrefix, type TermArrays } from './mu';
import { DEFAULT_RESERVOIR_SIZE, LagSampleStore } from './sample-store';

/** Stream id of the reservoirs' seeds: deriveSeed(w_seed, RESERVOIR_STREAM, ℓ). */
export const RESERVOIR_STREAM = 0x7265_7376; // 'resv'

export interface AccumulatorOptions {
  arch: Arch;
  H: number;
  /** sequence length of every batch */
  T: number;
  /** lag grid, each 1 ≤ ℓ < T */
  lags: readonly number[];
  includeFirstOrder: boolean;
  /** seeds the reservoirs: deriveSeed(wSeed, RESERVOIR_STREAM, ℓ) */
  wSeed: number;
  /** first samples kept per lag (max(N_grid)) */
  firstCap: number;
  reservoirSize?: number;
  /** total sequences expected (sizes the stores; optional) */
  nSeqExpected?: number;
}

export interface DiagnosticBatch {
  /** number of sequences in the batch */
  B: number;
  /** §4.1 terms, time-major [T][B][H] */
  record: TermArrays;
  /** tangent v_t = (∂h_t/∂θ)[w], [T][B][H] */
  v: ArrayLike<number>;
  /** ŷ and y, [T][B] */
  yhat: ArrayLike<number>;
  y: ArrayLike<number>;
  /** W_out[q] = wOut[wOff + q] */
  wOut: ArrayLike<number>;
  wOff: number;
}

export class DiagnosticsAccumulator {
  readonly lags: readonly number[];
  readonly T: number;
  readonly H: number;
  readonly stores: LagSampleStore[];
  private readonly envelope: EnvelopeAccumulator;
  private readonly prefix: MuPrefix;
  private readonly matched: MatchedSequence;
  private readonly row: Float64Array;
  private nSeq = 0;

  constructor(opts: AccumulatorOptions) {
    const { arch, H, T, lags } = opts;
    for (const l of lags) {
      if (!(Number.isInteger(l) && l >= 1 && l < T)) throw new RangeError(`diagnostics: lag ${l} outside [1, T-1] (T=${T})`);
    }
    this.lags = lags.slice();
    this.T = T;
    this.H = H;
    this.envelope = new EnvelopeAccumulator(lags.length, H);
    this.prefix = new MuPrefix(arch, H, T, opts.includeFirstOrder);
    this.matched = new MatchedSequence(H, T);
    this.row = new Float64Array(H);
    this.stores = lags.map((l) => new LagSampleStore({
      seed: deriveSeed(opts.wSeed, RESERVOIR_STREAM, l),
      reservoirSize: opts.reservoirSize ?? DEFAULT_RESERVOIR_SIZE,
      firstCap: opts.firstCap,
      ...(opts.nSeqExpected !== undefined ? { expectedCount: opts.nSeqExpected * (T - l) } : {}),
    }));
  }

  /** Add every sequence of one batch, in order. */
  addBatch(batch: DiagnosticBatch): void {
    const { B, record, v, yhat, y, wOut, wOff } = batch;
    const { T, lags, stores, prefix, matched, envelope, row } = this;
    for (let b = 0; b < B; b++) {
      prefix.build(record, B, T, b);
      matched.set(v, yhat, y, B, T, b, wOut, wOff);
      for (let i = 0; i < lags.length; i++) {
        const lag = lags[i]!;
        const store = stores[i]!;
        for (let t = lag; t < T; t++) {
          prefix.row(t, lag, row);
          envelope.addRow(i, row);
          store.push(matched.psi(t, lag, row));
        }
      }
      envelope.endSequence();
      this.nSeq++;
    }
  }

  get sequences(): number {
    return this.nSeq;
  }

  /** Orient every lag's samples once (§5) and return the envelope. */
  finish(orient: boolean): EnvelopeResult {
    for (const s of this.stores) s.orient(orient);
    return this.envelope.result();
  }
}

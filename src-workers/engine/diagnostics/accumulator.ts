/**
 * Streams diagnostic batches into the per-lag accumulators (SCIENCE.md §4.2,
 * §4.3, §5): for every sequence of a batch, in order, the μ prefix sums are
 * built once; then for every lag one fused sweep over t ∈ [ℓ, T-1] feeds the
 * envelope and that lag's ψ samples to its LagSampleStore. Each lag's stream
 * is therefore in sequence-major, time-minor order over the global sequence
 * index, whatever the batch size.
 *
 * Two engines compute the same numbers bit for bit (tested):
 *  - 'wasm': the WebAssembly SIMD kernels (wasm/sweep-module.ts), the default
 *    where WebAssembly SIMD exists;
 *  - 'js': MuPrefix + MatchedSequence + sweepLag in TypeScript.
 */
import type { Arch } from '../models/types';
import { deriveSeed } from '../rng';
import { EnvelopeAccumulator, type EnvelopeResult } from './envelope';
import { MatchedSequence } from './matched';
import { MuPrefix, type TermArrays } from './mu';
import { DEFAULT_RESERVOIR_SIZE, LagSampleStore } from './sample-store';
import { sweepLag, type SweepOut } from './sweep';
import { SweepWasm, sweepWasmAvailable, type BatchPrecision, type BatchViews } from './wasm/sweep-wasm';

/** Stream id of the reservoirs' seeds: deriveSeed(w_seed, RESERVOIR_STREAM, ℓ). */
export const RESERVOIR_STREAM = 0x7265_7376; // 'resv'

export type DiagnosticsEngine = 'auto' | 'wasm' | 'js';

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
  /** 'auto' (default): 'wasm' where WebAssembly SIMD exists, else 'js' */
  engine?: DiagnosticsEngine;
  /**
   * wasm engine only: also allocate [T][B][H] batch arrays of this precision
   * inside the kernels' memory (`batchArrays()`), read there without a copy.
   */
  batchArrays?: { B: number; precision: BatchPrecision };
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
  /** the engine in use */
  readonly engine: 'wasm' | 'js';
  private readonly envelope: EnvelopeAccumulator;
  private readonly wasm: SweepWasm | null;
  private readonly prefix: MuPrefix | null;
  private readonly matched: MatchedSequence | null;
  private readonly sweepOut: SweepOut | null;
  private nSeq = 0;

  constructor(opts: AccumulatorOptions) {
    const { arch, H, T, lags } = opts;
    for (const l of lags) {
      if (!(Number.isInteger(l) && l >= 1 && l < T)) throw new RangeError(`diagnostics: lag ${l} outside [1, T-1] (T=${T})`);
    }
    this.lags = lags.slice();
    this.T = T;
    this.H = H;
    const want = opts.engine ?? 'auto';
    if (want === 'wasm' && !sweepWasmAvailable()) throw new Error('diagnostics: the wasm engine needs WebAssembly SIMD');
    this.engine = want === 'js' || !sweepWasmAvailable() ? 'js' : 'wasm';
    if (this.engine === 'wasm') {
      this.wasm = new SweepWasm({
        arch, H, T, nLags: lags.length, includeFirstOrder: opts.includeFirstOrder,
        ...(opts.batchArrays ? { batch: opts.batchArrays } : {}),
      });
      this.envelope = new EnvelopeAccumulator(lags.length, H, this.wasm.unit);
      this.prefix = null;
      this.matched = null;
      this.sweepOut = null;
    } else {
      this.wasm = null;
      this.envelope = new EnvelopeAccumulator(lags.length, H);
      this.prefix = new MuPrefix(arch, H, T, opts.includeFirstOrder);
      this.matched = new MatchedSequence(H, T);
      this.sweepOut = { unit: this.envelope.unitSum, unitOff: 0, psi: new Float64Array(T) };
    }
    this.stores = lags.map((l) => new LagSampleStore({
      seed: deriveSeed(opts.wSeed, RESERVOIR_STREAM, l),
      reservoirSize: opts.reservoirSize ?? DEFAULT_RESERVOIR_SIZE,
      firstCap: opts.firstCap,
      ...(opts.nSeqExpected !== undefined ? { expectedCount: opts.nSeqExpected * (T - l) } : {}),
    }));
  }

  /**
   * The batch arrays allocated in the wasm engine's memory (option
   * `batchArrays`), to be filled by the model and the task and passed back
   * to addBatch; null otherwise.
   */
  batchArrays(): BatchViews<Float32Array> | BatchViews<Float64Array> | null {
    return this.wasm?.batch ?? null;
  }

  /**
   * Add every sequence of one batch, in order. Per sequence and lag, one
   * fused sweep (sweep.ts, or its WebAssembly twin) gives the envelope sums
   * and the T-ℓ ψ samples, bit-identical to MuPrefix.row →
   * EnvelopeAccumulator.addRow → MatchedSequence.psi → LagSampleStore.push
   * row by row.
   */
  addBatch(batch: DiagnosticBatch): void {
    const { B, record, v, yhat, y, wOut, wOff } = batch;
    const { T, H, lags, stores, envelope } = this;
    const wasm = this.wasm;
    if (wasm) {
      const psi = wasm.psi;
      for (let b = 0; b < B; b++) {
        wasm.load(record, v, yhat, y, B, T, b, wOut, wOff);
        for (let i = 0; i < lags.length; i++) {
          const lag = lags[i]!;
          envelope.addSweep(i, T - lag, wasm.sweep(i, lag));
          stores[i]!.pushMany(psi, 0, T - lag);
        }
        envelope.endSequence();
        this.nSeq++;
      }
      return;
    }
    const prefix = this.prefix!, matched = this.matched!, sweepOut = this.sweepOut!;
    const psi = sweepOut.psi;
    for (let b = 0; b < B; b++) {
      prefix.build(record, B, T, b);
      matched.set(v, yhat, y, B, T, b, wOut, wOff);
      for (let i = 0; i < lags.length; i++) {
        const lag = lags[i]!;
        sweepOut.unitOff = i * H;
        envelope.addSweep(i, T - lag, sweepLag(prefix, matched.err, matched.wv, lag, sweepOut));
        stores[i]!.pushMany(psi, 0, T - lag);
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

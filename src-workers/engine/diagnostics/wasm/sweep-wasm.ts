/**
 * One instance of the diagnostics' WebAssembly kernels (sweep-module.ts) with
 * its own memory, sized once at creation and never grown:
 *
 *   [LAYOUT, +64)      i32 layout block: H and the array addresses
 *   prefix arrays      [T+1][H] f64 products (and i32 exponents), ratio sums,
 *                      lstm e_t [T][H], the 2^(-256·d) table
 *   matched terms      W_out [H], w·v [T][H], residuals [T] (f64)
 *   outputs            per-unit |μ| sums [L][H], ψ of one sweep [T] (f64)
 *   staging            one sequence of the recorded terms, tangent and
 *                      targets as f64 [T][H] / [T], for caller arrays that
 *                      are not views of this memory
 *   batch arrays       optional: [T][B][H] terms and tangent, [T][B] ŷ and y,
 *                      in the model's precision, for runDiagnostics to fill
 *                      directly (the model writes caller arrays with plain
 *                      loops, models/types.ts), so no copy is needed.
 *
 * Memory is O(T·H·(L + #terms) + batch arrays): bounded by the shapes.
 */
import type { Arch } from '../../models/types';
import { RECORDED_TERMS } from '../../models/types';
import { createMemory, instantiate, type WasmMemory } from './emit';
import { F, LAYOUT, LAYOUT_SLOTS, sweepModule, type KernelKind, type SrcType } from './sweep-module';

type BuildFn = (p0: number, p1: number, p2: number, B: number, b: number, T: number, first: number) => number;
type SetFn = (pV: number, pYhat: number, pY: number, B: number, b: number, T: number) => void;
type SweepFn = (lag: number, t0: number, t1: number, unitOff: number, abs: number) => number;

export type BatchPrecision = 'f32' | 'f64';

export interface SweepWasmOptions {
  arch: Arch;
  H: number;
  T: number;
  nLags: number;
  includeFirstOrder: boolean;
  /** allocate [T][B][H] batch arrays of this precision in the memory */
  batch?: { B: number; precision: BatchPrecision };
}

/** Views the model and the caller fill for one diagnostic batch. */
export interface BatchViews<A extends Float32Array | Float64Array> {
  B: number;
  record: Record<string, A>;
  v: A;
  yhat: A;
  y: A;
}

function kindOf(arch: Arch): KernelKind {
  return arch === 'gru' ? 'gru' : arch === 'lstm' ? 'lstm' : 'leak';
}

/** Term names in kernel argument order (p0, p1, p2). */
function kernelTerms(arch: Arch): [string, string, string | null] {
  if (arch === 'lstm') return ['forget', 'expr', 'cdiag'];
  if (arch === 'gru') return ['leak', 'rdiag', 'r'];
  return ['leak', 'rdiag', null];
}

/** True when WebAssembly with SIMD is available here (the module compiles). */
export function sweepWasmAvailable(): boolean {
  return sweepModule() !== null;
}

export class SweepWasm {
  readonly arch: Arch;
  readonly H: number;
  readonly maxT: number;
  readonly includeFirstOrder: boolean;
  readonly memory: WasmMemory;
  /** per-unit Σ|μ| of every lag, [L][H] (the envelope's unitSum) */
  readonly unit: Float64Array;
  /** ψ of the last sweep, ψ_t(ℓ) at [t-ℓ] */
  readonly psi: Float64Array;
  /** the batch arrays, when asked for at creation */
  readonly batch: BatchViews<Float32Array> | BatchViews<Float64Array> | null;
  private readonly kind: KernelKind;
  private readonly wOut: Float64Array;
  private readonly stage: { terms: Float64Array[]; v: Float64Array; yhat: Float64Array; y: Float64Array };
  private readonly build: Record<SrcType, BuildFn>;
  private readonly set: Record<SrcType, SetFn>;
  private readonly sweepFn: SweepFn;
  private T = 0;

  constructor(opts: SweepWasmOptions) {
    const mod = sweepModule();
    if (!mod) throw new Error('diagnostics: WebAssembly SIMD is not available');
    const { arch, H, T, nLags } = opts;
    this.arch = arch;
    this.H = H;
    this.maxT = T;
    this.includeFirstOrder = opts.includeFirstOrder;
    this.kind = kindOf(arch);
    const gru = arch === 'gru';
    const lstm = arch === 'lstm';
    const first = opts.includeFirstOrder;
    const nTerms = RECORDED_TERMS[arch].length;
    const P = (T + 1) * H;

    // addresses (16-byte aligned regions)
    let top = LAYOUT + 4 * LAYOUT_SLOTS;
    const region = (bytes: number): number => {
      top = Math.ceil(top / 16) * 16;
      const at = top;
      top += Math.max(bytes, 0);
      return at;
    };
    const a = {
      mA: region(8 * P), eA: region(4 * P),
      mR: region(gru ? 8 * P : 0), eR: region(gru ? 4 * P : 0),
      mE: region(gru ? 8 * P : 0), eE: region(gru ? 4 * P : 0),
      sHi: region(first ? 8 * P : 0), sLo: region(first ? 8 * P : 0),
      expr: region(lstm ? 8 * T * H : 0), pow: region(8 * (T + 2)),
      wOut: region(8 * H), wv: region(8 * T * H), err: region(8 * T),
      unit: region(8 * nLags * H), psi: region(8 * T),
      rowsA: region(4 * (T + 1)), rowsR: region(gru ? 4 * (T + 1) : 0), rowsE: region(gru ? 4 * (T + 1) : 0),
    };
    const stageAt = { terms: [] as number[], v: 0, yhat: 0, y: 0 };
    for (let k = 0; k < nTerms; k++) stageAt.terms.push(region(8 * T * H));
    stageAt.v = region(8 * T * H);
    stageAt.yhat = region(8 * T);
    stageAt.y = region(8 * T);
    let batchAt: { terms: number[]; v: number; yhat: number; y: number; es: number; B: number } | null = null;
    if (opts.batch) {
      const es = opts.batch.precision === 'f32' ? 4 : 8;
      const B = opts.batch.B;
      batchAt = { terms: [], v: 0, yhat: 0, y: 0, es, B };
      for (let k = 0; k < nTerms; k++) batchAt.terms.push(region(es * T * B * H));
      batchAt.v = region(es * T * B * H);
      batchAt.yhat = region(es * T * B);
      batchAt.y = region(es * T * B);
    }
    this.memory = createMemory(top);
    const buf = this.memory.buffer;

    const layout = new Int32Array(buf, LAYOUT, LAYOUT_SLOTS);
    layout[F.H] = H;
    for (const k of ['mA', 'eA', 'mR', 'eR', 'mE', 'eE', 'sHi', 'sLo', 'expr', 'pow', 'wOut', 'wv', 'err', 'unit', 'psi', 'rowsA', 'rowsR', 'rowsE'] as const) {
      layout[F[k]] = a[k];
    }
    // pow[d] = 2^(-256·d) for d < 3, 0 beyond (mu.ts halfPowTable)
    const pow = new Float64Array(buf, a.pow, T + 2);
    for (let d = 0; d < Math.min(T + 2, 3); d++) pow[d] = 2 ** (-256 * d);
    this.unit = new Float64Array(buf, a.unit, nLags * H);
    this.psi = new Float64Array(buf, a.psi, T);
    this.wOut = new Float64Array(buf, a.wOut, H);
    this.stage = {
      terms: stageAt.terms.map((p) => new Float64Array(buf, p, T * H)),
      v: new Float64Array(buf, stageAt.v, T * H),
      yhat: new Float64Array(buf, stageAt.yhat, T),
      y: new Float64Array(buf, stageAt.y, T),
    };
    if (batchAt) {
      const { B, es } = batchAt;
      const Ctor = es === 4 ? Float32Array : Float64Array;
      const record: Record<string, Float32Array | Float64Array> = {};
      RECORDED_TERMS[arch].forEach((name, k) => { record[name] = new Ctor(buf, batchAt!.terms[k]!, T * B * H); });
      this.batch = {
        B, record, v: new Ctor(buf, batchAt.v, T * B * H), yhat: new Ctor(buf, batchAt.yhat, T * B), y: new Ctor(buf, batchAt.y, T * B),
      } as BatchViews<Float32Array> | BatchViews<Float64Array>;
    } else {
      this.batch = null;
    }

    const ex = instantiate<Record<string, unknown>>(mod, this.memory);
    const kind = this.kind;
    this.build = { f32: ex[`build_${kind}_f32`] as BuildFn, f64: ex[`build_${kind}_f64`] as BuildFn };
    this.set = { f32: ex['set_f32'] as SetFn, f64: ex['set_f64'] as SetFn };
    this.sweepFn = ex[`sweep_${kind}_${first ? 1 : 0}`] as SweepFn;
  }

  /** Bytes of the instance's memory. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Load sequence b of a batch: the μ prefixes (MuPrefix.build) and the
   * matched terms (MatchedSequence.set). Arrays that are f32/f64 views of
   * this memory are read in place; any others are staged (copied) first.
   */
  load(record: Record<string, ArrayLike<number>>, v: ArrayLike<number>, yhat: ArrayLike<number>, y: ArrayLike<number>,
    B: number, T: number, b: number, wOut: ArrayLike<number>, wOff: number): void {
    if (T > this.maxT) throw new RangeError(`diagnostics: T=${T} exceeds maxT=${this.maxT}`);
    if (b < 0 || b >= B) throw new RangeError(`diagnostics: sequence ${b} outside batch of ${B}`);
    this.T = T;
    const H = this.H;
    for (let q = 0; q < H; q++) this.wOut[q] = wOut[wOff + q]!;
    const names = kernelTerms(this.arch);
    const need = names.filter((n): n is string => n !== null && (n !== 'rdiag' && n !== 'cdiag' || this.includeFirstOrder));
    for (const n of need) if (!record[n]) throw new Error(`μ: recorded term '${n}' is missing`);
    const first = this.includeFirstOrder ? 1 : 0;

    const inPlace = this.srcOf([...need.map((n) => record[n]!), v, yhat, y]);
    if (inPlace) {
      const ptr = (n: string | null): number => (n !== null && record[n] ? (record[n] as Float32Array).byteOffset : 0);
      this.build[inPlace](ptr(names[0]), ptr(names[1]), ptr(names[2]), B, b, T, first);
      this.set[inPlace]((v as Float32Array).byteOffset, (yhat as Float32Array).byteOffset, (y as Float32Array).byteOffset, B, b, T);
      return;
    }
    // staging: sequence b as [T][H] (B = 1, b = 0), f64 (exact for f32 and f64 sources)
    const st = this.stage;
    const all = RECORDED_TERMS[this.arch];
    const ptr = (n: string | null): number => (n === null ? 0 : st.terms[all.indexOf(n)]!.byteOffset);
    for (const n of need) gather(record[n]!, st.terms[all.indexOf(n)]!, B, T, b, H);
    gather(v, st.v, B, T, b, H);
    gather(yhat, st.yhat, B, T, b, 1);
    gather(y, st.y, B, T, b, 1);
    this.build.f64(ptr(names[0]), ptr(names[1]), ptr(names[2]), 1, 0, T, first);
    this.set.f64(st.v.byteOffset, st.yhat.byteOffset, st.y.byteOffset, 1, 0, T);
  }

  /**
   * Sweep lag ℓ of the loaded sequence (sweep.ts sweepLag): |μ| added to
   * unit[i·H ..], ψ to psi[0 .. T-ℓ); returns Σ_t Σ_q |μ| (row by row).
   */
  sweep(i: number, lag: number): number {
    return this.sweepFn(lag, lag, this.T, i * this.H * 8, 0);
  }

  /** 'f32' | 'f64' when every array is a view of this memory of that type, else null. */
  private srcOf(arrays: ArrayLike<number>[]): SrcType | null {
    const buf = this.memory.buffer;
    let src: SrcType | null = null;
    for (const arr of arrays) {
      const s: SrcType | null = arr instanceof Float32Array ? 'f32' : arr instanceof Float64Array ? 'f64' : null;
      if (s === null || (arr as Float32Array).buffer !== buf || (src !== null && s !== src)) return null;
      src = s;
    }
    return src;
  }
}

/** dst[t·W + w] = src[(t·B + b)·W + w]: one sequence of a time-major batch. */
function gather(src: ArrayLike<number>, dst: Float64Array, B: number, T: number, b: number, W: number): void {
  for (let t = 0; t < T; t++) {
    const s = (t * B + b) * W;
    const d = t * W;
    for (let w = 0; w < W; w++) dst[d + w] = src[s + w]!;
  }
}

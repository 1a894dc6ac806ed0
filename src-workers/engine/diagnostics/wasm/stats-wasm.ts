/**
 * The estimators' WebAssembly kernels (stats-module.ts) behind a small API,
 * one instance per thread, its memory grown on demand up to a cap:
 *
 *   sortFinite(samples)      the finite samples, ascending (a view, valid
 *                            until the next call)
 *   ecfSums(sample, t0, dt, G, outC, outS)
 *
 * Callers fall back to TypeScript when `statsWasm()` is null (no WebAssembly
 * SIMD) or a sample is larger than MAX_WASM_SAMPLES.
 */
import { createMemory, instantiate, PAGE_BYTES, type WasmMemory } from './emit';
import { HIST_BYTES, statsModule } from './stats-module';

/** Largest sample handled here (the memory then holds ~6·8 bytes per sample). */
export const MAX_WASM_SAMPLES = 1 << 21;

interface StatsExports {
  sort_f64(a: number, tmp: number, n: number, hist: number): number;
  ecf_sums(c0: number, s0: number, cd: number, sd: number, n: number, G: number, out: number): void;
}

const HIST_AT = 64;

export class StatsWasm {
  private readonly memory: WasmMemory;
  private readonly ex: StatsExports;
  private capacity = 0; // samples the regions hold
  private a = 0;
  private tmp = 0;
  private trig = 0;
  private out = 0;

  constructor() {
    const mod = statsModule();
    if (!mod) throw new Error('estimators: WebAssembly SIMD is not available');
    this.memory = createMemory(HIST_AT + HIST_BYTES);
    this.ex = instantiate<StatsExports>(mod, this.memory);
  }

  /** Regions for n samples: a, tmp, 4 trig arrays [n], 2 sums [64]. */
  private ensure(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, Math.min(MAX_WASM_SAMPLES, 2 * this.capacity), 1024);
    const a = Math.ceil((HIST_AT + HIST_BYTES) / 16) * 16;
    const tmp = a + 8 * cap;
    const trig = tmp + 8 * cap;
    const out = trig + 4 * 8 * cap;
    const need = out + 2 * 8 * 64;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE_BYTES));
    this.capacity = cap;
    this.a = a;
    this.tmp = tmp;
    this.trig = trig;
    this.out = out;
  }

  /**
   * The finite values of `samples`, sorted ascending exactly as
   * Float64Array.prototype.sort would (a view into this instance's memory,
   * overwritten by the next call).
   */
  sortFinite(samples: ArrayLike<number>): Float64Array {
    this.ensure(Math.max(1, samples.length));
    const buf = this.memory.buffer;
    const a = new Float64Array(buf, this.a, samples.length);
    let n = 0;
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i]!;
      if (Number.isFinite(v)) a[n++] = v;
    }
    if (n === 0) return a.subarray(0, 0);
    const where = this.ex.sort_f64(this.a, this.tmp, n, HIST_AT);
    return new Float64Array(buf, where === 0 ? this.a : this.tmp, n);
  }

  /**
   * outC[k] = Σ_i cos(t_k x_i), outS[k] = Σ_i sin(t_k x_i), t_k = t0 + k·dt,
   * k < G ≤ 64, by the rotation recurrence from Math.cos/Math.sin of t0·x and
   * dt·x (estimators.ts, the same operations in the same order).
   */
  ecfSums(sample: ArrayLike<number>, t0: number, dt: number, G: number, outC: Float64Array, outS: Float64Array): void {
    if (G > 64) throw new RangeError('ecfSums: at most 64 grid points');
    const n = sample.length;
    // `sample` may be a view of this memory (sortFinite): it must not move,
    // so the regions are only grown when it is not one of ours.
    if (n > this.capacity) this.ensure(n);
    const buf = this.memory.buffer;
    const c0 = new Float64Array(buf, this.trig, n);
    const s0 = new Float64Array(buf, this.trig + 8 * this.capacity, n);
    const cd = new Float64Array(buf, this.trig + 16 * this.capacity, n);
    const sd = new Float64Array(buf, this.trig + 24 * this.capacity, n);
    for (let i = 0; i < n; i++) {
      const x = sample[i]!;
      c0[i] = Math.cos(t0 * x);
      s0[i] = Math.sin(t0 * x);
      cd[i] = Math.cos(dt * x);
      sd[i] = Math.sin(dt * x);
    }
    this.ex.ecf_sums(c0.byteOffset, s0.byteOffset, cd.byteOffset, sd.byteOffset, n, G, this.out);
    const cs = new Float64Array(buf, this.out, 2 * G);
    for (let k = 0; k < G; k++) {
      outC[k] = cs[2 * k]!;
      outS[k] = cs[2 * k + 1]!;
    }
  }
}

let instance: StatsWasm | null | undefined;

/** This thread's instance, or null without WebAssembly SIMD. */
export function statsWasm(): StatsWasm | null {
  if (instance === undefined) instance = statsModule() ? new StatsWasm() : null;
  return instance;
}
